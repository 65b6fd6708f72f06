# The two commands of README: `make run` and `make test`. Everything they need is installed
# here, idempotently: a second run reuses the virtualenv, node_modules and system packages.
SHELL := /bin/bash
# Debian's own python3, which docs/deploy.md installs, when there is one: a python3 found first
# on PATH (pyenv, a hand-built one) may lack the optimised build, and then every measurement
# of `make bench` and `make load` is of a slower interpreter than the one the district runs
# (the same Django page cost 20% more CPU on this machine's pyenv 3.11.7).
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Development defaults for `make run` only; production sets its own environment.
RUN_ENV := DEBUG=$${DEBUG:-1}

.PHONY: run serve install sysdeps test test-fast deploy-check bench load lint format messages clean-db

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The page scripts (upload, offline) and the service worker: npm packages and our code,
# bundled by esbuild from assets/js/ into static/build/ (not committed).
static/build/evidence-upload.js: node_modules/.installed $(wildcard assets/js/*.js)
	npm run --silent build

sysdeps:
	@bash scripts/system-deps.sh run

install: sysdeps $(VENV)/.installed node_modules/.installed static/build/evidence-upload.js

messages: $(VENV)/.installed
	@$(RUN_ENV) $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0

run: install messages
	$(RUN_ENV) $(PY) manage.py migrate --no-input -v0
	$(RUN_ENV) $(PY) manage.py load_demo
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

serve:
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# Lint (with the import contract), then the whole suite on a throwaway PostgreSQL cluster,
# browser tests in headless Chromium.
test: install messages lint
	@bash scripts/system-deps.sh test
	@bash scripts/test.sh

# Inner loop: SQLite in memory, no browser, no PostgreSQL-only tests. The front-end packages
# and the upload bundle too: `check --deploy` looks for the static directories they fill.
test-fast: $(VENV)/.installed node_modules/.installed static/build/evidence-upload.js messages
	DATABASE_URL=sqlite:// $(PY) -m pytest -m "not browser and not postgres" $(ARGS)

# docs/deploy.md as written, on this machine: nginx, gunicorn, PostgreSQL, the environment
# file, the wrapper and the scheduled jobs, all taken from the guide (scripts/deploy_check.py).
# `make test` runs it too (tests/test_deploy_check.py).
deploy-check: install messages
	@bash scripts/system-deps.sh test
	@bash scripts/deploy-check.sh

bench: install
	@bash scripts/system-deps.sh test
	@bash scripts/bench.sh $(ARGS)

# 50 simulated people for 60 s against gunicorn on PostgreSQL (database kla_load), then a check
# that every confirmed upload is stored intact. Smaller: make load ARGS="--users 5 --seconds 10"
load: install
	@bash scripts/system-deps.sh test
	$(PY) scripts/load.py $(ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .
