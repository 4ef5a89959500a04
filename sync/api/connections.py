"""/api/v1/connections/: shops and Odoo servers with their health (integration admins, as the screen).
Credentials are never shown."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from sync.api.base import ApiView
from sync.selectors.access import shop_scope
from sync.selectors.dashboard import OdooHealth, ShopHealth, connection_health


class ShopHealthOut(serializers.Serializer):
    id = serializers.IntegerField()
    domain = serializers.CharField()
    odoo_id = serializers.IntegerField()
    api_version = serializers.CharField()
    api_version_seen = serializers.CharField()
    deprecation_warning = serializers.CharField()
    active = serializers.BooleanField()
    last_success_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField(help_text="ok, warn, inactive, uninstalled or unknown")
    rate_limit_headroom_percent = serializers.IntegerField(allow_null=True)
    webhooks_checked_at = serializers.DateTimeField(allow_null=True)
    webhook_topics_missing = serializers.ListField(child=serializers.CharField())


class OdooHealthOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    database = serializers.CharField()
    login = serializers.CharField()
    protocol = serializers.CharField()
    server_version = serializers.CharField()
    active = serializers.BooleanField()
    last_success_at = serializers.DateTimeField(allow_null=True)
    last_error_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    status = serializers.CharField(help_text="ok, warn, bad (credentials refused), inactive or unknown")


class HealthOut(serializers.Serializer):
    shops = ShopHealthOut(many=True)
    odoo = OdooHealthOut(many=True)
    worker_seen_at = serializers.DateTimeField(allow_null=True)
    inbox_last_hour = serializers.IntegerField()
    rejected_last_day = serializers.IntegerField()


def _shop(item: ShopHealth) -> dict[str, Any]:
    shop = item.shop
    return {
        "id": shop.pk,
        "domain": shop.domain,
        "odoo_id": shop.odoo_id,
        "api_version": shop.api_version,
        "api_version_seen": shop.api_version_seen,
        "deprecation_warning": shop.deprecation_warning,
        "active": shop.active,
        "last_success_at": shop.last_success_at,
        "status": item.status,
        "rate_limit_headroom_percent": item.headroom_percent,
        "webhooks_checked_at": shop.webhooks_checked_at,
        "webhook_topics_missing": item.topics_missing if shop.webhooks_checked_at else [],
    }


def _odoo(item: OdooHealth) -> dict[str, Any]:
    c = item.connection
    return {
        "id": c.pk,
        "name": c.name,
        "url": c.url,
        "database": c.database,
        "login": c.login,
        "protocol": c.protocol,
        "server_version": c.server_version,
        "active": c.active,
        "last_success_at": c.last_success_at,
        "last_error_at": c.last_error_at,
        "last_error": c.last_error,
        "status": item.status,
    }


class ConnectionsView(ApiView):
    required_permission = "manage_connections"
    audit_object_type = "connection"

    @extend_schema(
        summary="Shops and Odoo servers with their health, the worker's heartbeat", responses=HealthOut
    )
    def get(self, request: Request) -> Response:
        health = connection_health(shops=shop_scope(request.user))
        return Response(
            HealthOut(
                {
                    "shops": [_shop(s) for s in health.shops],
                    "odoo": [_odoo(o) for o in health.odoo],
                    "worker_seen_at": health.worker_seen_at,
                    "inbox_last_hour": health.inbox_last_hour,
                    "rejected_last_day": health.rejected_last_day,
                }
            ).data
        )
