# Two commands for a newcomer: `make run` and `make test`. Both set up .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# GraphiQL's browser assets (React, GraphiQL, the explorer plugin), pinned by their lockfile
# and served by Hello itself (server/graphiql.py), so the page works offline.
GRAPHIQL := static/graphiql

.PHONY: run test schema migrations migrate check fmt clean bench bench-services chaos

$(STAMP): pyproject.toml $(GRAPHIQL)/package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@if command -v npm >/dev/null 2>&1; then \
		echo "npm ci in $(GRAPHIQL)"; \
		(cd $(GRAPHIQL) && npm ci --no-audit --no-fund --loglevel=error) || \
		echo "npm ci failed in $(GRAPHIQL): GraphiQL will load its scripts from unpkg.com."; \
	else \
		echo "npm not found: GraphiQL will load its scripts from unpkg.com (internet needed)."; \
		echo "Install Node.js and npm, then run: cd $(GRAPHIQL) && npm ci"; \
	fi
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/hello migrate
	$(BIN)/hello serve

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

migrate: $(STAMP)
	$(BIN)/hello migrate

schema: $(STAMP)
	$(BIN)/hello schema > schema.graphql

migrations: $(STAMP)
	$(BIN)/hello makemigrations

# Layers and modules first (import-linter, contracts in pyproject.toml), then ruff and mypy.
check: $(STAMP)
	$(BIN)/lint-imports --no-logo
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Benchmarks (see the README): the table of figures and ratios, and bench/results/<date>.json.
# wrk, the load generator, is a Debian package, installed here on first use; graphql-yoga (the
# peer) is installed by the bench itself with `npm ci` in bench/yoga. BENCH_ARGS=--quick for
# short runs, BENCH_ARGS="--only NAME" for one scenario.
WRK := command -v wrk >/dev/null 2>&1 || { \
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	$$SUDO apt-get install -y wrk || { $$SUDO apt-get update && $$SUDO apt-get install -y wrk; }; }

bench: $(STAMP)
	@$(WRK)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-services: $(STAMP)
	@$(WRK)
	$(BIN)/python -m bench --services $(BENCH_ARGS)

# Faults (README, Failure modes): Redis killed for 5 s and 15 s, a process SIGKILLed, PostgreSQL
# connections terminated, under load; prints sent, delivered, lost, duplicated and recovery time
# per fault. Needs redis-server (its own, on a free port) and PostgreSQL (HELLO_TEST_DATABASE_URL,
# default postgres://postgres@127.0.0.1:5432/postgres). CHAOS_ARGS=--small for the suite's scale.
chaos: $(STAMP)
	$(BIN)/python -m tests.reliability.chaos $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) data/*.sqlite3* .pytest_cache .mypy_cache .ruff_cache
