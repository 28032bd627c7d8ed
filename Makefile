# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
CODEX_PORT ?= 4003
# `make run` is for trying it out: a throwaway JWT secret unless CODEX_JWT_SECRET is set.
CODEX_ENV ?= development
export CODEX_PORT CODEX_ENV

.PHONY: run test setup frontend provision images lint typecheck unit bench clean

## run: provision Docker, PostgreSQL and Redis, build missing images, start the server
run: setup provision images
	$(BIN)/codex-ws serve --port $(CODEX_PORT)

## test: provision everything, then lint, type-check and run every test
test: setup provision images lint typecheck
	bash scripts/test-tools.sh
	$(BIN)/pytest

setup: $(VENV)/.installed frontend

$(VENV)/.installed: pyproject.toml
	bash scripts/venv.sh $(VENV)
	@touch $@

# The editor and terminal bundles of the pages (static/vendor/); quick when up to date.
frontend:
	bash scripts/frontend.sh

provision:
	bash scripts/provision.sh

images: setup provision
	$(BIN)/codex-ws images build

lint: setup
	$(BIN)/ruff check codex_ws sandbox tests bench
	$(BIN)/ruff format --check codex_ws sandbox tests bench

typecheck: setup
	$(BIN)/mypy

## unit: the tests that need no Docker engine
unit: setup
	$(BIN)/pytest tests/unit

## bench: start its own servers, measure latency, throughput and capacity, write bench/results.md
bench: setup provision images
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache artifacts web/node_modules static/vendor
