# The two commands of the README. Both work on a fresh machine with Python 3.11 and pip:
# they create .venv, install the project from its own files, and build the index when missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: serve test index report clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

INDEX := .policyqa/index/manifest.json
# The index is rebuilt when the corpus or the code that builds it changes.
INDEX_INPUTS := $(wildcard corpus/documents/* corpus/*.py corpus/data/*.json index/*.py index/stores/*.py)

$(INDEX): $(STAMP) $(INDEX_INPUTS)
	$(BIN)/policyqa index

index: $(INDEX)

serve: $(STAMP) $(INDEX)
	$(BIN)/policyqa serve

test: $(STAMP) $(INDEX)
	$(BIN)/ruff check .
	# The accuracy floor: the shipped configuration on the held-out test questions (eval/floor.json).
	$(BIN)/policyqa eval --questions eval/questions/test.jsonl --floor eval/floor.json --report artifacts/eval
	$(BIN)/python -m pytest

# The README's evaluation table and chart: every configuration side by side on the held-out test questions.
report: $(STAMP) $(INDEX)
	$(BIN)/policyqa eval --questions eval/questions/test.jsonl --report docs/eval

clean:
	rm -rf .policyqa $(VENV)
