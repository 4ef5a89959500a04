from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opsconsole.core.errors import ContractError
from sync.transforms import is_newer, order_update_to_odoo, parse_shopify_timestamp
from sync.transforms.types import LineQuantity


def test_refunded_quantities_do_not_change_the_sale_order(reference_order, reference_mappings):
    # given #1001: two lines at current_quantity 0, both refunded in the payload's refund
    # when
    update = order_update_to_odoo(reference_order, reference_mappings)

    # then
    assert update.quantities == (
        LineQuantity("466157049", "IPOD2008GREEN", ordered=1, current=0, refunded=1),
        LineQuantity("518995019", "IPOD2008RED", ordered=1, current=1, refunded=0),
        LineQuantity("703073504", "IPOD2008BLACK", ordered=1, current=0, refunded=1),
    )
    assert update.changed_lines == ()
    assert update.client_order_ref == "450789469"
    assert update.note == "custom engraving: Happy Birthday\ncolour: green"
    assert update.delivery_contact is not None and update.delivery_contact.city == "Louisville"


def test_an_edit_that_removes_a_line_and_lowers_another_is_reported(reference_order, reference_mappings):
    # given an edit: the red line removed, no refunds
    reference_order["refunds"] = []
    reference_order["line_items"][0]["current_quantity"] = 1
    reference_order["line_items"][1]["current_quantity"] = 0
    reference_order["line_items"][2]["quantity"] = 3
    reference_order["line_items"][2]["current_quantity"] = 2

    # when
    update = order_update_to_odoo(reference_order, reference_mappings)

    # then
    assert [(q.shopify_line_id, q.target) for q in update.changed_lines] == [
        ("518995019", 0),
        ("703073504", 2),
    ]
    assert [q.shopify_line_id for q in update.removed_lines] == ["518995019"]


def test_timestamps_with_offsets_compare_as_instants():
    older = {"updated_at": "2025-01-02T11:29:59-05:00"}  # 16:29:59Z
    newer = {"updated_at": "2025-01-02T17:30:00+01:00"}  # 16:30:00Z

    assert is_newer(newer, older) is True
    assert is_newer(older, newer) is False
    assert is_newer(older, "2025-01-02T16:29:59Z") is False  # the same instant is not newer
    assert is_newer(older, None) is True
    assert is_newer({}, older) is False
    assert parse_shopify_timestamp("2025-01-02T16:30:00Z") == datetime(2025, 1, 2, 16, 30, tzinfo=UTC)


def test_a_timestamp_without_offset_is_a_contract_error():
    with pytest.raises(ContractError):
        parse_shopify_timestamp("2025-01-02T16:30:00")
