# Two commands: `make run` (the whole product for a demo) and `make test` (every test and check).
# Both create .venv when it is missing and install the pinned requirements.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint pytest venv bench clean-data

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) -m opsconsole.demo

test: lint pytest

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run

pytest: venv
	$(PY) -m pytest

bench: venv
	$(PY) bench/ingest.py

clean-data:
	$(PY) -m opsconsole.embedded_pg stop
	rm -rf .data
