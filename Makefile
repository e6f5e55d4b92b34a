# liveblog: make install, make demo, make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?=

.PHONY: install test lint demo bench clean check-html

$(BIN)/liveblog: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/liveblog

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The main job, offline: archive a sample Guardian page, then show its timeline.
demo: install
	$(BIN)/liveblog parse samples/guardian-tallships.dcr.json --save > /dev/null
	$(BIN)/liveblog show uk-news/live/2026/jun/13/port-elstow-tall-ships-festival-live

# The html export rendered by a real headless Chromium (installs Debian's if missing).
check-html: install
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/python -m pytest -q tests/test_html_render.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
