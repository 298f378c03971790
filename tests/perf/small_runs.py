"""`make perf`: what a short run on small nets spends beside its training steps, each measured side by side with the
alternative it replaced, in one run on this machine (one thread, as a test or a sweep worker has):

- the progress display's losses every SHOW_EVERY steps against every step (Lightning's log_dict on each step),
  600 steps of ns_gan on ring8 with the small net;
- plain W1 of a collapsed generator's 1,000 points by POT's network simplex against the assignment solver (both exact);
- KID of 1,000 against 1,000 features: one subset (all the samples) against 100 subsets of all the samples.
"""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from tier import size

logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)


def best_of(fn, repeats: int = size(3, 1)) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def show_every(steps: int = size(600, 20)) -> tuple[float, float]:
    from ganbench.benchmark.module import base
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train

    cfg = resolve_config(variant="ns_gan", dataset="ring8", steps=steps, seed=0, arch="mlp_small")
    out = Path(tempfile.mkdtemp())

    def run(every: int) -> float:
        base.SHOW_EVERY = every
        try:
            return best_of(lambda: train(cfg, out / f"every{every}-{time.perf_counter_ns()}", progress=False), size(2, 1))
        finally:
            base.SHOW_EVERY = 10
    run(10)  # warm-up: imports, the data set's first load
    return run(1), run(10)


def plain_w1() -> tuple[float, float]:
    import ot
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    from ganbench.benchmark.data import RING8_CENTRES, RING8_STD
    from ganbench.benchmark.metrics.modes import mixture_reference

    n = size(1000, 100)
    g = torch.Generator().manual_seed(0)
    collapsed = torch.as_tensor(RING8_CENTRES[:1]).repeat(n, 1) + 0.01 * torch.randn(n, 2, generator=g, dtype=torch.float64)
    cost = cdist(collapsed.numpy(), mixture_reference(RING8_CENTRES, RING8_STD, n).numpy())
    w = np.full(n, 1 / n)
    emd = lambda: ot.emd2(w, w, cost, numItermax=10**8)  # noqa: E731

    def assignment():
        r, c = linear_sum_assignment(cost)
        return cost[r, c].mean()

    assert abs(emd() - assignment()) < 1e-12
    return best_of(assignment), best_of(emd)


def kid_subsets() -> tuple[float, float]:
    from torch_fidelity.metric_kid import kid_featuresdict_to_metric

    g = torch.Generator().manual_seed(0)
    n, subsets = size(1000, 100), size(100, 3)
    fake, real = ({"f": torch.randn(n, 128, generator=g, dtype=torch.float64) + shift} for shift in (0.0, 0.1))
    kid = lambda k: kid_featuresdict_to_metric(fake, real, "f", kid_subset_size=n, kid_subsets=k, verbose=False)  # noqa: E731
    assert abs(kid(subsets)["kernel_inception_distance_mean"] - kid(1)["kernel_inception_distance_mean"]) < 1e-9
    return best_of(lambda: kid(subsets)), best_of(lambda: kid(1))


def main():
    torch.set_num_threads(1)
    for name, (before, after), what in [
        ("losses shown", show_every(), "600 steps, every step -> every 10"),
        ("plain W1", plain_w1(), "collapsed, 1,000 points: assignment -> network simplex"),
        ("KID", kid_subsets(), "1,000 x 1,000: 100 subsets -> 1"),
    ]:
        print(f"{name:13s} {before:7.3f} s -> {after:7.3f} s  ratio {before / after:5.1f}x  ({what})")


if __name__ == "__main__":
    main()
