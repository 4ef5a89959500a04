"""Shared parts of the benchmarks that run the whole pipeline: a shop connected to both stand-ins with the
demo catalogue's mappings approved, and a real django-q2 cluster as a child process.

(The database and gunicorn helpers live in bench/ingest.py, which the others import.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def connect_shop(odoo: Any, sb: Any, callback_url: str) -> Any:
    """Connect the Shopify stand-in's demo shop to the Odoo stand-in, register its webhooks at
    ``callback_url`` and take the set-up's mapping proposal as an approver would. Returns the ShopifyShop."""
    from opsconsole.demo_catalogue import demo_setup_catalogue
    from sync.models import MappingChange
    from sync.services.connections import odoo_connect, shopify_connect
    from sync.services.mappings import MappingRow, mapping_apply
    from sync.services.setup import SetupCatalogue, shop_setup

    connection, _ = odoo_connect(
        url=odoo.base_url, database="sandbox", login="admin", secret="sandbox-api-key", name="odoo-bench"
    )
    shop, _ = shopify_connect(
        domain=sb.domain,
        token=sb.token,
        client_secret=sb.client_secret,
        api_version=sb.api_version,
        odoo=connection,
        admin_url=sb.admin_url,
    )
    setup = shop_setup(
        shop=shop, callback_url=callback_url, catalogue=SetupCatalogue.from_dict(demo_setup_catalogue())
    )
    assert setup.change_id is not None, "set-up proposed no mappings"
    change = MappingChange.objects.get(pk=setup.change_id)
    mapping_apply(
        shop=shop, rows=[MappingRow(r["table"], r["key"], r["value"]) for r in change.rows], change=change
    )
    return shop


def start_cluster(log_path: Path, **env: str) -> subprocess.Popen[bytes]:
    """``manage.py qcluster`` on the benchmark's database and settings (stop it with bench.ingest.stop)."""
    full = {
        **os.environ,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        **env,
    }
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child
    try:
        return subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=full,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()
