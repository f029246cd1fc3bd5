# Parley's two commands: `make dev` (the whole stack, locally) and `make test` (every test).
# Both install what is missing first; a bare machine needs only python3 and make.
# `make help` lists the targets a person runs: every rule whose line ends in a `## ` comment.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
SAM_CLI_VERSION := 1.170.0
TOOLS := .tools
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/bin/uv)
RUN := $(UV) run --frozen
SAM = SAM_CLI_TELEMETRY=0 $(UV) tool run --from aws-sam-cli==$(SAM_CLI_VERSION) sam
PYTEST_ARGS ?=
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The desktop client's UI (desktop/ui: React + TypeScript + Vite).
UI := desktop/ui
UI_STAMP := $(UI)/node_modules/.installed
UI_SOURCES := $(shell find $(UI)/src $(UI)/public -type f 2>/dev/null) \
	$(UI)/index.html $(UI)/vite.config.ts $(UI)/tsconfig.json
# The real OpenID provider the OIDC login tests run (tests/oidc).
OIDC_STAMP := tests/oidc/node_modules/.installed
# promtool checks iac/observability (tests/unit/test_iac_observability.py); it comes from
# Debian's prometheus package, unpacked into .tools/ (not installed: no service is started).
PROMTOOL := $(or $(shell command -v promtool 2>/dev/null),$(TOOLS)/prometheus/usr/bin/promtool)
# The Debian packages the tests need: chromium, which Playwright drives at /usr/bin/chromium in
# tests/e2e (never `playwright install`), and the libraries PySide6's QtWebEngine loads for the
# desktop shell offscreen (libxcb-icccm4/keysyms1/cursor0: Qt's xcb plugin, for a real window
# or Xvfb).
APT_PACKAGES := chromium libnss3 libnspr4 libasound2 libegl1 libgl1 libgbm1 libxkbcommon0 \
	libxkbfile1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libfontconfig1 libdbus-1-3 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 fonts-noto-color-emoji

.PHONY: help install apt-packages dev test unit functional integration lint format bench \
	build build-DependenciesLayer local-layer layer-requirements ui ui-lint ui-test clean clean-ui

help: ## this list
	@grep -hE '^[a-zA-Z][a-zA-Z_ -]*:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN { FS = ":.*## " } { gsub(/ /, "|", $$1); printf "make %-30s %s\n", $$1, $$2 }'

# ---------------------------------------------------------------- the commands
install: .venv/.synced $(OIDC_STAMP) $(UI_STAMP) $(PROMTOOL) apt-packages ## what the other commands need, only what is missing (apt-get needs root or sudo the first time)

dev: install ui ## install what is missing, then run the whole stack locally
	$(RUN) parley dev

test: install lint ui ui-test ## install what is missing, lint, then run every test (the UI's Vitest, then pytest)
	$(RUN) pytest $(PYTEST_ARGS)

unit functional integration: install ## one layer of the Python tests (PYTEST_ARGS=… for more)
	$(RUN) pytest tests/$@ $(PYTEST_ARGS)

lint: install ui-lint ## ruff, mypy, import-linter's contracts, cfn-lint, sam validate, hadolint, the dependency audits and the UI's linters
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports
	$(RUN) cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml --region us-east-1
	$(RUN) cfn-lint iac/media/media-tier.yaml
	$(RUN) hadolint iac/media/Dockerfile
	UV=$(UV) tools/audit.sh

format: install ## ruff's fixes and formatting, in place
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

bench: install ## every benchmark, figures printed and written to bench/results/ (the SFU's in its --quick mode)
	$(RUN) python -m bench.gateway
	$(RUN) python -m bench.auth
	$(RUN) python -m bench.guilds
	$(RUN) python -m bench.fanout
	$(RUN) python -m bench.coldstart
	$(RUN) python -m bench.sfu --quick

# A run's figures are bench/results/<bench>.json; the dated records committed beside them stay
# (bench/results/README.md).
clean: ## remove the tools, the virtualenv, the caches and the benchmarks' latest figures
	rm -rf .venv $(TOOLS) .mypy_cache .ruff_cache .pytest_cache
	git ls-files --others --ignored --exclude-standard -z bench/results | xargs -0r rm -f

# ---------------------------------------------------------------- installation
$(TOOLS)/bin/uv:
	@echo "installing uv $(UV_VERSION) into $(TOOLS)/ …"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund
	@touch $@

$(UI_STAMP): $(UI)/package.json $(UI)/package-lock.json
	cd $(UI) && npm ci --no-audit --no-fund
	@touch $@

$(TOOLS)/prometheus/usr/bin/promtool:
	mkdir -p $(TOOLS)/prometheus
	cd $(TOOLS) && { apt-get download prometheus 2>/dev/null \
		|| { apt-get update -qq && apt-get download prometheus; }; }
	dpkg-deb -x $(TOOLS)/prometheus_*.deb $(TOOLS)/prometheus
	rm -f $(TOOLS)/prometheus_*.deb

# Nothing to do once every package is installed (dpkg -s); apt-get the first time only.
apt-packages:
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { \
		echo "installing the Debian packages the tests need: $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); }

# ---------------------------------------------------------------- the desktop client's UI
$(UI)/dist/index.html: $(UI_STAMP) $(UI_SOURCES)
	cd $(UI) && npm run build
	@touch $@

ui: $(UI)/dist/index.html ## build the UI into desktop/ui/dist (when its sources are newer)

ui-lint: $(UI_STAMP) ## the UI's ESLint, Prettier and tsc --noEmit
	cd $(UI) && npm run lint && npm run typecheck

ui-test: $(UI_STAMP) ## the UI's Vitest tests
	cd $(UI) && npm test

clean-ui: ## remove the UI's node_modules and build, and the browser tests' artifacts
	rm -rf $(UI)/node_modules $(UI)/dist test-artifacts

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

# `sam build` as a deployer runs it (samconfig.toml's build parameters), by SAM CLI through uv:
# no Docker, no python3.12. Artifacts in .aws-sam/build (SAM_BUILD_ARGS="--build-dir DIR").
SAM_BUILD_ARGS ?=
build: | $(UV) ## sam build: the Lambda artifacts and layer in .aws-sam/build (no Docker)
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
# tests put beside a function's artifact.
LOCAL_LAYER_DIR ?= .parley/layer
LOCAL_PYTHON ?= $(BUILD_ROOT)/.venv/bin/python
local-layer: | $(UV) ## the Lambda layer for this machine's Python (LOCAL_LAYER_DIR=…, LOCAL_PYTHON=…)
	$(LAYER_INSTALL) --python "$(LOCAL_PYTHON)" --target "$(LOCAL_LAYER_DIR)" "$(LAYER_REQUIREMENTS)"

# The layer's requirements, exported from uv.lock: the runtime dependencies only (no dev, media
# or desktop group). tests/integration/test_lambda_artifacts.py fails when this file is stale.
LAYER_REQUIREMENTS_OUT ?= layer/requirements.txt
layer-requirements: | $(UV) ## export layer/requirements.txt from uv.lock (after changing the dependencies)
	$(UV) export --quiet --frozen --no-dev --no-default-groups --no-hashes --no-emit-project \
		--format requirements-txt -o $(LAYER_REQUIREMENTS_OUT)
