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
