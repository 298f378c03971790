"""2-D Gaussian mixtures: PacGAN's ring and grid."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .base import Split

# PacGAN (Lin et al. 2018) and its code, fjxmlzn/PacGAN synthetic_data_experiments/2D*_GAN&PacGAN/config.py:
# the ring's 8 means on the unit circle with std 0.01, the grid's 25 means at {-4, -2, 0, 2, 4}^2 with std 0.05,
# 100,000 training samples drawn once, modes equally likely.
RING8_CENTRES = np.array([[math.cos(2 * math.pi * i / 8), math.sin(2 * math.pi * i / 8)] for i in range(8)], dtype=np.float32)
RING8_STD = 0.01
GRID25_CENTRES = np.array([[x, y] for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)], dtype=np.float32)
GRID25_STD = 0.05
_MIXTURE_SIZES = {"train": 100_000, "test": 10_000}
# PacGAN's 2-D training (same config.py): generator z in 2-D ~ N(0, I), batch 100, Adam lr 1e-4 and beta1 0.8,
# 400 epochs of the 100,000 samples = 400,000 steps; the nets are benchmark.nets.mlp.
PACGAN_2D = dict(arch="mlp", z_dim=2, prior="normal", batch_size=100, lr=1e-4, beta1=0.8, steps=400_000)


def _mixture(centres: np.ndarray, std: float, seed: int) -> Callable[[str, Path], Split]:
    def load(split: str, root: Path) -> Split:
        g = torch.Generator().manual_seed(seed + (0 if split == "train" else 1))
        n = _MIXTURE_SIZES[split]
        labels = torch.randint(len(centres), (n,), generator=g)
        points = torch.from_numpy(centres)[labels] + std * torch.randn(n, 2, generator=g, dtype=torch.float32)  # in any default dtype
        return Split(tensor=points, labels=labels)

    return load
