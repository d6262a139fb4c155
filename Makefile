# Crocevia: `make demo` runs the demo on SQLite; `make test` runs lint and the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
export CROCEVIA_INSECURE_DEV_KEY ?= 1

.PHONY: demo test install install-test system-deps assets wheel lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -e '.[test]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# gettext compiles the Italian catalogue; Pango is what WeasyPrint draws PDFs with.
system-deps:
	@command -v msgfmt >/dev/null && ldconfig -p | grep -q libpangoft2-1.0 || \
	  ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q gettext libpango-1.0-0 libpangoft2-1.0-0)

install: system-deps $(VENV)/.installed assets

# What the package serves but git does not keep: the npm packages' files the pages use,
# copied into src/crocevia/static/vendor/, and the Italian catalogue compiled. Building
# the wheel does the same (setup.py); the editable install of a checkout needs this.
assets: system-deps node_modules/.installed $(BIN)/python
	$(BIN)/python build_assets.py

# The wheel that production installs (README, "Production"), into dist/. A fresh build
# directory: files left there by an earlier build must not slip into the wheel.
wheel: system-deps node_modules/.installed $(BIN)/python
	rm -rf build
	$(BIN)/pip wheel --no-deps --wheel-dir dist .

# Chromium for the browser tests; nginx for the two-server test (tests/test_two_servers.py
# runs its own, on loopback: the package's service is not wanted, and stopped if it started).
install-test: install
	@command -v /usr/bin/chromium >/dev/null || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null || ( \
	  $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q --no-install-recommends nginx && \
	  ($(SUDO) systemctl disable --now nginx 2>/dev/null || $(SUDO) service nginx stop 2>/dev/null || true))

demo: install
	mkdir -p var
	DEBUG=1 $(BIN)/crocevia migrate --no-input -v1
	DEBUG=1 $(BIN)/crocevia demo
	@# The job queue's worker (notification e-mails, printed here without EMAIL_HOST; the
	@# audit trail's sealing; the periodic jobs) runs beside the web server, in the
	@# background, and stops with it (Ctrl-C).
	DEBUG=1 $(BIN)/crocevia worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DEBUG=1 $(BIN)/crocevia runserver 127.0.0.1:8000

# lint-imports holds the apps' layer order (ARCHITECTURE.md; contract in pyproject.toml).
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# The migrations check compares the models with the migration files; it needs no data,
# so it runs on an in-memory SQLite (the suite's database may not exist before pytest).
test: install-test lint
	DATABASE_URL=sqlite://:memory: $(BIN)/crocevia makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules var build dist src/crocevia/static/vendor
