# jobsched: `make run` starts the whole thing on the embedded SQLite default; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export JOBSCHED_DATA_DIR ?= $(CURDIR)/.jobsched
DAGSTER_PORT ?= 3000
API_PORT ?= 8000
SAMPLES_PORT ?= 8765
SFTP_PORT ?= 8722
S3_PORT ?= 8766
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck bench soak system-deps postgres clean dagster-home

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "jobsched needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

dagster-home:
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

run: install
	DAGSTER_PORT=$(DAGSTER_PORT) API_PORT=$(API_PORT) SAMPLES_PORT=$(SAMPLES_PORT) SFTP_PORT=$(SFTP_PORT) \
	  S3_PORT=$(S3_PORT) exec bash deploy/run-local.sh

# Chromium for the browser test; PostgreSQL must be running for the store, API and daemon tests.
system-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "could not install chromium: the browser test will skip (fail under CI=true)"; \
	  else echo "chromium/chromedriver missing: install them (apt-get install chromium chromium-driver)"; fi; \
	fi

postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then \
	    pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start || true; \
	    for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	  fi; \
	fi
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && echo "postgres: up on 127.0.0.1:5432" \
	  || echo "postgres: NOT reachable on 127.0.0.1:5432 (Postgres tests skip; under CI=true they fail)"

test: install system-deps postgres
	$(BIN)/ruff check jobsched jobsched_tests bench
	$(BIN)/ruff format --check jobsched jobsched_tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -p no:cacheprovider --durations=15 --cov=jobsched --cov-report=term $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check jobsched jobsched_tests bench
	$(BIN)/ruff format --check jobsched jobsched_tests bench
	$(BIN)/mypy

# the type checker alone (configured in pyproject.toml [tool.mypy]; `make test` runs it too)
typecheck: install
	$(BIN)/mypy

bench: install postgres
	$(BIN)/python bench/run_all.py

# Fault trials with real daemons (about an hour): >= 100 kill trials, then two daemons on one instance for
# 10 minutes. Shorter: make soak SOAK_ARGS="--kills 10 --two-daemon-minutes 2"
SOAK_ARGS ?=
soak: install postgres
	$(BIN)/python -m jobsched_tests.reliability.soak $(SOAK_ARGS)

clean:
	rm -rf $(DAGSTER_HOME) $(JOBSCHED_DATA_DIR)
