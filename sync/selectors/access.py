"""Which shops a user may see and act on. One place, used by the console's views, the JSON API, the
selectors (lists and details) and the services (actions), so that a user limited to some shops
(``ShopAccess`` rows) sees and touches nothing of the others, wherever they look.

``shop_scope(user)`` is None for "every shop" (no ShopAccess rows, or a superuser), else the set of shop
ids. Selectors take it as ``shops=`` and apply it with ``in_scope``; services call ``require_shop``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet

from sync.models import ShopAccess, ShopifyShop

ShopScope = frozenset[int] | None
M = TypeVar("M", bound=Model)


def shop_scope(user: Any) -> ShopScope:
    """The shops ``user`` is limited to, or None when they may see every shop."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "is_superuser", False):
        return None
    if hasattr(user, "_opsconsole_shop_scope"):
        cached: ShopScope = user._opsconsole_shop_scope
        return cached
    ids = frozenset(ShopAccess.objects.filter(user_id=user.pk).values_list("shop_id", flat=True))
    scope = ids or None
    with contextlib.suppress(AttributeError):  # a user object that takes no attributes
        user._opsconsole_shop_scope = scope
    return scope


def in_scope(query: QuerySet[M], shops: Collection[Any] | None, field: str = "shop_id") -> QuerySet[M]:
    """``query`` limited to ``shops`` (None: unchanged); ``field`` names what holds the shop (its id, or
    another key such as a domain, given ``shops`` of that key)."""
    if shops is None:
        return query
    return query.filter(**{f"{field}__in": shops})


def shops_visible(user: Any) -> QuerySet[ShopifyShop]:
    return in_scope(ShopifyShop.objects.order_by("domain"), shop_scope(user), "pk")


def shop_visible(user: Any, shop_id: int | None) -> bool:
    scope = shop_scope(user)
    return scope is None or (shop_id is not None and shop_id in scope)


def require_shop(user: Any, shop_id: int | None) -> None:
    """For services: refuse an action on a shop the user is not given."""
    if not shop_visible(user, shop_id):
        raise PermissionDenied("you are not given this shop")
