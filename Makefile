# The two commands a newcomer needs:  make tutorial   and   make test
# Both bootstrap .venv on a fresh machine.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: tutorial test test-unit test-aws lint notebooks bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

## make tutorial: start the local backend and show what it serves
tutorial: $(STAMP)
	$(BIN)/python -m hostlab.tutorial

## make test: lint, unit and conformance tests, notebooks under nbval (local backend)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## make test-aws: the same notebooks against a sandbox account (needs HOSTLAB_BACKEND=aws, HOSTLAB_AWS_ACCOUNT)
test-aws: $(STAMP)
	HOSTLAB_BACKEND=aws $(BIN)/python -m pytest --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	-$(BIN)/hostlab down
	rm -rf build _site .quarto
