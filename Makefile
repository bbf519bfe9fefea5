# proofloop: `make run` serves it locally with demo data; `make test` runs every check and test tier.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
STAGE ?= prod
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test lint typecheck unit integration browser package package-lint bench load system-deps catalogs docs lock clean

$(STAMPS)/venv: requirements.txt requirements-dev.txt
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@touch $@

# requirements.in (what the Lambda runs) and requirements-dev.in (everything else) name what we use; `make lock`
# pins every package they pull in, transitive ones too, with the hashes of its published files: requirements.txt
# (what `chalice package` builds the function from) and requirements-dev.txt (what `make` installs, checked).
LOCK := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(STAMPS)/venv
	$(LOCK) --output-file requirements.txt requirements.in
	$(LOCK) --output-file requirements-dev.txt requirements-dev.in

$(STAMPS)/node: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The compiled message catalogs (.mo) are build output: made from the committed .po files when they change.
CATALOGS := $(wildcard chalicelib/locales/*/LC_MESSAGES/messages.po)
$(STAMPS)/catalogs: $(STAMPS)/venv $(CATALOGS) scripts/catalogs.py
	$(BIN)/python scripts/catalogs.py compile
	@touch $@

# The crawler index the clicks read (chalicelib/sharing/crawlers.json) is build output too: made from the installed
# crawler-user-agents list, again when the list's version or the script changes.
CRAWLER_INDEX := chalicelib/sharing/crawlers.json
$(CRAWLER_INDEX): $(STAMPS)/venv scripts/crawlers.py
	$(BIN)/python scripts/crawlers.py

# After changing a message in a template or the code: refresh messages.pot and every language's .po.
catalogs: $(STAMPS)/venv
	$(BIN)/python scripts/catalogs.py extract

# After changing the route table (chalicelib/routes.py): rewrite docs/api.md's route list from it (a unit test
# fails while it differs).
docs: $(STAMPS)/venv
	$(BIN)/python scripts/route_docs.py

# Java (DynamoDB Local) and Chromium (browser tier) come from Debian's packages.
system-deps:
	@bash scripts/system-deps.sh

# DynamoDB Local keeps its data in .data/ between runs; `make run RESET=1` starts empty.
run: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/catalogs $(CRAWLER_INDEX)
	@bash scripts/system-deps.sh java
	$(BIN)/python -m localdev.server $(if $(RESET),--reset)

lint: $(STAMPS)/venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMPS)/venv
	$(BIN)/mypy chalicelib

# The unit tier (moto, no servers) runs on every core. The server tiers start their servers once per process (DynamoDB
# Local, the API server, Chromium, on free ports): `make test` runs them in two processes, a test file in one of them.
unit: $(STAMPS)/venv $(STAMPS)/catalogs $(CRAWLER_INDEX)
	$(BIN)/pytest -n auto tests/unit

integration: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/catalogs $(CRAWLER_INDEX) system-deps
	$(BIN)/pytest tests/integration

browser: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/catalogs $(CRAWLER_INDEX) system-deps
	$(BIN)/pytest tests/browser

package: $(STAMPS)/venv $(STAMPS)/catalogs $(CRAWLER_INDEX)
	$(BIN)/python scripts/package.py --stage $(STAGE)

package-lint: $(STAMPS)/venv $(STAMPS)/catalogs $(CRAWLER_INDEX)
	$(BIN)/python scripts/package.py --stage dev
	$(BIN)/python scripts/package.py --stage prod
	$(BIN)/cfn-lint dist/dev/sam.json dist/dev/table.json dist/prod/sam.json dist/prod/table.json

test: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/catalogs $(CRAWLER_INDEX) system-deps lint typecheck package-lint
	$(BIN)/pytest -n auto tests/unit
	$(BIN)/pytest -n 2 --dist loadfile tests/browser tests/integration

bench: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/catalogs $(CRAWLER_INDEX) system-deps
	$(BIN)/python bench/run.py

# The bounded load test on loopback (DynamoDB Local + the API server); e.g. make load ARGS="--faults 0.1"
load: $(STAMPS)/venv $(STAMPS)/node $(STAMPS)/catalogs $(CRAWLER_INDEX) system-deps
	$(BIN)/python -m localdev.load $(ARGS)

clean:
	rm -rf $(VENV) $(STAMPS) node_modules dist .pytest_cache .mypy_cache .ruff_cache
	rm -f chalicelib/locales/*/LC_MESSAGES/*.mo $(CRAWLER_INDEX)
