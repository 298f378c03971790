"""A small MLP for low-dimensional data (the 2-D mixtures)."""
from __future__ import annotations

from torch import nn

from .layers import Style, maybe

LRELU = 0.2


def check(shape) -> str | None:
    return None if len(shape) == 1 else f"arch 'mlp' needs vector data (D,), got shape {tuple(shape)}"


def generator(shape, z_dim: int, style: Style, width: int = 128) -> nn.Module:
    return nn.Sequential(nn.Linear(z_dim, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, shape[0]))


def discriminator(shape, out_dim: int, batch_norm: bool, style: Style, width: int = 128) -> nn.Module:
    return nn.Sequential(
        nn.Linear(shape[0], width), maybe(batch_norm, lambda: style.batch_norm(width, 1)), nn.LeakyReLU(LRELU),
        nn.Linear(width, width), maybe(batch_norm, lambda: style.batch_norm(width, 1)), nn.LeakyReLU(LRELU),
        nn.Linear(width, out_dim),
    )
