"""Memory weighed before work: a run's and an export's need, estimated from what the configuration declares, against
what the machine (or the device) has, so that a size nobody can afford is refused in one line before any file is
written, instead of failing minutes later with a traceback and a half-written folder.

The estimate of a training run is the nets built on PyTorch's meta device (shapes only, no memory): their parameters
four times over (weights, gradients, Adam's two moments) and, per sample of a batch, every module's output counted
three times (kept for the backward pass, its gradient, a temporary), for the batch_size x pack samples each player
sees, with the generators of a mixture each holding its own weights. It is an estimate, not calibrated against
measured peaks: its purpose is to refuse sizes off by orders of magnitude, not to predict a run's peak. pix2pix
runs (TranslationConfig) are not weighed."""
from __future__ import annotations

from typing import Any

import math
import os
from pathlib import Path

import torch

from .config import RunConfig
from .schema import RUN_FIELDS, ConfigError, env

GiB = 1 << 30
BYTES = 4  # float32
SIZES = ("batch_size", "z_dim", "pack", "generators")  # the declared sizes a run's memory grows with


def size(n: float) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB / 10 else f"{n / (1 << 20):.1f} MiB"


def available_bytes(device: str = "cpu") -> int:
    """What a run may use: GANBENCH_MEMORY_GB when set, else the device's free memory (CUDA) or the machine's
    available memory (MemAvailable, else the physical memory)."""
    if env("GANBENCH_MEMORY_GB"):
        return int(env("GANBENCH_MEMORY_GB") * GiB)
    if str(device).startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.mem_get_info(torch.device(device))[0]
    meminfo = Path("/proc/meminfo")  # Linux; elsewhere the physical memory is the limit
    lines = meminfo.read_text().splitlines() if meminfo.is_file() else []
    available = [int(line.split()[1]) * 1024 for line in lines if line.startswith("MemAvailable:")]
    return available[0] if available else os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _per_sample_outputs(net: torch.nn.Module, example: torch.Tensor) -> int:
    """Numbers every module of ``net`` outputs for one sample, from a forward pass on the meta device."""
    total = 0

    def count(_module: torch.nn.Module, _inputs: Any, output: Any) -> None:
        nonlocal total
        for t in output if isinstance(output, (tuple, list)) else [output]:
            if isinstance(t, torch.Tensor):
                total += t.numel() // max(1, t.shape[0]) if t.dim() > 0 else 1

    hooks = [m.register_forward_hook(count) for m in net.modules() if m is not net]
    try:
        net(example)
    finally:
        for h in hooks:
            h.remove()
    return total


def run_bytes(config: RunConfig, shape: tuple[int, ...]) -> int:
    """Estimated peak memory of training ``config`` (a RunConfig) on samples of ``shape``."""
    from .module import build_module  # Lightning: only where a run is weighed

    one = config.replace(generators=1)
    with torch.device("meta"):
        module = build_module(one, shape)
        params = sum(p.numel() for p in module.generator.parameters())
        params = params * config.generators * (2 if config.ema_nimg else 1) + sum(p.numel() for p in (module.discriminator.parameters() if module.discriminator is not None else []))
        g_out = _per_sample_outputs(module.generator, torch.zeros(2, config.z_dim))  # 2: batch norm needs two
        fake = torch.zeros(2 * config.pack, *shape)  # a packed discriminator reads m consecutive rows as one pack
        d_out = _per_sample_outputs(module.discriminator, fake) / config.pack if module.discriminator is not None else 0
    samples = config.batch_size * config.pack
    return int(BYTES * (4 * params + 3 * samples * (g_out + d_out) + 2 * samples * math.prod(shape)))


def check_run_fits(config: RunConfig, shape: tuple[int, ...], copies: int = 1, device: str = "cpu") -> None:
    """Refuse, in one line naming the setting to change, a run (``copies`` of it sharing the device) that cannot fit."""
    need, have = copies * run_bytes(config, shape), available_bytes(device)
    if need > have:
        # the size furthest above its declared default is the one to change
        biggest = max(SIZES, key=lambda name: getattr(config, name) / RUN_FIELDS[name].default)
        raise ConfigError(f"{biggest}: the run needs about {size(need)} ({'%d runs, ' % copies if copies > 1 else ''}"
                          f"{', '.join(f'{n} {getattr(config, n)}' for n in SIZES)}), more than the "
                          f"{size(have)} available (GANBENCH_MEMORY_GB sets the limit); lower {biggest}")


def check_samples_fit(n: int, shape: tuple[int, ...], device: str = "cpu") -> None:
    """An export of ``n`` samples of ``shape`` is held in memory once as float32 before it is written."""
    need, have = 2 * BYTES * n * math.prod(shape), available_bytes(device)
    if need > have:
        raise ConfigError(f"n: {n:,} samples of {'x'.join(map(str, shape))} numbers need about {size(need)}, more than the "
                          f"{size(have)} available (GANBENCH_MEMORY_GB sets the limit); export fewer at a time")
