# Two commands do all set-up on a bare machine with Python 3.11 and make:
#   make demo   - install, migrate the embedded SQLite database, load the demo, serve
#   make test   - install and run the whole suite
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
PYTHON ?= python3
UV_HOME := .uv
UV := $(UV_HOME)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
HTMX_VERSION := 2.0.11
CHARTJS_VERSION := 4.6.1

.PHONY: demo test lint bench install vendor clean

$(UV):
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/python -m pip install --quiet --disable-pip-version-check uv

$(BIN)/cxhub: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

install: $(BIN)/cxhub

demo: install
	$(BIN)/cxhub migrate
	$(BIN)/cxhub demo
	@echo
	@echo "  cxhub is starting on http://$${CXHUB_HOST:-127.0.0.1}:$${CXHUB_PORT:-8000}"
	@echo "  demo logins (password: demo-password):"
	@echo "    admin@lumen.example      admin            Lumen Care (in-house)"
	@echo "    director@lumen.example   cx_director      Lumen Care"
	@echo "    vendors@lumen.example    partner_manager  Lumen Care"
	@echo "    lead@lumen.example       team_lead        Lumen Care"
	@echo "    qa@lumen.example         qa_analyst       Lumen Care"
	@echo "    agent@lumen.example      agent            Lumen Care"
	@echo "    lead@atlantic.example    team_lead        Atlantic CX (partner, Lisbon)"
	@echo "    agent@atlantic.example   agent            Atlantic CX"
	@echo "    agent@pacific.example    agent            Pacific Contact (partner, Manila)"
	@echo "    sydney@pacific.example   agent            Pacific Contact (partner, Sydney)"
	@echo "  mail the hub sends is written to $${CXHUB_MAIL_OUTBOX:-$${CXHUB_DATA_DIR:-.cxhub}/outbox} (CXHUB_MAIL_OUTBOX)"
	@echo
	CXHUB_MAIL_OUTBOX=$${CXHUB_MAIL_OUTBOX:-$${CXHUB_DATA_DIR:-.cxhub}/outbox} $(BIN)/cxhub serve

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests migrations benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	@tmp=$$(mktemp -d); export CXHUB_DATABASE_URL=sqlite:///$$tmp/check.sqlite3; \
	  $(BIN)/cxhub migrate >/dev/null && $(BIN)/alembic check; rc=$$?; rm -rf $$tmp; exit $$rc

bench: install
	@shopt -s nullglob; for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# Re-vendor the pinned front-end files (htmx stays on 2.x; the registry's latest is 4.x).
vendor:
	cd $$(mktemp -d) && npm pack --silent htmx.org@$(HTMX_VERSION) chart.js@$(CHARTJS_VERSION) >/dev/null && \
	  tar xzf htmx.org-$(HTMX_VERSION).tgz && cp package/dist/htmx.min.js package/LICENSE $(CURDIR)/src/cxhub/static/vendor/htmx/ && rm -rf package && \
	  tar xzf chart.js-$(CHARTJS_VERSION).tgz && cp package/dist/chart.umd.min.js package/LICENSE.md $(CURDIR)/src/cxhub/static/vendor/chartjs/

clean:
	rm -rf $(VENV) $(UV_HOME) .pytest_cache .mypy_cache .ruff_cache
