""".ci/install-system-deps, run by `make test` and .ci/run: nothing to do when everything is there; as
root, apt-get update then install what is missing; otherwise one line saying what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import ROOT

SCRIPT = ROOT / ".ci" / "install-system-deps"
MISSING = "opsconsole-test-no-such-package"


def _run(
    *args: str, env: dict[str, str] | None = None, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", user, "--"] if user else []
    return subprocess.run(
        [*prefix, str(SCRIPT), *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nothing_happens_when_everything_is_installed():
    result = _run("postgresql-client:sh")  # a package:command pair is satisfied by the command

    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to become another user"
)
def test_without_root_one_line_says_what_to_install():
    result = _run(MISSING, user="nobody")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"make test needs these Debian packages: {MISSING} - install them (sudo apt-get install {MISSING}) "
        "and run make test again\n"
    )


def test_as_root_apt_get_updates_then_installs_what_is_missing(tmp_path: Path):
    # apt-get itself is replaced by a recorder: installing a real package is not this test's business.
    calls = tmp_path / "calls"
    (tmp_path / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (tmp_path / "apt-get").chmod(0o755)
    (tmp_path / "id").write_text("#!/bin/sh\necho 0\n")
    (tmp_path / "id").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{tmp_path}:{os.environ['PATH']}",
        "OPSCONSOLE_CHROMIUM": "/nonexistent/chromium",
    }

    result = _run(MISSING, "postgresql-client:no-such-command", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"installing system packages the tests need: chromium {MISSING} postgresql-client\n"
    )
    assert calls.read_text().splitlines() == [
        "update -qq",
        f"install -y -qq --no-install-recommends chromium {MISSING} postgresql-client",
    ]
