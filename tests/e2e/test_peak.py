"""The flash-sale benchmark at CI scale (bench/peak.py): the Shopify stand-in's generator places orders and
delivers them as signed webhooks to gunicorn while stock changes are written in the Odoo stand-in, which
answers every call late; real queue workers carry both. Every order Shopify made is in Odoo exactly once,
the backlog drains with nothing left on its way, and the run reports its throughput and each part's CPU.
No timing thresholds: the run waits on conditions, bounded by generous timeouts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_a_flash_sale_with_stock_changes_and_slow_odoo_loses_and_duplicates_no_order(tmp_path):
    # given: 60 orders over half a minute, 60 stock changes, 50 ms per Odoo call, 3 queue workers
    out = tmp_path / "peak.json"
    # when
    done = subprocess.run(
        [
            sys.executable,
            "bench/peak.py",
            "--orders-per-minute=120",
            "--minutes=0.5",
            "--stock-per-minute=120",
            "--odoo-latency-ms=50",
            "--workers=3",
            "--web-workers=2",
            "--drain-timeout=600",
            "--no-baseline",
            f"--json-out={out}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    # then
    assert out.exists(), done.stdout + done.stderr
    (result,) = json.loads(out.read_text())
    assert result["orders"] == 60 and result["stock_changes"] == 60
    assert result["drained"] and result["still_busy"] == 0, done.stdout
    # every order Shopify made (the warm-up's too), read back from Odoo by client_order_ref
    assert result["orders_checked"] == result["odoo_orders_found"] == 63, done.stdout
    assert (result["lost"], result["duplicated"]) == (0, 0), done.stdout
    # a drained run has nothing on its way: no order waits in Shopify, in the inbox or in a job
    assert (result["still_queued"], result["still_queued_ids"]) == (0, []), done.stdout
    # each order reached Odoo through its own job and stock changes reached Shopify
    assert result["order_latency_n"] == 60 and result["stock_latency_n"] > 0, done.stdout
    assert result["orders_booked_per_minute"] > 0, done.stdout
    # every part's CPU was measured (from /proc) during the sale and drain, and ours per order follows
    for part in ("web", "workers", "postgresql", "standins", "bench"):
        assert result[f"cpu_{part}_s"] > 0, (part, done.stdout)
    ours = result["cpu_web_s"] + result["cpu_workers_s"] + result["cpu_postgresql_s"]
    assert result["cpu_ms_per_order"] == pytest.approx(ours * 1000 / 60), done.stdout
    for row in (
        "still queued",
        "orders booked per minute",
        "CPU s: web",
        "CPU s: queue workers",
        "CPU s: PostgreSQL",
        "CPU s: stand-ins + bench",
        "our CPU ms per order",
    ):
        assert row in done.stdout, row
    assert done.returncode == 0, done.stdout + done.stderr
