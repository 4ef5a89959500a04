"""The demo's set-up catalogue: what ``setup_shop`` looks for in the Odoo sandbox, taken from the
sandboxes' own catalogue (sandbox/catalogue.py). Part of the demo launcher, the only product code that may
import the stand-ins (an import-linter contract in pyproject.toml says so).

    python -m opsconsole.demo_catalogue > catalogue.json
    python manage.py setup_shop --domain ... --callback-url ... --catalogue catalogue.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

from sandbox import catalogue


def demo_setup_catalogue() -> dict[str, Any]:
    """The JSON form ``sync.services.setup.SetupCatalogue.from_dict`` reads."""
    return {
        "skus": [v.sku for p in (*catalogue.PRODUCTS, *catalogue.SHOPIFY_ONLY_PRODUCTS) for v in p.variants],
        "taxes": [
            {
                "shopify_title": str(t["shopify_title"]),
                "rate": str(t["rate"]),
                "odoo_name": str(t["odoo_name"]),
            }
            for t in catalogue.TAXES.values()
        ],
        "shipping_methods": {code: str(m["odoo_carrier"]) for code, m in catalogue.SHIPPING_METHODS.items()},
        "carriers": {
            str(m["odoo_carrier"]): {"company": str(m["shopify_tracking_company"])}
            for m in catalogue.SHIPPING_METHODS.values()
        },
        "gateways": dict(catalogue.GATEWAYS),
        "locations": {loc["name"]: loc["odoo_location"] for loc in catalogue.LOCATIONS},
    }


if __name__ == "__main__":
    json.dump(demo_setup_catalogue(), sys.stdout, indent=2)
    sys.stdout.write("\n")
