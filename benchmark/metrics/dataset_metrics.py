"""Metrics that only some data sets define, registered by data set name and computed on fixed latents:
stacked-MNIST modes (out of 1,000) and the `triangles` polygon precision, recall and F1."""
from __future__ import annotations

from typing import Any

import torch

from .latents import fixed_samples


def _stacked_mnist(generator: torch.nn.Module, z_dim: int, prior: str, device: str, n_fake: int) -> dict[str, Any]:
    from .modes import STACKED_MNIST_SAMPLES, stacked_mnist_modes

    n = STACKED_MNIST_SAMPLES  # PacGAN's count, whatever the FID's sample size
    return {**stacked_mnist_modes(fixed_samples(generator, z_dim, n, prior, device)), "modes_n_fake": n}


def _triangles(generator: torch.nn.Module, z_dim: int, prior: str, device: str, n_fake: int) -> dict[str, Any]:
    from .polygons import polygon_precision_recall

    fake = fixed_samples(generator, z_dim, min(n_fake, 1000), prior, device)  # fitting costs ~10 ms a sample on CPU
    return polygon_precision_recall(generator, fake, z_dim, k=3, prior=prior, device=device)


DATASET_METRICS = {"stacked_mnist": _stacked_mnist, "triangles": _triangles}


def dataset_metrics(generator: torch.nn.Module, z_dim: int, dataset: str, prior: str = "uniform", device: str | torch.device = "cpu", n_fake: int = 10_000) -> dict[str, Any]:
    fn = DATASET_METRICS.get(dataset)
    return fn(generator, z_dim, prior, str(device), n_fake) if fn else {}
