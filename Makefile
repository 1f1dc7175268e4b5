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

.PHONY: install serve test lint bench bench-api clean

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

serve: $(RUNTIME_STAMP)
	$(BIN)/lookout serve

# Debian packages the tests drive: BIND 9 (DNS failover) and Chromium (the /docs page).
# One test process per core, at most 4 (pytest-xdist): on 2 cores the suite takes about
# half as long, since many tests wait on servers and processes they start.
test: $(DEV_STAMP)
	@missing=""; \
	command -v named >/dev/null 2>&1 || test -x /usr/sbin/named || missing="$$missing bind9"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "Installing$$missing for the tests"; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get install -y $$missing || { $$sudo apt-get update && $$sudo apt-get install -y $$missing; }; \
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
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
