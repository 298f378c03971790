"""A small MLP for 2-D data (two hidden layers of 128), a few times cheaper a step than PacGAN's nets (``mlp``):
for quick runs and the tests of sweep machinery, not for comparisons with published 2-D numbers."""
from __future__ import annotations

from torch import nn

from .layers import Style, maybe

LRELU, WIDTH = 0.2, 128


def check(shape: tuple[int, ...]) -> str | None:
    return None if len(shape) == 1 else f"arch 'mlp_small' needs vector data (D,), got shape {tuple(shape)}"


def generator(shape: tuple[int, ...], z_dim: int, style: Style) -> nn.Module:
    return nn.Sequential(nn.Linear(z_dim, WIDTH), nn.ReLU(), nn.Linear(WIDTH, WIDTH), nn.ReLU(), nn.Linear(WIDTH, shape[0]))


def discriminator(shape: tuple[int, ...], out_dim: int, batch_norm: bool, style: Style) -> nn.Module:
    return nn.Sequential(
        nn.Linear(shape[0], WIDTH), maybe(batch_norm, lambda: style.batch_norm(WIDTH, 1)), nn.LeakyReLU(LRELU),
        nn.Linear(WIDTH, WIDTH), maybe(batch_norm, lambda: style.batch_norm(WIDTH, 1)), nn.LeakyReLU(LRELU),
        nn.Linear(WIDTH, out_dim),
    )
