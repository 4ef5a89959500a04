"""The Odoo connector's contract, run against the sandbox (17, 18, 19; JSON-RPC and JSON-2) or a real Odoo.

Nothing here relies on sandbox-only data: each test creates the products, stock and partners it needs,
with unique keys, through the connector itself.
"""

from __future__ import annotations

import dataclasses
import types
import uuid
from decimal import Decimal

import pytest

from opsconsole.core.errors import AuthError, BusinessRuleError, ContractError, TransientError
from sandbox.odoo.seed import READONLY_API_KEY, READONLY_LOGIN
from sandbox.odoo.testing import free_port
from sync.connectors.odoo import (
    Address,
    CreditNoteInput,
    CreditNoteLine,
    OdooClient,
    OdooConfig,
    OrderInput,
    OrderLineInput,
    OrderUpdate,
    PartnerInput,
    connect,
)
from sync.flows.customers_out import PARTNER_FIELDS, partners_domain, partners_handle
from sync.flows.fulfilments import PICKING_FIELDS, picking_input, pickings_domain
from tests.contract.odoo.conftest import REAL


def _key(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _make_product(client: OdooClient, *, price: str = "25.00", stock: int = 10) -> tuple[int, str]:
    sku = _key("CT-SKU").upper()
    vals: dict[str, object] = {
        "name": f"Contract product {sku}",
        "default_code": sku,
        "list_price": float(price),
    }
    vals.update({"type": "consu", "is_storable": True} if client.version[0] >= 18 else {"type": "product"})
    created = client.execute("product.product", "create", vals_list=[vals])
    pid = created[0] if isinstance(created, list) else created
    if stock:
        wh = client.execute("stock.warehouse", "search_read", domain=[], fields=["lot_stock_id"], limit=1)[0]
        quant = client.execute(
            "stock.quant",
            "create",
            vals_list=[
                {"product_id": pid, "location_id": wh["lot_stock_id"][0], "inventory_quantity": float(stock)}
            ],
        )
        qid = quant[0] if isinstance(quant, list) else quant
        client.execute("stock.quant", "action_apply_inventory", [qid])
    return pid, sku


def _partner(client: OdooClient) -> int:
    ref = client.find_or_create_partner(
        PartnerInput(_key("ct_customer"), Address(name="Contract Customer", country_code="FR"))
    )
    return ref.partner_id


def _order(client: OdooClient, partner_id: int, product_id: int, qty: str = "2") -> tuple[int, str]:
    key = _key("shopify")
    ref = client.create_sale_order_with_totals(
        OrderInput(
            partner_id=partner_id,
            client_order_ref=key,
            lines=(
                OrderLineInput(
                    product_id=product_id, quantity=Decimal(qty), price_unit=Decimal("25.00"), tax_ids=()
                ),
            ),
        )
    )
    return ref.id, key


def test_whoami_names_the_user_and_version(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    # when
    me = client.whoami()
    # then
    assert me.uid > 0
    assert me.db == odoo_config.db
    assert me.version == f"{client.version[0]}.{client.version[1]}"


@pytest.mark.parametrize(
    ("model", "operation"),
    [
        ("sale.order", "read"),
        ("sale.order", "create"),
        ("res.partner", "write"),
        ("account.payment", "create"),
    ],
)
def test_access_rights_are_asked_without_trying(odoo_config: OdooConfig, model: str, operation: str) -> None:
    # The suite's user writes everything it tests, so it has these rights on any server.
    client = connect(odoo_config)
    assert client.has_access(model, operation) is True
    with pytest.raises(ValueError, match="unknown access operation"):
        client.has_access(model, "approve")


@pytest.mark.skipif(REAL, reason="needs a second, read-only API user: the sandbox has one")
def test_a_missing_access_right_is_answered_false_and_nothing_is_written(odoo_config: OdooConfig) -> None:
    readonly = dataclasses.replace(odoo_config, login=READONLY_LOGIN, secret=READONLY_API_KEY)
    client = connect(readonly)
    before = client.execute("sale.order", "search_count", domain=[])
    assert client.has_access("sale.order", "read") is True
    assert client.has_access("sale.order", "create") is False
    assert client.has_access("account.move", "write") is False
    assert client.execute("sale.order", "search_count", domain=[]) == before


def test_partner_with_contacts_is_created_once_and_found_again(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    key = _key("ct_customer")
    partner = PartnerInput(
        key,
        Address(
            name="Ada Lovelace",
            email=f"{key}@example.com",
            street="1 Main St",
            city="Lyon",
            country_code="FR",
        ),
        invoice_address=Address(name="Ada Billing", city="Paris", country_code="FR"),
        delivery_address=Address(name="Ada Shipping", city="Brooklyn", country_code="US", state_code="NY"),
    )
    # when
    first = client.find_or_create_partner(partner)
    second = client.find_or_create_partner(partner)
    # then
    assert first.created is True
    assert second == dataclasses.replace(first, created=False)
    assert len({first.partner_id, first.invoice_id, first.delivery_id}) == 3
    rows = client.execute(
        "res.partner", "read", [first.delivery_id], fields=["type", "parent_id", "city", "state_id"]
    )
    assert rows[0]["type"] == "delivery"
    assert rows[0]["parent_id"][0] == first.partner_id
    assert rows[0]["city"] == "Brooklyn"
    assert rows[0]["state_id"] is not False


def test_products_are_found_by_sku_in_one_call(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid_a, sku_a = _make_product(client, price="12.50", stock=0)
    pid_b, sku_b = _make_product(client, stock=0)
    before = client.calls
    # when
    found = client.find_products_by_sku([sku_a, sku_b, "NO-SUCH-SKU-CT"])
    # then
    assert client.calls - before == 1
    assert sorted(found) == sorted([sku_a, sku_b])
    assert found[sku_a].id == pid_a
    assert found[sku_a].list_price == Decimal("12.5")
    assert found[sku_a].storable is True
    assert found[sku_b].id == pid_b


def test_order_is_created_once_confirmed_and_gets_a_reserved_delivery(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    client.whoami()
    partner_id = _partner(client)
    pid, sku = _make_product(client, stock=10)
    key = _key("shopify")
    order = OrderInput(
        partner_id=partner_id,
        client_order_ref=key,
        lines=(
            OrderLineInput(product_id=pid, quantity=Decimal("3"), price_unit=Decimal("25.00"), tax_ids=()),
        ),
    )
    before = client.calls
    # when
    created = client.create_sale_order_with_totals(order)
    client.confirm_order(created.id)
    calls = client.calls - before
    again = client.create_sale_order_with_totals(order)
    # then
    assert calls == 3
    assert created.created is True
    assert again.id == created.id and again.created is False and again.state == "sale"
    info = client.read_order(created.id)
    assert info is not None
    assert info.state == "sale"
    assert info.client_order_ref == key
    assert info.amount_total == Decimal("75")
    assert [(line.sku, line.quantity) for line in info.lines] == [(sku, Decimal("3"))]
    pickings = client.order_pickings(created.id)
    assert len(pickings) == 1
    assert pickings[0].state == "assigned"
    assert pickings[0].origin.startswith(info.name)
    assert [(m.sku, m.demand, m.quantity) for m in pickings[0].moves] == [(sku, Decimal("3"), Decimal("3"))]


def test_confirming_twice_is_harmless_but_confirming_a_cancelled_order_is_refused(
    odoo_config: OdooConfig,
) -> None:
    # given
    client = connect(odoo_config)
    pid, _sku = _make_product(client)
    oid, _ = _order(client, _partner(client), pid)
    client.confirm_order(oid)
    # when
    client.confirm_order(oid)
    client.cancel_order(oid)
    # then
    with pytest.raises(BusinessRuleError) as err:
        client.confirm_order(oid)
    assert err.value.code == "order_confirm_refused"
    info = client.read_order(oid, with_lines=False)
    assert info is not None and info.state == "cancel"


def test_cancel_releases_the_reservation(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid, _sku = _make_product(client, stock=5)
    oid, _ = _order(client, _partner(client), pid, qty="2")
    client.confirm_order(oid)
    # when
    client.cancel_order(oid)
    # then
    info = client.read_order(oid, with_lines=False)
    assert info is not None and info.state == "cancel"
    assert [p.state for p in client.order_pickings(oid)] == ["cancel"]
    quants = client.execute(
        "stock.quant",
        "search_read",
        domain=[("product_id", "=", pid), ("location_id.usage", "=", "internal")],
        fields=["quantity", "reserved_quantity"],
    )
    assert [(q["quantity"], q["reserved_quantity"]) for q in quants] == [(5.0, 0.0)]


def test_update_order_changes_note_and_lines_of_a_draft(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid, sku = _make_product(client)
    oid, _ = _order(client, _partner(client), pid, qty="1")
    line_id = client.read_order(oid).lines[0].id  # type: ignore[union-attr]
    # when
    client.update_order(oid, OrderUpdate(note="gift wrap", set_quantities={line_id: Decimal("4")}))
    # then
    info = client.read_order(oid)
    assert info is not None
    assert "gift wrap" in info.note
    assert [(line.sku, line.quantity) for line in info.lines] == [(sku, Decimal("4"))]


def test_stock_changes_follow_a_cursor_without_losing_or_repeating(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid, sku = _make_product(client, stock=7)
    first = client.stock_changes(limit=100000)
    # when
    again = client.stock_changes(first.cursor, limit=100000)
    oid, _ = _order(client, _partner(client), pid, qty="2")
    client.confirm_order(oid)
    changed = client.stock_changes(again.cursor, limit=100000)
    # then
    assert [(lvl.sku, lvl.quantity, lvl.available) for lvl in first.levels if lvl.product_id == pid] == [
        (sku, Decimal("7"), Decimal("7"))
    ]
    assert [lvl for lvl in again.levels if lvl.product_id == pid] == []
    assert [(lvl.sku, lvl.reserved, lvl.available) for lvl in changed.levels if lvl.product_id == pid] == [
        (sku, Decimal("2"), Decimal("5"))
    ]


def test_quants_of_products_are_read_under_locations_with_their_reservations(odoo_config: OdooConfig) -> None:
    # given: 7 on hand, 2 reserved by a confirmed order
    client = connect(odoo_config)
    pid, _ = _make_product(client, stock=7)
    oid, _ = _order(client, _partner(client), pid, qty="2")
    client.confirm_order(oid)
    stock = next(loc for loc in client.stock_locations() if loc.complete_name == "WH/Stock")
    # when
    quants = client.stock_quants([pid], [stock.id])
    parents = client.stock_location_parents([stock.id])
    # then
    assert [(q.product_id, q.quantity, q.reserved) for q in quants] == [(pid, Decimal("7"), Decimal("2"))]
    assert parents[stock.id] == stock.parent_id
    assert all(loc in parents for loc in {q.location_id for q in quants})


def test_a_catalogue_product_is_read_with_its_variants_and_pricelist_prices(odoo_config: OdooConfig) -> None:
    # given: a product and a fixed price for it in a pricelist
    client = connect(odoo_config)
    pid, sku = _make_product(client, price="25.00", stock=0)
    [row] = client.execute("product.product", "read", [pid], fields=["product_tmpl_id"])
    tid = row["product_tmpl_id"][0]
    created = client.execute("product.pricelist", "create", vals_list=[{"name": _key("CT-PL")}])
    pricelist = created[0] if isinstance(created, list) else created
    client.execute(
        "product.pricelist.item",
        "create",
        vals_list=[
            {
                "pricelist_id": pricelist,
                "applied_on": "0_product_variant",
                "display_applied_on": "1_product",
                "product_tmpl_id": tid,
                "product_id": pid,
                "compute_price": "fixed",
                "base": "list_price",
                "fixed_price": 19.5,
            }
        ],
    )
    # when
    product = client.read_catalogue_product(tid)
    prices = client.pricelist_fixed_prices(pricelist, tid, [pid])
    # then
    assert product is not None
    assert (product.id, product.name, product.active) == (tid, f"Contract product {sku}", True)
    assert [(v.id, v.sku, v.price, v.active) for v in product.variants] == [
        (pid, sku, Decimal("25.00"), True)
    ]
    assert prices == {pid: Decimal("19.5")}


def test_credit_note_is_created_posted_and_idempotent(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    pid, _ = _make_product(client, stock=0)
    partner_id = _partner(client)
    origin = _key("SO")
    note = CreditNoteInput(
        partner_id=partner_id,
        ref=_key("shopify-refund"),
        invoice_origin=origin,
        lines=(
            CreditNoteLine(quantity=Decimal("2"), price_unit=Decimal("10.00"), product_id=pid, tax_ids=()),
        ),
    )
    # when
    first = client.create_credit_note(note)
    second = client.create_credit_note(note)
    # then
    assert first.state == "posted"
    assert first.move_type == "out_refund"
    assert first.amount_total == Decimal("20")
    assert second.id == first.id
    assert [m.id for m in client.invoices_for_order(origin)] == [first.id]


def test_payments_by_reference_reads_payments(odoo_config: OdooConfig) -> None:
    # given
    client = connect(odoo_config)
    memo = _key("S-PAY")
    ref_field = "memo" if client.version[0] >= 18 else "ref"
    client.execute(
        "account.payment",
        "create",
        vals_list=[{"payment_type": "inbound", "partner_type": "customer", "amount": 42.5, ref_field: memo}],
    )
    # when
    payments = client.payments_for_reference(memo)
    # then
    assert [(p.amount, p.memo, p.payment_type) for p in payments] == [(Decimal("42.5"), memo, "inbound")]


# -- one error of each class -----------------------------------------------------------------------


def test_wrong_secret_is_an_auth_error(odoo_config: OdooConfig) -> None:
    client = connect(dataclasses.replace(odoo_config, secret="definitely-not-the-key"))
    with pytest.raises(AuthError) as err:
        client.whoami()
    assert "definitely-not-the-key" not in str(err.value)


def test_order_without_customer_is_a_validation_error_and_writes_nothing(odoo_config: OdooConfig) -> None:
    client = connect(odoo_config)
    key = _key("shopify")
    with pytest.raises(BusinessRuleError) as err:
        client.execute("sale.order", "create", vals_list=[{"client_order_ref": key}])
    assert err.value.code == "odoo_validation"
    assert client.find_order(key) is None


def test_unknown_field_is_a_contract_error(odoo_config: OdooConfig) -> None:
    client = connect(odoo_config)
    with pytest.raises(ContractError):
        client.execute("res.partner", "search_read", domain=[("no_such_field_ct", "=", 1)], fields=["name"])


def test_unreachable_server_is_a_transient_error(odoo_config: OdooConfig) -> None:
    client = connect(
        dataclasses.replace(odoo_config, url=f"http://127.0.0.1:{free_port()}", timeout=2.0, read_retries=0)
    )
    with pytest.raises(TransientError):
        client.whoami()


def test_a_partner_odoo_already_has_is_adopted_by_email_not_duplicated(odoo_config: OdooConfig) -> None:
    # given a partner created in Odoo by someone else, with the customer's e-mail
    client = connect(odoo_config)
    email = f"{_key('existing')}@example.com"
    existing = client.execute("res.partner", "create", vals_list=[{"name": "Grace Hopper", "email": email}])
    existing_id = existing[0] if isinstance(existing, list) else existing
    # when the Shopify customer arrives with a different e-mail case
    ref = client.find_or_create_partner(
        PartnerInput(_key("adopt"), Address(name="Grace H.", email=email.upper()))
    )
    again = client.find_or_create_partner(PartnerInput(_key("adopt-other"), Address(name="G", email=email)))
    # then that partner is used, and bound so the next lookup is by external id
    assert ref.partner_id == existing_id
    assert ref.created is False
    assert again.partner_id == existing_id
    assert client.execute("res.partner", "search_count", domain=[("email", "=ilike", email)]) == 1


def test_a_partner_of_a_company_is_made_and_adopted_within_that_company(odoo_config: OdooConfig) -> None:
    # given the user's company, a shared partner and a partner of that company with one e-mail each
    client = connect(odoo_config)
    [user] = client.execute("res.users", "read", [client.whoami().uid], fields=["company_id"])
    company = int(user["company_id"][0])
    client = client.for_company(company)
    shared_email, own_email = (f"{_key(k)}@example.com" for k in ("shared", "own"))
    made = client.execute(
        "res.partner",
        "create",
        vals_list=[
            {"name": "Shared Ada", "email": shared_email},
            {"name": "Own Ada", "email": own_email, "company_id": company},
        ],
    )
    shared_id, own_id = made

    # when customers with these e-mails arrive for that company, with an invoice address
    fresh = client.find_or_create_partner(
        PartnerInput(
            _key("ct_company"),
            Address(name="Ada", email=shared_email),
            invoice_address=Address(name="Ada Billing", city="Paris", country_code="FR"),
            company_id=company,
        )
    )
    adopted = client.find_or_create_partner(
        PartnerInput(_key("ct_company"), Address(name="Ada", email=own_email), company_id=company)
    )

    # then the shared partner is not adopted (a partner of the company is made, its contact too), the
    # company's own is
    assert (fresh.created, adopted.created, adopted.partner_id) == (True, False, own_id)
    assert fresh.partner_id != shared_id
    rows = client.execute(
        "res.partner", "read", [fresh.partner_id, fresh.invoice_id], fields=["company_id", "type"]
    )
    assert [(r["company_id"][0], r["type"]) for r in rows] == [(company, "contact"), (company, "invoice")]
    contact = client.create_contact(
        fresh.partner_id, "delivery", Address(name="Ada Shipping", city="Lyon"), company_id=company
    )
    [read] = client.execute("res.partner", "read", [contact], fields=["company_id", "parent_id"])
    assert (read["company_id"][0], read["parent_id"][0]) == (company, fresh.partner_id)


def test_changes_are_read_oldest_first_from_a_write_date_and_paged_by_id(odoo_config: OdooConfig) -> None:
    # given: five partners of one batch, written in this order
    client = connect(odoo_config)
    tag = _key("chg")
    ids = []
    for n in range(5):
        created = client.execute("res.partner", "create", vals_list=[{"name": f"{tag} {n}", "ref": tag}])
        ids.append(int(created[0] if isinstance(created, list) else created))
    domain = [("ref", "=", tag)]
    # when
    everything = client.read_changes("res.partner", fields=["name"], domain=domain)
    newest = client.newest_write_date("res.partner", domain=domain)
    first_two = client.read_changes("res.partner", fields=["name"], domain=domain, limit=2)
    last = first_two[-1]
    after = client.read_changes(
        "res.partner", fields=["name"], domain=domain, since=last.write_date, after_id=last.id
    )
    later = client.read_changes("res.partner", fields=["name"], domain=domain, since="2999-01-01 00:00:00")
    # then: oldest first, the fields asked for, Odoo's write_date to the second
    assert [r.id for r in everything] == ids
    assert [r.values["name"] for r in everything] == [f"{tag} {n}" for n in range(5)]
    assert all(len(r.write_date) == 19 for r in everything)
    assert newest == max(r.write_date for r in everything)
    assert [r.id for r in first_two] == ids[:2]
    # from the second page's start: every later record of that second and after, by id
    assert [r.id for r in after] == [i for i in ids if i > first_two[-1].id]
    assert later == []


def test_sale_orders_are_read_by_reference_and_by_creation_window_for_reconciliation(
    odoo_config: OdooConfig,
) -> None:
    client = connect(odoo_config)
    product_id, _ = _make_product(client)
    partner_id = _partner(client)
    first_id, first_ref = _order(client, partner_id, product_id)
    second_id, second_ref = _order(client, partner_id, product_id, qty="1")
    client.cancel_order(second_id)

    found = client.sale_orders_by_refs([first_ref, second_ref, _key("none")])
    assert sorted((o.id, o.client_order_ref, o.state) for o in found) == [
        (first_id, first_ref, "draft"),
        (second_id, second_ref, "cancel"),
    ]
    first = next(o for o in found if o.id == first_id)
    assert first.amount_total >= Decimal("50.00") and first.currency and len(first.create_date) == 19

    # by creation window, paged by id from 0 (every order of the window, then nothing after the last id)
    since = first.create_date
    until = "2999-01-01 00:00:00"
    page = client.sale_orders_created(since=since, until=until, limit=500)
    assert {first_id, second_id} <= {o.id for o in page}
    assert client.sale_orders_created(since=since, until=until, after_id=max(o.id for o in page)) == []
    assert client.sale_orders_created(since=until, until="2999-12-31 00:00:00") == []


def test_done_deliveries_of_sale_orders_are_read_as_the_pickings_stream_reads_them(
    odoo_config: OdooConfig,
) -> None:
    # given a confirmed order whose delivery is validated in part (a backorder for the rest), with a carrier
    # whose tracking URL Odoo builds from the tracking reference
    client = connect(odoo_config)
    partner_id = _partner(client)
    pid, sku = _make_product(client, stock=10)
    oid, _ = _order(client, partner_id, pid, qty="3")
    client.confirm_order(oid)
    carrier_name = _key("ct_carrier")
    carrier = client.execute(
        "delivery.carrier",
        "create",
        vals_list=[
            {
                "name": carrier_name,
                "product_id": pid,
                "delivery_type": "fixed",
                "tracking_url": "https://track.example/<shipmenttrackingnumber>",
            }
        ],
    )
    carrier_id = carrier[0] if isinstance(carrier, list) else carrier
    [picking] = client.order_pickings(oid)
    client.execute("stock.picking", "write", [picking.id], vals={"carrier_id": carrier_id})
    since = client.newest_write_date("stock.picking")
    client.validate_picking(
        picking.id, quantities={picking.moves[0].id: Decimal("2")}, backorder=True, tracking_ref="TRK-1"
    )
    # when the stream's read runs with its fields and domain, and the moves are read
    records = client.read_changes(
        "stock.picking",
        fields=list(PICKING_FIELDS),
        domain=pickings_domain(None),
        since=since,  # type: ignore[arg-type]
    )
    before = client.calls
    moves = client.picking_moves([picking.id])
    # then the done delivery is there with what a fulfilment needs, the open backorder is not
    mine = [r for r in records if r.id == picking.id]
    assert len(mine) == 1
    assert [r for r in records if (r.values.get("sale_id") or [None])[0] == oid] == mine
    got = picking_input(mine[0])
    assert (got["sale_id"], got["type"], got["carrier"], got["tracking_ref"]) == (
        oid,
        "outgoing",
        carrier_name,
        "TRK-1",
    )
    assert got["tracking_url"] == "https://track.example/TRK-1"
    assert got["return_of"] is None and got["location_id"] and got["date_done"]
    assert client.calls - before == 1
    assert [(m.sku, m.quantity, m.state) for m in moves[picking.id]] == [(sku, Decimal("2"), "done")]
    # and a tracking number set later (a 3PL's, on a done delivery) is read by the stream
    client.set_picking_tracking(picking.id, "TRK-2")
    again = client.read_changes(
        "stock.picking", fields=list(PICKING_FIELDS), domain=[("id", "=", picking.id)]
    )
    assert picking_input(again[0])["tracking_ref"] == "TRK-2"


def test_partners_are_read_as_the_partners_stream_reads_them(odoo_config: OdooConfig) -> None:
    # given a customer partner and a contact under it, written after a point in time
    client = connect(odoo_config)
    since = client.newest_write_date("res.partner")
    key = _key("ct_out")
    ref = client.find_or_create_partner(
        PartnerInput(
            key,
            Address(name="Olga Out", email=f"{key}@example.com", phone="+33 1 23", country_code="FR"),
            delivery_address=Address(name="Olga Shipping", city="Lyon", country_code="FR"),
        )
    )
    # when the stream's read runs with its fields and domain
    records = client.read_changes(
        "res.partner",
        fields=list(PARTNER_FIELDS),
        domain=partners_domain(None),
        since=since,  # type: ignore[arg-type]
    )
    # then the top-level partner is there with the fields Odoo may own
    mine = [r for r in records if r.id == ref.partner_id]
    assert len(mine) == 1
    [request] = partners_handle(mine, types.SimpleNamespace(shop_domain="x.myshopify.com"))  # type: ignore[arg-type]
    assert request.input["partner"]["name"] == "Olga Out"  # type: ignore[index]
    assert request.input["partner"]["email"] == f"{key}@example.com"  # type: ignore[index]
    assert request.input["partner"]["phone"] == "+33 1 23"  # type: ignore[index]
    # and its delivery contact (a child partner) is not: only top-level partners are Shopify customers
    assert ref.delivery_id not in {r.id for r in records}


def _account(client: OdooClient, account_type: str) -> int:
    return int(
        client.execute("account.account", "search", domain=[("account_type", "=", account_type)], limit=1)[0]
    )


def test_a_journal_entry_is_posted_once_by_its_ref_and_an_unbalanced_one_is_refused(
    odoo_config: OdooConfig,
) -> None:
    from sync.connectors.odoo import JournalEntryInput, JournalLine

    client = connect(odoo_config)
    journal = int(client.execute("account.journal", "search", domain=[("type", "=", "general")], limit=1)[0])
    bank, clearing, fees = (_account(client, t) for t in ("asset_cash", "asset_current", "expense"))
    ref = _key("payout")
    entry = JournalEntryInput(
        ref=ref,
        journal_id=journal,
        date="2026-11-20",
        lines=(
            JournalLine(bank, "payout", debit=Decimal("96.80")),
            JournalLine(fees, "fees", debit=Decimal("3.20")),
            JournalLine(clearing, "charges", credit=Decimal("100.00")),
        ),
    )

    first = client.post_journal_entry(entry)
    again = client.post_journal_entry(entry)

    assert (first.state, first.created) == ("posted", True)
    assert (again.id, again.state, again.created) == (first.id, "posted", False)
    assert client.find_journal_entry(ref).id == first.id  # type: ignore[union-attr]
    lines = client.execute(
        "account.move.line",
        "search_read",
        domain=[("move_id", "=", first.id)],
        fields=["account_id", "debit", "credit"],
    )
    assert sorted((r["account_id"][0], r["debit"], r["credit"]) for r in lines) == sorted(
        [(bank, 96.8, 0.0), (fees, 3.2, 0.0), (clearing, 0.0, 100.0)]
    )
    booked = client.journal_entry_lines(first.id)
    assert sorted((b.account_id, b.debit, b.credit) for b in booked) == sorted(
        [(bank, Decimal("96.80"), 0), (fees, Decimal("3.20"), 0), (clearing, 0, Decimal("100.00"))]
    )

    unbalanced = dataclasses.replace(entry, ref=_key("payout"), lines=entry.lines[:2])
    with pytest.raises(BusinessRuleError):
        client.post_journal_entry(unbalanced)
    found = client.find_journal_entry(unbalanced.ref)
    assert found is None or found.state == "draft"  # never posted


def test_bank_statement_lines_are_found_by_amount_and_date(odoo_config: OdooConfig) -> None:
    client = connect(odoo_config)
    journal = int(client.execute("account.journal", "search", domain=[("type", "=", "bank")], limit=1)[0])
    ref = _key("PAYOUT")
    made = client.execute(
        "account.bank.statement.line",
        "create",
        vals_list=[{"journal_id": journal, "date": "2026-11-21", "amount": 1234.56, "payment_ref": ref}],
    )
    line_id = int(made[0] if isinstance(made, list) else made)

    found = client.bank_statement_lines(
        amount=Decimal("1234.56"), date_from="2026-11-19", date_to="2026-11-28"
    )
    outside = client.bank_statement_lines(
        amount=Decimal("1234.56"), date_from="2026-11-22", date_to="2026-11-28"
    )

    mine = [line for line in found if line.id == line_id]
    assert [(line.date, line.amount, line.payment_ref) for line in mine] == [
        ("2026-11-21", Decimal("1234.56"), ref)
    ]
    assert line_id not in {line.id for line in outside}


def _create(client: OdooClient, model: str, vals: dict[str, object]) -> int:
    created = client.execute(model, "create", vals_list=[vals])
    return int(created[0] if isinstance(created, list) else created)


def test_product_facts_name_type_price_policy_and_income_account(odoo_config: OdooConfig) -> None:
    # given a liability account, a service product booked on it, a product whose category's income account
    # it is, and an ordinary product
    client = connect(odoo_config)
    code = str(uuid.uuid4().int)[:6]
    liability = _create(
        client,
        "account.account",
        {"code": f"25{code}", "name": f"Gift cards {code}", "account_type": "liability_current"},
    )
    card = _create(
        client,
        "product.product",
        {
            "name": f"Gift card {code}",
            "type": "service",
            "list_price": 0.0,
            "invoice_policy": "order",
            "property_account_income_id": liability,
        },
    )
    category = _create(
        client, "product.category", {"name": f"Cards {code}", "property_account_income_categ_id": liability}
    )
    by_category = _create(
        client,
        "product.product",
        {"name": f"Card by category {code}", "type": "service", "categ_id": category, "list_price": 5.0},
    )
    goods, _ = _make_product(client, price="12.90", stock=0)
    before = client.calls
    # when
    facts = client.product_facts([card, by_category, goods, 10**9])
    # then
    assert client.calls - before <= 3
    assert sorted(facts) == sorted([card, by_category, goods])
    assert (facts[card].type, facts[card].invoice_policy, facts[card].list_price) == (
        "service",
        "order",
        Decimal(0),
    )
    assert (facts[card].income_account_id, facts[card].income_account_type) == (
        liability,
        "liability_current",
    )
    assert facts[card].income_account_code == f"25{code}"
    assert (facts[by_category].income_account_id, facts[by_category].income_account_type) == (
        liability,
        "liability_current",
    )
    assert facts[goods].list_price == Decimal("12.9")
    assert (
        facts[goods].type in ("consu", "product") and facts[goods].income_account_type != "liability_current"
    )
    assert client.product_facts([]) == {}
