"""A score for point data without known modes (your own ``npz:`` points): the sliced Wasserstein-1 distance
between generated and held-out test points, the mean over fixed random directions of the 1-D W1 of the
projections (Rabin et al. 2011). Equal sample counts, so each 1-D W1 is the mean gap of the sorted projections."""
from __future__ import annotations

import torch

DIRECTIONS = 128
POINTS = 2_500


def sliced_w1(generated: torch.Tensor, real: torch.Tensor, directions: int = DIRECTIONS, seed: int = 0) -> float:
    n = min(len(generated), len(real))
    g = torch.Generator().manual_seed(seed)
    x = generated[torch.randperm(len(generated), generator=g)[:n]].double()
    y = real[torch.randperm(len(real), generator=g)[:n]].double()
    theta = torch.randn(x.shape[1], directions, generator=g, dtype=torch.float64)
    theta /= theta.norm(dim=0, keepdim=True)
    px, py = (x @ theta).sort(dim=0).values, (y @ theta).sort(dim=0).values
    return float((px - py).abs().mean())
