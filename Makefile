# blindside: two commands.
#   make run   set up everything, print an admin sign-in link, serve http://127.0.0.1:8501
#   make test  set up everything and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
LITELLM_VERSION := $(shell sed -n 's/^litellm\[proxy\]==//p' requirements-litellm.txt)
# Where tests/integration/test_litellm.py looks for it too (Path.home(), not $HOME: CI may lack it).
HOME_DIR := $(shell $(PYTHON) -c 'import pathlib; print(pathlib.Path.home())')
LITELLM_VENV ?= $(HOME_DIR)/.cache/blindside/litellm-$(LITELLM_VERSION)

.PHONY: run test lint init clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when pyproject.toml changes, so a second `make run` is quick.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python $(LITELLM_VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

# The LiteLLM proxy of tests/integration/test_litellm.py, in a venv of its own (its pins would
# move ours), shared by every checkout on the machine: one build per LiteLLM version.
# No prerequisite: the path names the version, so a new pin is a new venv, and a checkout's
# fresh file times never rebuild a shared one.
$(LITELLM_VENV)/.installed:
	$(PYTHON) -m venv $(LITELLM_VENV)
	$(LITELLM_VENV)/bin/python -m pip install --quiet -r requirements-litellm.txt
	touch $@

init: $(VENV)/.installed-run
	$(BIN)/blindside init --demo

# Each start prints a fresh one-time sign-in link for the admin (added on a fresh setup);
# issuing it ends no session that is already signed in.
run: init
	$(BIN)/blindside raters admin-link --base-url "$${BLINDSIDE_BASE_URL:-http://127.0.0.1:$(PORT)}"
	$(BIN)/python -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	BLINDSIDE_LITELLM_BIN=$(LITELLM_VENV)/bin/litellm $(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) blindside.db blindside.db-wal blindside.db-shm
