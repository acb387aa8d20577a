# The two commands: `make run` and `make test`. Everything else is a helper they use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The demo is pinned to a day on which it shows open and closed discussions (ASHYQ_NOW).
DEMO_NOW ?= 2026-12-01T10:00:00+05:00
HOST ?= 127.0.0.1
PORT ?= 8000
# Three test processes, a file each at a time (pytest-xdist): most tests wait on Chromium, servers
# and subprocesses, so three keep two cores busy (14 min serially, under 7 in parallel).
# `make test PYTEST_ARGS=` runs them one after another.
PYTEST_ARGS ?= -n 3 --dist loadfile

.PHONY: run test install install-test build serve bench clean

# The demo: build, give the ended discussions their history (proposals, answers, a refusal,
# final reports; idempotent), build again with it, serve. Feeds and sitemap link to HOST:PORT.
run: install build
	ASHYQ_NOW=$(DEMO_NOW) ASHYQ_DEMO_SIGNER=true $(BIN)/ashyq seed-demo
	ASHYQ_NOW=$(DEMO_NOW) $(BIN)/ashyq build --site-url http://$(HOST):$(PORT)
	ASHYQ_NOW=$(DEMO_NOW) ASHYQ_DEMO_SIGNER=true $(BIN)/ashyq serve --host $(HOST) --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

build: install
	ASHYQ_NOW=$(DEMO_NOW) $(BIN)/ashyq build --site-url http://$(HOST):$(PORT)

bench: install-test
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/all.py

clean:
	rm -rf output .output.builds var/cache
