# Pulseboard: `make run` sets everything up and serves the app; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 8050
export HOST PORT

.PHONY: run test migrate seed install install-dev chromium lint format bench-seed bench-live bench-dashboard bench-exports bench-load bench-data constraints clean help

help:
	@echo "make run      install, migrate, seed the demo and serve on http://$(HOST):$(PORT)"
	@echo "make test     the same set-up, then ruff and the whole pytest suite"
	@echo "make migrate  apply the Alembic migrations to DATABASE_URL (default: instance/pulseboard.db)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt constraints.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt constraints.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@ $(VENV)/.runtime-installed

install: $(VENV)/.runtime-installed chromium
install-dev: $(VENV)/.dev-installed chromium

chromium:
	@bash scripts/ensure_chromium.sh

migrate: $(VENV)/.runtime-installed
	$(PY) -m data.migrate

seed: migrate
	$(FLASK) demo seed
	$(FLASK) users ensure-demo-admin

run: install seed
	$(PY) app.py

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .

# pytest exits 5 when it collects no tests; CI must never mistake that for success.
test: install-dev seed lint
	$(PY) -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

bench-seed: install
	$(PY) bench/seed.py

# The live refresh per tick at 100k, 1M and 5M order lines (ARGS="--quick" for 100k only); not in `make test`.
bench-live: install
	$(PY) bench/live.py $(ARGS)

# Opening a 12-widget dashboard over 1M lines in headless Chromium, served by gunicorn (needs Playwright,
# hence install-dev); ARGS="--keep DIR" reuses the seeded file; not in `make test`.
bench-dashboard: install-dev
	$(PY) bench/dashboard_load.py $(ARGS)

# Exports: warm PNG, 8-widget PDF and workbook against plotly's cold path, 100k rows to Excel.
bench-exports: install
	$(PY) bench/exports.py $(ARGS)

# N signed-in users keeping the Overview live against gunicorn, SQLite + diskcache then PostgreSQL + Redis + Celery.
bench-load: install-dev
	$(PY) bench/load.py $(ARGS)

# Bring your own data: import a generated 1M-row x 12-column CSV (and 250k, 500k for memory), then
# revenue by month over it and over 5M rows in PostgreSQL (TEST_DATABASE_URL or ARGS="--postgres URL").
bench-data: install
	$(PY) bench/data.py $(ARGS)

constraints: $(VENV)/.dev-installed
	{ head -3 constraints.txt; $(VENV)/bin/pip freeze --exclude-editable; } > constraints.tmp && mv constraints.tmp constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
