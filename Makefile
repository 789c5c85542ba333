# The two commands of the README. Both work on a fresh machine with Python 3.11 and pip:
# they create .venv, install the project from its own files, and build the index when missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: serve test index lint clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

index: $(STAMP)
	@test -f .policyqa/index/manifest.json || $(BIN)/policyqa index

serve: $(STAMP) index
	$(BIN)/policyqa serve

test: $(STAMP) index
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

clean:
	rm -rf .policyqa $(VENV)
