# The two commands of the README. Both work on a fresh machine with Python 3.11 and pip:
# they create .venv, install the project from its own files, and build the index when missing.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: serve test index report clean system-deps

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,st,milvus]'
	touch $(STAMP)

INDEX := .policyqa/index/manifest.json
# The index is rebuilt when the corpus or the code that builds it changes.
INDEX_INPUTS := $(wildcard corpus/documents/* corpus/*.py corpus/data/*.json index/*.py index/stores/*.py)

$(INDEX): $(STAMP) $(INDEX_INPUTS)
	$(BIN)/policyqa index

index: $(INDEX)

serve: $(STAMP) $(INDEX)
	$(BIN)/policyqa serve

# What the browser tests need beyond Python: Debian's headless Chromium, its driver and a Chinese font, installed as
# root (through sudo when not root), and axe-core for the accessibility audit (pinned in package.json).
BROWSER_FILES := /usr/bin/chromium /usr/bin/chromedriver /usr/share/fonts/truetype/wqy/wqy-microhei.ttc
SUDO := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)

system-deps:
	@ls $(BROWSER_FILES) >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium chromium-driver fonts-wqy-microhei; }
	@[ -f node_modules/axe-core/axe.min.js ] || npm ci --no-audit --no-fund

test: $(STAMP) $(INDEX) system-deps
	$(BIN)/ruff check .
	# The accuracy floor: the shipped configuration on the held-out test and holdout questions (eval/floor.json).
	$(BIN)/policyqa eval --questions eval/questions/test.jsonl --floor eval/floor.json --report artifacts/eval
	$(BIN)/policyqa eval --questions eval/questions/holdout.jsonl --floor eval/floor.json --report artifacts/eval/holdout
	$(BIN)/python -m pytest

# The README's evaluation tables and charts: every configuration side by side on the held-out test questions, and on
# each file of holdout questions written blind to the system (eval/questions/holdout*.jsonl → docs/eval/holdout*/).
HOLDOUTS := $(basename $(notdir $(wildcard eval/questions/holdout*.jsonl)))
report: $(STAMP) $(INDEX)
	$(BIN)/policyqa eval --questions eval/questions/test.jsonl --report docs/eval
	for name in $(HOLDOUTS); do \
		$(BIN)/policyqa eval --questions eval/questions/$$name.jsonl --report docs/eval/$$name || exit 1; \
	done

clean:
	rm -rf .policyqa $(VENV)
