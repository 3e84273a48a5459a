# The two commands: `make run` (set up, migrate, load the demo when empty, serve) and
# `make test` (set up, check, run the whole suite). Nothing but Python 3.11 is needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint format bench clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/geflecht migrate --no-input -v 0
	$(BIN)/geflecht demo --if-empty
	@test ! -f data/demo-logins.txt || (echo "Log in at http://127.0.0.1:8000/ with:"; cat data/demo-logins.txt)
	$(BIN)/geflecht serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/geflecht makemigrations --check --dry-run -v 0
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
