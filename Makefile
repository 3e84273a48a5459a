# The two commands: `make run` (set up, migrate, load the demo when empty, serve) and
# `make test` (set up, check, run the whole suite). Python 3.11 and Node.js (npm) are needed;
# npm only installs the front-end libraries the app serves itself (htmx, Cytoscape.js).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml package-lock.json | cksum | cut -d' ' -f1)
VENDOR := src/geflecht/web/static/vendor

# The suite runs on every core, a test file per worker (its module fixtures built once).
PYTEST_WORKERS ?= -n auto --dist loadfile

.PHONY: run test lint format bench clean

$(STAMP): requirements.lock pyproject.toml package.json package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/cytoscape/dist/cytoscape.min.js $(VENDOR)/
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
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_WORKERS)

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info node_modules $(VENDOR)
