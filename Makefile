# journey-metrics: `make demo` builds everything on demo data, `make test` runs the whole suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < requirements.txt | cut -d' ' -f1)
# Spark's extras (requirements-spark.txt) on top of the same .venv, stamped by both files' checksums.
SPARK_STAMP := $(VENV)/.installed-spark-$(shell cat requirements.txt requirements-spark.txt | cksum | cut -d' ' -f1)

# The two environment variables of the product (see README). Absolute paths, so dbt may run anywhere.
DEMO_DIR := $(CURDIR)/data/demo
export JOURNEY_RAW_DIR ?= $(DEMO_DIR)
export JOURNEY_DUCKDB_PATH ?= $(CURDIR)/warehouse/journey.duckdb
# Closed network: no telemetry calls.
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
# DuckDB's resources (profiles.yml): every core, and an eighth of the machine's memory (at least
# 1 GB), unless set. Beyond the limit DuckDB spills to JOURNEY_DUCKDB_TEMP_DIR; at 10M events a 3 GB
# limit builds as fast as a 12 GB one (it spills 0.6 GB) and halves the peak memory (docs/benchmarks.md).
export JOURNEY_DUCKDB_THREADS ?= $(shell nproc 2>/dev/null || echo 2)
export JOURNEY_DUCKDB_MEMORY_LIMIT ?= $(shell awk '/MemTotal/ {m = $$2 / 8 / 1024; if (m < 1024) m = 1024; printf "%dMB", m}' /proc/meminfo 2>/dev/null || echo 3GB)

DEMO_CUSTOMERS ?= 5000
DEMO_SEED ?= 42

.PHONY: help setup setup-spark test-spark demo-data build validate report demo test lint bench dashboard docs warehouse-exists clean

help:
	@echo "make demo   set up .venv, generate the demo data if missing, dbt build, print headline figures"
	@echo "make test   set up .venv and run the whole test suite (pytest, which drives dbt)"
	@echo "make setup  only create .venv with the pinned dependencies"
	@echo "make setup-spark  also install dbt-spark and pyspark (requirements-spark.txt) into .venv"
	@echo "make test-spark   build the demo data on Spark (local[2]) and on DuckDB, compare every SQL model's rows"
	@echo "make lint   ruff (lint and format check) on the Python, sqlfluff on models/ macros/ tests/, check-yaml"
	@echo "make build  dbt build on JOURNEY_RAW_DIR into a new release, validate it, then publish it at JOURNEY_DUCKDB_PATH"
	@echo "           (BUILD_ARGS=--full-refresh rebuilds the incremental models from scratch)"
	@echo "make validate  Great Expectations checks of the raw files, staging and marts (data docs in gx/uncommitted/)"
	@echo "make bench  EVENTS=N (default 1000000): full, incremental and validation timings at that size"
	@echo "           into target/bench/N.json (data generated into target/bench/data/N if missing)"
	@echo "make dashboard  the Streamlit dashboard on http://127.0.0.1:DASHBOARD_PORT (8501) over the published marts"
	@echo "           (builds the demo first when JOURNEY_DUCKDB_PATH does not exist yet)"
	@echo "make docs   dbt docs generate, then serve the docs site on http://127.0.0.1:DOCS_PORT (8080)"
	@echo "make clean  remove .venv, target/, warehouse/ and the demo data"

setup: $(STAMP)

$(STAMP): requirements.txt
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Not part of `make setup`: pyspark is a 456 MB source archive (pip builds it in about 2 minutes).
setup-spark: $(SPARK_STAMP)

$(SPARK_STAMP): $(STAMP) requirements-spark.txt
	rm -f $(VENV)/.installed-spark-*
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-spark.txt
	touch $@

# Generates the default demo data when JOURNEY_RAW_DIR is the demo folder and the data is missing
# (ground_truth.json is written last, so a half-written folder is generated again).
demo-data: setup
	@if [ "$(JOURNEY_RAW_DIR)" = "$(DEMO_DIR)" ] && [ ! -f "$(DEMO_DIR)/ground_truth.json" ]; then \
		echo "Generating demo data ($(DEMO_CUSTOMERS) customers, seed $(DEMO_SEED)) into $(DEMO_DIR)"; \
		$(BIN)/python -m journey_metrics.generate --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) --out "$(DEMO_DIR)"; \
	fi

# Builds a new release and switches JOURNEY_DUCKDB_PATH to it atomically: readers never wait.
# Extra dbt arguments, e.g. `make build BUILD_ARGS=--full-refresh`.
BUILD_ARGS ?=

build: setup
	$(BIN)/python -m journey_metrics.publish build $(BUILD_ARGS)

validate: setup
	$(BIN)/python -m journey_metrics.validate

report: setup
	$(BIN)/python -m journey_metrics.report

demo: demo-data build validate report

# pytest-xdist: one worker per core (at most four; each builds its own demo warehouse, about
# 1.5 GB at its peak), and each test file on one worker (--dist loadfile) so that a file's
# module-scoped builds are made once. The suite used one core of two before (98% CPU).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# The Spark parity suite (tests_py/test_spark_parity.py, docs/spark.md); `make test` skips it.
test-spark: setup-spark
	JOURNEY_TEST_SPARK=1 $(BIN)/python -m pytest -m spark tests_py/test_spark_parity.py

# The floor before every commit (also .pre-commit-config.yaml). `ruff format .` and
# `sqlfluff fix <file>` rewrite what they can.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint models macros tests
	$(BIN)/check-yaml $$(git ls-files --cached --others --exclude-standard '*.yml' '*.yaml')

EVENTS ?= 1000000

bench: setup
	$(BIN)/python -m journey_metrics.benchmark --events $(EVENTS)

DASHBOARD_PORT ?= 8501
DOCS_PORT ?= 8080

# A warehouse to read: the demo's, built once, when none is published yet.
warehouse-exists: setup
	@if [ ! -e "$(JOURNEY_DUCKDB_PATH)" ]; then $(MAKE) --no-print-directory demo-data build; fi

# Reads the published release read-only (dashboard/marts.py): it keeps serving during a `make build`.
dashboard: warehouse-exists
	$(BIN)/streamlit run dashboard/app.py --server.address 127.0.0.1 --server.port $(DASHBOARD_PORT) \
		--server.headless true --browser.gatherUsageStats false --client.toolbarMode minimal

# The reader target opens the published release read-only, so the catalog is read beside the dashboard.
docs: warehouse-exists
	$(BIN)/dbt docs generate --target reader
	$(BIN)/dbt docs serve --host 127.0.0.1 --port $(DOCS_PORT) --no-browser

clean:
	rm -rf $(VENV) target dbt_packages logs warehouse data/demo
