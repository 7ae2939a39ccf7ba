# The two commands a user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium

.PHONY: run test lint install chromium bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ero run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The browser tests drive Debian's Chromium (nothing else can be downloaded here).
chromium:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser tests (apt-get)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  { apt-get install -y -qq chromium >/dev/null 2>&1 \
	    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; } \
	  || echo "could not install chromium: run 'apt-get install -y chromium' as root; the browser tests will fail"; }

test: lint chromium
	$(BIN)/pytest

# The peers' packages (Quix Streams) are installed for the benchmark only. BENCH_BASELINE: the
# revision our figures are set against in the same run (the code before performance round two);
# BENCH_ARGS and BENCH_QUERIES_ARGS: more options of each command (`ero-bench pipeline --help`).
BENCH_BASELINE ?= 8bd1a49
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/ero-bench pipeline --baseline $(BENCH_BASELINE) $(BENCH_ARGS)
	$(BIN)/ero-bench queries $(BENCH_QUERIES_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
