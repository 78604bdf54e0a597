# Two commands do everything on a fresh machine with Python 3.11, Node.js/npm and git:
#   make start   set up, create the database, load the demo province, serve http://127.0.0.1:8000
#   make test    set up, then lint, type-check, and run the whole suite on SQLite and PostgreSQL
SHELL := /bin/bash
PYTHON ?= python3
UV := .tools/bin/uv
VENV := .venv/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1:8000
DEMO_SIZE ?= demo

.PHONY: setup start test lint test-sqlite test-postgres bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

setup: .venv/.synced node_modules/.installed

start: setup
	$(VENV)/zhengqi migrate --noinput
	$(VENV)/zhengqi demo --size $(DEMO_SIZE) --if-empty
	@echo "政企 Zhengqi: http://$(HOST)/  (演示账号见 README / demo logins in README)"
	$(VENV)/zhengqi runserver $(HOST)

lint: setup
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy
	$(VENV)/lint-imports

test-sqlite: setup
	$(VENV)/pytest

# PostgreSQL runs where a server answers at PG_URL; elsewhere it says so (CI makes it answer).
test-postgres: setup
	@if $(VENV)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== test suite on PostgreSQL ($(PG_URL)) =="; \
		DATABASE_URL=$(PG_URL) $(VENV)/pytest; \
	elif [ "$$ZHENGQI_REQUIRE_POSTGRES" = "1" ]; then \
		echo "PostgreSQL does not answer at $(PG_URL)"; exit 1; \
	else \
		echo "== PostgreSQL not reachable at $(PG_URL): suite ran on SQLite only (set PG_URL to test it) =="; \
	fi

test: lint test-sqlite test-postgres

bench: setup
	$(VENV)/python bench/generate.py

clean:
	rm -rf .venv .tools node_modules var staticfiles test-results
