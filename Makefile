# wardbot — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test fuzz bench soak eval eval-heldout calibrate train legal-model clean docker

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

# The habits first, so that one broken fails at once rather than after the whole suite: ruff's
# rules, then mypy's types (pyproject.toml says which; mypy takes about a minute on 2 cores the
# first time, seconds with its cache).
test: install $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The property tests at depth: 5,000 fresh random cases per property (over 100,000 in all) instead
# of `make test`'s fixed 200, to find inputs nobody thought of (about half an hour on 2 cores). A
# failure prints its input: add it to the test as an @example, so that `make test` keeps checking it.
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_fuzz_*.py

bench: install
	$(BIN)/wardbot bench --kb ../shared/data/dvcqg-ministries-2026/procedures.jsonl --questions ../shared/eval/dev.jsonl

# The proof that a crash loses and repeats nothing: 10,000 messages on fake Telegram, Zalo and web
# chat while `wardbot run` is SIGKILLed 5 times; JSON figures, exit 1 on any loss or duplicate.
# About 15 minutes on 2 cores; a quick look: .venv/bin/wardbot soak --messages 500 --kills 2
soak: install
	$(BIN)/wardbot soak

eval: install
	$(BIN)/wardbot eval --kb ../shared/data/dvcqg-ministries-2026/procedures.jsonl --questions ../shared/eval/dev.jsonl

# The figure to improve: the corpus questions held out of the index and of training, with our own
# out-of-scope messages, the calibration cross-validated in 10 folds.
eval-heldout: install
	$(BIN)/wardbot eval --kb knowledge/national/procedures.jsonl.xz --questions eval/heldout.jsonl eval/out_of_scope.jsonl --folds 10

# Refits retrieval/calibration.json on the same questions (never on dev, which is a test set).
calibrate: install
	$(BIN)/wardbot eval --kb knowledge/national/procedures.jsonl.xz --questions eval/heldout.jsonl eval/out_of_scope.jsonl --fit-calibration retrieval/calibration.json

# Refits handlers/legal_model.tsv (questions about the law against questions for a procedure) and
# prints its figures on the held-out half, eval/legal.jsonl.
legal-model: install
	$(BIN)/wardbot fit-legal --intents handlers/intents --out handlers/legal_model.tsv --held-out eval/legal.jsonl

clean:
	rm -rf $(VENV) build *.egg-info

# The production image (deploy/Dockerfile; README.md, "Operations"): CPU torch, the model and every
# passage's vector built in by `wardbot prepare`, the data directory a volume, a non-root user.
# BuildKit, because only it reads deploy/Dockerfile.dockerignore: the legacy builder would send
# .venv and data/ (citizens' messages) as the build context.
docker:
	DOCKER_BUILDKIT=1 docker build -f deploy/Dockerfile -t wardbot .

# Trains retrieval/adapter/ from the question corpus (fixed seed), printing progress and the
# held-out figures: about 75 minutes on 2 cores (1,400 steps at 3.2 s).
train: install
	$(BIN)/wardbot train --out retrieval/adapter/e5-small-wardbot.safetensors --held-out eval/heldout.jsonl
