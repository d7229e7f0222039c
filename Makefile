# vanthu — two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-clock lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/vanthu demo --dir var/demo

# The suite on PYTEST_WORKERS processes (pytest-xdist; the kill-and-restart tests run one at a time, see
# tests/conftest.py); a skipped test fails the run, so that SQLite, PostgreSQL and the mail stack are all
# exercised (make test PYTEST_FLAGS= on a machine without them).
PYTEST_WORKERS ?= 2
PYTEST_FLAGS   ?= --fail-on-skip
PYTEST         := $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_FLAGS)

test: $(STAMP)
	$(PYTEST) tests

# The whole suite twice, with every test deployment's clock (worker processes included) started on a
# working-day morning and on a Sunday night: no test may depend on when it runs.
test-clock: $(STAMP)
	VANTHU_TEST_CLOCK=2026-12-07T08:00:00+07:00 $(PYTEST) tests
	VANTHU_TEST_CLOCK=2026-12-06T23:30:00+07:00 $(PYTEST) tests

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench.numbering
	$(BIN)/python -m bench.latency
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.digest

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
