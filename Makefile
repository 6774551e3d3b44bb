# Every target bootstraps its own virtual environment from pyproject.toml.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test lint typecheck cfn-lint checkov asl iam unit browser run demo bench clean package validate

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# checkov pins boto3, packaging and networkx to old versions, so it gets a virtual environment of its
# own, from the `scan` extra in pyproject.toml (the dev environment keeps current boto3 and pytest).
SCAN_VENV  := .venv-checkov
SCAN_STAMP := $(SCAN_VENV)/.installed
$(SCAN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --upgrade pip
	$(SCAN_VENV)/bin/pip install --quiet $$($(PYTHON) -c 'import tomllib; \
	  print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["scan"]))')
	touch $(SCAN_STAMP)

## make test: lint, type-check, cfn-lint, checkov, asl-validator, the IAM proof and every test; fails if any of them fails.
## They run side by side (the installs too: each tool's environment is its own), so their output interleaves.
CHECKS := lint typecheck cfn-lint checkov asl unit
test:
	$(MAKE) -j4 $(CHECKS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

cfn-lint: $(STAMP)
	$(BIN)/cfn-lint cfn/*.yaml

## make checkov: the IaC scanner over cfn/, failing on any finding. Findings that do not apply are
## skipped in the template itself (Metadata: checkov: skip:), each with its reason.
checkov: $(SCAN_STAMP)
	$(SCAN_VENV)/bin/checkov -d cfn --framework cloudformation --quiet --compact --skip-download

## make asl: asl-validator (npm, pinned by tools/asl/package-lock.json) on every state machine
## definition, with the template's DefinitionSubstitutions replaced by plausible ARNs
ASL_TOOLS := tools/asl
ASL_STAMP := $(ASL_TOOLS)/node_modules/.installed
$(ASL_STAMP): $(ASL_TOOLS)/package.json $(ASL_TOOLS)/package-lock.json
	npm ci --prefix $(ASL_TOOLS) --no-audit --no-fund
	touch $(ASL_STAMP)

asl: $(ASL_STAMP)
	@files=$$(node $(ASL_TOOLS)/substitute.mjs cfn build/asl) && \
	  $(ASL_TOOLS)/node_modules/.bin/asl-validator $$(printf -- '--json-path %s ' $$files)

## make iam: the offline IAM proof. An IAM evaluator over AWS's actions data (@cloud-copilot/iam-simulate
## and iam-data from npm, pinned by tools/iam/package-lock.json; a test-time tool, never shipped) decides
## every request DRS needs of each role calling it against the templates' policies
## (tests/unit/test_iam_drs_permissions.py), and fails on any action name it does not know. make test runs
## the same tests within the whole suite (unit installs the evaluator); make iam runs them alone.
IAM_TOOLS := tools/iam
IAM_STAMP := $(IAM_TOOLS)/node_modules/.installed
$(IAM_STAMP): $(IAM_TOOLS)/package.json $(IAM_TOOLS)/package-lock.json
	npm ci --prefix $(IAM_TOOLS) --no-audit --no-fund
	touch $(IAM_STAMP)

iam: $(STAMP) $(IAM_STAMP)
	$(BIN)/pytest -q tests/unit/test_iam_drs_permissions.py

## The suite runs in 4 processes (pytest-xdist): most tests wait on Step Functions and DRS polling
## rather than compute, so 4 fit 2 cores. Each process gets its own moto and its own sandbox.
## Work stealing: a process that runs out takes half of the busiest one's queue, so no process is
## left with a long tail of queued tests while the others idle (they did with `--dist load`).
unit: $(STAMP) browser $(IAM_STAMP)
	$(BIN)/pytest -n 4 --dist worksteal

## make browser: Debian's Chromium for the headless-browser e2e tests (installed when root, else
## a message saying what to install; the tests never skip for want of it, and never `playwright install`)
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; \
	  else \
	    echo "make test needs Chromium at $(CHROMIUM) for the browser tests. Install it with:" >&2; \
	    echo "  sudo apt-get install -y --no-install-recommends chromium chromium-driver" >&2; \
	    exit 1; \
	  fi; }

## make package: the Lambda bundle for the templates' runtime/architecture (build/lambda/bundle.zip)
package: $(STAMP)
	scripts/package.sh

## make validate ENV=dev: scripts/deploy.sh $(ENV) --validate-only (offline; no AWS)
ENV ?= dev
validate: $(STAMP)
	scripts/deploy.sh $(ENV) --validate-only

## make run: the local sandbox with demo data (Ctrl-C stops it)
run: $(STAMP)
	$(BIN)/drs-chatops sandbox

## make demo: the whole story once against a fresh sandbox; exits 0 only if it worked
demo: $(STAMP)
	$(BIN)/drs-chatops demo

## make bench: the performance figures quoted in the README
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) $(SCAN_VENV) .mypy_cache .ruff_cache .hypothesis
