"""The seed sweep behind test_fid_falls_as_a_generator_trains (tests/test_metrics.py): lenet-mnist FID of 500 samples
every 100 steps of ns_gan on the digits (the small conv net, batch 32), one line a seed, one thread:

    OMP_NUM_THREADS=1 .venv/bin/python tests/perf/fid_curve.py              # seeds 0-5, 600 steps
    OMP_NUM_THREADS=1 .venv/bin/python tests/perf/fid_curve.py 0,1,2 400

Not in `make perf`: six seeds take about two minutes of CPU."""
from __future__ import annotations

import logging
import sys
import tempfile
import time

import torch

from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.train import train

if __name__ == "__main__":
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    torch.set_num_threads(1)
    seeds = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "0,1,2,3,4,5").split(",")]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    for seed in seeds:
        started = time.process_time()
        with tempfile.TemporaryDirectory() as tmp:
            m = train(resolve_config(variant="ns_gan", dataset="mnist5k", arch="conv_small", batch_size=32, steps=steps, eval_every=100,
                                     n_fake=500, n_real=500, seed=seed), tmp, progress=False)
        fids = [h["fid"] for h in m["fid_history"]]
        print(f"seed {seed}: FID {', '.join(f'{f:.0f}' for f in fids)} at steps 100-{steps}; last/first {fids[-1] / fids[0]:.2f}; "
              f"{time.process_time() - started:.0f} CPU-s", flush=True)
