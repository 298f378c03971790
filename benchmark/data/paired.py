"""Paired data sets for image-to-image translation (pix2pix, Isola et al. 2017): each target image has an input.

Offline, built from mnist5k (same split, so train and test share no digit), padded 28 -> 32 so that a U-Net halves
cleanly down to 1x1, with each digit's label kept for the classifier score:
- ``edges2digits``: the Sobel edge map of a digit (|grad| > 1 on [0, 1] pixels) -> the digit;
- ``inpaint_digits``: a digit with a 12x12 square set to mid grey (0.5, unlike the black background), at a
  position fixed per image -> the whole digit.

Online, the archives the pix2pix authors publish (``PIX2PIX_URL``/NAME.tar.gz, one JPEG per pair with A on the
left and B on the right, NAME/{train,val,test}/), downloaded into the data root on first use; the direction of each
is the one the authors train (their README): facades and cityscapes B -> A (labels to photo), maps and
edges2shoes A -> B. The test split is ``test`` where the archive has one, else ``val``.
"""
from __future__ import annotations

from typing import Any

import os
import shutil
import tarfile
import urllib.request
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .base import DataError, Split
from .digits import _mnist5k
from ..schema import env

PAD = 2  # 28 + 2 * 2 = 32
SOBEL_THRESHOLD = 1.0
HOLE = 12


def _padded_digits(split: str, root: Path) -> tuple[torch.Tensor, torch.Tensor]:
    digits = _mnist5k(split, root)
    return F.pad(digits.held, (PAD,) * 4), digits.labelled


def sobel_edges(images: torch.Tensor) -> torch.Tensor:
    """uint8 (N, 1, H, W) -> uint8 edge maps: 255 where the Sobel gradient magnitude of the [0, 1] image exceeds 1."""
    x = images.float() / 255
    kx = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=torch.float32).view(1, 1, 3, 3)  # the data, in any default dtype
    gx, gy = F.conv2d(x, kx, padding=1), F.conv2d(x, kx.transpose(2, 3), padding=1)
    return ((gx**2 + gy**2).sqrt() > SOBEL_THRESHOLD).to(torch.uint8) * 255


def _edges2digits(split: str, root: Path) -> Split:
    targets, labels = _padded_digits(split, root)
    return Split(tensor=targets, labels=labels, inputs=sobel_edges(targets))


def hole_corners(n: int, split: str, size: int = 32) -> torch.Tensor:
    """The top-left corner of each image's hole: fixed per (split, index), inside the 28x28 digit area."""
    g = torch.Generator().manual_seed(11 if split == "train" else 12)
    return torch.randint(PAD, size - PAD - HOLE + 1, (n, 2), generator=g)


def _inpaint_digits(split: str, root: Path) -> Split:
    targets, labels = _padded_digits(split, root)
    inputs = targets.clone()
    for img, (r, c) in zip(inputs, hole_corners(len(targets), split).tolist()):
        img[:, r:r + HOLE, c:c + HOLE] = 128
    return Split(tensor=targets, labels=labels, inputs=inputs)


# --- the pix2pix authors' archives ------------------------------------------------------------------------------

PAPER_SETS = {"facades": "BtoA", "cityscapes": "BtoA", "maps": "AtoB", "edges2shoes": "AtoB"}
PAPER_SIZE = 256
# the paper's schedule (section 6.2): (training pairs, epochs, batch size); a step is one batch
PAPER_SCHEDULE = {"facades": (400, 200, 1), "cityscapes": (2975, 200, 1), "maps": (1096, 200, 1), "edges2shoes": (49825, 15, 4)}


def paper_defaults(name: str) -> dict[str, Any]:
    pairs, epochs, batch = PAPER_SCHEDULE[name]
    return dict(batch_size=batch, steps=pairs * epochs // batch)


def _download(name: str, root: Path) -> Path:
    """root/NAME, fetched and unpacked when absent. The base URL can be set (GANBENCH_PIX2PIX_URL, e.g. a mirror or a
    file:// folder); the archive is unpacked into a temporary folder and renamed, so a failure leaves nothing."""
    folder = root / name
    if (folder / "train").is_dir():
        return folder
    url = f"{env('GANBENCH_PIX2PIX_URL').rstrip('/')}/{name}.tar.gz"
    root.mkdir(parents=True, exist_ok=True)
    archive, unpacked = root / f".{name}.tar.gz.partial", root / f".{name}.partial"
    try:
        with urllib.request.urlopen(url, timeout=30) as r, open(archive, "wb") as f:
            while chunk := r.read(1 << 20):
                f.write(chunk)
        with tarfile.open(archive) as tar:
            tar.extractall(unpacked, filter="data")
    except (OSError, tarfile.TarError) as e:
        raise DataError(f"dataset: {name} is not under {root} and could not be downloaded from {url} "
                        f"({type(e).__name__}); put the unpacked archive at {folder} or run once online") from None
    finally:
        archive.unlink(missing_ok=True)
    inner = unpacked / name if (unpacked / name).is_dir() else unpacked
    if not (inner / "train").is_dir():
        raise DataError(f"dataset: the archive {url} has no {name}/train folder; it is not a pix2pix data set")
    os.replace(inner, folder)
    if unpacked.exists():
        shutil.rmtree(unpacked)
    return folder


class SideBySidePairs(torch.utils.data.Dataset[Any]):
    """The authors' layout: one image per pair, A on the left half and B on the right; yields (input, target) as
    floats in [0, 1], each resized to ``size``."""

    def __init__(self, files: list[Path], direction: str, size: int = PAPER_SIZE) -> None:
        self.files, self.direction, self.size = files, direction, size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        with Image.open(self.files[i]) as im:
            x = torch.from_numpy(np.array(im.convert("RGB"))).permute(2, 0, 1).float() / 255
        w = x.shape[2] // 2
        a, b = (F.interpolate(h[None], size=(self.size, self.size), mode="bilinear", antialias=True, align_corners=False)[0]
                for h in (x[:, :, :w], x[:, :, w:2 * w]))
        return (a, b) if self.direction == "AtoB" else (b, a)


def _paper_set(name: str) -> Any:
    def load(split: str, root: Path) -> Split:
        folder = _download(name, root)
        part = split if split == "train" else ("test" if (folder / "test").is_dir() else "val")
        files = sorted(p for p in (folder / part).iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if not files:
            raise DataError(f"dataset: {folder / part} holds no images")
        return Split(dataset=SideBySidePairs(files, PAPER_SETS[name]))

    return load
