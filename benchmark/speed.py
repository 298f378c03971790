"""How fast a training step and a feature extraction run on a device: what `make gpu-check` measures (k processes
at once) and `ganbench sweep plan` prices a study with.

A workload is a study's net at a data set's shape, trained by its protocol's own step on random data of that shape
(no download, no Lightning loop: `make perf` measures the loop's overhead separately). ``step_rate`` times steps
for a number of seconds after a warm-up and reports steps a second and the peak device memory.
"""
from __future__ import annotations

from typing import Any

import time
from dataclasses import dataclass

import torch

from .config import RunConfig, TranslationConfig, resolve_config
from .data import Split
from .metrics.extractors import EXTRACTORS
from .module import RealBatches, build_module
from .protocols import get_protocol


@dataclass(frozen=True)
class Workload:
    name: str
    settings: dict[str, Any]  # resolve_config's settings
    shape: tuple[int, ...]  # the data's shape

    @property
    def config(self) -> RunConfig:
        config = resolve_config(**self.settings, device="cpu")
        assert isinstance(config, RunConfig)  # a GAN's workload
        return config


# the study's nets at its three image shapes (protocol lucic2018, ns_gan, batch 64) and PacGAN's 2-D nets
WORKLOADS = {w.name: w for w in [
    Workload("mnist", dict(variant="ns_gan", dataset="mnist", protocol="lucic2018"), (1, 28, 28)),
    Workload("cifar10", dict(variant="ns_gan", dataset="cifar10", protocol="lucic2018"), (3, 32, 32)),
    Workload("celeba", dict(variant="ns_gan", dataset="celeba", protocol="lucic2018"), (3, 64, 64)),
    Workload("pacgan_2d", dict(variant="ns_gan", dataset="grid25", protocol="pacgan2018"), (2,)),
]}


def workload_for(dataset_shape: tuple[int, ...]) -> str | None:
    """The measured workload whose data has this shape (a study on Fashion-MNIST is priced as MNIST)."""
    by_shape = {tuple(w.shape): w.name for w in WORKLOADS.values()}
    return by_shape.get(tuple(dataset_shape))


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def step_rate(workload: str, device: str = "cpu", seconds: float = 5.0, warmup: int = 5) -> dict[str, Any]:
    """Steps a second of ``workload`` on ``device`` over about ``seconds``, and its peak memory there (CUDA)."""
    w = WORKLOADS[workload]
    return {"workload": workload, **time_steps(w.config, w.shape, device, seconds, warmup)}


def _stepper(config: RunConfig | TranslationConfig, shape: tuple[int, ...], device: str) -> Any:
    """A module of ``config`` on random data of ``shape`` and its protocol's step function, outside Lightning."""
    module = build_module(config, shape).to(device).outside_trainer()
    protocol = get_protocol(config.protocol)
    split, rows_a_step = protocol.training_batches(Split(tensor=torch.rand(4 * config.batch_size * config.pack, *shape)), config)
    module.real = RealBatches(split, rows_a_step, 0).to(device)
    return lambda: protocol.step.run(module)


def time_steps(config: RunConfig | TranslationConfig, shape: tuple[int, ...], device: str = "cpu", seconds: float = 5.0, warmup: int = 5, min_steps: int = 5) -> dict[str, Any]:
    step = _stepper(config, shape, device)
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(warmup):
        step()
    _sync(device)
    steps, start = 0, time.perf_counter()
    while steps < min_steps or time.perf_counter() - start < seconds:
        step()
        steps += 1
        if steps % 5 == 0:
            _sync(device)
    _sync(device)
    elapsed = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) if device.startswith("cuda") else None
    return {"steps_per_s": steps / elapsed, "steps": steps, "seconds": elapsed, "peak_memory_bytes": peak}


def step_gflop(config: RunConfig | TranslationConfig, shape: tuple[int, ...]) -> float | None:
    """FLOPs of one step, counted by torch's FlopCounterMode (on the CPU); None where it cannot count (its hooks
    refuse the double backward of a gradient penalty)."""
    from torch.utils.flop_counter import FlopCounterMode

    step = _stepper(config, shape, "cpu")
    try:
        with FlopCounterMode(display=False) as counter:
            step()
    except RuntimeError:
        return None
    return counter.get_total_flops() / 1e9


def extraction_rate(extractor: str, device: str = "cpu", seconds: float = 3.0, batch: int = 256) -> dict[str, Any]:
    """Images a second through a feature extractor (uint8 images at its input size)."""
    from .metrics.fidelity import Extractor

    net = Extractor(extractor, None).build(device.startswith("cuda"))
    size = EXTRACTORS[extractor].input_size
    x = (torch.rand(batch, 3, size, size) * 255).to(torch.uint8).to(device)
    with torch.no_grad():
        net(x)
        _sync(device)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            net(x)
            n += batch
            _sync(device)
    return {"extractor": extractor, "images_per_s": n / (time.perf_counter() - start)}
