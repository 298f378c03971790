"""The study's architecture (compare_gan abstract_gan.py:61-109, "based on InfoGAN"), BEGAN's autoencoder
(BEGAN.py:50-99) and the VAE's decoder (VAE.py:60-76). Images (C, H, W) with H and W divisible by 4."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .layers import Style, maybe

LRELU = 0.2


def check(shape: tuple[int, ...]) -> str | None:
    if len(shape) != 3 or shape[1] % 4 or shape[2] % 4:
        return f"arch 'infogan' needs images (C, H, W) with H and W divisible by 4, got shape {tuple(shape)}"
    return None


def generator(shape: tuple[int, ...], z_dim: int, style: Style, relu: bool = False, fc: int = 1024, channels: tuple[Any, ...] = (128, 64)) -> nn.Module:
    """FC1024-BN-lReLU, FC 128·h/4·w/4-BN-lReLU, deconv 64-BN-lReLU, deconv c, sigmoid. ``relu``: the VAE's
    decoder, the same layers with ReLU (VAE.py:66-75). ``fc`` and ``channels``: the widths (conv_small's are smaller)."""
    c, h, w = shape
    act = nn.ReLU if relu else (lambda: nn.LeakyReLU(LRELU))
    c1, c2 = channels
    bn, flat = style.batch_norm, c1 * (h // 4) * (w // 4)
    return nn.Sequential(
        nn.Linear(z_dim, fc), bn(fc, 1), act(),
        nn.Linear(fc, flat), bn(flat, 1), act(),
        nn.Unflatten(1, (c1, h // 4, w // 4)),
        nn.ConvTranspose2d(c1, c2, 4, 2, 1), bn(c2, 2), act(),
        nn.ConvTranspose2d(c2, c, 4, 2, 1), nn.Sigmoid(),
    )


def discriminator(shape: tuple[int, ...], out_dim: int, batch_norm: bool, style: Style, channels: tuple[Any, ...] = (64, 128), fc: int = 1024) -> nn.Module:
    """conv64-lReLU, conv128-[BN]-lReLU, FC1024-[BN]-lReLU, FC out_dim (4x4 kernels, stride 2, TF 'SAME' padding
    which is 1 on each side for even sizes)."""
    c, h, w = shape
    c1, c2 = channels
    return nn.Sequential(
        nn.Conv2d(c, c1, 4, 2, 1), nn.LeakyReLU(LRELU),
        nn.Conv2d(c1, c2, 4, 2, 1), maybe(batch_norm, lambda: style.batch_norm(c2, 2)), nn.LeakyReLU(LRELU),
        nn.Flatten(),
        nn.Linear(c2 * (h // 4) * (w // 4), fc), maybe(batch_norm, lambda: style.batch_norm(fc, 1)), nn.LeakyReLU(LRELU),
        nn.Linear(fc, out_dim),
    )


class StudyBEGANAutoencoder(nn.Module):
    """BEGAN's discriminator in the study (BEGAN.py:50-99): conv64-lReLU, conv128, FC64-[BN]-lReLU (the code),
    then FC 128·h/4·w/4-[BN]-lReLU, deconv64-[BN]-lReLU, deconv c, sigmoid. Batch norm only where d_batch_norm.
    The study's encoder has no activation after conv128. Output: each sample's mean absolute reconstruction
    error (the study's error is the batch mean of these)."""

    def __init__(self, shape: tuple[int, ...], batch_norm: bool, style: Style, code_dim: int = 64) -> None:
        super().__init__()
        c, h, w = shape
        flat = 128 * (h // 4) * (w // 4)
        def bn(n: int, dims: int) -> nn.Module:
            return maybe(batch_norm, lambda: style.batch_norm(n, dims))

        self.encoder = nn.Sequential(
            nn.Conv2d(c, 64, 4, 2, 1), nn.LeakyReLU(LRELU), nn.Conv2d(64, 128, 4, 2, 1), nn.Flatten(),
            nn.Linear(flat, code_dim), bn(code_dim, 1), nn.LeakyReLU(LRELU))
        self.decoder = nn.Sequential(
            nn.Linear(code_dim, flat), bn(flat, 1), nn.LeakyReLU(LRELU), nn.Unflatten(1, (128, h // 4, w // 4)),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), bn(64, 2), nn.LeakyReLU(LRELU),
            nn.ConvTranspose2d(64, c, 4, 2, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.decoder(self.encoder(x)) - x).abs().flatten(1).mean(1)
