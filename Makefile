# wardbot — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench eval eval-heldout calibrate train clean

install: $(STAMP)

# torch is installed first and pinned: the local disk carries its CPU build, while an unpinned
# `torch` pulled in by sentence-transformers would download gigabytes of CUDA libraries.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: install
	$(BIN)/wardbot run

# The browser tests drive Debian's Chromium through Playwright for Python; Playwright's own
# browser download (`playwright install`) is never used. CI runs as root.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

test: install $(CHROMIUM)
	$(BIN)/python -m pytest

bench: install
	$(BIN)/wardbot bench --kb ../shared/data/dvcqg-ministries-2026/procedures.jsonl --questions ../shared/eval/dev.jsonl

eval: install
	$(BIN)/wardbot eval --kb ../shared/data/dvcqg-ministries-2026/procedures.jsonl --questions ../shared/eval/dev.jsonl

# The figure to improve: the corpus questions held out of the index and of training, with our own
# out-of-scope messages, the calibration cross-validated in 10 folds.
eval-heldout: install
	$(BIN)/wardbot eval --kb knowledge/national/procedures.jsonl.xz --questions eval/heldout.jsonl eval/out_of_scope.jsonl --folds 10

# Refits retrieval/calibration.json on the same questions (never on dev, which is a test set).
calibrate: install
	$(BIN)/wardbot eval --kb knowledge/national/procedures.jsonl.xz --questions eval/heldout.jsonl eval/out_of_scope.jsonl --fit-calibration retrieval/calibration.json

clean:
	rm -rf $(VENV) build *.egg-info

# Reproduces retrieval/adapter/ from the question corpus (fixed seed), printing progress and the
# held-out figures: about 30 minutes on 2 cores.
train: install
	$(BIN)/wardbot train --out retrieval/adapter/e5-small-wardbot.safetensors --held-out eval/heldout.jsonl
