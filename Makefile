# The two commands a fresh machine needs (see README): `make run` and `make test`.
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install run build test bench bench-deps bench-full calibrate clean

install:
	@scripts/install.sh

build: install
	$(PY) -m index build --if-missing

run: build
	$(PY) -m webapp --host $(HOST) --port $(PORT)

test:
	@scripts/install.sh --browser
	$(PY) -m pytest $(PYTEST_ARGS)

bench-deps: install
	@.venv/bin/pip install --quiet -r requirements-bench.txt

bench: bench-deps
	$(PY) -m benchmarks.run --quick

bench-full: bench-deps
	$(PY) -m benchmarks.run --full

calibrate: build
	$(PY) -m benchmarks.calibrate_answers

clean:
	rm -rf data .test-data test-output
