# The README's two commands: `make run` (main job) and `make test` (test suite).
# Both install everything first (scripts/setup.sh); VENV selects the environment.
VENV ?= .venv
export VENV

.PHONY: setup run test lint bench

setup:
	@./scripts/setup.sh

run: setup
	$(VENV)/bin/hwdse run

test: setup
	$(VENV)/bin/python -m pytest -n 2 --durations=40

lint: setup
	$(VENV)/bin/ruff check hw sim dse flows tests bench

bench: setup
	$(VENV)/bin/python bench/systolic_sim.py
