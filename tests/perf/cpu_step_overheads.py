"""`make perf`: three CPU costs found by profiling, each measured side by side in one run.

1. Training on a machine without NVML, with and without `benchmark/train.py: cuda_check_without_nvml` (Lightning's
   NVML-based CUDA check otherwise loads the missing library at every optimiser step): ns_gan 1,500 + cramer_gan 300
   ring steps on the small net, alternated, three times each.
2. The truncated transport of `mixture_mismatch` on a good ring fit (2,500 points): one assignment over the whole
   gain matrix (the old way) against `max_matching_by_components`, with the same value.
3. Losses logged for a progress display that is not shown (Lightning's log_dict every SHOW_EVERY steps) against not
   logged (`GANModule.show_losses`, off when train() runs without progress): ns_gan 1,500 ring steps, CPU seconds."""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from tier import size

import ganbench.benchmark.train as T
from ganbench.benchmark.config import resolve_config
from ganbench.benchmark.data import get_dataset
from ganbench.benchmark.metrics.modes import HIGH_QUALITY_STDS, max_matching_by_components, mixture_reference
from ganbench.benchmark.module.base import GANModule

logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)


def ring_runs(out: Path) -> float:
    seconds = 0.0
    for variant, steps in [("ns_gan", size(1500, 10)), ("cramer_gan", size(300, 5))]:
        config = resolve_config(variant=variant, dataset="ring8", arch="mlp_small", lr=1e-3, steps=steps, seed=0, device="cpu")
        seconds += T.train(config, out / f"{variant}-{time.time_ns()}", progress=False)["wall_time_s"]
    return seconds


def main() -> None:
    torch.set_num_threads(1)
    found = T._nvml_loads()
    print(f"1. CPU training, NVML {'present: the fix does nothing here' if found else 'missing'}")
    times = {"NVML check at every step": [], "runtime check (cuda_check_without_nvml)": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(size(3, 1)):
            for name, loads in zip(times, (True, found)):
                T._nvml_loads = lambda loads=loads: loads  # noqa: E731  what the context manager asks
                times[name].append(ring_runs(Path(tmp)))
    for name, ts in times.items():
        print(f"   {name:42s} {' '.join(f'{t:5.1f}' for t in ts)} s")
    before, after = (np.mean(ts) for ts in times.values())
    print(f"   ratio {before / after:.2f}x")

    info = get_dataset("ring8")
    n = size(2500, 300)
    fake = mixture_reference(info.mode_centres, info.mode_std, 2 * n)[n:].numpy()
    real = mixture_reference(info.mode_centres, info.mode_std, n).numpy()
    cap = HIGH_QUALITY_STDS * info.mode_std
    started = time.time()
    gain = np.clip(1.0 - cdist(fake, real) / cap, 0.0, None)
    r, c = linear_sum_assignment(gain, maximize=True)
    whole, whole_s = gain[r, c].sum(), time.time() - started
    started = time.time()
    parts = max_matching_by_components(np.maximum(1.0 - cdist(fake, real) / cap, 0.0))
    parts_s = time.time() - started
    print(f"2. truncated transport, good ring fit: whole assignment {whole_s:.3f} s, by components {parts_s:.3f} s "
          f"({whole_s / parts_s:.1f}x); values {whole:.6f} and {parts:.6f}")

    finish = GANModule._finish_step
    times = {"losses logged for the display": [], "not logged (show_losses off)": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(size(3, 1)):
            for name, show in zip(times, (True, False)):
                def finish_step(module, logs, show=show):
                    module.show_losses = show
                    return finish(module, logs)
                GANModule._finish_step = finish_step
                started = time.process_time()
                T.train(resolve_config(variant="ns_gan", dataset="ring8", arch="mlp_small", lr=1e-3, steps=size(1500, 10), seed=0, device="cpu"),
                        Path(tmp) / f"show-{time.time_ns()}", progress=False)
                times[name].append(time.process_time() - started)
    GANModule._finish_step = finish
    print("3. a run without a progress display, CPU seconds")
    for name, ts in times.items():
        print(f"   {name:42s} {' '.join(f'{t:5.1f}' for t in ts)} s")
    logged, not_logged = (np.mean(ts) for ts in times.values())
    print(f"   ratio {logged / not_logged:.2f}x")


if __name__ == "__main__":
    main()
