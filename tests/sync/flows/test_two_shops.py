"""Several shops: each books into its own Odoo company (its currency, pricelist and taxes), every Odoo call
of its jobs in that company's context (allowed_company_ids)."""

from __future__ import annotations

from decimal import Decimal

from opsconsole.demo_catalogue import demo_setup_catalogue
from sync.connectors.odoo import OdooClient
from sync.engine.clients import clients_reset
from sync.engine.context import context_for
from sync.flows.taxes import facts_cache_clear
from sync.models import JobState
from sync.services.connections import shopify_connect
from sync.services.setup import SetupCatalogue, shop_setup
from tests.support.onboarding import proposal_accept
from tests.sync.flows.conftest import NO_WEBHOOKS, Booking

SECOND = "second-store.myshopify.com"


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_two_shops_book_into_two_companies_each_in_its_own_currency_and_taxes(booking_for):
    # given the demo shop (EUR) on company 1, and a second shop selling in USD whose Odoo company is company 2
    first = booking_for(19)
    company = first.odoo_standin.control.seed_company(
        "Second Store Inc", currency="USD", country="US", code="WH2"
    )
    first.shopify.control.create_shop(
        SECOND,
        token="shpat_second",
        client_secret="second-secret",
        currency="USD",
        restore_rate=1000,
        maximum=10000,
    )
    shop, _ = shopify_connect(
        domain=SECOND,
        token="shpat_second",
        client_secret="second-secret",
        api_version=first.shopify.api_version,
        odoo=first.shop.odoo,
        admin_url=first.shopify.admin_url,
    )
    clients_reset()
    facts_cache_clear()
    # set up from both sides, proposing the second company (the one in the shop's currency)
    report = shop_setup(
        shop=shop, callback_url=NO_WEBHOOKS, catalogue=SetupCatalogue.from_dict(demo_setup_catalogue())
    )
    shop_row = next(r for r in report_rows(report.change_id) if r["table"] == "shop")["value"]
    assert (shop_row["company_id"], shop_row["currency"]) == (company["company_id"], "USD")
    tax_row = next(r for r in report_rows(report.change_id) if r["key"] == "VAT 20%|0.2")["value"]
    assert tax_row["tax_id"] == company["sale_tax_id"]
    proposal_accept(report.change_id)
    second = Booking(19, shop, first.shopify, first.odoo_standin, first.odoo)
    second.set_shop_value(invoice_on="off")  # its gateways' journals are not mapped: booking only

    # when each shop gets an order
    order_a = first.order(skus=["MERINOTE-M-NAVY"], quantity=1, seed=41, discount_code=None)
    order_b = first.shopify.control.generate_orders(
        domain=SECOND,
        count=1,
        skus=["MERINOTE-M-NAVY"],
        quantity=1,
        seed=42,
        discount_code=None,
        gift_card=False,
    )[0]
    job_a, job_b = first.run(order_a), second.run(order_b)

    # then each order is in its shop's company, currency and pricelist, to the cent
    assert (job_a.state, job_b.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED), job_b.error_message
    rows = first.odoo.execute(
        "sale.order",
        "read",
        [job_a.result["odoo_order_id"], job_b.result["odoo_order_id"]],
        fields=["company_id", "currency_id", "pricelist_id", "amount_total", "warehouse_id"],
    )
    by_id = {r["id"]: r for r in rows}
    a, b = by_id[job_a.result["odoo_order_id"]], by_id[job_b.result["odoo_order_id"]]
    assert (a["company_id"][0], a["currency_id"][1]) == (1, "EUR")
    assert (b["company_id"][0], b["currency_id"][1]) == (company["company_id"], "USD")
    assert b["warehouse_id"][0] == company["warehouse_id"]
    assert _money(b["amount_total"]) == Decimal(order_b["total_price"])
    # and every Odoo call of the second shop's jobs runs in its company
    context = context_for(job_b)
    assert context.odoo.company_id == company["company_id"]
    assert context_for(job_a).odoo.company_id == 1


def report_rows(change_id):
    from sync.models import MappingChange

    return MappingChange.objects.get(pk=change_id).rows


class _Recorder:
    calls = 0
    version = (19, 0)

    def __init__(self) -> None:
        self.seen: list[dict] = []

    def call(self, model, method, ids=None, **params):
        self.seen.append(params)
        return []


def test_a_company_scoped_client_sends_allowed_company_ids_with_every_call():
    from sync.connectors.odoo import OdooConfig

    transport = _Recorder()
    client = OdooClient(OdooConfig(url="http://x", db="d", login="l", secret="s"), transport=transport)  # type: ignore[arg-type]

    client.for_company(7).execute("sale.order", "search_read", domain=[], fields=["id"])
    client.for_company(7).execute(
        "sale.order", "action_cancel", [1], context={"disable_cancel_warning": True}
    )
    client.execute("sale.order", "search_read", domain=[])

    assert transport.seen[0]["context"] == {"allowed_company_ids": [7]}
    assert transport.seen[1]["context"] == {"disable_cancel_warning": True, "allowed_company_ids": [7]}
    assert "context" not in transport.seen[2]


