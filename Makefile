# Firebreak. `make run` starts the platform; `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# `make run` installs what running needs; the test extra comes with the targets that test or lint.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# checkov has a virtualenv of its own: its pinned dependencies clash with the project's.
TOOLS := $(VENV)/tools
TOOLS_STAMP := $(TOOLS)/.installed
CHECKOV_VERSION := 3.3.30
CHART := deploy/helm/firebreak

.PHONY: run test up lint unit integration bench soak events-doc clean chart tools

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet 'checkov==$(CHECKOV_VERSION)'
	touch $(TOOLS_STAMP)

## run: all five services in one process on http://127.0.0.1:8080 (SQLite under ./data, in-memory broker)
run: $(RUN_STAMP)
	$(BIN)/firebreak run

## test: lint, import contracts, event catalog, then unit and integration tests (real RabbitMQ and PostgreSQL)
test: $(STAMP) $(TOOLS_STAMP)
	bash scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/firebreak events-doc --check
	$(BIN)/pytest

## up: every service as separate processes against a local RabbitMQ and PostgreSQL
up: $(STAMP)
	bash scripts/system-deps.sh
	$(BIN)/python -m firebreak.devstack

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

## bench: the bus benchmark (outbox -> RabbitMQ -> inbox against raw pika)
bench: $(STAMP)
	$(BIN)/python bench/bus.py

## soak: 2,000 incidents paging through the whole platform while processes, RabbitMQ and PostgreSQL fail (SOAK_ARGS=--quick: 200)
soak: $(STAMP)
	bash scripts/system-deps.sh
	$(BIN)/python -m bench.soak $(SOAK_ARGS)

events-doc: $(STAMP)
	$(BIN)/firebreak events-doc

## chart: the Helm chart, dashboards and Dockerfile: lint, render, Kubernetes schemas, checkov, hadolint, local wiring
chart: $(STAMP) $(TOOLS_STAMP)
	bash scripts/system-deps.sh
	$(BIN)/python $(CHART)/dashboards/generate.py --check
	$(BIN)/pytest tests/chart

## tools: checkov, in $(TOOLS)
tools: $(TOOLS_STAMP)

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache *.egg-info
