# The two commands a fresh machine needs (see README): `make run` and `make test`.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run build test lint lock bench bench-deps bench-full bench-scale calibrate train-answers clean

install:
	@scripts/install.sh

build: install
	$(PY) -m index build --if-missing

run: build
	$(PY) -m webapp --host $(HOST) --port $(PORT)

test:
	@scripts/install.sh --browser
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff (lint + import order) and mypy (check_untyped_defs), both configured in pyproject.toml
lint:
	@scripts/install.sh --dev
	.venv/bin/ruff check .
	.venv/bin/mypy

# Recompile the hash-pinned locks after editing requirements*.txt (needs the package index).
lock:
	@scripts/install.sh --dev
	.venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements.lock requirements.txt
	.venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	  --no-emit-find-links -o requirements-test.lock requirements-test.txt

bench-deps: install
	@.venv/bin/pip install --quiet -r requirements-bench.txt

bench: bench-deps
	$(PY) -m benchmarks.run --quick

bench-full: bench-deps
	$(PY) -m benchmarks.run --full

calibrate: build
	$(PY) -m benchmarks.calibrate_answers

# The learned answer decision: features on XQuAD, article-held-out CV against the hand-set
# rule, index/answer/answer_model.json with its report (docs/ANSWERS.md).
train-answers: bench-deps
	$(PY) -m benchmarks.train_answers

clean:
	rm -rf data .test-data test-output

# Issue 13 item 7: ours vs bm25s / tantivy / exact numpy at each size (hours at 1M; builds cached).
SIZES ?= 10000,50000,200000,1000000
QUERIES ?= 60
bench-scale: bench-deps
	$(PY) -m benchmarks.side_by_side --sizes $(SIZES) --queries $(QUERIES) --write
