# The two commands a newcomer needs: `make run` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python

.PHONY: run test install install-test browser lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(BIN)/activate
	$(PY) -m pip install --quiet -e .

install-test: $(BIN)/activate
	$(PY) -m pip install --quiet -e '.[test]'

## run: install and serve on http://127.0.0.1:8000 (SQLite in ./data, catalog seeded on first start)
run: install
	$(BIN)/rackplan serve

## browser: make sure Debian's chromium is present for the browser tests (Playwright uses /usr/bin/chromium)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

## test: install and run the whole test suite (set RACKPLAN_TEST_DATABASE_URL to also run on PostgreSQL)
test: install-test browser
	$(BIN)/pytest -n auto

lint: install-test
	$(BIN)/ruff check app tests benchmarks
	$(BIN)/mypy app/engine

bench: install-test
	$(PY) benchmarks/fidelity.py
	$(PY) benchmarks/engine_speed.py

clean:
	rm -rf $(VENV) data/*.db