def _second_shop(first: Booking) -> tuple[Booking, int]:
    """A second shop (USD) whose Odoo company is a second company (set up as retailers do), booking only."""
    company = first.odoo_standin.control.seed_company(
        "Second Store Inc", currency="USD", country="US", code="WH2"
    )
    first.shopify.control.create_shop(
        SECOND,
        token="shpat_second",
        client_secret="second-secret",
        currency="USD",
        restore_rate=1000,
        maximum=10000,
    )
    shop, _ = shopify_connect(
        domain=SECOND,
        token="shpat_second",
        client_secret="second-secret",
        api_version=first.shopify.api_version,
        odoo=first.shop.odoo,
        admin_url=first.shopify.admin_url,
    )
    clients_reset()
    facts_cache_clear()
    report = shop_setup(
        shop=shop, callback_url=NO_WEBHOOKS, catalogue=SetupCatalogue.from_dict(demo_setup_catalogue())
    )
    proposal_accept(report.change_id)
    second = Booking(19, shop, first.shopify, first.odoo_standin, first.odoo)
    second.set_shop_value(invoice_on="off")
    return second, int(company["company_id"])


def _orders_of_one_customer(first: Booking, second: Booking, email: str) -> tuple[dict, dict]:
    """One order in each shop by a customer of that shop with ``email`` (two Shopify customers, one
    person)."""
    orders = []
    for n, (booking, domain) in enumerate(((first, None), (second, SECOND))):
        customer = booking.shopify.control.create_customer(
            domain=domain, email=email, first_name="Ann", last_name="Both"
        )
        orders.append(
            booking.shopify.control.generate_orders(
                domain=domain,
                count=1,
                customer_id=customer["id"],
                skus=["MERINOTE-M-NAVY"],
                quantity=1,
                seed=50 + n,
                discount_code=None,
                gift_card=False,
            )[0]
        )
    return orders[0], orders[1]


def _partner_of(booking: Booking, job) -> dict:  # type: ignore[no-untyped-def]
    [order] = booking.odoo.execute(
        "sale.order",
        "read",
        [job.result["odoo_order_id"]],
        fields=["company_id", "partner_id", "partner_invoice_id"],
    )
    [partner] = booking.odoo.execute(
        "res.partner", "read", [order["partner_id"][0]], fields=["company_id", "email", "child_ids"]
    )
    return {**partner, "order_company": order["company_id"][0], "invoice": order["partner_invoice_id"][0]}


def test_the_same_customer_in_two_shops_is_a_partner_of_each_company(booking_for):
    # given two shops on two companies, and one person who buys in both with one e-mail
    first = booking_for(19)
    second, company = _second_shop(first)
    order_a, order_b = _orders_of_one_customer(first, second, "ann.both@example.com")

    # when each shop's order is booked
    job_a, job_b = first.run(order_a), second.run(order_b)

    # then each order is in its shop's company, for a partner of that company (never the other's)
    assert (job_a.state, job_b.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED), job_b.error_message
    a, b = _partner_of(first, job_a), _partner_of(second, job_b)
    assert a["id"] != b["id"]
    assert (a["order_company"], a["company_id"][0], a["email"]) == (1, 1, "ann.both@example.com")
    assert (b["order_company"], b["company_id"][0], b["email"]) == (company, company, "ann.both@example.com")
    # and their contacts are of the same company as their partner
    for partner in (a, b):
        contacts = first.odoo.execute("res.partner", "read", partner["child_ids"], fields=["company_id"])
        assert {c["company_id"][0] for c in contacts} == {partner["company_id"][0]}
        assert partner["invoice"] in partner["child_ids"]


def test_a_retailer_who_shares_partners_gets_one_shared_partner_for_both_shops(booking_for):
    # given two shops on two companies whose partners are shared (SHOP row partners: shared)
    first = booking_for(19)
    second, company = _second_shop(first)
    first.set_shop_value(partners="shared")
    second.set_shop_value(partners="shared")
    order_a, order_b = _orders_of_one_customer(first, second, "ann.shared@example.com")

    job_a, job_b = first.run(order_a), second.run(order_b)

    # then both orders are for one partner of no company (the second shop adopts it by e-mail)
    assert (job_a.state, job_b.state) == (JobState.SUCCEEDED, JobState.SUCCEEDED), job_b.error_message
    a, b = _partner_of(first, job_a), _partner_of(second, job_b)
    assert a["id"] == b["id"]
    assert (a["company_id"], a["order_company"], b["order_company"]) == (False, 1, company)


def test_a_partner_odoo_keeps_for_another_company_is_never_put_on_this_companys_order(booking_for):
    # given the second company already has this person as its own partner, in Odoo
    first = booking_for(19)
    second, company = _second_shop(first)
    theirs = first.odoo.for_company(company).execute(
        "res.partner",
        "create",
        vals_list=[{"name": "Ann Both", "email": "ann.theirs@example.com", "company_id": company}],
    )[0]
    order_a, _ = _orders_of_one_customer(first, second, "ann.theirs@example.com")

    # when the first shop (company 1) books her order
    job_a = first.run(order_a)

    # then it is booked for a partner of company 1, not the second company's
    assert job_a.state == JobState.SUCCEEDED, job_a.error_message
    a = _partner_of(first, job_a)
    assert a["id"] != theirs
    assert a["company_id"][0] == 1
