# Tipline: `make run` starts the whole system locally; `make test` runs every test.
# Both set up their own virtual environment with pinned dependencies on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit integration lint bench install clean train eval corpus heldout

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[local,dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m deploy.local.stack

lint: $(STAMP)
	$(BIN)/ruff check services deploy tests bench
	$(BIN)/ruff format --check services deploy tests bench
	$(BIN)/mypy services deploy

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

integration: $(STAMP)
	$(BIN)/pytest tests/integration -q

test: lint
	$(BIN)/pytest -q -rs

bench: $(STAMP)
	$(BIN)/python -m bench.sealing
	$(BIN)/python -m bench.run

# The classifier's labelled corpora (generated, committed), its model, and its evaluation.
corpus: $(STAMP)
	$(BIN)/python -m services.classifier.corpus

train: $(STAMP)
	$(BIN)/python -m services.classifier.model

EVAL ?= services/classifier/data/eval.jsonl
eval: $(STAMP)
	@$(BIN)/python -m services.classifier.evaluate $(EVAL)

# A score from the training side alone (held-back written sentences), for choosing settings.
heldout: $(STAMP)
	@$(BIN)/python -m services.classifier.heldout

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache
