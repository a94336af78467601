# Two commands: `make run` (workbench + capture worker, embedded defaults)
# and `make test` (the whole suite against PostgreSQL and Redis).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The settings' VAR_DIR: SQLite, the embedded broker, beat's schedule, logins.
VAR_DIR ?= var
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/factcheck
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test setup lint format messages requirements bench clean

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null || { \
	  echo "error: Python 3.13 or newer is needed (see .python-version);"; \
	  echo "       '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo missing)."; \
	  echo "       Install it, or point make at it: make PYTHON=python3.13 run"; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.runtime: $(VENV)/.python-ok requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.runtime
	@# The database (password hashes, live sessions), the broker and the
	@# archive: for this user only, whatever the umask.
	@mkdir -p $(VAR_DIR)/broker $(VAR_DIR)/broker-control && chmod 700 $(VAR_DIR)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compiletranslations

run: setup
	@# The admin's password: readable by this user only, whatever the umask.
	@# Not piped through tee, whose exit status would hide a failed loaddemo.
	@# At WARNING, as the worker and server below: not a line per queued capture.
	@rm -f $(VAR_DIR)/demo-logins.txt; umask 077; \
	LOG_LEVEL=$${LOG_LEVEL:-WARNING} $(PY) manage.py loaddemo > $(VAR_DIR)/demo-logins.txt; \
	loaded=$$?; \
	cat $(VAR_DIR)/demo-logins.txt; exit $$loaded
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: /admin/, logins kept in $(VAR_DIR)/demo-logins.txt)"
	@echo "Logging warnings and errors only; LOG_LEVEL=INFO make run shows every request and task."
	@# The worker has a process group of its own, and the trap stops it with
	@# one SIGTERM: a signal to the whole group (Ctrl-C, an IDE's stop button,
	@# timeout, kill -- -PGID) would reach its pool processes too, and its
	@# shutdown then hung for good on a lock that a stopped child held.
	@export LOG_LEVEL=$${LOG_LEVEL:-WARNING} SITE_URL=$${SITE_URL:-http://localhost:$(PORT)}; \
	$(PY) -c 'import os, sys; os.setpgid(0, 0); os.execv(sys.argv[1], sys.argv[1:])' \
	    $(VENV)/bin/celery -A factcheck worker --beat --schedule $(VAR_DIR)/celerybeat-schedule & \
	worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM HUP; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev
	@$(PY) tests/ensure_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium >/dev/null; }
	$(PY) manage.py compiletranslations
	DEBUG=false SECRET_KEY=collectstatic $(PY) manage.py collectstatic --noinput --verbosity 0
	DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)" \
	  $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l de --no-obsolete \
	    --ignore=.venv --ignore=tests --ignore=bench --ignore=staticfiles

requirements: $(VENV)/.dev
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
	    -o requirements.txt requirements.in
	$(VENV)/bin/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
	    --allow-unsafe -o requirements-dev.txt requirements-dev.in

# Benchmarks (not part of `make test`): figures go to docs/benchmarks.md.
# The 100,000-claim database is generated once and kept (bench_web_100000).
bench: $(VENV)/.dev
	@command -v wrk >/dev/null || { \
	  echo "Installing Debian's wrk for the load tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq wrk >/dev/null; }
	@$(PY) tests/ensure_services.py "$(TEST_DATABASE_URL)" "$(TEST_REDIS_URL)"
	$(PY) -m bench.web $(BENCH_WEB_ARGS)
	$(PY) -m bench.capture $(BENCH_CAPTURE_ARGS)

clean:
	rm -rf $(VENV) var staticfiles test-artifacts
