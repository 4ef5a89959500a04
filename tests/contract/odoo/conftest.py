"""Targets for the Odoo contract suite.

By default: the sandbox as Odoo 17, 18 and 19 over JSON-RPC, and 19 over JSON-2 (each version started
once per session). With ODOO_URL, ODOO_DB, ODOO_LOGIN, ODOO_SECRET (and optionally ODOO_PROTOCOL) set:
that real server only, and the suite then creates everything it needs itself.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from sync.connectors.odoo import OdooConfig
from tests.support.odoo import odoo_config as config_for

REAL = all(os.environ.get(k) for k in ("ODOO_URL", "ODOO_DB", "ODOO_LOGIN", "ODOO_SECRET"))
SANDBOX_TARGETS = [(17, "jsonrpc"), (18, "jsonrpc"), (19, "jsonrpc"), (19, "json2")]


@pytest.fixture(scope="session")
def odoo_sandboxes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``get(version)`` starts (once) and returns the sandbox playing that version."""
    stack = contextlib.ExitStack()
    running: dict[int, RunningOdooSandbox] = {}

    def get(version: int) -> RunningOdooSandbox:
        if version not in running:
            data: Path = tmp_path_factory.mktemp(f"odoo{version}")
            running[version] = stack.enter_context(odoo_sandbox(data, version=version))
        return running[version]

    with stack:
        yield get


def _ids() -> list[str]:
    if REAL:
        return [f"real-{os.environ.get('ODOO_PROTOCOL', 'jsonrpc')}"]
    return [f"sandbox{v}-{p}" for v, p in SANDBOX_TARGETS]


@pytest.fixture(params=range(len(_ids())), ids=_ids())
def odoo_config(request: pytest.FixtureRequest, odoo_sandboxes: Any) -> OdooConfig:
    if REAL:
        return OdooConfig(
            url=os.environ["ODOO_URL"],
            db=os.environ["ODOO_DB"],
            login=os.environ["ODOO_LOGIN"],
            secret=os.environ["ODOO_SECRET"],
            protocol=os.environ.get("ODOO_PROTOCOL", "jsonrpc"),
            timeout=30.0,
        )
    version, protocol = SANDBOX_TARGETS[request.param]
    sandbox = odoo_sandboxes(version)
    return config_for(sandbox, protocol=protocol)
