"""Contract of what the fulfilment push relies on for kits (mrp phantom bills of materials): a confirmed order
line of a kit is delivered as its components' moves, each carrying the kit's line as ``sale_line_id`` (read by
``picking_moves``), and the kit line's ``qty_delivered`` (read by ``read_order``) counts whole kits only.

Against the stand-in the kit is declared through its control API (playing mrp installed); against a real Odoo
(ODOO_* set) the test makes the ``mrp.bom`` itself and is skipped when mrp is not installed there.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sync.connectors.odoo import OdooClient, OdooConfig, connect
from tests.contract.odoo.conftest import REAL
from tests.contract.odoo.test_odoo_order_to_cash_contract import _first, _goods, _key, _line, _order


def _mrp_installed(client: OdooClient) -> bool:
    rows = client.execute(
        "ir.module.module", "search_read", domain=[("name", "=", "mrp")], fields=["state"], limit=1
    )
    return bool(rows) and rows[0]["state"] == "installed"


def _declare_kit(
    client: OdooClient, config: OdooConfig, sandboxes: Any, kit: int, parts: list[tuple[int, str]]
) -> None:
    if REAL:
        if not _mrp_installed(client):
            pytest.skip("mrp (Manufacturing) is not installed on this Odoo: no phantom bills of materials")
        [template] = client.execute("product.product", "read", [kit], fields=["product_tmpl_id"])
        client.execute(
            "mrp.bom",
            "create",
            vals_list=[
                {
                    "product_tmpl_id": template["product_tmpl_id"][0],
                    "product_id": kit,
                    "type": "phantom",
                    "product_qty": 1.0,
                    "bom_line_ids": [(0, 0, {"product_id": c, "product_qty": float(q)}) for c, q in parts],
                }
            ],
        )
        return
    [sandbox] = [sb for sb in (sandboxes(v) for v in (17, 18, 19)) if sb.base_url == config.url]
    sandbox.control.request(
        "POST",
        "kits",
        {"product_id": kit, "components": [{"product_id": c, "quantity": float(q)} for c, q in parts]},
    )


def test_a_kit_is_delivered_as_its_components_and_counts_whole_kits_delivered(
    odoo_config: OdooConfig, odoo_sandboxes: Any
) -> None:
    # given a kit of one A and two B, sold twice
    client = connect(odoo_config)
    a, b = _goods(client), _goods(client)
    kit = _first(
        client.execute(
            "product.product",
            "create",
            vals_list=[
                {"name": _key("Contract kit"), "type": "consu", "list_price": 30.0, "taxes_id": [(6, 0, [])]}
            ],
        )
    )
    _declare_kit(client, odoo_config, odoo_sandboxes, kit, [(a, "1"), (b, "2")])
    oid, _ = _order(client, (_line(kit, "2", "30.00"),))
    info = client.read_order(oid)
    assert info is not None
    [kit_line] = info.lines
    # then the delivery holds the components' moves, each of the kit's line, and no move of the kit
    [pick] = client.order_pickings(oid)
    moves = client.picking_moves([pick.id])[pick.id]
    assert sorted((m.product_id, m.demand, m.sale_line_id) for m in moves) == sorted(
        [(a, Decimal(2), kit_line.id), (b, Decimal(4), kit_line.id)]
    )

    # when both A and one B are shipped: no whole kit is delivered
    by_product = {m.product_id: m.id for m in moves}
    done = client.validate_picking(
        pick.id, quantities={by_product[a]: Decimal(2), by_product[b]: Decimal(1)}, backorder=True
    )
    again = client.read_order(oid)
    assert again is not None and [line.qty_delivered for line in again.lines] == [Decimal(0)]

    # when the backorder ships the other three B: both kits are delivered
    [backorder] = done.backorder_ids
    client.validate_picking(backorder)
    last = client.read_order(oid)
    assert last is not None and [line.qty_delivered for line in last.lines] == [Decimal(2)]
