# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

# make run: development mode (DEBUG=true: development keys, SQLite, filesystem storage) and the
# built-in sandbox endpoint. These keys are the sandbox's own demo keys, not Volcengine credentials.
DEMO_ENV := DEBUG=true \
	VOLC_SANDBOX_ENABLED=true \
	VOLC_ACCESSKEY=AKLTsandboxdemo0001 \
	VOLC_SECRETKEY=sandbox-demo-secret-not-real \
	VOLC_VMS_ENDPOINT=http://$(HOST):$(PORT)/sandbox/vms/ \
	PORTAL_PUBLIC_BASE_URL=http://$(HOST):$(PORT)

.PHONY: run test test-fast install lint bench bench-scale serve clean backup restore

# The exact versions of requirements.lock (pyproject's `dev` extra, hashed), then the portal itself.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var/static
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo "Portal: http://$(HOST):$(PORT)/  (demo users and passwords: README.md)"
	@# One task worker beside the server; Ctrl-C stops both.
	$(DEMO_ENV) $(PY) manage.py db_worker --no-startup-delay & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# The suite runs on portal.test_settings (pyproject.toml): DEBUG and the sandbox on, stated there.
test: $(STAMP)
	$(PY) -m pytest

# Without the browser and PostgreSQL tests.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not e2e and not postgres"

.PHONY: fmt
fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy portal filings
	$(VENV)/bin/bandit -q -r portal filings

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run_all.py

# The large sizes (docs/PERFORMANCE.md): the audit trail 10k -> 1M events and its plot, bulk sends,
# list pages at 100k companies, 50 users on gunicorn + PostgreSQL, the 300-company import.
bench-scale: $(STAMP)
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) bench/run_all.py --scale

serve: $(STAMP)
	DEBUG=false $(PY) manage.py collectstatic --noinput -v0
	DEBUG=false $(VENV)/bin/gunicorn portal.wsgi --bind $(HOST):$(PORT) --workers 3 --access-logfile -

# PostgreSQL backup and restore (README, "Backup and restore"), with the portal's environment.
BACKUP_DIR ?= var/backups/$(shell date -u +%Y%m%dT%H%M%SZ)
backup: $(STAMP)
	$(PY) -m portal.backup dump $(BACKUP_DIR)

restore: $(STAMP)
	$(if $(filter command line environment,$(origin BACKUP_DIR)),,\
	  $(error make restore BACKUP_DIR=<the folder make backup wrote>))
	$(PY) -m portal.backup restore $(BACKUP_DIR)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
