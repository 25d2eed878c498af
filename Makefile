# From a fresh clone: `make train` (the quickstart) and `make test` (the test suite). Both set up
# .venv first: the CPU build of PyTorch, then the locked dependencies (requirements/lock.txt,
# with hashes), then t5mt itself as an editable install. The set-up runs again only when .venv is
# missing or older than pyproject.toml or the lock; `make help` lists the targets.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The stamp the set-up leaves: newer than the dependency files means the set-up is done.
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
# The CPU build: a torch without a version would pull a multi-GB CUDA build. It is installed
# before the lock, which leaves torch out (docs/getting-started.md says why).
TORCH := torch==2.13.0
# The README's test command is `python -m pytest`; e.g. make test PYTEST_ARGS="tests/test_config.py -q"
PYTEST_ARGS ?=
# Hydra overrides for the quickstart, e.g. make train ARGS="seed=1"
ARGS ?=

# The venv's tools come first: ruff, pre-commit and its hooks, hadolint, actionlint, dvc, mkdocs,
# and the tests that start them by name.
export PATH := $(abspath $(VENV))/bin:$(PATH)
# Material for MkDocs prints a banner about MkDocs 2.0 at every build otherwise.
export NO_MKDOCS_2_WARNING := 1

.DEFAULT_GOAL := help
.PHONY: help setup train test lint format docs docs-serve lock check-lock clean

help: ## list the targets
	@echo "t5mt: make <target>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

setup: $(STAMP) ## create .venv: the CPU torch, the locked dependencies, t5mt (editable)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(TORCH)
	$(PY) -m pip install --require-hashes -r $(LOCK)
	$(PY) -m pip install --no-deps -e .
	touch $@

train: $(STAMP) ## the quickstart: train a small T5 on the synthetic corpus (about 4 min on 2 cores)
	$(PY) -m t5mt.train $(ARGS)

test: $(STAMP) ## the test suite (about 11-14 min on 2 cores; PYTEST_ARGS narrows it)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## the linters CI runs: ruff, ruff format --check, actionlint, hadolint, pre-commit
	ruff check .
	ruff format --check .
	actionlint
	hadolint Dockerfile.*
	pre-commit run --all-files --show-diff-on-failure

format: $(STAMP) ## fix what ruff can fix and format the code
	ruff check --fix .
	ruff format .

docs: $(STAMP) ## build the documentation site into site/ (strict: a broken link fails)
	mkdocs build --strict

docs-serve: $(STAMP) ## serve the documentation site at http://127.0.0.1:8000
	mkdocs serve

lock: $(STAMP) ## recompile requirements/lock.txt from pyproject.toml (LOCK_ARGS=--upgrade for newer versions)
	CUSTOM_COMPILE_COMMAND="make lock" $(PY) -m piptools compile --quiet --extra dev \
		--generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		--unsafe-package torch $(LOCK_ARGS) --output-file $(LOCK) pyproject.toml
	$(PY) requirements/lockfile.py strip $(LOCK)

check-lock: $(STAMP) ## check that .venv holds exactly the locked version of every locked package
	$(PY) requirements/lockfile.py check $(LOCK)

clean: ## remove .venv, site/ and the caches; outputs/, data/ and models/ are kept
	@echo "removing .venv/ site/ .pytest_cache/ .ruff_cache/ .hypothesis/ *.egg-info/ __pycache__/"
	rm -rf $(VENV) site .pytest_cache .ruff_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
	@echo "kept: outputs/ (your runs), data/, models/; delete them by hand if you mean to"
