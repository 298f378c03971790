"""What a study under protocol lucic2018 costs: one training step measured on this machine's CPU, its FLOPs
counted by torch's FlopCounterMode, and GPU-hours for a whole spec *estimated* from those FLOPs.

    .venv/bin/python scripts/study_cost.py [SPEC ...]      (default: the eight sweeps/studies/lucic_*.yaml)

A step is the study's: one discriminator update, plus a generator update every n_disc steps (counted here at
n_disc = 1, the dearer case). FID checkpoints add 10,000 generated images through Inception each.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from ganbench.benchmark.nets import build_discriminator, build_generator  # noqa: E402
from ganbench.sweeps.spec import load_spec  # noqa: E402

SHAPES = {"mnist": (1, 28, 28), "fashion_mnist": (1, 28, 28), "cifar10": (3, 32, 32), "celeba": (3, 64, 64)}
INCEPTION_GFLOP_PER_IMAGE = 11.5  # Inception-v3 at 299x299: ~5.7 GMACs forward
GPU_TFLOPS, UTILISATION = 67.0, 0.25  # H100 SXM fp32 (non-tensor) peak; small nets reach a fraction of it
STEP_FLOOR_S = 0.004  # a step of ~60 small kernels and two optimiser steps is launch-bound below this on any GPU


def step_cost(shape) -> tuple[float, float]:
    """(GFLOP, CPU seconds) of one study step (D update on real + fake, G update) at batch 64."""
    g = build_generator("infogan", shape, 64, "lucic2018")
    d = build_discriminator("infogan", shape, 1, True, "lucic2018")
    real = torch.rand(64, *shape)

    def step():
        fake = g(torch.rand(64, 64) * 2 - 1)
        (d(real).mean() - d(fake.detach()).mean()).backward()
        d(g(torch.rand(64, 64) * 2 - 1)).mean().backward()

    with FlopCounterMode(display=False) as counter:
        step()
    times = []
    for _ in range(5):  # the best of five: other work on the machine only slows a step down
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return counter.get_total_flops() / 1e9, min(times)


def main(paths: list[str]) -> None:
    torch.set_num_threads(int(__import__("os").environ.get("GANBENCH_THREADS", torch.get_num_threads())))
    paths = paths or sorted(str(p) for p in Path("sweeps/studies").glob("lucic_*.yaml"))
    costs = {name: step_cost(shape) for name, shape in SHAPES.items()}
    for name, (gflop, cpu_s) in costs.items():
        print(f"{name:14s} one step: {gflop:6.2f} GFLOP, {cpu_s * 1000:7.1f} ms on this CPU ({torch.get_num_threads()} threads)")
    for path in paths:
        spec = load_spec(path)
        for dataset in spec.datasets:
            gflop, cpu_s = costs[dataset]
            runs = len(spec.variants) * (spec.settings + spec.seeds)
            evals = runs * (spec.steps // spec.eval_every + 1)
            train_s = runs * spec.steps * max(gflop / 1e3 / (GPU_TFLOPS * UTILISATION), STEP_FLOOR_S)
            eval_tflop = evals * 10_000 * INCEPTION_GFLOP_PER_IMAGE / 1e3
            total_tflop = runs * spec.steps * gflop / 1e3 + eval_tflop
            gpu_h = (train_s + eval_tflop / (GPU_TFLOPS * UTILISATION)) / 3600
            cpu_h = runs * spec.steps * cpu_s / 3600
            print(f"{spec.name:26s} {runs:5d} runs x {spec.steps} steps: {total_tflop / 1e3:9.1f} PFLOP; "
                  f"estimate {gpu_h:7.0f} GPU-hours (H100: {UTILISATION:.0%} of fp32 peak, >= {STEP_FLOOR_S * 1e3:.0f} ms a step); {cpu_h:9.0f} CPU-hours here")


if __name__ == "__main__":
    main(sys.argv[1:])
