# Kezek: `make run` serves the dashboard on the demo data, `make test` runs every test.
# Both set up what they need on a fresh machine; `make setup` is idempotent.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOME_DIR ?= data
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: setup run test test-slow browser nginx bench lock clean vilnius

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kezek needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The embedded default: build the Astana 2017 demo when nothing is published yet.
$(HOME_DIR)/published.json: | $(STAMP)
	$(BIN)/kezek update --source demo:astana-2017 --home $(HOME_DIR)

run: setup $(HOME_DIR)/published.json
	$(BIN)/kezek serve --home $(HOME_DIR) --host $(HOST) --port $(PORT)

# A real city's published lists as a series (examples/vilnius/README.md); again: appends new days.
VILNIUS ?= ../shared/data/vilnius
vilnius: setup
	$(BIN)/kezek update --source $(VILNIUS) --mapping examples/vilnius/mapping.toml --home data/vilnius
	@echo "to see it: make run HOME_DIR=data/vilnius"

# Debian's Chromium for the end-to-end tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The suite runs on every core (pytest-xdist): on two cores about 7.8 minutes instead of 12.4.
TEST_WORKERS ?= auto

test: setup browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

test-slow: setup browser
	KEZEK_SLOW=1 $(BIN)/python -m pytest -n $(TEST_WORKERS)

# Debian's nginx for the scale-out benchmark (bench/scale_out.py, deploy/serve-many.sh).
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  echo "installing Debian's nginx for the scale-out benchmark"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq nginx-light >/dev/null; }

bench: setup nginx
	$(BIN)/python bench/run.py

# Upgrade deliberately: re-resolve the pinned versions (needs uv: pip install uv).
lock:
	uv pip compile pyproject.toml build-requirements.in --extra test --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
