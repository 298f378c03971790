# Two commands on a fresh machine: `make demo` runs the main job, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install test demo perf clean

$(BIN)/ganbench: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade -q pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/ganbench

install: $(BIN)/ganbench

test: install
	$(BIN)/python -m pytest -q

demo: install
	$(BIN)/python -m sweeps.demo

perf: install
	$(BIN)/python tests/perf/train_step.py
	$(BIN)/python tests/perf/eval_cache.py
	$(BIN)/python tests/perf/sweep_overhead.py

clean:
	rm -rf $(VENV) results/demo
