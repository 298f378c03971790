"""Two figures the docs quote, measured side by side in one run on one thread:
- a training step of ns_gan on mnist5k (batch 64) with the study's infogan nets and with conv_small (the demo's);
- the 2-D mixture metrics on 2,500 samples: the exact plain W1 on all 2,500 pairs against the first 1,000 (what
  mixture_w1 uses), and the truncated objective, for a noise cloud, a collapsed generator and a good fit."""
import time

import torch
from tier import size

torch.set_num_threads(1)


def step_times(steps: int = size(20, 2)) -> dict:
    from ganbench.benchmark.module import RealBatches, build_module
    from ganbench.benchmark.data import load_split
    from ganbench.benchmark.config import resolve_config

    out = {}
    for arch in ("infogan", "conv_small"):
        cfg = resolve_config(variant="ns_gan", dataset="mnist5k", arch=arch, steps=steps)
        module = build_module(cfg, (1, 28, 28))
        module.real = RealBatches(load_split("mnist5k", "train"), 64, 0)
        module.outside_trainer()
        module.variant_step()  # warm-up
        started = time.perf_counter()
        for _ in range(steps):
            module.variant_step()
        out[arch] = (time.perf_counter() - started) / steps
    return out


def metric_times() -> None:
    from ganbench.benchmark.data import get_dataset
    from ganbench.benchmark.metrics.modes import mixture_reference, wasserstein1

    info = get_dataset("ring8")
    n = size(2500, 200)
    ref = mixture_reference(info.mode_centres, info.mode_std, n)
    g = torch.Generator().manual_seed(0)
    cases = {"noise": torch.randn(n, 2, generator=g), "collapsed": 0.1 * torch.randn(n, 2, generator=g) + torch.tensor([1.0, 0.0]),
             "good fit": ref[torch.randperm(n, generator=g)] + 0.005 * torch.randn(n, 2, generator=g)}
    for name, x in cases.items():
        times = []
        for f in (lambda: wasserstein1(x, ref), lambda: wasserstein1(x[: n * 2 // 5], ref[: n * 2 // 5]), lambda: wasserstein1(x, ref, cap=0.03)):
            started = time.perf_counter()
            f()
            times.append(time.perf_counter() - started)
        print(f"  {name:<10} plain W1, {n:,} pairs {times[0]:6.2f} s | {n * 2 // 5:,} pairs {times[1]:5.2f} s ({times[0] / times[1]:4.0f}x) "
              f"| truncated objective, {n:,} {times[2]:5.2f} s")


if __name__ == "__main__":
    t = step_times()
    print(f"training step, ns_gan on mnist5k, batch 64, 1 thread: infogan {1000 * t['infogan']:.0f} ms, "
          f"conv_small {1000 * t['conv_small']:.0f} ms ({t['infogan'] / t['conv_small']:.1f}x cheaper)")
    print("2-D mixture metrics, ring8, 1 thread:")
    metric_times()
