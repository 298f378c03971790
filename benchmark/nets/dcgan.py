"""DCGAN (Radford et al. 2016) for square 32x32 and 64x64 images."""
from __future__ import annotations

import math

from torch import nn

from .layers import Style, maybe

LRELU = 0.2


def check(shape: tuple[int, ...]) -> str | None:
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in (32, 64):
        return f"arch 'dcgan' needs square 32x32 or 64x64 images, got shape {tuple(shape)}"
    return None


def generator(shape: tuple[int, ...], z_dim: int, style: Style, width: int = 64) -> nn.Module:
    c, h, _ = shape
    n_up = int(math.log2(h // 4))
    ch = width * 2 ** (n_up - 1)
    layers = [nn.Linear(z_dim, ch * 16), style.batch_norm(ch * 16, 1), nn.ReLU(), nn.Unflatten(1, (ch, 4, 4))]
    for _ in range(n_up - 1):
        layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), style.batch_norm(ch // 2, 2), nn.ReLU()]
        ch //= 2
    layers += [nn.ConvTranspose2d(ch, c, 4, 2, 1), nn.Sigmoid()]
    return nn.Sequential(*layers)


def discriminator(shape: tuple[int, ...], out_dim: int, batch_norm: bool, style: Style, width: int = 64) -> nn.Module:
    c, h, _ = shape
    n_down = int(math.log2(h // 4))
    layers, ch = [nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(LRELU)], width
    for _ in range(n_down - 1):
        layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1), maybe(batch_norm, lambda: style.batch_norm(ch * 2, 2)), nn.LeakyReLU(LRELU)]
        ch *= 2
    layers += [nn.Flatten(), nn.Linear(ch * 16, out_dim)]
    return nn.Sequential(*layers)
