"""The stock screens: peak mode per shop (switched by ops, shown on the dashboard), every SKU's figures, a
page per SKU, "push now" and "re-sync shop" (each a stock.push job whose page shows its progress)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from opsconsole.core.models import AuditEntry
from sync.flows.stock import peak_state
from sync.models import StockLevel, StockPeakMode, SyncJob
from tests.factories import ShopifyShopFactory

pytestmark = pytest.mark.django_db

LOC = "gid://shopify/Location/1"


def level(shop, sku="TEE-M", **values):  # type: ignore[no-untyped-def]
    defaults = {
        "location": LOC,
        "inventory_item_id": "gid://shopify/InventoryItem/9",
        "on_hand": 20,
        "reserved": 3,
        "safety": 2,
        "target": 15,
        "pushed": 15,
        "shopify_available": 14,
        "drift": -1,
        "drift_at": timezone.now(),
        "pushed_at": timezone.now(),
    }
    defaults.update(values)
    return StockLevel.objects.create(shop=shop, sku=sku, **defaults)


def test_a_skus_page_shows_odoo_and_shopify_figures_side_by_side(client_for):
    # given
    shop = ShopifyShopFactory()
    level(shop)
    client, _ = client_for("viewer")
    # when
    page = client.get(f"/stock/{shop.pk}/sku/TEE-M/")
    listing = client.get("/stock/?q=TEE")
    # then
    html = page.content.decode()
    assert page.status_code == 200
    for testid, value in (("on-hand", 20), ("reserved", 3), ("safety", 2), ("target", 15), ("pushed", 15)):
        assert f'data-testid="{testid}">{value}<' in html
    assert 'data-testid="shopify">14<' in html
    assert 'data-testid="push-now"' not in html  # a viewer does not act
    assert listing.status_code == 200 and "TEE-M" in listing.content.decode()


def test_ops_push_now_and_resync_make_a_push_job_and_show_its_page(client_for):
    # given
    shop = ShopifyShopFactory()
    client, user = client_for("ops")
    # when
    one = client.post(f"/stock/{shop.pk}/push/", {"sku": "TEE-M"})
    everything = client.post(f"/stock/{shop.pk}/push/")
    # then
    jobs = list(SyncJob.objects.filter(shop=shop, kind="stock.push").order_by("pk"))
    assert [j.input for j in jobs] == [
        {"skus": ["TEE-M"], "refresh": True},
        {"all": True, "refresh": True},
    ]
    assert one.status_code == 302 and one["Location"] == f"/jobs/{jobs[0].pk}/"
    assert everything["Location"] == f"/jobs/{jobs[1].pk}/"
    assert AuditEntry.objects.filter(action="stock.resync", actor=user).count() == 2


def test_a_viewer_cannot_push_or_switch_peak_mode(client_for):
    shop = ShopifyShopFactory()
    client, _ = client_for("viewer")
    assert client.post(f"/stock/{shop.pk}/push/").status_code == 403
    assert client.post(f"/stock/{shop.pk}/peak/", {"on": "1"}).status_code == 403
    assert not SyncJob.objects.filter(shop=shop).exists()


def test_peak_mode_is_switched_by_ops_and_shown_on_the_dashboard(client_for):
    # given
    shop = ShopifyShopFactory()
    client, user = client_for("ops")
    # when
    client.post(f"/stock/{shop.pk}/peak/", {"on": "1"})
    dashboard = client.get("/").content.decode()
    # then
    assert peak_state(shop_id=shop.pk) == "manual"
    assert (
        'data-testid="stock-peak-row"' in dashboard
        and 'peak mode <span class="pill pill-warn">on</span>' in dashboard
    )
    assert AuditEntry.objects.filter(action="stock.peak_on", actor=user).exists()
    assert SyncJob.objects.filter(shop=shop, kind="stock.push").count() == 1  # a re-sync applies the buffer
    # and off again
    client.post(f"/stock/{shop.pk}/peak/", {"on": "0"})
    assert peak_state(shop_id=shop.pk, threshold=0) == ""


def test_peak_mode_turns_itself_on_when_the_order_rate_passes_the_threshold():
    # given: three orders in the last minute, a threshold of three per minute
    shop = ShopifyShopFactory()
    for n in range(3):
        SyncJob.objects.create(
            shop=shop, kind="order.upsert", flow="orders", idempotency_key=f"o{n}", subject=f"order:{n}"
        )
    # when
    below = peak_state(shop_id=shop.pk, threshold=4)
    reached = peak_state(shop_id=shop.pk, threshold=3)
    # then: on, for a while, without anyone switching it
    assert (below, reached) == ("", "auto")
    row = StockPeakMode.objects.get(shop=shop)
    assert row.manual is False and row.auto_until > timezone.now()
    assert peak_state(shop_id=shop.pk, threshold=0) == "auto"
