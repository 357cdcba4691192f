# Two commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# `make run PORT=9000 HOST=0.0.0.0` overrides; without them `agadir serve` applies its own
# precedence (AGADIR_PORT, agadir.toml, default 127.0.0.1:8080), so the Makefile passes
# --host/--port only when they are given on the make command line.
SERVE_ARGS := $(if $(filter command line,$(origin HOST)),--host $(HOST)) \
	$(if $(filter command line,$(origin PORT)),--port $(PORT))
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

# axe-core (accessibility checks in the browser tests): npm package, fetched into a cache, never committed.
AXE_VERSION ?= 4.14.1
AXE := .cache/web-test/node_modules/axe-core/axe.min.js

.PHONY: run test lint bench install dev clean web-test-deps academy tune-converters

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEVSTAMP): $(STAMP)
	# the CPU torch first, so the `tune` extra's torch>=2.4 is already met and no CUDA build is pulled
	$(BIN)/pip install --quiet 'torch==2.13.0'
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(STAMP)

# llama.cpp's GGUF converters for `agadir tune export`: unpacked from llama-cpp-python's sdist
# (the installed version) into the venv, never copied into this repo (agadir/tune/converter.py).
CONVSTAMP := $(VENV)/share/agadir/llama.cpp/VERSION

$(CONVSTAMP): $(DEVSTAMP)
	$(BIN)/python -m agadir.tune.converter install
	touch $@

tune-converters: $(CONVSTAMP)

dev: $(DEVSTAMP) $(CONVSTAMP)

run: $(STAMP)
	$(BIN)/agadir serve $(strip $(SERVE_ARGS))

$(AXE):
	npm install --silent --no-save --no-audit --no-fund --prefix .cache/web-test axe-core@$(AXE_VERSION)

web-test-deps: $(AXE)

test: $(DEVSTAMP) $(CONVSTAMP) $(AXE)
	$(BIN)/python -m pytest -q

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench scripts academy
	$(BIN)/ruff format --check src tests bench scripts academy
	$(BIN)/mypy

bench: $(DEVSTAMP)
	$(BIN)/python bench/run_all.py

# Every lab of academy/ as a script; each ends with its own checks (asserts). The code cells are
# the same in the three languages, so English alone is the default.
ACADEMY_LANGS ?= en
academy: $(DEVSTAMP)
	@set -e; for lang in $(ACADEMY_LANGS); do for lab in academy/lab*.$$lang.py; do \
		echo "== $$lab"; $(BIN)/python $$lab; done; done

clean:
	rm -rf $(VENV) build dist src/*.egg-info
