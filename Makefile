# Customer interactions: dbt pipeline, API and website. `make help` lists the targets.
# WAREHOUSE=duckdb (default, a file under warehouse/) or WAREHOUSE=postgres (PG* variables),
# or WAREHOUSE=spark (an in-process PySpark under warehouse/spark/; Java 17).

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
.PHONY: help install install-dev install-spark build run serve test test-scale test-fast lint docs lock lock-check pg-setup clean bench bench-import fuzz-engines spark-up spark-down

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

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

$(VENV)/.installed-spark: $(VENV)/.installed-runtime requirements-spark.txt
	$(BIN)/pip install --quiet -r requirements-spark.txt
	touch $@

install-spark: $(VENV)/.installed-spark ## Add the locked Spark dependencies (dbt-spark, PySpark; needs Java 17)

# WAREHOUSE=spark make build also installs the Spark dependencies; other warehouses never do.
build: install $(if $(filter spark spark_cluster,$(WAREHOUSE)),install-spark) ## dbt build (seeds, models, tests) on $WAREHOUSE; goes live only if all pass
	$(BIN)/interactions build

run: build ## Build, then serve the API and website on port $PORT (5000)
	$(BIN)/interactions serve

serve: install ## Serve the API and website on port $PORT without building
	$(BIN)/interactions serve

# Each test target first provides what it needs beyond Python where it can (as root: apt-get,
# the local PostgreSQL cluster), then checks it (PostgreSQL, Java and PySpark, Chromium) and
# stops at once, naming what is missing, unless SKIP_POSTGRES, SKIP_SPARK or SKIP_BROWSER says
# to skip those tests; -rs then lists every skipped test with its reason. Test files run two
# at a time (pytest-xdist: -n $(TEST_WORKERS), a file's tests together on one worker). Two
# saturate two cores: three took 24:07 against 23:08 with two (`make test`, 2026-12-07).
TEST_WORKERS ?= 2
test: install-dev install-spark ## Lint, check the lock files, run every test but the scale proofs (DuckDB, PostgreSQL, Spark, browser)
	$(BIN)/python scripts/check_test_needs.py postgres spark browser
	$(MAKE) --no-print-directory lint lock-check
	$(BIN)/pytest -m "not scale" -n $(TEST_WORKERS) --dist loadfile --durations=20 -rs

test-scale: install-dev install-spark ## The scale proofs: 100k interactions through the Spark cluster and on Spark (for a release, or a change to those paths)
	$(BIN)/python scripts/check_test_needs.py postgres spark
	$(BIN)/pytest -m scale --durations=20 -rs

test-fast: install-dev ## The everyday loop: lint, lock check, every test but Spark, scale, kill/outage/load, browser and long-story ones
	$(BIN)/python scripts/check_test_needs.py postgres
	$(MAKE) --no-print-directory lint lock-check
	$(BIN)/pytest -m "not spark and not scale and not stress and not browser and not long" -n $(TEST_WORKERS) --dist loadfile -rs

FUZZ_SEEDS ?= 1 2 3 4 5 6 7 8 9 10
fuzz-engines: install-dev install-spark ## The differential test at length: worlds FUZZ_SEEDS of 20,000 interactions on DuckDB, PostgreSQL and Spark
	for seed in $(FUZZ_SEEDS); do \
		FUZZ_SEED=$$seed FUZZ_ENGINE_ROWS=$${FUZZ_ENGINE_ROWS:-20000} $(BIN)/pytest -q -x tests/test_engines_agree.py || exit 1; \
	done

spark-up: install-spark ## Start a standalone Spark cluster on 127.0.0.1 (master, 2 workers, Thrift server; warehouse/spark-cluster/)
	$(BIN)/python scripts/spark_cluster.py up

spark-down: ## Stop exactly the Spark cluster processes spark-up started
	$(BIN)/python scripts/spark_cluster.py down

bench: install ## API throughput and latency vs the Flask ceiling (wrk; 10k and 1M interactions, both warehouses)
	command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
	$(BIN)/python scripts/bench_api.py

bench-import: install ## Time `interactions import` of a 1M-row workbook (made once in .bench/) on both warehouses
	$(BIN)/python scripts/bench_import.py

lint: install-dev ## sqlfluff (dbt Labs style; a process per core) on the models and tests, ruff on the Python
	$(BIN)/sqlfluff lint --processes 0 dbt_project/models dbt_project/tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

docs: install ## Build the development target, generate its dbt docs (lineage, columns) and serve them on :8080
	$(DBT) build $(DBT_FLAGS) --quiet
	$(DBT) docs generate $(DBT_FLAGS)
	$(DBT) docs serve $(DBT_FLAGS) --port 8080

lock: install-dev ## Re-compile requirements*.txt from pyproject.toml (pip-tools)
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
		-o requirements.txt pyproject.toml
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
		--extra dev -o requirements-dev.txt pyproject.toml
	$(BIN)/pip-compile --quiet --no-emit-index-url --no-emit-find-links --strip-extras \
		--extra spark -c requirements-dev.txt -o requirements-spark.txt pyproject.toml

lock-check: install-dev ## Fail when the lock files are stale against pyproject.toml
	$(BIN)/python scripts/check_locks.py

pg-setup: ## PostgreSQL: create the API's role and the database named by PGDATABASE
	psql -v ON_ERROR_STOP=1 -d postgres -f postgres/create_api_role.sql
	psql -d postgres -tAc "select 1 from pg_database where datname = '$(PGDATABASE)'" \
		| grep -q 1 || createdb "$(PGDATABASE)"

clean: ## Remove the DuckDB and Spark warehouses and dbt's target folder
	rm -rf warehouse/*.duckdb* warehouse/spark dbt_project/target dbt_project/logs
