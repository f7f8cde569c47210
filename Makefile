# PST Pilot: the two commands of the README, and a few more.
#   make run   install what the app needs (in .venv) and start it on the embedded SQLite database
#   make test  install what the tests need (Python packages, Debian's Chromium) and run them all
#   make bench build the benchmark databases, run the benchmarks, write benchmarks/README.md
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501

.PHONY: run test test-fast bench browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/python -m pst_data migrate
	$(BIN)/streamlit run ui/server.py --server.port $(PORT)

# Debian's Chromium for the browser journeys (Playwright's own download is not used), DejaVu
# fonts (accents, € and ’ in generated documents), and nginx (the single sign-on test runs the
# app behind a real reverse proxy).
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] && \
	   { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-dejavu-core nginx; }

# In parallel (pytest-xdist, one worker per core): every worker builds databases of its own;
# each browser journey file stays on one worker (its journeys share a server, in order).
PYTEST_PARALLEL ?= -n auto --dist loadgroup

test: $(VENV)/.installed-dev browser
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

# The quick loop while coding: everything on SQLite, without the PostgreSQL runs of the same
# tests, the browser journeys and the benchmarks' smoke run (all three in make test).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_PARALLEL) -m "not browser and not bench and not postgres"

# Benchmarks at three scales, SQLite and PostgreSQL, against the floor and the textbook approach
# (benchmarks/README.md). BENCH_ARGS="--quick" for fewer runs; see python -m benchmarks --help.
bench: $(VENV)/.installed-dev browser
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
