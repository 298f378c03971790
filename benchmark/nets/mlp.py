"""PacGAN's nets for 2-D data (Lin et al. 2018; fjxmlzn/PacGAN synthetic_data_experiments/2D*_GAN&PacGAN/
pacgan_task.py): generator z -> 4 x [400 units, no bias, batch norm, ReLU] -> linear out; discriminator
3 x [maxout of 5 pieces, 200 units] -> linear 1. Weights N(0, 0.02), biases 0 (the builder's init)."""
from __future__ import annotations

import torch
from torch import nn

from .layers import BlocksBatchNorm, Style, blocks_batch_norm, maybe

GEN_WIDTH, DISC_WIDTH, MAXOUT_PIECES, GEN_LAYERS, DISC_LAYERS = 400, 200, 5, 4, 3


def check(shape: tuple[int, ...]) -> str | None:
    return None if len(shape) == 1 else f"arch 'mlp' needs vector data (D,), got shape {tuple(shape)}"


class Maxout(nn.Module):
    """A linear layer to ``out * pieces`` units, then the maximum over each group of ``pieces``."""

    def __init__(self, n_in: int, n_out: int, pieces: int) -> None:
        super().__init__()
        self.linear, self.n_out, self.pieces = nn.Linear(n_in, n_out * pieces), n_out, pieces

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(-1, self.n_out, self.pieces).amax(-1)


def generator(shape: tuple[int, ...], z_dim: int, style: Style) -> nn.Module:
    layers, n = [], z_dim
    for _ in range(GEN_LAYERS):
        # PacGAN's own batch norm under its protocol; else PyTorch's, its population statistics at PacGAN's rate
        bn = BlocksBatchNorm(GEN_WIDTH) if style.batch_norm is blocks_batch_norm else nn.BatchNorm1d(GEN_WIDTH, momentum=0.05)
        layers += [nn.Linear(n, GEN_WIDTH, bias=False), bn, nn.ReLU()]
        n = GEN_WIDTH
    return nn.Sequential(*layers, nn.Linear(n, shape[0]))


def discriminator(shape: tuple[int, ...], out_dim: int, batch_norm: bool, style: Style) -> nn.Module:
    layers, n = [], shape[0]
    for _ in range(DISC_LAYERS):
        layers += [Maxout(n, DISC_WIDTH, MAXOUT_PIECES), maybe(batch_norm, lambda: style.batch_norm(DISC_WIDTH, 1))]
        n = DISC_WIDTH
    return nn.Sequential(*layers, nn.Linear(n, out_dim))
