"""Sync state: connections, inbound events, jobs, mappings, links (grown by the pipeline work)."""

from __future__ import annotations

from django.db import models


class ShopifyRateLimitState(models.Model):
    """The GraphQL cost bucket of one shop, shared by every worker process (see connectors/shopify)."""

    shop_domain = models.CharField(max_length=255, unique=True)
    available = models.FloatField()
    maximum = models.FloatField()
    restore_rate = models.FloatField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.shop_domain}: {self.available:.0f}/{self.maximum:.0f}"
