# The documented interface: `make dev` and `make test` do all the set-up on a fresh machine
# (virtual environment, dependencies, database, migrations); `make setup` does it alone.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
UV := uv==0.13.8
# One universal lock for Python >= 3.11 and every extra of pyproject.toml.
LOCK_ARGS := pyproject.toml --all-extras --universal --python-version 3.11 --quiet -o $(LOCK)
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
IMAGE ?= adlaan-agent
PORT ?= 2024
# `make test` runs the suite on this server when it answers (and a smoke pass on the embedded one).
LOCAL_PG ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: setup dev test test-unit test-upstream lint bench bench-storage clean lock lock-upgrade test-package
.PHONY: dockerfile image serve bench-serve bench-serve-soak bench-search bench-mirror bench-drafter
.PHONY: bench-mirror-serve

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required (python3 --version)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# requirements.lock pins the whole tree (every extra) and is installed as constraints, so a fresh
# machine gets exactly the tested versions of what `.[dev]` needs and nothing more. The `openai`
# extra (langchain's init_chat_model and one provider) is installed for the tests of the LLM path,
# which point a real provider client at a local endpoint (no key, no network).
# `adlaan serve`'s runtime, langgraph-runtime-pg, pins another langgraph-api: it comes from
# requirements-serve.txt by hash, without its dependencies (docs/serving.md, "Installing").
$(STAMP): pyproject.toml $(LOCK) requirements-serve.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,serve,openai]'
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements-serve.txt
	@touch $(STAMP)

setup: $(STAMP)
	$(BIN)/adlaan migrate

dev: setup
	$(BIN)/adlaan dev --port $(PORT)

# The static checks first (seconds once mypy's cache is warm), then the suite: on the PostgreSQL at
# 127.0.0.1:5432 when one answers there (LOCAL_PG), with a smoke pass on the embedded PostgreSQL
# (the server a machine without one gets); on the embedded PostgreSQL alone otherwise.
# Two workers on PostgreSQL: most of a test's time is a server starting or answering, not CPU;
# a module (and its server) stays on one worker. The embedded server runs one worker at a time.
TEST_WORKERS ?= 2
EMBEDDED_SMOKE ?= tests/integration/test_fixtures.py tests/integration/test_migrations.py \
	tests/integration/test_checkpointer.py tests/integration/test_drafter_server.py
test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(LOCAL_PG)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== the suite on the PostgreSQL at 127.0.0.1:5432 =="; \
		TEST_DATABASE_URL='$(LOCAL_PG)' $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile && \
		echo "== a smoke pass on the embedded PostgreSQL ==" && \
		env -u TEST_DATABASE_URL $(BIN)/python -m pytest -m integration $(EMBEDDED_SMOKE); \
	else echo "== no PostgreSQL at 127.0.0.1:5432: the suite on the embedded PostgreSQL =="; \
		env -u TEST_DATABASE_URL $(BIN)/python -m pytest; fi

# Re-resolve requirements.lock after a change to pyproject.toml's dependencies, keeping every
# version already locked that still fits; lock-upgrade moves everything to the newest that fits.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(UV)'
	$(BIN)/uv pip compile $(LOCK_ARGS)

lock-upgrade: | $(BIN)/python
	$(BIN)/python -m pip install --quiet '$(UV)'
	$(BIN)/uv pip compile --upgrade $(LOCK_ARGS)

# The wheel installed into a throwaway environment migrates and serves outside the checkout
# (minutes: the whole locked tree is installed); not part of `make test`.
test-package: $(STAMP)
	$(BIN)/python -m pip install --quiet '$(UV)'
	ADLAAN_TEST_PACKAGE=1 $(BIN)/python -m pytest tests/integration/test_packaging_installed.py

# The image route: langgraph.json's api_version is the pinned langgraph-api, so the image is
# built on that server (docs/packaging.md). `dockerfile` only writes build/Dockerfile (build it
# with `docker build -f build/Dockerfile .`); `image` builds and tags $(IMAGE):$(VERSION).
dockerfile: $(STAMP)
	mkdir -p build
	LANGGRAPH_CLI_NO_ANALYTICS=1 $(BIN)/langgraph dockerfile -c langgraph.json build/Dockerfile

image: $(STAMP)
	LANGGRAPH_CLI_NO_ANALYTICS=1 $(BIN)/langgraph build -c langgraph.json -t $(IMAGE):$(VERSION)

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

# Upstream's own test suites (downloaded from PyPI), stock saver vs ours; not part of `make test`.
test-upstream: $(STAMP)
	$(BIN)/python -m bench.upstream

# mypy checks the packages listed in pyproject.toml ([tool.mypy] files).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench

# A long drafter conversation's storage and reads, stock vs ours (~15 min); its own section
# of docs/benchmarks.md.
bench-storage: setup
	$(BIN)/python -m bench.storage

# An offline drafter turn through runs.wait and turns/s: langgraph dev vs adlaan serve on 1 and 2
# processes (~4 min; needs Redis); its own section of docs/benchmarks.md.
bench-serve: setup
	$(BIN)/python -m bench.serve

# Offline drafter turn latency next to LangGraph's create_agent with the same model and tools
# (about 8 minutes); its own section of docs/benchmarks.md.
bench-drafter: setup
	$(BIN)/python -m bench.drafter

# 32 clients for 5 minutes on two adlaan serve processes (issue 14): errors must be 0
bench-serve-soak: setup
	$(BIN)/python -m bench.serve --clients 32 --duration 300

# Full-text search at 1,000,000 messages vs ILIKE, and the mirror's lag with 32 clients (hooks
# off / in the server / in a worker); BENCH_DATABASE_URL picks the server (else the embedded one).
bench-search: setup
	$(BIN)/python -m bench.search

bench-mirror: setup
	$(BIN)/python -m bench.mirror

# The same on the production server, `adlaan serve` (needs Redis).
bench-mirror-serve: setup
	$(BIN)/python -m bench.mirror --server serve

# The production server (docs/serving.md): PostgreSQL from DATABASE_URL, Redis from REDIS_URL.
serve: setup
	$(BIN)/adlaan serve --port $(PORT)

clean:
	rm -rf $(VENV) .langgraph_api .pytest_cache .ruff_cache .mypy_cache
