# Two commands: `make serve` runs Lookout, `make test` runs the whole suite.
# Both create .venv when it is missing and install what they need into it.

SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
LIGHTHOUSE_DIR := tools/lighthouse
LIGHTHOUSE_STAMP := $(LIGHTHOUSE_DIR)/node_modules/.installed
SUDO := $$( [ "$$(id -u)" = 0 ] || echo sudo )

.PHONY: install lighthouse serve test lint bench bench-api clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Lookout needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	@touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)

# The Lighthouse check's CLI (the lighthouse npm package, pinned by package-lock.json);
# it drives Chromium, which `make test` installs and a server needs too.
$(LIGHTHOUSE_STAMP): $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Installing Node.js and npm for the Lighthouse check"; \
		$(SUDO) apt-get install -y nodejs npm || { $(SUDO) apt-get update && $(SUDO) apt-get install -y nodejs npm; }; }
	cd $(LIGHTHOUSE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lighthouse: $(LIGHTHOUSE_STAMP)

# Lighthouse is optional for serving: installed where npm is, left out (its checks say what
# is missing) where it is not.
serve: $(RUNTIME_STAMP)
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(LIGHTHOUSE_STAMP) \
		|| echo "Could not install lighthouse: Lighthouse checks will say it is missing"; \
	else echo "npm not found: Lighthouse checks will say it is missing (make lighthouse installs it)"; fi
	$(BIN)/lookout serve

# Debian packages the tests drive: BIND 9 (DNS failover), Chromium (the /docs page and
# the Lighthouse check) and NSS's certutil (extra roots for Chromium), and the lighthouse
# npm package.
# One test process per core, at most 4 (pytest-xdist): on 2 cores the suite takes about
# half as long, since many tests wait on servers and processes they start.
test: $(DEV_STAMP) $(LIGHTHOUSE_STAMP)
	@missing=""; \
	command -v named >/dev/null 2>&1 || test -x /usr/sbin/named || missing="$$missing bind9"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v certutil >/dev/null 2>&1 || missing="$$missing libnss3-tools"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing for the tests"; \
		$(SUDO) apt-get install -y $$missing || { $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; }; \
	fi
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --durations=20

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src || true
	$(BIN)/mypy

bench-api: $(DEV_STAMP)
	$(BIN)/python bench/api.py

bench: bench-api
	$(BIN)/python bench/http_clients.py
	$(BIN)/python bench/engine.py
	@command -v linkchecker >/dev/null 2>&1 || { \
		echo 'Installing linkchecker (Debian) to compare the crawler with'; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y linkchecker; }
	$(BIN)/python bench/crawl.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache $(LIGHTHOUSE_DIR)/node_modules
