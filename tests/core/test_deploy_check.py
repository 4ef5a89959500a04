import os
import subprocess
import sys
from pathlib import Path

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
        DJANGO_SETTINGS_MODULE="opsconsole.settings",
    )
    env.update(overrides)
    return env


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
