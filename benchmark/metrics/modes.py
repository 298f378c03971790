"""Mode coverage on data sets with known modes.

2-D mixtures (ring8, grid25): each sample is assigned to its nearest centre; it is high quality when it lies
within 3 standard deviations of that centre. A mode is covered when it holds at least 20% of its uniform share
of the samples (PacGAN's rule: 20 of 2,500 samples for 25 modes). KL is between the histogram of high-quality
samples over modes and the uniform distribution (inf when no sample is high quality).
"""
from __future__ import annotations

import math

import numpy as np
import torch

COVERED_SHARE = 0.2


def mode_histogram_metrics(counts: np.ndarray, n_total: int) -> dict:
    modes = len(counts)
    covered = int((counts >= COVERED_SHARE * n_total / modes).sum())
    hq = counts.sum()
    if hq == 0:
        kl = math.inf
    else:
        p = counts / hq
        nz = p > 0
        kl = float((p[nz] * np.log(p[nz] * modes)).sum())
    return {"modes_covered": covered, "modes_total": modes, "mode_kl": kl}


def mixture_modes(samples: torch.Tensor, centres: np.ndarray, std: float) -> dict:
    x = samples.detach().double().cpu()
    c = torch.as_tensor(centres, dtype=torch.float64)
    dist, nearest = torch.cdist(x, c).min(dim=1)
    high_quality = dist <= 3 * std
    counts = np.bincount(nearest[high_quality].numpy(), minlength=len(c))
    return {**mode_histogram_metrics(counts, len(x)), "high_quality_fraction": float(high_quality.double().mean())}
