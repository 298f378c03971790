"""The small DCGAN of the unrolled-GAN paper's Stacked MNIST experiment, as PacGAN's Table 3 trains it
(fjxmlzn/PacGAN stacked_MNIST_experiments/unrolled_GAN_experiment/D=0.25G and D=0.5G, model.py), with the
discriminator a quarter or half the generator's size:
G: FC 64·4·4-BN-ReLU, deconv 32 (7x7), 16 (14x14), 8 (28x28), each 3x3 stride 2 with BN and ReLU, conv 3x3 to C,
tanh (mapped to [0, 1], as their evaluation does); D: three 3x3 stride-2 convolutions of 2-4-8 (quarter) or 4-8-16
(half) channels, each with batch norm where d_batch_norm (their code always has it) and LeakyReLU 0.3, FC 1.
Padding is symmetric (TF's 'SAME' pads 0 above and 1 below at stride 2); images (C, 28, 28) only."""
from __future__ import annotations

from typing import Any

import functools
from types import SimpleNamespace

import torch
from torch import nn

from .layers import Style, maybe

LRELU = 0.3


def check(shape: tuple[int, ...]) -> str | None:
    if len(shape) != 3 or tuple(shape[1:]) != (28, 28):
        return f"arch 'unrolled_d_*' needs 28x28 images (C, 28, 28), got shape {tuple(shape)}"
    return None


class ToUnitRange(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x + 1) / 2


def generator(shape: tuple[int, ...], z_dim: int, style: Style) -> nn.Module:
    c = shape[0]
    bn = style.batch_norm
    return nn.Sequential(
        nn.Linear(z_dim, 64 * 4 * 4), nn.Unflatten(1, (64, 4, 4)), bn(64, 2), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 3, 2, 1), bn(32, 2), nn.ReLU(),  # 4 -> 7
        nn.ConvTranspose2d(32, 16, 3, 2, 1, output_padding=1), bn(16, 2), nn.ReLU(),  # 7 -> 14
        nn.ConvTranspose2d(16, 8, 3, 2, 1, output_padding=1), bn(8, 2), nn.ReLU(),  # 14 -> 28
        nn.Conv2d(8, c, 3, 1, 1), nn.Tanh(), ToUnitRange(),
    )


def _discriminator(shape: tuple[int, ...], out_dim: int, batch_norm: bool, style: Style, channels: tuple[Any, ...]) -> nn.Module:
    layers: list[nn.Module] = []
    cin = shape[0]
    for cout in channels:  # 28 -> 14 -> 7 -> 4
        layers += [nn.Conv2d(cin, cout, 3, 2, 1), maybe(batch_norm, functools.partial(style.batch_norm, cout, 2)), nn.LeakyReLU(LRELU)]
        cin = cout
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * 4 * 4, out_dim))


def _size(channels: tuple[Any, ...]) -> SimpleNamespace:
    return SimpleNamespace(check=check, generator=generator,
                           discriminator=lambda shape, out_dim, batch_norm, style: _discriminator(shape, out_dim, batch_norm, style, channels))


D_QUARTER, D_HALF = _size((2, 4, 8)), _size((4, 8, 16))
