"""The seed sweeps behind the ring tests' protocols (tests/test_train.py, test_variants_cover_the_ring): modes
covered on ring8 and CPU seconds, one run a seed, one thread, the quick ring protocol's settings unless overridden:

    OMP_NUM_THREADS=1 .venv/bin/python tests/perf/ring_seeds.py cramer_gan steps=500 penalty_weight=1.0
    OMP_NUM_THREADS=1 .venv/bin/python tests/perf/ring_seeds.py cramer_gan                # 1,000 steps, lambda 10

Not in `make perf`: a sweep of six seeds takes minutes."""
from __future__ import annotations

import logging
import sys
import tempfile
import time

import torch
import yaml

from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.train import train

QUICK_RING = {"dataset": "ring8", "arch": "mlp_small", "lr": 1e-3, "steps": 1000}  # tests/test_train.py's

if __name__ == "__main__":
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    torch.set_num_threads(1)
    variant, *overrides = sys.argv[1:]
    settings = {**QUICK_RING, **{k: yaml.safe_load(v) for k, v in (o.split("=", 1) for o in overrides)}}
    seeds = settings.pop("seeds", [0, 1, 2, 3, 4, 5])
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            started = time.process_time()
            m = train(resolve_config(variant=variant, seed=seed, **settings), f"{tmp}/{seed}", progress=False)
            print(f"{variant} {settings} seed {seed}: {m['modes_covered']} modes, {time.process_time() - started:.1f} CPU-s", flush=True)
