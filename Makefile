# postdesk: the README's commands. `make run` and `make test` set up what they need on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.12 (the Lambda runtime) where it is installed, through pyenv or on PATH; else python3.
PYTHON_FOR_VENV ?= $(shell \
	for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.|$$)' | sort -V | tail -1); do \
		echo "$$(pyenv root)/versions/$$v/bin/python3.12"; done; \
	command -v python3.12 2>/dev/null; command -v python3)
PYTHON_BOOT := $(firstword $(PYTHON_FOR_VENV))
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null)

.PHONY: help run test lint unit integration infrastructure e2e bench soak requirements clean build

help:
	@echo "make run    - the whole stack on this machine (http://127.0.0.1:8080)"
	@echo "make test   - lint, types and the four test layers"
	@echo "make bench  - cold-start, round-trip and package-size figures"
	@echo "make soak   - the local stack under load: races, kill -9, memory, restart, console at volume"

$(VENV)/.installed: pyproject.toml functions/requirements.txt
	@test -n "$(PYTHON_BOOT)" || { echo "no python3 found"; exit 1; }
	$(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c functions/requirements.txt -e '.[dev]'
	@touch $@

$(SAM_VENV)/.installed:
	$(PYTHON_BOOT) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	@touch $@

run: $(VENV)/.installed
	$(VENV)/bin/postdesk local

requirements: $(VENV)/.installed
	$(PY) -m postdesk_tools.requirements_file > functions/requirements.txt

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check functions infra tests benchmarks
	$(VENV)/bin/ruff format --check functions infra tests benchmarks
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit -q

integration: $(VENV)/.installed
	$(PY) -m pytest tests/integration -q

infrastructure: $(VENV)/.installed $(SAM_VENV)/.installed
	$(PY) -m pytest tests/infrastructure -q

e2e: $(VENV)/.installed
	$(PY) -m pytest tests/e2e -q

test: $(VENV)/.installed $(SAM_VENV)/.installed lint
	$(PY) -m pytest tests -q -n 2 --dist loadfile

bench: $(VENV)/.installed $(SAM_VENV)/.installed
	$(PY) -m benchmarks

# Against a `postdesk local` it starts on free ports; SOAK_ARGS passes options (e.g. --proposals 100).
soak: $(VENV)/.installed
	$(PY) -m benchmarks.soak $(SOAK_ARGS)

build: $(SAM_VENV)/.installed
	$(SAM) build --template-file template.yaml

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
