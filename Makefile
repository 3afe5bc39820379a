# Two commands for a fresh machine (see README):
#   make demo   - set up, generate the Qingpu demo, load it, serve the dashboard
#   make test   - set up (incl. Debian chromium + CJK fonts for browser tests) and run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test lint bench system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Browser tests drive Debian's Chromium (never `playwright install`, which needs the internet); the
# briefing tests read the printed PDF back with poppler-utils (pdfinfo, pdffonts, pdftotext, pdftoppm).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
		echo "installing chromium, fonts-noto-cjk and poppler-utils"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	fi

demo: setup
	# The demo runs with sign-in explicitly off (see docs/security.md); production never sets this.
	VITALS_AUTH=off $(BIN)/vitals demo

lint: setup
	$(BIN)/ruff check .

test: setup system-deps lint
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/run.py
