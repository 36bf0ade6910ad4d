# Two commands matter on a fresh machine: `make run` and `make test`. Both set up .venv first.
# `make run` installs only what running needs; `make test`, `make lint` and `make bench` add the
# dev extras (pytest, mypy, playwright, schemathesis, ccxt, …).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# The compiled kernels (setup.py): an edited .pyx reinstalls, which rebuilds them in place.
KERNELS := $(shell find src -name '*.pyx')

.PHONY: run install native test bench lint clean doc-images

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml constraints.txt setup.py $(KERNELS) | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml constraints.txt setup.py $(KERNELS) | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(DEV_STAMP) $(RUN_STAMP)

install: $(RUN_STAMP)

# Rebuild the kernels in place (faster than a reinstall while editing a .pyx).
native: $(DEV_STAMP)
	$(BIN)/python setup.py -q build_ext --inplace

run: $(RUN_STAMP)
	$(BIN)/mdc collect

# The suite spends most of its time waiting on servers, subprocesses and browsers, so it runs on
# TEST_WORKERS pytest-xdist workers (README, Testing); TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 4
test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/provider_parse.py
	$(BIN)/python benchmarks/crypto_replay.py
	$(BIN)/python benchmarks/registry_search.py
	$(BIN)/python benchmarks/nats_bus.py

# The dashboard screenshots in docs/img (docs/dashboard.md), taken by the browser tests.
doc-images: $(DEV_STAMP)
	DOC_IMAGES=1 CI=true $(BIN)/python -m pytest -q tests/e2e/test_operator_pages.py tests/e2e/test_quality_report.py tests/e2e/test_quality_page.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks setup.py
	$(BIN)/ruff format --check src tests benchmarks setup.py
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info
	find src \( -name "*.so" -o -name "*.c" -o -name "*.html" \) -path "*/mdc/*" -delete
