# HyperScore: two commands on a fresh machine -- `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Every pip call passes the lock: exact versions, torch==2.13.0 included, so nothing upgrades torch.
CONSTRAINTS := constraints.txt
PIP_INSTALL := $(PIP) install --disable-pip-version-check -c $(CONSTRAINTS)
STAMP := $(VENV)/.installed
CACHE_DIR ?= $(HOME)/.cache/hyperscore
export HYPERSCORE_CACHE_DIR ?= $(CACHE_DIR)

include hack/k8s.mk

.PHONY: help
help: ## list targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml setup.py $(CONSTRAINTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -q --upgrade pip setuptools wheel
	$(PIP_INSTALL) -q -e '.[dev]'
	@touch $@

.PHONY: install
install: $(STAMP) ## create .venv and install the locked dependencies

.PHONY: demo
demo: install ## install, then assess the bundled example project
	$(VENV)/bin/hyperscore assess examples/demo-project

.PHONY: system-deps
system-deps: ## Debian packages the tests need (chromium, git, bubblewrap, prometheus); a no-op when present
	@hack/system-deps.sh

.PHONY: test
test: install system-deps k8s-bins ## run the whole test suite (builds or reuses the Kubernetes binaries)
	HYPERSCORE_REQUIRE_SANDBOX=1 $(PY) -m pytest tests -p no:cacheprovider $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: install ## tests that need no control plane
	$(PY) -m pytest tests -m "not cluster" $(PYTEST_ARGS)

.PHONY: crds
crds: install ## regenerate the CRDs from the pydantic models (crds/, the chart, manifests/install)
	$(PY) -m hyperscore.operator.api.crdgen --out crds/ --chart charts/hyperscore/crds/ --copy manifests/install/crds/

.PHONY: manifests
manifests: install $(HELM) ## regenerate manifests/install/operator.yaml from the Helm chart
	$(PY) hack/render_install.py --helm $(HELM)

.PHONY: claim-vectors
claim-vectors: install ## re-embed the catalogue's claim sentences into the bundled vectors
	$(PY) -m hyperscore.evaluators.decompose.semantic

.PHONY: calibrate-semantic
calibrate-semantic: install ## refit the semantic parser's threshold on the labelled sentences
	$(PY) hack/calibrate_semantic.py

.PHONY: calibrate-fusion
calibrate-fusion: install ## refit the factory score calibration on the development set
	$(PY) hack/calibrate_fusion.py

.PHONY: train-impact
train-impact: install ## retrain the impact GNN (ImpactFore) and rewrite its weights and metrics
	$(PY) hack/train_impact.py

.PHONY: lint
lint: install ## ruff, mypy and the import contracts
	$(VENV)/bin/ruff check evaluators operator tests hack
	$(VENV)/bin/ruff format --check evaluators operator tests hack
	@rm -rf .lint && mkdir -p .lint/hyperscore && ln -s ../../evaluators .lint/hyperscore/evaluators && ln -s ../../operator .lint/hyperscore/operator
	$(VENV)/bin/mypy .lint/hyperscore --exclude "/fixtures/"
	PYTHONPATH=.lint $(VENV)/bin/lint-imports

.PHONY: fmt
fmt: install ## format the code
	$(VENV)/bin/ruff format evaluators operator tests hack
	$(VENV)/bin/ruff check --fix evaluators operator tests hack

.PHONY: bench
bench: install ## benchmarks (speed and memory), prints medians
	$(PY) -m tests.benchmarks

.PHONY: lock
lock: ## regenerate constraints.txt from a fresh resolve (torch stays 2.13.0)
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install -q -c hack/torch-pin.txt -e '.[dev]'
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^-e' > $(CONSTRAINTS)
	rm -rf .venv-lock

.PHONY: clean
clean:
	rm -rf .lint build *.egg-info .pytest_cache .mypy_cache .ruff_cache
