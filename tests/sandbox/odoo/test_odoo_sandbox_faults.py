"""Each injected fault surfaces as the right connector error class, on both transports."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from opsconsole.core.errors import AuthError, RateLimited, TransientError
from sync.connectors.odoo import OrderInput, OrderLineInput, connect
from tests.support.odoo import odoo_config

TRANSPORTS = ["jsonrpc", "json2"]


@pytest.mark.parametrize("protocol", TRANSPORTS)
@pytest.mark.parametrize("status", [502, 503])
def test_error_rate_surfaces_as_transient(sandbox_for, protocol, status) -> None:
    # given
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol=protocol))
    client.whoami()
    sb.control.add_fault("error", status=status, rate=1.0, model="sale.order", method="create")
    # when / then
    with pytest.raises(TransientError) as err:
        client.execute("sale.order", "create", vals_list=[{"partner_id": 3}])
    assert err.value.details["http_status"] == status
    assert client.execute("sale.order", "search_count", domain=[]) == 0


@pytest.mark.parametrize("protocol", TRANSPORTS)
def test_reads_are_retried_through_a_short_error_burst(sandbox_for, protocol) -> None:
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol=protocol))
    client.whoami()
    sb.control.add_fault("error", status=502, count=2, model="product.product")
    found = client.find_products_by_sku(["CANVASTO-STD"])
    assert list(found) == ["CANVASTO-STD"]
    assert sb.control.counters()["calls"]["product.product"]["search_read"] == 3


@pytest.mark.parametrize("protocol", TRANSPORTS)
def test_429_is_rate_limited_with_retry_after(sandbox_for, protocol) -> None:
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol=protocol))
    client.whoami()
    sb.control.add_fault("error", status=429, retry_after=7, model="sale.order")
    with pytest.raises(RateLimited) as err:
        client.execute("sale.order", "search_count", domain=[])
    assert err.value.retry_after == 7.0


@pytest.mark.parametrize("protocol", TRANSPORTS)
def test_downtime_window_then_recovery(sandbox_for, protocol) -> None:
    # given
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol=protocol, timeout=5))
    client.whoami()
    fault = sb.control.add_fault("down")
    # when / then
    with pytest.raises(TransientError):
        client.execute("sale.order", "create", vals_list=[{"partner_id": 3}])
    assert [f["kind"] for f in sb.control.faults()] == ["down"]
    sb.control.request("DELETE", f"faults/{fault['id']}")
    assert client.execute("sale.order", "search_count", domain=[]) == 0


def test_downtime_for_n_seconds_is_listed_with_its_end(sandbox_for) -> None:
    sb = sandbox_for(19)
    fault = sb.control.add_fault("down", seconds=30)
    assert fault["until"] > 0
    assert [f["id"] for f in sb.control.faults()] == [fault["id"]]


@pytest.mark.parametrize("protocol", TRANSPORTS)
def test_slow_answer_beyond_client_timeout_is_transient(sandbox_for, protocol) -> None:
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol=protocol, timeout=0.5))
    client.whoami()
    sb.control.add_fault("slow", seconds=1.5, count=1, model="res.partner", method="create")
    with pytest.raises(TransientError):
        client.execute("res.partner", "create", vals_list=[{"name": "Slow"}])


@pytest.mark.parametrize("protocol", TRANSPORTS)
@pytest.mark.parametrize("mode", ["close", "502"])
def test_lost_answer_on_create_then_retry_finds_the_order(sandbox_for, protocol, mode) -> None:
    # given
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol=protocol))
    pid = client.find_products_by_sku(["CANVASTO-STD"])["CANVASTO-STD"].id
    order = OrderInput(
        partner_id=3,
        client_order_ref=f"shopify:{uuid.uuid4().hex[:8]}",
        lines=(OrderLineInput(product_id=pid, quantity=Decimal("1")),),
    )
    sb.control.add_fault("lose_answer", model="sale.order", method="web_save", count=1, mode=mode)
    # when
    with pytest.raises(TransientError):
        client.create_sale_order_with_totals(order)
    retried = client.create_sale_order_with_totals(order)
    # then
    assert retried.created is False
    assert (
        client.execute(
            "sale.order", "search_count", domain=[("client_order_ref", "=", order.client_order_ref)]
        )
        == 1
    )


@pytest.mark.parametrize("protocol", TRANSPORTS)
def test_revoked_credentials_are_an_auth_error_until_restored(sandbox_for, protocol) -> None:
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol=protocol))
    client.whoami()
    sb.control.revoke("admin")
    with pytest.raises(AuthError):
        client.execute("sale.order", "search_count", domain=[])
    sb.control.restore("admin")
    assert client.execute("sale.order", "search_count", domain=[]) == 0


def test_read_only_user_gets_access_error_as_auth_error(sandbox_for) -> None:
    sb = sandbox_for(18)
    from sync.connectors.odoo import OdooConfig

    client = connect(
        OdooConfig(url=sb.base_url, db="sandbox", login="readonly", secret="sandbox-readonly-key")
    )
    assert client.execute("res.partner", "search_count", domain=[("id", "=", 3)]) == 1
    with pytest.raises(AuthError) as err:
        client.execute("res.partner", "create", vals_list=[{"name": "nope"}])
    assert err.value.details["odoo_error"] == "odoo.exceptions.AccessError"


def test_counters_count_round_trips_per_model_and_method(sandbox_for) -> None:
    sb = sandbox_for(19)
    client = connect(odoo_config(sb, protocol="json2"))
    client.whoami()
    client.find_products_by_sku(["CANVASTO-STD", "GIFTBOX-STD"])
    counters = sb.control.counters()
    assert counters == {
        "calls": {
            "web": {"version_info": 1},
            "res.users": {"context_get": 1},
            "product.product": {"search_read": 1},
        },
        "total": 3,
        "by_correlation_id": {},  # calls without X-Correlation-ID are not listed by id
    }
    assert client.calls == 3
