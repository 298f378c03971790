"""The study's InfoGAN-style layout at a quarter of its widths (FC 256, deconv 32 and 16; conv 16 and 32, FC 256):
about twenty times cheaper a step, so that `make demo` trains digits that can be read on two CPU cores. For
quick runs, not for comparisons with the study's numbers (which use ``infogan``)."""
from __future__ import annotations

from torch import nn

from .infogan import LRELU
from .infogan import check as _infogan_check
from .layers import Style, maybe


def check(shape) -> str | None:
    problem = _infogan_check(shape)
    return problem.replace("'infogan'", "'conv_small'") if problem else None


def generator(shape, z_dim: int, style: Style, relu: bool = False) -> nn.Module:
    c, h, w = shape
    act = nn.ReLU if relu else (lambda: nn.LeakyReLU(LRELU))
    bn, flat = style.batch_norm, 32 * (h // 4) * (w // 4)
    return nn.Sequential(
        nn.Linear(z_dim, 256), bn(256, 1), act(),
        nn.Linear(256, flat), bn(flat, 1), act(),
        nn.Unflatten(1, (32, h // 4, w // 4)),
        nn.ConvTranspose2d(32, 16, 4, 2, 1), bn(16, 2), act(),
        nn.ConvTranspose2d(16, c, 4, 2, 1), nn.Sigmoid(),
    )


def discriminator(shape, out_dim: int, batch_norm: bool, style: Style) -> nn.Module:
    c, h, w = shape
    return nn.Sequential(
        nn.Conv2d(c, 16, 4, 2, 1), nn.LeakyReLU(LRELU),
        nn.Conv2d(16, 32, 4, 2, 1), maybe(batch_norm, lambda: style.batch_norm(32, 2)), nn.LeakyReLU(LRELU),
        nn.Flatten(),
        nn.Linear(32 * (h // 4) * (w // 4), 256), maybe(batch_norm, lambda: style.batch_norm(256, 1)), nn.LeakyReLU(LRELU),
        nn.Linear(256, out_dim),
    )
