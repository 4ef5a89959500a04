"""Django admin for what the console has no screen for: which shops a user is limited to. Each change is
audited like a change of groups (who, from where, before and after)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models.signals import post_delete, post_save

from opsconsole.core.audit import audit_record_in_context
from sync.models import ShopAccess


@admin.register(ShopAccess)
class ShopAccessAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "shop", "created_at")
    list_filter = ("shop",)
    search_fields = ("user__username", "shop__domain")
    autocomplete_fields = ()


def _shops_of(user_id: int) -> list[str]:
    return sorted(ShopAccess.objects.filter(user_id=user_id).values_list("shop__domain", flat=True))


def audit_shop_access(sender: Any, instance: ShopAccess, raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    created = kwargs.get("created")
    verb = "given" if created is not False and "created" in kwargs else "taken from"
    shops = _shops_of(instance.user_id)
    audit_record_in_context(
        action="user.shops",
        object_type="user",
        object_id=instance.user_id,
        summary=f"user {instance.user_id}: shop {instance.shop_id} {verb}; limited to "
        f"{', '.join(shops) or 'no shop (sees every shop)'}",
        after={"shops": shops},
    )


post_save.connect(audit_shop_access, sender=ShopAccess, dispatch_uid="sync.shop_access_saved")
post_delete.connect(audit_shop_access, sender=ShopAccess, dispatch_uid="sync.shop_access_deleted")
