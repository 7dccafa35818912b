# Customer interactions: dbt pipeline, API and website. `make help` lists the targets.
# WAREHOUSE=duckdb (default, a file under warehouse/) or WAREHOUSE=postgres (PG* variables).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
WAREHOUSE ?= duckdb
PORT ?= 5000
# PostgreSQL: the standard libpq variables (defaults: the local server, user postgres).
PGHOST ?= 127.0.0.1
PGPORT ?= 5432
PGUSER ?= postgres
PGDATABASE ?= interactions
export WAREHOUSE PORT PGHOST PGPORT PGUSER PGDATABASE

DBT := $(BIN)/dbt
DBT_FLAGS := --project-dir dbt_project --profiles-dir .

.DEFAULT_GOAL := help
.PHONY: help install install-dev build run serve test lint docs lock lock-check pg-setup clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed-runtime: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-runtime requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed-runtime ## Create .venv with the locked runtime dependencies

install-dev: $(VENV)/.installed-dev ## Add the locked development and test dependencies

build: install ## dbt build (seeds, models, tests) on $WAREHOUSE; goes live only if all pass
	$(BIN)/interactions build

run: build ## Build, then serve the API and website on port $PORT (5000)
	$(BIN)/interactions serve

serve: install ## Serve the API and website on port $PORT without building
	$(BIN)/interactions serve

test: install-dev lint lock-check ## Lint, check the lock files, run every test (DuckDB and PostgreSQL)
	$(BIN)/pytest

lint: install-dev ## sqlfluff (dbt Labs style) on the models and tests, ruff on the Python
	$(BIN)/sqlfluff lint dbt_project/models dbt_project/tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: install ## Generate the dbt docs (lineage from seeds to marts) and serve them on port 8080
	$(DBT) docs generate $(DBT_FLAGS)
	$(DBT) docs serve $(DBT_FLAGS) --port 8080

lock: install-dev ## Re-compile requirements*.txt from pyproject.toml (pip-tools)
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
		-o requirements.txt pyproject.toml
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
		--extra dev -o requirements-dev.txt pyproject.toml

lock-check: install-dev ## Fail when the lock files are stale against pyproject.toml
	$(BIN)/python scripts/check_locks.py

pg-setup: ## PostgreSQL: create the API's role and the database named by PGDATABASE
	psql -v ON_ERROR_STOP=1 -d postgres -f postgres/create_api_role.sql
	psql -d postgres -tAc "select 1 from pg_database where datname = '$(PGDATABASE)'" \
		| grep -q 1 || createdb "$(PGDATABASE)"

clean: ## Remove the DuckDB warehouse and dbt's target folder
	rm -rf warehouse/*.duckdb* dbt_project/target dbt_project/logs
