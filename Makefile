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
	@echo "make build  sam build: the Lambda artifacts and layer in .aws-sam/build (no Docker)"

# ---------------------------------------------------------------- installation
$(TOOLS)/bin/uv:
	@echo "installing uv $(UV_VERSION) into $(TOOLS)/ …"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced chromium

# ---------------------------------------------------------------- chromium (browser tests, voice)
# Debian's chromium, which Playwright drives in tests/e2e (never `playwright install`).
# Skipped when /usr/bin/chromium exists; needs root (apt-get) the first time only.
.PHONY: chromium
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests …"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

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
	$(RUN) python -m bench.auth
	$(RUN) python -m bench.guilds
	$(RUN) python -m bench.fanout
	$(RUN) python -m bench.coldstart

clean:
	rm -rf .venv $(TOOLS) .mypy_cache .ruff_cache .pytest_cache bench/results

# ---------------------------------------------------------------- sam build (BuildMethod: makefile)
# `sam build` calls build-<LogicalId> with ARTIFACTS_DIR set, in the source tree
# (samconfig.toml: build_in_source). Paths start from this Makefile's own folder, so a build that
# runs make in a scratch copy (`sam build --no-build-in-source`) takes the same sources.
BUILD_ROOT := $(patsubst %/,%,$(dir $(abspath $(firstword $(MAKEFILE_LIST)))))
BUILD_UV := $(if $(filter /%,$(UV)),$(UV),$(BUILD_ROOT)/$(UV))
# Parley's own packages: what every function's artifact holds (its dependencies are the layer's).
FUNCTION_PACKAGES := functions websocket_routes shared
# The Lambda platform of template.yaml's Globals (Runtime python3.12, Architectures arm64);
# tests/integration/test_lambda_artifacts.py checks every wheel in the built layer against them.
LAYER_PLATFORM := aarch64-manylinux_2_28
LAYER_PYTHON := 3.12
LAYER_REQUIREMENTS := $(BUILD_ROOT)/layer/requirements.txt
# `uv pip sync`: exactly the exported packages (it lists every one), nothing else left behind.
# Wheels only: a package with no wheel for the platform fails the build (nothing is compiled
# here for another machine).
LAYER_INSTALL := $(BUILD_UV) pip sync --quiet --only-binary :all:

.PHONY: build build-DependenciesLayer layer-requirements local-layer

# `sam build` as a deployer runs it (samconfig.toml's build parameters), by SAM CLI through uv:
# no Docker, no python3.12. Artifacts in .aws-sam/build (SAM_BUILD_ARGS="--build-dir DIR").
SAM = SAM_CLI_TELEMETRY=0 $(UV) tool run --from aws-sam-cli==$(SAM_CLI_VERSION) sam
SAM_BUILD_ARGS ?=
build: | $(UV)
	$(SAM) build $(SAM_BUILD_ARGS)

# Each function: Parley's packages only, without bytecode or tests.
build-%:
	mkdir -p "$(ARTIFACTS_DIR)"
	tar -C "$(BUILD_ROOT)" -c --exclude=__pycache__ --exclude='*.py[co]' --exclude=tests \
		$(FUNCTION_PACKAGES) | tar -C "$(ARTIFACTS_DIR)" -x

# The layer: the runtime requirements as wheels for the Lambda platform, under python/.
build-DependenciesLayer: | $(UV)
	$(LAYER_INSTALL) --python-platform $(LAYER_PLATFORM) --python-version $(LAYER_PYTHON) \
		--target "$(ARTIFACTS_DIR)/python" "$(LAYER_REQUIREMENTS)"

# The same pinned requirements for this machine's interpreter: the layer the local stack and the
# tests put beside a function's artifact (make local-layer LOCAL_LAYER_DIR=… LOCAL_PYTHON=…).
LOCAL_LAYER_DIR ?= .parley/layer
LOCAL_PYTHON ?= $(BUILD_ROOT)/.venv/bin/python
local-layer: | $(UV)
	$(LAYER_INSTALL) --python "$(LOCAL_PYTHON)" --target "$(LOCAL_LAYER_DIR)" "$(LAYER_REQUIREMENTS)"

