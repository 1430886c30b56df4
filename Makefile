# Two commands for a newcomer: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
DEMO_TO ?= 2015-03
PORT ?= 8000

.PHONY: run install install-dev assets setup demo test test-postgres browser-test lint bench load clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/app.css: static/scss/app.scss node_modules/.installed
	npm run --silent build:css

install: $(VENV)/.installed node_modules/.installed static/vendor/app.css

install-dev: install $(VENV)/.installed-dev

.env:  # owner-only: it holds the secret key
	@umask 077; echo "SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')" > .env
	@echo "Wrote .env with a new random SECRET_KEY (readable by you only)."

setup: install .env
	$(MANAGE) migrate --noinput -v0
	$(MANAGE) import_reference
	$(MANAGE) import_plan fixtures/plan_leicestershire_2014.yaml

demo: setup
	$(MANAGE) seed_demo --to $(DEMO_TO)

run: demo
	@echo ""
	@echo "Serving the dashboard at http://127.0.0.1:$(PORT)/  (Ctrl+C to stop)"
	@echo "Sign in with one of the demo users printed above (their passwords are in var/demo_users.txt)."
	@mkdir -p staticfiles  # whitenoise warns at start-up when STATIC_ROOT is missing; runserver serves from the apps
	$(MANAGE) runserver 127.0.0.1:$(PORT) --noreload

test: install-dev
	$(VENV)/bin/pytest -q -m "not browser"

test-postgres: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pcc} $(VENV)/bin/pytest -q -m "not browser"

browser-test: install-dev
	$(VENV)/bin/pytest -q -m browser -p no:randomly

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -ll -r pcc_dashboard priorities returns reports -x '*/tests/*'

bench: install-dev
	$(PIP) install -q -r bench/requirements.txt
	command -v wrk >/dev/null || apt-get install -y -q wrk >/dev/null 2>&1 || echo "wrk is not installed: the cached-page figures use a Python loop"
	$(PY) bench/run.py

load: install-dev
	bash bench/load.sh

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles var/db.sqlite3
