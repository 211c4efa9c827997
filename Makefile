# Developer and CI entry points. Every target first runs scripts/setup (idempotent, quiet).

VENV := .venv
BIN := $(VENV)/bin
# Type-check only what exists: benchmarks/ arrives later.
TYPED := $(wildcard cloudping tests benchmarks)

.DEFAULT_GOAL := test
.PHONY: setup lint test bench run schema

setup:
	@scripts/setup

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict $(TYPED)

# The whole suite; the network lab tests need root (CI runs as root and skips nothing).
test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python benchmarks/run.py

# The main job on embedded defaults: hub, local agent and the HTTP API on 127.0.0.1:8080.
run: setup
	$(BIN)/cloudping up

# Regenerate the published event schema after changing cloudping/events/model.py.
schema: setup
	$(BIN)/python -c 'import json; from cloudping.events.codec import generate_schema as g; print(json.dumps(g(), indent=2))' > cloudping/events/schema.json