# The layer's requirements, exported from uv.lock: the runtime dependencies only (no dev, media
# or desktop group). tests/integration/test_lambda_artifacts.py fails when this file is stale.
LAYER_REQUIREMENTS_OUT ?= layer/requirements.txt
layer-requirements: | $(UV)
	$(UV) export --quiet --frozen --no-dev --no-default-groups --no-hashes --no-emit-project \
		--format requirements-txt -o $(LAYER_REQUIREMENTS_OUT)

# ---------------------------------------------------------------- deploy checks (issue 8)
# promtool checks iac/observability (tests/unit/test_iac_observability.py); it comes from
# Debian's prometheus package, unpacked into .tools/ (not installed: no service is started).
SAM_CLI_VERSION := 1.170.0
PROMTOOL := $(or $(shell command -v promtool 2>/dev/null),$(TOOLS)/prometheus/usr/bin/promtool)

install: $(PROMTOOL)

$(TOOLS)/prometheus/usr/bin/promtool:
	mkdir -p $(TOOLS)/prometheus
	cd $(TOOLS) && { apt-get download prometheus 2>/dev/null \
		|| { apt-get update -qq && apt-get download prometheus; }; }
	dpkg-deb -x $(TOOLS)/prometheus_*.deb $(TOOLS)/prometheus
	rm -f $(TOOLS)/prometheus_*.deb

.PHONY: lint-deploy
lint: lint-deploy

lint-deploy: install
	SAM_CLI_TELEMETRY=0 $(UV) tool run --from aws-sam-cli==$(SAM_CLI_VERSION) \
		sam validate --lint --template template.yaml --region us-east-1
	$(RUN) cfn-lint iac/media/media-tier.yaml
	$(RUN) hadolint iac/media/Dockerfile
	UV=$(UV) tools/audit.sh

# ---------------------------------------------------------------- desktop client (desktop/)
# The UI (desktop/ui: React + TypeScript + Vite) and what its tests need. These rules only add
# prerequisites to install/dev/lint/test, so the targets above stay as they are.
UI := desktop/ui
UI_STAMP := $(UI)/node_modules/.installed
UI_SOURCES := $(shell find $(UI)/src $(UI)/public -type f 2>/dev/null) \
	$(UI)/index.html $(UI)/vite.config.ts $(UI)/tsconfig.json
# Debian packages: chromium for the Playwright tests (driven at /usr/bin/chromium; never
# `playwright install`), and the libraries PySide6's QtWebEngine loads for the offscreen shell
# (libxcb-icccm4/keysyms1/cursor0: Qt's xcb plugin, for a real window or Xvfb).
APT_DESKTOP := chromium libnss3 libnspr4 libasound2 libegl1 libgl1 libgbm1 libxkbcommon0 \
	libxkbfile1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libfontconfig1 libdbus-1-3 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 fonts-noto-color-emoji
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: apt-desktop ui ui-lint ui-test clean-ui

apt-desktop:
	@dpkg -s $(APT_DESKTOP) >/dev/null 2>&1 || { \
		echo "installing Debian packages for the desktop client's tests: $(APT_DESKTOP)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_DESKTOP); }

$(UI_STAMP): $(UI)/package.json $(UI)/package-lock.json
	cd $(UI) && npm ci --no-audit --no-fund
	@touch $@

$(UI)/dist/index.html: $(UI_STAMP) $(UI_SOURCES)
	cd $(UI) && npm run build
	@touch $@

ui: $(UI)/dist/index.html

ui-lint: $(UI_STAMP)
	cd $(UI) && npm run lint && npm run typecheck

ui-test: $(UI_STAMP)
	cd $(UI) && npm test

clean-ui:
	rm -rf $(UI)/node_modules $(UI)/dist test-artifacts

install: $(UI_STAMP) apt-desktop
dev: ui
lint: ui-lint
test: ui ui-test
