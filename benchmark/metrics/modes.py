"""Mode coverage on data sets with known modes.

2-D mixtures (ring8, grid25): each sample is assigned to its nearest centre; it is high quality when it lies
within 3 standard deviations of that centre. A mode is covered when it holds at least 20% of its uniform share
of the samples (PacGAN's rule: 20 of 2,500 samples for 25 modes). KL is between the histogram of high-quality
samples over modes and the uniform distribution (inf when no sample is high quality).
Stacked MNIST: every sample counts, its mode read by the digit classifier; same covered rule and KL.
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


def stacked_mnist_modes(images: torch.Tensor, batch: int = 1000) -> dict:
    """Stacked MNIST: each of the 3 channels read by the lenet-mnist classifier; the mode is the digit triple."""
    from .lenet import WEIGHTS, LeNet

    net = LeNet()
    net.load_state_dict({k: v.float() for k, v in torch.load(WEIGHTS, map_location="cpu", weights_only=True).items()})
    net.eval()
    x = images.float().div(255) if images.dtype == torch.uint8 else images.float().clamp(0, 1)
    with torch.no_grad():
        digits = torch.cat([net(b.reshape(-1, 1, 28, 28).cpu())[1].argmax(1).view(-1, 3) for b in x.split(batch)])
    modes = digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]
    return mode_histogram_metrics(np.bincount(modes.numpy(), minlength=1000), len(x))
