# Two commands for a fresh machine (see README):
#   make demo   - set up, generate the Qingpu demo, load it, serve the dashboard
#   make test   - set up (incl. Debian chromium + CJK fonts for browser tests), ruff, mypy, every test
# CI (.ci/run) also runs `make test-clock`: the clock-sensitive suites at three adversarial instants.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Exact versions: requirements.lock (the app + the demo extra), requirements-test.lock (+ the test extra).
LOCK := requirements.lock
TEST_LOCK := requirements-test.lock
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# mypy --strict runs on these packages (issue 15, item 4).
TYPED := metrics etl

.PHONY: setup setup-test demo test test-clock lint typecheck lock bench bench-soak system-deps

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) $(TEST_LOCK)
	$(BIN)/python -m pip install --quiet -r $(TEST_LOCK)
	touch $(TEST_STAMP)

setup: $(STAMP)

setup-test: $(TEST_STAMP)

# Regenerate the locks after changing dependencies in pyproject.toml (needs the package index).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.5,<1'
	$(BIN)/uv pip compile pyproject.toml --extra demo --universal --python-version 3.11 --no-header \
		--annotation-style line -o $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 --no-header \
		--annotation-style line -c $(LOCK) -o $(TEST_LOCK)

# Browser tests drive Debian's Chromium (never `playwright install`, which needs the internet); the
# briefing tests read the printed PDF back with poppler-utils (pdfinfo, pdffonts, pdftotext, pdftoppm);
# make test-clock runs suites under Debian's libfaketime; the Spark equality test (tests/spark) starts
# pyspark on Debian's Java 17 (openjdk-17-jre-headless).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ] || [ ! -x /usr/bin/faketime ] \
			|| ! ls /usr/lib/jvm/java-17-openjdk-*/bin/java >/dev/null 2>&1 \
			|| ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		echo "installing chromium, fonts-noto-cjk, poppler-utils, faketime and openjdk-17-jre-headless"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
			poppler-utils faketime openjdk-17-jre-headless >/dev/null; \
	fi

demo: setup
	# The demo runs with sign-in explicitly off (see docs/security.md); production never sets this.
	VITALS_AUTH=off $(BIN)/vitals demo

lint: setup-test
	$(BIN)/ruff check .

typecheck: setup-test
	$(BIN)/mypy --strict $(TYPED)

test: setup-test system-deps lint typecheck
	$(BIN)/python -m pytest

# The suites that read the clock, at instants where calendars turn: a Monday 00:30 in Shanghai (an empty
# week), New Year 00:10 (an empty month, quarter and year), 29 February. libfaketime shifts the real
# clock of the whole process (Python's datetime.now, DuckDB's now()); tests/clock.py takes THE test
# instant from it. Browser tests and the few `real_clock` tests (timed waits in threads, file times) stay
# at the real time; they are pinned to tests/clock.py's instant like every test.
CLOCK_INSTANTS := '2026-06-01 00:30:00 +0800' '2027-01-01 00:10:00 +0800' '2028-02-29 12:00:00 +0800'
CLOCK_SUITES := tests/dashboard tests/metrics tests/etl/test_demo.py tests/etl/test_snapshots.py \
	tests/etl/test_load_core.py

test-clock: setup-test system-deps
	@for at in $(CLOCK_INSTANTS); do \
		echo "== pytest at $$at (faketime)"; \
		want=$$(date -d "$$at" +%s); \
		faketime "$$at" $(BIN)/python -c "import sys, time, duckdb; \
			got = (time.time(), duckdb.sql('SELECT epoch(now())').fetchone()[0]); \
			sys.exit(0 if all(abs(g - $$want) < 300 for g in got) else f'faketime misses Python or DuckDB: {got}')" \
			|| exit 1; \
		faketime "$$at" $(BIN)/python -m pytest -q -p no:cacheprovider -m 'not real_clock' $(CLOCK_SUITES) \
			|| exit 1; \
	done

# bench/run.py builds the district demo unless WAREHOUSE=dir is given; its last step is the 50-user load
# test (bench/load_test.py, 2 minutes, Chromium records the callbacks: hence the test extra).
bench: setup-test
	$(BIN)/python bench/run.py $(if $(WAREHOUSE),--warehouse $(WAREHOUSE))

# 30-minute soak of the load test on an existing warehouse: make bench-soak WAREHOUSE=/path/to/dir
bench-soak: setup-test
	$(BIN)/python bench/load_test.py --warehouse $(WAREHOUSE) --soak
