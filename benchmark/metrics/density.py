"""Density and coverage (Naeem, Oh, Uh, Choi & Yoo, "Reliable Fidelity and Diversity Metrics for Generative Models",
ICML 2020, eqs. 5 and 6) and FID's dependence on the sample count made explicit (FID-infinity, Chong & Forsyth,
"Effectively Unbiased FID and Inception Score and where to find them", CVPR 2020), on the features FID is computed on.
"""
from __future__ import annotations

from typing import Any, Callable

import math

import numpy as np
import torch

CHUNK = 1024  # fake rows at a time: a 10,000 x 10,000 distance matrix in float64 would take 800 MB


def density_coverage(real: torch.Tensor, fake: torch.Tensor, k: int = 5) -> dict[str, Any]:
    """Each real sample's ball reaches its k-th nearest real neighbour. density = (1 / kM) sum_j sum_i 1[Y_j in B(X_i)]
    (how many real balls a fake sample lies in, over k: about 1 when the two match, above 1 where fakes crowd the
    real modes); coverage = (1 / N) sum_i 1[some Y_j in B(X_i)] (the share of real balls reached)."""
    real, fake = real.double().flatten(1), fake.double().flatten(1)
    if len(real) <= k:
        raise ValueError(f"nearest_k: {k} neighbours need more than {k} real samples, not {len(real)}")
    radii = torch.cat([torch.cdist(real[i:i + CHUNK], real).kthvalue(k + 1, dim=1).values for i in range(0, len(real), CHUNK)])
    inside, nearest = 0, torch.full((len(real),), math.inf, dtype=torch.float64)
    for i in range(0, len(fake), CHUNK):
        d = torch.cdist(fake[i:i + CHUNK], real)  # (fakes, reals)
        inside += int((d < radii).sum())
        nearest = torch.minimum(nearest, d.min(0).values)
    return {"density": inside / (k * len(fake)), "coverage": float((nearest < radii).double().mean())}


def fid_infinity(fake: torch.Tensor, real_stats: tuple[Any, ...], fid_of: Callable[[torch.Tensor, Any], float], sizes: int = 15, seed: int = 0) -> dict[str, Any]:
    """Chong & Forsyth's extrapolation: FID of ``sizes`` fake subsets from a fifth of the fakes to all of them
    against the same real statistics, a straight line fitted to FID against 1 / N, its value at 1 / N = 0.
    ``fid_of(fake_subset, real_stats)`` computes one FID. Returns the estimate, the fit's range and its slope."""
    n = len(fake)
    counts = np.linspace(max(n // 5, 2), n, sizes).astype(int)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    fids = np.array([fid_of(fake[order[:c]], real_stats) for c in counts])
    slope, intercept = np.polyfit(1.0 / counts, fids, 1)
    return {"fid_infinity": float(intercept), "fid_infinity_slope": float(slope),
            "fid_infinity_sizes": [int(counts[0]), int(counts[-1])]}
