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
# checkov has heavy dependencies that conflict with the project's: a virtual environment of its own.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
# SAM's Python builder runs `python3.12` from PATH: the interpreter found above comes first.
SAM_ENV := PATH="$(dir $(PYTHON_BOOT)):$$PATH" SAM_CLI_TELEMETRY=0
BUILD_DIR := .aws-sam/build
STAGE ?= staging
CHROMIUM ?= $(shell command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null)

.PHONY: help run test lint unit integration infrastructure e2e bench soak requirements clean build deploy checkov

help:
	@echo "make run    - the whole stack on this machine (http://127.0.0.1:8080)"
	@echo "make test   - lint, types and the four test layers"
	@echo "make bench  - cold-start, round-trip and package-size figures"
	@echo "make fuzz   - schemathesis against a local stack, every phase (part of make soak)"
	@echo "make build  - sam build, then compile every module to Python 3.12 bytecode"
	@echo "make deploy - build, then sam deploy with infra/samconfig.toml (STAGE=staging|production, GUIDED=1)"
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

$(CHECKOV_VENV)/.installed:
	$(PYTHON_BOOT) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
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

infrastructure: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) -m pytest tests/infrastructure -q

e2e: $(VENV)/.installed
	$(PY) -m pytest tests/e2e -q

# The integration tests record every AWS call per function (.aws-calls/); the least-privilege test
# then compares them with each function's policy.
test: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed lint
	rm -rf .aws-calls
	$(PY) -m pytest tests -q -n 2 --dist loadfile -m "not least_privilege"
	$(PY) -m pytest tests/least_privilege -q -m least_privilege

bench: $(VENV)/.installed $(SAM_VENV)/.installed
	$(PY) -m benchmarks

# Schemathesis against a local stack of its own (127.0.0.1, free ports), longer than make test's run:
# every phase, coverage included, and a fresh seed each time (FUZZ_SEED=<n> replays one).
FUZZ_EXAMPLES ?= 100
FUZZ_SEED ?= random
.PHONY: fuzz soak
fuzz: $(VENV)/.installed
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$(FUZZ_SEED) FUZZ_PHASES=examples,coverage,fuzzing,stateful \
		$(PY) -m pytest tests/integration/test_fuzzing.py -q -s -p no:cacheprovider

# The soak runs the fuzzing first, then axe on every page in both languages at both widths, then loads
# a `postdesk local` of its own on free ports; SOAK_ARGS passes options (e.g. --proposals 100).
soak: fuzz
soak: $(VENV)/.installed
	POSTDESK_A11Y_FULL=1 $(PY) -m pytest tests/e2e/test_accessibility.py -q -p no:cacheprovider
	$(PY) -m benchmarks.soak $(SOAK_ARGS)

# A bare `sam build` (or `sam deploy`/`sam sync` without this) ships no bytecode: every cold start
# would compile every module it imports.
build: $(SAM_VENV)/.installed
	$(SAM_ENV) $(SAM) build --template-file template.yaml --build-dir $(BUILD_DIR)
	$(PYTHON_BOOT) infra/postdesk_tools/bytecode.py $(BUILD_DIR)

deploy: build
	$(SAM_ENV) $(SAM) deploy --config-file infra/samconfig.toml --config-env $(STAGE) \
		--template-file $(BUILD_DIR)/template.yaml $(if $(GUIDED),--guided)

# checkov on the SAM-translated template (offline), with infra/checkov.yaml's reasoned skips.
checkov: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) -m pytest tests/infrastructure/test_checkov.py -q

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .local .pytest_cache .mypy_cache .ruff_cache
