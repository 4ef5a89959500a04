"""Production settings: ``check --deploy`` is clean with a full production environment, and production
refuses to start (one message naming each missing variable) without its own keys and database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def _production_env(**overrides: str) -> dict[str, str]:
    # A clean production environment: none of the test run's own settings (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE for Playwright, which check --deploy rightly refuses).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OPSCONSOLE_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        SECRET_KEY="x7Gq2-" + "k9VbN3mZ0pL4wR8tY1uE6iO5aS2dF7gH0jK3lQ9zX4cV8bN1mW6eR2tY5uI0oP",
        OPSCONSOLE_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        OPSCONSOLE_ALLOWED_HOSTS="ops.example.com",
        OPSCONSOLE_CSRF_TRUSTED_ORIGINS="https://ops.example.com",
        # check --deploy does not connect: any production URL will do.
        DATABASE_URL="postgres://opsconsole@db.example.com:5432/opsconsole",
        DJANGO_SETTINGS_MODULE="opsconsole.settings",
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v != "<unset>"}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = _check_deploy(_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_production_runs_with_debug():
    result = _check_deploy(_production_env(OPSCONSOLE_DEBUG="1"))

    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout


MISSING_ALL = (
    "opsconsole refuses to start: production needs these environment variables, which are not set: "
    "SECRET_KEY, OPSCONSOLE_ENCRYPTION_KEYS, DATABASE_URL. Set them (README, Production); for development "
    "set OPSCONSOLE_DEBUG=1; for the demo run `make run`.\n"
)


@pytest.mark.parametrize("command", [["check", "--deploy"], ["migrate", "--check"], ["qcluster"]])
def test_production_refuses_to_start_without_its_keys_and_database(tmp_path, command):
    env = _production_env(
        SECRET_KEY="<unset>",
        OPSCONSOLE_ENCRYPTION_KEYS="<unset>",
        DATABASE_URL="<unset>",
        OPSCONSOLE_DATA_DIR=str(tmp_path),
    )

    result = _manage(env, *command)

    assert (result.returncode, result.stdout, result.stderr) == (1, "", MISSING_ALL)
    assert list(tmp_path.iterdir()) == []  # no key was generated, no embedded database started


@pytest.mark.parametrize("missing", ["SECRET_KEY", "OPSCONSOLE_ENCRYPTION_KEYS", "DATABASE_URL"])
def test_the_message_names_exactly_the_missing_variable(tmp_path, missing):
    env = _production_env(**{missing: "<unset>", "OPSCONSOLE_DATA_DIR": str(tmp_path)})

    result = _check_deploy(env)

    assert result.returncode == 1
    assert result.stderr.startswith(
        f"opsconsole refuses to start: production needs these environment variables, which are not set: "
        f"{missing}. "
    )
    assert list(tmp_path.iterdir()) == []


def test_an_empty_variable_counts_as_missing(tmp_path):
    result = _check_deploy(_production_env(SECRET_KEY="  ", OPSCONSOLE_DATA_DIR=str(tmp_path)))

    assert result.returncode == 1
    assert "which are not set: SECRET_KEY." in result.stderr


def test_demo_mode_is_refused_with_debug_off_unless_forced(tmp_path):
    env = _production_env(OPSCONSOLE_DEMO="1", OPSCONSOLE_DATA_DIR=str(tmp_path))

    refused = _manage(env, "check")
    forced = _manage({**env, "OPSCONSOLE_DEMO_FORCE": "1"}, "check")

    assert refused.returncode == 1
    assert refused.stderr == (
        "opsconsole refuses to start: OPSCONSOLE_DEMO=1 with debug off: demo mode creates demo users and "
        "uses development keys. Run the demo with `make run` (it sets OPSCONSOLE_DEMO_FORCE=1), or set "
        "OPSCONSOLE_DEMO_FORCE=1 yourself; never in production.\n"
    )
    assert forced.returncode == 0, forced.stderr


def test_check_deploy_fails_when_development_defaults_stand_in(tmp_path):
    env = _production_env(
        OPSCONSOLE_DEMO="1",
        OPSCONSOLE_DEMO_FORCE="1",
        SECRET_KEY="<unset>",
        OPSCONSOLE_ENCRYPTION_KEYS="<unset>",
        OPSCONSOLE_DATA_DIR=str(tmp_path),
    )

    result = _check_deploy(env)

    assert result.returncode == 1
    assert "opsconsole.E001" in result.stderr
    assert "SECRET_KEY, OPSCONSOLE_ENCRYPTION_KEYS not set: development defaults are in use" in result.stderr
    assert "opsconsole.E002" in result.stderr


def test_gunicorn_with_the_shipped_settings_refuses_too(tmp_path):
    env = _production_env(
        SECRET_KEY="<unset>", OPSCONSOLE_ENCRYPTION_KEYS="<unset>", OPSCONSOLE_DATA_DIR=str(tmp_path)
    )

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "opsconsole.wsgi",
            "-c",
            "gunicorn.conf.py",
            "--bind",
            "127.0.0.1:0",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert (
        "opsconsole refuses to start: production needs these environment variables, which are not set: "
        "SECRET_KEY, OPSCONSOLE_ENCRYPTION_KEYS. "
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
