from __future__ import annotations

from sync.engine.mappings import TABLE_FOR_CODE, codes_fixed_by
from sync.models import MappingTable


def test_a_shop_row_naming_a_tip_product_fixes_the_orders_parked_for_their_tip():
    fixed = codes_fixed_by(table=MappingTable.SHOP, value={"tip_product_id": 88})

    assert {"tip_not_mapped", "tip_product_invalid"} <= set(fixed)
    assert TABLE_FOR_CODE["tip_not_mapped"] == MappingTable.SHOP


def test_a_shop_row_without_a_tip_product_does_not_claim_to_fix_them():
    fixed = codes_fixed_by(table=MappingTable.SHOP, value={"company_id": 1})

    assert "tip_not_mapped" not in fixed


def test_a_shop_row_naming_a_duties_product_fixes_the_orders_parked_for_their_duties():
    fixed = codes_fixed_by(table=MappingTable.SHOP, value={"duties_product_id": 89})

    assert {"duties_not_mapped", "duties_product_invalid"} <= set(fixed)
    assert "duties_not_mapped" not in codes_fixed_by(table=MappingTable.SHOP, value={"company_id": 1})
    assert TABLE_FOR_CODE["duties_product_invalid"] == MappingTable.SHOP
