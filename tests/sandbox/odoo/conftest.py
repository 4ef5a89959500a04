"""One sandbox per Odoo version for the whole session; each test starts from a reset, seeded database."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from sandbox.odoo.testing import RunningOdooSandbox, odoo_sandbox
from tests.support.odoo import Rpc


@pytest.fixture(scope="session")
def odoo_sandbox_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[int], RunningOdooSandbox]]:
    stack = contextlib.ExitStack()
    running: dict[int, RunningOdooSandbox] = {}

    def get(version: int) -> RunningOdooSandbox:
        if version not in running:
            running[version] = stack.enter_context(
                odoo_sandbox(tmp_path_factory.mktemp(f"sb-odoo{version}"), version=version)
            )
        return running[version]

    with stack:
        yield get


@pytest.fixture
def sandbox_for(
    odoo_sandbox_factory: Callable[[int], RunningOdooSandbox],
) -> Callable[[int], RunningOdooSandbox]:
    """``sandbox_for(18)``: the version-18 sandbox, reset and seeded, faults and counters cleared."""
    used: list[RunningOdooSandbox] = []

    def get(version: int) -> RunningOdooSandbox:
        sb = odoo_sandbox_factory(version)
        sb.control.clear_faults()
        sb.control.reset(seed=True)
        sb.control.reset_counters()
        used.append(sb)
        return sb

    yield get  # type: ignore[misc]
    for sb in used:
        sb.control.clear_faults()


@pytest.fixture
def rpc_for(sandbox_for: Callable[[int], RunningOdooSandbox]) -> Callable[[int], Rpc]:
    """``rpc_for(19)``: a raw JSON-RPC caller on the reset, seeded version-19 sandbox."""

    def get(version: int) -> Rpc:
        return Rpc(sandbox_for(version))

    return get
