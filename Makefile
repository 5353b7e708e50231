# The two commands a newcomer types: `make run USER=tim` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
USER ?= $(shell id -un)
# The Rust extension's build cache lives outside the clone: a fresh clone builds in seconds.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/pravechat/cargo-target
export PATH := $(HOME)/.cargo/bin:$(PATH)
NATIVE := native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs)

.PHONY: setup run test test-unit test-pravega test-terminal test-slow test-durable test-cluster soak server \
	stop lint bench audit clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(NATIVE)
	@scripts/install-system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,baseline]'
	@touch $(STAMP)

server: setup
	$(BIN)/pravechat server start

run: server
	$(BIN)/pravechat --user $(USER)

# Every tier but the slow one. Each tier runs alone too: unit (no server, seconds), pravega
# (a real server), terminal (the real program in tmux).
test: server
	$(BIN)/pytest

test-unit: setup
	$(BIN)/pytest tests/unit

test-pravega: server
	$(BIN)/pytest tests/pravega

test-terminal: server
	$(BIN)/pytest tests/terminal

# The durable server's and the cluster's tests start their JVMs (4 and 8), again and again:
# minutes, so a suite of its own.
test-slow: setup
	$(BIN)/pytest -m durable -s tests/slow

test-durable: test-slow

# The cluster's fault drills alone (part of test-slow), with their stall table.
test-cluster: setup
	$(BIN)/pytest -m durable -s tests/slow/test_cluster.py

soak: server
	PRAVECHAT_LOAD_CLIENTS=20 PRAVECHAT_LOAD_MESSAGES=500 $(BIN)/pytest -s tests/pravega/test_load.py
	PRAVECHAT_FAULT_RESTARTS=5 PRAVECHAT_FAULT_MESSAGES=50 \
		$(BIN)/pytest -s tests/pravega/test_faults.py -k restarts

stop: setup
	$(BIN)/pravechat server stop

bench: server
	$(BIN)/python -m benchmarks

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

# RustSec's advisories for the extension's Cargo.lock (needs cargo-audit, and the advisory
# database from GitHub, or a copy of it: make audit AUDIT_DB=/path/to/advisory-db).
audit:
	cd native && cargo audit $(if $(AUDIT_DB),--db $(AUDIT_DB) --no-fetch)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache src/pravechat/*.so
