# Parley's two commands: `make dev` (the whole stack, locally) and `make test` (every test).
# Both install what is missing first; a bare machine needs only python3 and make.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install dev test lint format bench unit functional integration clean

help:
	@echo "make dev    install what is missing, then run the whole stack locally"
	@echo "make test   install what is missing, then lint and run every test"
	@echo "make lint   ruff, mypy, cfn-lint"
	@echo "make bench  the benchmarks (figures printed and written to bench/results/)"

# ---------------------------------------------------------------- installation
$(TOOLS)/bin/uv:
	@echo "installing uv $(UV_VERSION) into $(TOOLS)/ …"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced

# ---- auth (issue 3): the real OpenID provider the OIDC login tests run (tests/oidc, npm ci).
install: tests/oidc/node_modules/.installed
tests/oidc/node_modules/.installed: tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund
	@touch $@
# ---- end auth

# ---------------------------------------------------------------- the two commands
dev: install
	$(RUN) parley dev

test: install lint
	$(RUN) pytest $(PYTEST_ARGS)

# ---------------------------------------------------------------- pieces
lint: install
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) cfn-lint template.yaml

format: install
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

unit functional integration: install
	$(RUN) pytest tests/$@ $(PYTEST_ARGS)

bench: install
	$(RUN) python -m bench.gateway

clean:
	rm -rf .venv $(TOOLS) .mypy_cache .ruff_cache .pytest_cache bench/results

# ---------------------------------------------------------------- sam build (BuildMethod: makefile)
# `sam build` calls build-<LogicalId> with ARTIFACTS_DIR set: each function gets only our code;
# its third-party dependencies come from the shared layer.
build-%:
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -r functions websocket_routes shared "$(ARTIFACTS_DIR)/"
	find "$(ARTIFACTS_DIR)" -name __pycache__ -prune -exec rm -rf {} +
