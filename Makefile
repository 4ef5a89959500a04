# Two commands: `make run` (the whole product for a demo) and `make test` (every test and check).
# Both create .venv when it is missing and install the pinned requirements.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint pytest venv system-deps bench clean-data

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

# Demo mode with debug off must be forced (opsconsole/startup.py); this is the demo.
run: venv
	OPSCONSOLE_DEMO=1 OPSCONSOLE_DEMO_FORCE=1 $(PY) -m opsconsole.demo

test: system-deps lint pytest

# Chromium and fonts for the browser tests: installed when missing and running as root (apt-get), otherwise
# one line says what to install.
system-deps:
	@.ci/install-system-deps

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=opsconsole.settings_test $(PY) -m opsconsole.check_migrations

# Two processes (pytest-xdist), each with its own test database, live server, sandboxes and worker; a test
# file stays on one process (its module- and session-scoped processes are shared within it).
PYTEST_WORKERS ?= 2

pytest: venv
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

bench: venv
	$(PY) bench/ingest.py

clean-data:
	$(PY) -m opsconsole.embedded_pg stop
	rm -rf .data
