# drsorch: every task a developer or CI runs goes through here.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV ?= uv
PY := $(UV) run --frozen --all-packages
PORT ?= 4566
PACKAGES := -p drsorch.contracts -p drsorch.runtime -p drsorch.local -p drsorch.cli \
	-p drsorch.discovery -p drsorch.matcher -p drsorch.configurator -p drsorch.monitor

.PHONY: setup test test-unit test-integration e2e chaos lint schemas local-up local-down demo bench clean

setup:  ## install the locked workspace into .venv
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet "uv==0.13.9"
	$(UV) sync --frozen --all-packages

test: setup  ## unit, integration and end-to-end tests and the small kill storm (the CI gate)
	$(PY) pytest tests/unit tests/integration tests/e2e tests/chaos/test_kill_small.py -q

test-unit: setup
	$(PY) pytest tests/unit -q

test-integration: setup
	$(PY) pytest tests/integration -q

e2e: setup  ## the services as processes: 300-server failback, traps and throttling, traces across processes, the CLI
	$(PY) pytest tests/e2e -q

chaos: setup  ## kill storms: every service SIGKILLed mid-failback, nothing done twice (not in the CI gate)
	$(PY) pytest tests/chaos -q -s

lint: setup  ## ruff, mypy --strict, cfn-lint
	$(PY) ruff check .
	$(PY) ruff format --check .
	$(PY) mypy $(PACKAGES)
	$(PY) mypy tests bench
	$(PY) cfn-lint infra/aws/*.yaml

schemas: setup  ## export the event JSON Schemas + AsyncAPI document, the report's and the estate file's schemas
	$(PY) python -m drsorch.contracts.export contracts/schemas
	$(PY) python -m drsorch.cli.report_schema
	$(PY) python -m drsorch.local.estate schema > infra/local/estates/estate.schema.json

local-up: setup  ## start the local AWS endpoint on 127.0.0.1:$(PORT) and deploy the topology
	$(PY) drsorch local up --port $(PORT)

local-down:
	$(PY) drsorch local down

demo: setup  ## the main job on the embedded default
	$(PY) python -m drsorch.cli.demo

bench: setup  ## benchmarks: print figures, assert nothing
	$(PY) python -m bench

clean:
	rm -rf .venv .drsorch .pytest_cache .mypy_cache .ruff_cache
