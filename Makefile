# drsorch: every task a developer or CI runs goes through here.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV ?= uv
PY := $(UV) run --frozen --all-packages
PORT ?= 4566
PACKAGES := -p drsorch.contracts -p drsorch.runtime -p drsorch.local -p drsorch.cli \
	-p drsorch.discovery -p drsorch.matcher -p drsorch.configurator -p drsorch.monitor

.PHONY: setup test test-unit test-integration e2e chaos hostile lint schemas local-up local-down demo bench bench-scale clean \
	package deploy deploy-spokes

# make package / deploy / deploy-spokes (docs/deploy.md): the Lambda zips, the hub, the spokes.
ARCH ?= x86_64
STACK ?= drsorch
REGION ?= $(AWS_REGION)
PARAMS ?=
STACK_SET ?= drsorch-spoke

setup:  ## install the locked workspace into .venv
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet "uv==0.13.9"
	$(UV) sync --frozen --all-packages

test: setup  ## unit, integration and end-to-end tests and the small kill storm (the CI gate)
	$(PY) pytest tests/unit tests/integration tests/e2e tests/chaos/test_kill_small.py -q --durations=15 \
		-n 2 --dist loadfile --no-loadscope-reorder

test-unit: setup
	$(PY) pytest tests/unit -q

test-integration: setup
	$(PY) pytest tests/integration -q

e2e: setup  ## the services as processes: 300-server failback, traps and throttling, traces across processes, the CLI
	$(PY) pytest tests/e2e -q

chaos: setup  ## kill storms and the full hostile-message suite (not in the CI gate)
	$(PY) pytest tests/chaos -q -s

hostile: setup  ## 1,200 hostile messages to every topic and queue during a 60-server failback
	$(PY) pytest tests/chaos/test_hostile_full.py -q -s

lint: setup  ## ruff, mypy --strict, cfn-lint, checkov, parliament
	$(PY) ruff check .
	$(PY) ruff format --check .
	$(PY) mypy $(PACKAGES)
	$(PY) mypy tests bench ship
	$(PY) cfn-lint infra/aws/*.yaml
	BC_SKIP_MAPPING=TRUE $(PY) checkov --quiet --compact --framework cloudformation \
		$(foreach t,$(wildcard infra/aws/*.yaml),-f $(t))
	$(PY) python -W ignore::UserWarning -m ship lint-iam

schemas: setup  ## export the event JSON Schemas + AsyncAPI document, the report's and the estate file's schemas
	$(PY) python -m drsorch.contracts.export contracts/schemas
	$(PY) python -m drsorch.cli.report_schema
	$(PY) python -m drsorch.cli.drill_evidence
	$(PY) python -m drsorch.local.estate schema > infra/local/estates/estate.schema.json

local-up: setup  ## start the local AWS endpoint on 127.0.0.1:$(PORT) and deploy the topology
	$(PY) drsorch local up --port $(PORT)

local-down:
	$(PY) drsorch local down

demo: setup  ## the main job on the embedded default
	$(PY) python -m drsorch.cli.demo

package: setup  ## one Lambda zip per service in dist/lambda/ (ARCH=x86_64|arm64), from the lock
	$(PY) python -W ignore::UserWarning -m ship package --arch $(ARCH) --out dist/lambda

deploy: package  ## the hub into the current account: BUCKET=... REGION=... [STACK=drsorch] [PARAMS="K=V ..."]
	@test -n "$(BUCKET)" || { echo "BUCKET=... (an S3 bucket in $(REGION) for the zips) is required"; exit 2; }
	$(PY) python -W ignore::UserWarning -m ship deploy --stack-name $(STACK) --bucket $(BUCKET) \
		$(if $(REGION),--region $(REGION)) $(foreach p,$(PARAMS),--parameter $(p))

deploy-spokes: setup  ## the spoke role into every account of OUS="ou-..." : REGION=... PARAMS="HubAccountId=... ExternalId=..."
	@test -n "$(OUS)" || { echo "OUS=\"ou-... ou-...\" (organizational units) is required"; exit 2; }
	$(PY) python -W ignore::UserWarning -m ship deploy-spokes --stack-set-name $(STACK_SET) \
		$(if $(REGION),--region $(REGION)) $(foreach o,$(OUS),--org-unit $(o)) $(foreach p,$(PARAMS),--parameter $(p))

bench: setup  ## benchmarks: print figures, assert nothing
	$(PY) python -m bench

bench-scale: setup  ## estates at DRS's quota bounds (1,000 to 3,000 servers): one JSON line per case
	$(PY) python -W ignore::UserWarning -m bench.scale

clean:
	rm -rf .venv .drsorch .pytest_cache .mypy_cache .ruff_cache dist
