"""The types every data set shares: a split, a data set's description, the error for bad data input."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from ..schema import env


class DataError(ValueError):
    pass


def default_data_root() -> Path:
    return Path(env("GANBENCH_DATA") or Path.home() / ".cache" / "ganbench" / "data").expanduser()


@dataclass
class Split:
    """One split of a data set: ``tensor`` (held in memory) or ``dataset`` (streamed), and labels if known."""

    tensor: torch.Tensor | None = None
    dataset: torch.utils.data.Dataset[Any] | None = None
    labels: torch.Tensor | None = None
    inputs: torch.Tensor | None = None  # paired data sets (image-to-image): the input of each target in ``tensor``

    @property
    def held(self) -> torch.Tensor:
        """The samples of a split held in memory."""
        assert self.tensor is not None, "a streamed split: read it through its data set"
        return self.tensor

    @property
    def labelled(self) -> torch.Tensor:
        """The labels of a split that has them."""
        assert self.labels is not None, "a split without labels"
        return self.labels

    def __len__(self) -> int:
        if self.tensor is not None:
            return len(self.tensor)
        assert self.dataset is not None, "a split holds a tensor or a data set"
        return len(self.dataset)  # type: ignore[arg-type]  # torch's Dataset declares no __len__; ours have one


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    description: str
    shape: tuple[int, ...]
    load: Callable[[str, Path], Split]  # (split, root) -> Split
    modes: int = 0  # number of modes for mixtures and stacked MNIST, 0 if not a mode-counting data set
    mode_centres: np.ndarray | None = field(default=None, compare=False)
    mode_std: float = 0.0
    defaults: dict[str, Any] = field(default_factory=dict[str, Any], compare=False)  # training settings this data set's protocol fixes
    fingerprint: str = ""  # user data sets: a hash of their files, part of every cache key of their statistics
    input_shape: tuple[int, ...] | None = None  # paired data sets: the shape of the input an image is translated from

    @property
    def is_paired(self) -> bool:
        return self.input_shape is not None

    @property
    def paired_input_shape(self) -> tuple[int, ...]:
        """The input's shape of a paired data set."""
        assert self.input_shape is not None, f"{self.name} is not a paired data set"
        return self.input_shape

    @property
    def is_image(self) -> bool:
        return len(self.shape) == 3


def as_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images to floats in [0, 1], and float data, in the default floating dtype (float32; float64 where the
    same-seed check runs, tests/regression/same_seed.py)."""
    dtype = torch.get_default_dtype()
    return x.to(dtype).div_(255.0) if x.dtype == torch.uint8 else x.to(dtype)


def file_name(name: str) -> str:
    """A name that is safe as one path component: registry names as they are; user data sets (folder:PATH) and
    losses (package.module:function) as their readable tail and a short hash of the whole name."""

    if re.fullmatch(r"[A-Za-z0-9_.+-]+", name) and name not in (".", ".."):
        return name
    tail = re.sub(r"[^A-Za-z0-9_+-]+", "_", name.rstrip("/").split("/")[-1])[-40:].strip("_")
    return f"{tail or 'data'}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
