"""What the Shopify connector relies on, checked against the sandbox (default) or a real development store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from opsconsole.core.errors import AuthError, BusinessRuleError, ContractError
from sync.connectors.shopify import StaleQuantityError, documents
from sync.connectors.shopify.client import gid
from sync.connectors.shopify.types import InventorySet, RefundLine

REST_ORDER_FIELDS = {
    "id",
    "name",
    "email",
    "currency",
    "presentment_currency",
    "taxes_included",
    "total_price",
    "total_price_set",
    "subtotal_price",
    "subtotal_price_set",
    "total_tax",
    "total_tax_set",
    "total_discounts",
    "total_discounts_set",
    "current_total_price",
    "current_total_price_set",
    "financial_status",
    "cancelled_at",
    "updated_at",
    "customer",
    "billing_address",
    "shipping_address",
    "line_items",
    "shipping_lines",
    "discount_applications",
    "note",
    "note_attributes",
    "payment_gateway_names",
    "refunds",
    "tax_lines",
    "created_at",
}
REST_LINE_FIELDS = {
    "id",
    "sku",
    "quantity",
    "price",
    "price_set",
    "tax_lines",
    "discount_allocations",
    "variant_id",
    "product_id",
    "title",
    "name",
    "total_discount",
    "gift_card",
}


def _variant(shopify):
    data = shopify.graphql(
        """{ productVariants(first: 5, query: "inventory_quantity:>2") { nodes { id sku price
        product { id } inventoryItem { id } } } }""",
        estimate=20,
    )
    nodes = [n for n in data["productVariants"]["nodes"] if n["sku"]]
    assert nodes, "the store needs at least one variant with a SKU"
    return nodes[0]


def _order(shopify, variant, quantity=2, **extra):
    """An order placed the way a development store takes one (``orderCreate``). No production code creates
    orders in Shopify, so the connector has no method for it; the document stays in its schema-checked
    registry for this suite."""
    order_input = {
        "lineItems": [{"variantId": variant["id"], "quantity": quantity}],
        "email": f"contract-{uuid.uuid4().hex[:8]}@example.com",
        "shippingLines": [
            {
                "title": "Standard Shipping",
                "code": "STANDARD",
                "priceSet": {"shopMoney": {"amount": "4.90", "currencyCode": _currency(shopify)}},
            }
        ],
        "financialStatus": "PAID",
        "test": True,
        **extra,
    }
    data = shopify.graphql(documents.ORDER_CREATE, {"order": order_input}, estimate=10)
    assert data["orderCreate"]["userErrors"] == [], data["orderCreate"]["userErrors"]
    return data["orderCreate"]["order"]


_CURRENCY: dict[str, str] = {}


def _currency(shopify):
    if "c" not in _CURRENCY:
        _CURRENCY["c"] = shopify.shop_info().currency
    return _CURRENCY["c"]


def test_shop_info_is_served_by_the_pinned_api_version(shopify, shopify_target):
    info = shopify.shop_info()
    assert info.domain == shopify_target.config.domain
    assert info.api_version == shopify_target.config.api_version
    assert len(info.currency) == 3
    assert shopify.warnings == []


def test_the_access_scopes_granted_to_the_app_are_listed(shopify, shopify_target):
    granted = shopify.access_scopes()

    implied = granted | {"read_" + h.removeprefix("write_") for h in granted if h.startswith("write_")}
    assert implied >= documents.REQUIRED_SCOPES  # the suite itself needs every scope the connector does
    if shopify_target.control is not None:  # the sandbox answers what the merchant granted, exactly
        domain = shopify_target.config.domain
        shopify_target.control.settings(domain, scopes=["read_orders", "write_products"])
        try:
            assert shopify.access_scopes() == {"read_orders", "write_products"}
            with pytest.raises(AuthError) as denied:  # a field the scopes do not cover is refused
                shopify.locations()
            assert "Access denied for locations field. Required access: `read_locations` access scope." in (
                str(denied.value)
            )
        finally:
            shopify_target.control.settings(domain, scopes=sorted(granted))


def test_locations_are_listed(shopify):
    locations = shopify.locations()
    assert locations
    assert all(loc.id.startswith("gid://shopify/Location/") for loc in locations)


def test_customer_create_get_update_and_find_by_email(shopify):
    email = f"contract-{uuid.uuid4().hex[:10]}@example.com"
    created = shopify.create_customer(email=email, first_name="Ada", last_name="Contract", tags=["contract"])
    updated = shopify.update_customer(created.id, note="updated by the contract suite")
    assert (created.email, created.first_name, created.tags) == (email, "Ada", ("contract",))
    assert updated.note == "updated by the contract suite"
    assert shopify.get_customer(created.legacy_id).note == "updated by the contract suite"
    assert shopify.find_customer_by_email(email).id == created.id


def test_a_duplicate_customer_email_is_a_business_rule_error(shopify):
    email = f"contract-{uuid.uuid4().hex[:10]}@example.com"
    shopify.create_customer(email=email)
    with pytest.raises(BusinessRuleError) as exc:
        shopify.create_customer(email=email)
    assert exc.value.key == email
    assert exc.value.details["userErrors"][0]["field"] == ["email"]


def test_an_order_created_through_the_api_is_fetched_in_the_webhook_shape(shopify):
    variant = _variant(shopify)
    created = _order(
        shopify, variant, quantity=2, note="contract", customAttributes=[{"key": "k", "value": "v"}]
    )
    rest = shopify.fetch_order_rest(created["legacyResourceId"])
    assert set(rest) >= REST_ORDER_FIELDS
    assert set(rest["line_items"][0]) >= REST_LINE_FIELDS
    assert rest["line_items"][0]["gift_card"] is False  # LineItem.isGiftCard, read for the booking
    assert rest["id"] == int(created["legacyResourceId"])
    assert rest["name"] == created["name"]
    assert rest["note"] == "contract"
    assert rest["note_attributes"] == [{"name": "k", "value": "v"}]
    line = rest["line_items"][0]
    assert (line["sku"], line["quantity"], line["price"]) == (
        variant["sku"],
        2,
        str(Decimal(variant["price"])),
    )
    # no tax lines were given, so the total is the lines plus shipping
    expected = Decimal(variant["price"]) * 2 + Decimal("4.90")
    assert Decimal(rest["total_price"]) == expected
    assert (
        rest["total_price"] == created["totalPriceSet"]["shopMoney"]["amount"]
        or Decimal(created["totalPriceSet"]["shopMoney"]["amount"]) == expected
    )
    assert rest["shipping_lines"][0]["price"] == "4.90"


def test_an_unknown_order_is_none(shopify):
    assert shopify.fetch_order_rest(1) is None


def test_orders_are_listed_by_update_window(shopify):
    variant = _variant(shopify)
    created = _order(shopify, variant, quantity=1)
    now = datetime.now(UTC)
    refs = shopify.list_orders(
        updated_at_min=now - timedelta(days=3650), updated_at_max=now + timedelta(days=3650)
    )
    assert int(created["legacyResourceId"]) in {r.legacy_id for r in refs}
    ref = next(r for r in refs if r.legacy_id == int(created["legacyResourceId"]))
    # both amounts of the total: the shop's and the one the customer saw (the same currency here)
    assert ref.total_presentment is not None and ref.total_presentment.amount == ref.total.amount > 0
    far_future = shopify.list_orders(updated_at_min=now + timedelta(days=3650))
    assert far_future == []


def test_product_set_creates_and_updates_and_variants_follow_by_id(shopify):
    # given
    sku = f"CT-{uuid.uuid4().hex[:10].upper()}"
    product = {
        "title": f"Contract {sku}",
        "status": "ACTIVE",
        "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
        "variants": [
            {"optionValues": [{"optionName": "Title", "name": "Default Title"}], "sku": sku, "price": "12.00"}
        ],
    }
    # when
    created = shopify.product_set(product)
    [(variant, _)] = created.variants
    updated_at = shopify.update_variants(
        created.id, [{"id": variant, "price": "13.50", "inventoryItem": {"sku": f"{sku}-B"}}]
    )
    archived = shopify.product_set({"status": "ARCHIVED"}, product_id=created.id)
    # then
    assert created.status == "ACTIVE" and created.updated_at
    assert updated_at
    assert shopify.products_by_sku([f"{sku}-B", sku]) == {f"{sku}-B": (created.id, variant, "ARCHIVED")}
    assert shopify.variant_prices_by_sku([f"{sku}-B", sku]) == {f"{sku}-B": (Decimal("13.50"), "ARCHIVED")}
    assert archived.status == "ARCHIVED" and archived.variants == ((variant, f"{sku}-B"),)


def test_inventory_levels_by_sku_name_the_item_and_available_per_location(shopify):
    # given
    variant = _variant(shopify)
    locations = [loc.id for loc in shopify.locations()][:8]
    # when
    found = shopify.inventory_levels_by_sku([variant["sku"], "NO-SUCH-SKU-CONTRACT"], locations)
    # then
    ref = found[variant["sku"]]
    assert list(found) == [variant["sku"]]
    assert (ref.inventory_item_id, ref.variant_id, ref.tracked) == (
        variant["inventoryItem"]["id"],
        variant["id"],
        True,
    )
    assert set(ref.available) <= set(locations)
    for loc, qty in ref.available.items():
        assert shopify.inventory_quantities(ref.inventory_item_id, [loc])[loc]["available"] == qty


def test_inventory_set_is_compare_and_set_and_idempotent(shopify):
    variant = _variant(shopify)
    location = shopify.locations()[0]
    ref = shopify.inventory_items_by_sku([variant["sku"]], with_locations=[location.id])[variant["sku"]]
    current = ref.quantities[location.id]["available"]
    key = str(uuid.uuid4())
    # set with the right change_from
    first = shopify.set_inventory_quantities(
        [InventorySet(ref.inventory_item_id, location.id, current + 5, current)],
        reason="correction",
        reference_document_uri="gid://opsconsole/Test/1",
        idempotency_key=key,
    )
    # the same key again does not apply the change twice
    again = shopify.set_inventory_quantities(
        [InventorySet(ref.inventory_item_id, location.id, current + 5, current)],
        reason="correction",
        reference_document_uri="gid://opsconsole/Test/1",
        idempotency_key=key,
    )
    after = shopify.inventory_quantities(ref.inventory_item_id, [location.id])[location.id]["available"]
    assert [c.delta for c in first[0].changes if c.name == "available"] == [5]
    assert again[0].group_id == first[0].group_id
    assert after == current + 5
    # a stale change_from is refused with CHANGE_FROM_QUANTITY_STALE, nothing written
    with pytest.raises(StaleQuantityError) as exc:
        shopify.set_inventory_quantities([InventorySet(ref.inventory_item_id, location.id, 0, current)])
    assert exc.value.code == "CHANGE_FROM_QUANTITY_STALE"
    assert exc.value.key == ref.inventory_item_id
    assert (
        shopify.inventory_quantities(ref.inventory_item_id, [location.id])[location.id]["available"]
        == current + 5
    )
    # put it back
    shopify.set_inventory_quantities([InventorySet(ref.inventory_item_id, location.id, current, current + 5)])


def test_more_than_250_quantities_in_one_call_are_refused(shopify):
    variant = _variant(shopify)
    location = shopify.locations()[0]
    item = shopify.inventory_items_by_sku([variant["sku"]])[variant["sku"]].inventory_item_id
    quantities = [
        {"inventoryItemId": item, "locationId": location.id, "quantity": 1, "changeFromQuantity": 0}
    ] * 251
    query = (
        "mutation($i: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $i) "
        f'@idempotent(key: "{uuid.uuid4()}") {{ userErrors {{ message }} }} }}'
    )
    with pytest.raises(ContractError):
        shopify.graphql(query, {"i": {"name": "available", "reason": "correction", "quantities": quantities}})


def test_partial_fulfilment_with_tracking(shopify):
    variant = _variant(shopify)
    created = _order(shopify, variant, quantity=2)
    rest = shopify.fetch_order_rest(created["legacyResourceId"])
    line = rest["line_items"][0]
    fulfilment = shopify.create_fulfillment(
        created["legacyResourceId"],
        lines=[(line["id"], 1)],
        tracking_company="DHL",
        tracking_number="JD014600006281230704",
    )
    after = shopify.fetch_order_rest(created["legacyResourceId"])
    assert fulfilment.tracking_numbers == ("JD014600006281230704",)
    assert fulfilment.tracking_company == "DHL"
    assert fulfilment.line_items == ((gid("LineItem", line["id"]), 1),)
    assert after["fulfillment_status"] == "partial"
    with pytest.raises(BusinessRuleError):
        shopify.create_fulfillment(created["legacyResourceId"], lines=[(line["id"], 5)])


def test_refund_of_one_unit_without_restock(shopify):
    variant = _variant(shopify)
    created = _order(shopify, variant, quantity=2)
    line = shopify.fetch_order_rest(created["legacyResourceId"])["line_items"][0]
    refund = shopify.create_refund(
        created["legacyResourceId"],
        lines=[RefundLine(str(line["id"]), 1, "NO_RESTOCK")],
        note="contract refund",
    )
    again = shopify.create_refund(
        created["legacyResourceId"],
        lines=[RefundLine(str(line["id"]), 1, "NO_RESTOCK")],
        note="contract refund",
        idempotency_key=refund.idempotency_key,
    )
    after = shopify.fetch_order_rest(created["legacyResourceId"])
    assert refund.total.amount == Decimal(variant["price"])
    assert again.id == refund.id
    assert after["financial_status"] == "partially_refunded"
    assert [r["id"] for r in after["refunds"]] == [refund.legacy_id]


def test_cancel_an_order(shopify):
    variant = _variant(shopify)
    created = _order(shopify, variant, quantity=1)
    shopify.cancel_order(created["legacyResourceId"], reason="CUSTOMER", refund=True, restock=True)
    after = shopify.fetch_order_rest(created["legacyResourceId"])
    assert after["cancelled_at"] is not None
    assert after["cancel_reason"] == "customer"


def test_webhook_subscriptions_create_list_ensure_delete(shopify, shopify_target):
    url = f"{shopify_target.callback_base}/{uuid.uuid4().hex}"
    created = shopify.create_webhook_subscription("ORDERS_CREATE", url)
    ensured = shopify.ensure_webhook_subscriptions(url, ["ORDERS_CREATE", "REFUNDS_CREATE"])
    mine = sorted(s.topic for s in shopify.list_webhook_subscriptions() if s.callback_url == url)
    assert created.topic == "ORDERS_CREATE"
    assert [s.topic for s in ensured.created] == ["REFUNDS_CREATE"]
    assert [s.topic for s in ensured.kept] == ["ORDERS_CREATE"]
    assert mine == ["ORDERS_CREATE", "REFUNDS_CREATE"]
    # subscriptions follow what is handled: prune deletes the others at this URL, and only there
    pruned = shopify.ensure_webhook_subscriptions(url, ["ORDERS_CREATE"], prune=True)
    assert [s.topic for s in pruned.deleted] == ["REFUNDS_CREATE"]
    assert [s.topic for s in shopify.list_webhook_subscriptions() if s.callback_url == url] == [
        "ORDERS_CREATE"
    ]
    for sub in [s for s in shopify.list_webhook_subscriptions() if s.callback_url == url]:
        shopify.delete_webhook_subscription(sub.id)
    assert [s for s in shopify.list_webhook_subscriptions() if s.callback_url == url] == []
    with pytest.raises(BusinessRuleError):
        shopify.delete_webhook_subscription(created.id)
    # the privacy topics are configured for the app (compliance URL), never subscribed through the API
    with pytest.raises(BusinessRuleError) as exc:
        shopify.create_webhook_subscription("CUSTOMERS_REDACT", url)
    assert exc.value.code == "compliance_topic"


def test_variant_price_update(shopify):
    variant = _variant(shopify)
    new_price = (Decimal(variant["price"]) + Decimal("1.00")).quantize(Decimal("0.01"))
    shopify.update_variant_prices(variant["product"]["id"], [(variant["id"], new_price, None)])
    data = shopify.graphql("query($id: ID!) { productVariant(id: $id) { price } }", {"id": variant["id"]})
    assert Decimal(data["productVariant"]["price"]) == new_price
    shopify.update_variant_prices(
        variant["product"]["id"], [(variant["id"], Decimal(variant["price"]), None)]
    )


def test_payouts_and_balance_transactions_are_readable(shopify):
    payouts, _next = shopify.payouts(first=5)
    assert isinstance(payouts, list)
    if payouts:
        assert all(
            bt.payout_id in (None, payouts[0].id) or bt.payout_id
            for bt in shopify.balance_transactions(payout_id=payouts[0].id, first=20)
        )


def test_variants_are_listed_with_whether_they_are_gift_cards_or_bundles(shopify):
    # given an ordinary product
    sku = f"CT-{uuid.uuid4().hex[:10].upper()}"
    shopify.product_set(
        {
            "title": f"Contract {sku}",
            "status": "ACTIVE",
            "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
            "variants": [
                {
                    "optionValues": [{"optionName": "Title", "name": "Default Title"}],
                    "sku": sku,
                    "price": "9.00",
                }
            ],
        }
    )
    # when the variants are listed (onboarding's read)
    [variant] = [v for v in shopify.iter_variants() if v.sku == sku]
    # then it is neither a gift card (Product.isGiftCard) nor a bundle (ProductVariant.requiresComponents)
    assert (variant.gift_card, variant.bundle) == (False, False)
    assert variant.name.startswith(f"Contract {sku}")
