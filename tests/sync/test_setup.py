"""Set-up takes what to look for in Odoo as data: the demo's comes from the sandboxes' catalogue (through
the demo launcher), never from product code reading the stand-ins."""

import json

import pytest
from django.core.management import CommandError, call_command

from opsconsole.demo_catalogue import demo_setup_catalogue
from sandbox import catalogue
from sync.services.setup import SetupCatalogue, TaxSpec
from tests.factories import ShopifyShopFactory


def test_the_demo_catalogue_reads_as_a_setup_catalogue():
    parsed = SetupCatalogue.from_dict(json.loads(json.dumps(demo_setup_catalogue())))

    assert len(parsed.skus) == len(catalogue.ALL_SKUS) + len(catalogue.SHOPIFY_ONLY_SKUS)
    assert set(parsed.skus) == set(catalogue.ALL_SKUS) | catalogue.SHOPIFY_ONLY_SKUS
    assert parsed.taxes == (
        TaxSpec(shopify_title="VAT 20%", rate="0.20", odoo_name="20% VAT"),
        TaxSpec(shopify_title="VAT 5.5%", rate="0.055", odoo_name="5.5% VAT"),
    )
    assert parsed.shipping_methods["STANDARD"] == "Standard Delivery"
    assert parsed.gateways == {"shopify_payments": "SHOP", "gift_card": "GIFT", "manual": "BNK1"}
    assert parsed.locations == {"Main Warehouse": "WH/Stock", "City Store": "WH/Stock/City Store"}


@pytest.mark.django_db
def test_setup_shop_refuses_a_catalogue_it_cannot_read(tmp_path):
    shop = ShopifyShopFactory()
    broken = tmp_path / "catalogue.json"
    broken.write_text('{"taxes": [{"rate": "0.2"}]}')  # a tax without its titles

    with pytest.raises(CommandError) as refused:
        call_command(
            "setup_shop",
            "--domain",
            shop.domain,
            "--callback-url",
            "https://x/webhooks/shopify",
            "--catalogue",
            str(broken),
        )

    assert str(refused.value).startswith(f"Cannot read the catalogue {broken}: ")
    assert not shop.mappings.exists()
