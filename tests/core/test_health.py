import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_without_touching_the_database(client):
    # no django_db mark: pytest-django makes any database access in this test an error
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_database_migrations_and_queue(client):
    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"] == {"ok": True, "pending": []}
    assert body["checks"]["queue"]["ok"] is True
    assert body["checks"]["queue"]["queued"] == 0


@pytest.mark.django_db
def test_readyz_is_503_while_a_migration_is_pending(client):
    with override_settings(MIGRATION_MODULES={"reconciliation": "tests.core.pending_migrations"}):
        response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["migrations"] == {"ok": False, "pending": ["reconciliation.0001_pending"]}


def test_readyz_is_503_when_the_database_is_unreachable():
    # given a process whose DATABASE_URL points at a port where nothing listens
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:9/nothing", "OPSCONSOLE_HTTPS": "0"}
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='127.0.0.1').get('/readyz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    # when it answers /readyz
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "opsconsole.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    # then it is unavailable, naming the database
    assert answer["status"] == 503
    assert answer["body"]["checks"]["database"]["ok"] is False
    assert answer["body"]["status"] == "unavailable"
