# Tipline: `make run` starts the whole system locally; `make test` runs every test.
# Both set up their own virtual environment with pinned dependencies on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLASSIFIER := services/classifier
MODEL := $(CLASSIFIER)/data/model.joblib
MODEL_INPUTS := $(wildcard $(CLASSIFIER)/data/sentences/*.json) $(CLASSIFIER)/data/corpus.json \
	$(CLASSIFIER)/data/taxonomy.json $(CLASSIFIER)/training/model-record.json \
	$(addprefix $(CLASSIFIER)/training/,corpus.py train.py build.py evaluate.py) \
	$(addprefix $(CLASSIFIER)/,model.py entities.py rules.py places.py evidence.py fingerprint.py domain.py) \
	$(CLASSIFIER)/data/places_en.tsv

.PHONY: run test unit integration lint bench bench-database bench-insights install clean train eval corpus heldout model

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[local,dev]'
	touch $(STAMP)

install: $(STAMP) $(MODEL)

run: $(STAMP) $(MODEL)
	$(BIN)/python -m deploy.local.stack

lint: $(STAMP)
	$(BIN)/ruff check services deploy tests bench
	$(BIN)/ruff format --check services deploy tests bench
	$(BIN)/mypy services deploy

unit: $(STAMP) $(MODEL)
	$(BIN)/pytest tests/unit -q

integration: $(STAMP) $(MODEL)
	$(BIN)/pytest tests/integration -q

test: lint $(MODEL)
	$(BIN)/pytest -q -rs

bench: $(STAMP) $(MODEL)
	$(BIN)/python -m bench.sealing
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.database
	$(BIN)/python -m bench.limits
	$(BIN)/python -m bench.faults
	$(MAKE) bench-insights

# Database commands and database CPU per report (intake alone, then the whole pipeline), from
# serverStatus opcounters and top, the idle rate taken out; about a minute. DB_PHASES=intake|pipeline
DB_PHASES ?= all
bench-database: $(STAMP) $(MODEL)
	$(BIN)/python -m bench.database --phases $(DB_PHASES)

# The industry information's read model: 1,000,000 classified reports loaded on an embedded
# SecantusDB, then the overview's p99 and the update cost per event (INSIGHTS_REPORTS to change).
INSIGHTS_REPORTS ?= 1000000
bench-insights: $(STAMP)
	$(BIN)/python -m bench.insights --reports $(INSIGHTS_REPORTS)

# The classifier's model is built, not committed: generated from the committed sentences
# (services/classifier/data/sentences, corpus.json), trained, evaluated and checked against
# services/classifier/training/model-record.json. Rebuilt only when one of its inputs changes.
model: $(MODEL)

$(MODEL): $(STAMP) $(MODEL_INPUTS)
	$(BIN)/python -m services.classifier.training.build

# The labelled corpora alone (data/train.jsonl, data/eval.jsonl).
corpus: $(STAMP)
	$(BIN)/python -m services.classifier.training.corpus

# After an intended change to the sentences or the training: build, and record the new model's
# checksums and figures in model-record.json (commit it).
train: $(STAMP)
	$(BIN)/python -m services.classifier.training.build --record

EVAL ?= services/classifier/data/eval.jsonl
# DETAIL=1 adds F1 per crime type, priority per level, official false alarms and duplicate
# recall by kind (where the file has `kind`).
eval: $(STAMP) $(MODEL)
	@$(BIN)/python -m services.classifier.training.evaluate $(EVAL) $(if $(DETAIL),--detail)

# A score from the training side alone (held-back written sentences), for choosing settings.
heldout: $(STAMP)
	@$(BIN)/python -m services.classifier.training.heldout

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache
