# liveblog: make install, make demo, make test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install test test-postgres lint demo bench clean check-html fuzz reliability-doc formats-doc man-doc

$(BIN)/liveblog: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

# An editable install leaves the package uncompiled: its bytecode is written here, not by a
# first run (or never, by runs that cannot write the tree): about 25 ms of each start-up.
install: $(BIN)/liveblog
	$(BIN)/python -m compileall -q liveblog_cli

# The suite on every core (a worker a core; the long tests are spread as workers free up).
test: install
	$(BIN)/python -m pytest -q -n auto --dist worksteal

# ruff's lint and format checks, and mypy over the package (config in pyproject.toml).
# The same suite with its archives in a throwaway PostgreSQL (one server per worker, started
# by tests/pgserver.py; tests of SQLite's own file skip; no server binaries: they skip).
test-postgres: install
	LIVEBLOG_TEST_ENGINE=postgres $(BIN)/python -m pytest -q -n auto --dist worksteal

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy liveblog_cli

# The main job, offline: serve the samples on 127.0.0.1, fetch the sample blog (both pages)
# into ./demo.db (never your own archive), show its timeline, stop the server.
demo: install
	cd samples && $(abspath $(BIN))/python demo.py

# The html export rendered by a real headless Chromium (installs Debian's if missing): the
# computed direction of every post of an Arabic and an English export. Here a missing
# Chromium fails the run (in `make test` those tests skip without one); -rs names any skip.
check-html: install
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	LIVEBLOG_CHECK_HTML=1 $(BIN)/python -m pytest -q -rs tests/test_html_render.py

# A long fuzzing run of the parsers (hypothesis, seeded with the corpus and samples).
FUZZ_EXAMPLES ?= 20000
fuzz: install
	LIVEBLOG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_parse_fuzz.py

# The generated docs: each written by the tests that measure it (a plain `make test` only
# compares docs/FORMATS.md and changes no file).
reliability-doc: install
	LIVEBLOG_WRITE_DOCS=1 LIVEBLOG_RACE_SECONDS=40 LIVEBLOG_WORKER_BLOGS=300 \
		LIVEBLOG_WORKER_SECONDS=40 $(BIN)/python -m pytest -q \
		tests/test_reliability.py tests/test_hostile.py tests/test_parse_fuzz.py \
		tests/test_record_order.py tests/test_import_bounds.py tests/test_schedule.py \
		tests/test_discover.py tests/test_identity.py tests/test_serve.py

formats-doc: install
	LIVEBLOG_WRITE_DOCS=1 $(BIN)/python -m pytest -q tests/test_formats_doc.py

# The man page, from the commands' own help and the README's exit codes (`man ./docs/liveblog.1`).
man-doc: install
	$(BIN)/python -m liveblog_cli.cli.manpage README.md > docs/liveblog.1

# Timings as ratios against a floor and peers, measured in one run (see benchmarks/).
bench: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis
