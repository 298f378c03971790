"""Generator and discriminator architectures, built by name from the data's shape.

``build_generator(arch, shape, z_dim)`` maps z to a sample of ``shape``; ``build_discriminator(arch, shape,
out_dim, batch_norm)`` maps a sample to ``out_dim`` raw outputs. Autoencoders (BEGAN) and encoders (VAE) reuse
both: an encoder is a discriminator with a wider output, a decoder is a generator.
"""
from __future__ import annotations

import math

import torch
from torch import nn

LRELU = 0.2


class ArchitectureError(ValueError):
    pass


def _init_normal(module: nn.Module) -> None:
    """N(0, 0.02) weights as in DCGAN and compare_gan; batch norm scales around 1."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _maybe_bn(on: bool, n: int, dims: int) -> nn.Module:
    if not on:
        return nn.Identity()
    return nn.BatchNorm1d(n) if dims == 1 else nn.BatchNorm2d(n)


# --- infogan: the architecture of the Lucic et al. study (compare_gan v1) -------------------------

def _infogan_generator(shape, z_dim):
    c, h, w = shape
    return nn.Sequential(
        nn.Linear(z_dim, 1024), nn.BatchNorm1d(1024), nn.LeakyReLU(LRELU),
        nn.Linear(1024, 128 * (h // 4) * (w // 4)), nn.BatchNorm1d(128 * (h // 4) * (w // 4)), nn.LeakyReLU(LRELU),
        nn.Unflatten(1, (128, h // 4, w // 4)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(LRELU),
        nn.ConvTranspose2d(64, c, 4, 2, 1), nn.Sigmoid(),
    )


def _infogan_discriminator(shape, out_dim, batch_norm):
    c, h, w = shape
    return nn.Sequential(
        nn.Conv2d(c, 64, 4, 2, 1), nn.LeakyReLU(LRELU),
        nn.Conv2d(64, 128, 4, 2, 1), _maybe_bn(batch_norm, 128, 2), nn.LeakyReLU(LRELU),
        nn.Flatten(),
        nn.Linear(128 * (h // 4) * (w // 4), 1024), _maybe_bn(batch_norm, 1024, 1), nn.LeakyReLU(LRELU),
        nn.Linear(1024, out_dim),
    )


def _infogan_check(shape):
    if len(shape) != 3 or shape[1] % 4 or shape[2] % 4:
        raise ArchitectureError(f"arch 'infogan' needs images (C, H, W) with H and W divisible by 4, got shape {tuple(shape)}")


# --- dcgan (Radford et al. 2016) for square 32x32 and 64x64 images ---------------------------------

def _dcgan_generator(shape, z_dim, width=64):
    c, h, _ = shape
    n_up = int(math.log2(h // 4))
    ch = width * 2 ** (n_up - 1)
    layers = [nn.Linear(z_dim, ch * 16), nn.BatchNorm1d(ch * 16), nn.ReLU(), nn.Unflatten(1, (ch, 4, 4))]
    for _ in range(n_up - 1):
        layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), nn.BatchNorm2d(ch // 2), nn.ReLU()]
        ch //= 2
    layers += [nn.ConvTranspose2d(ch, c, 4, 2, 1), nn.Sigmoid()]
    return nn.Sequential(*layers)


def _dcgan_discriminator(shape, out_dim, batch_norm, width=64):
    c, h, _ = shape
    n_down = int(math.log2(h // 4))
    layers, ch = [nn.Conv2d(c, width, 4, 2, 1), nn.LeakyReLU(LRELU)], width
    for _ in range(n_down - 1):
        layers += [nn.Conv2d(ch, ch * 2, 4, 2, 1), _maybe_bn(batch_norm, ch * 2, 2), nn.LeakyReLU(LRELU)]
        ch *= 2
    layers += [nn.Flatten(), nn.Linear(ch * 16, out_dim)]
    return nn.Sequential(*layers)


def _dcgan_check(shape):
    if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in (32, 64):
        raise ArchitectureError(f"arch 'dcgan' needs square 32x32 or 64x64 images, got shape {tuple(shape)}")


# --- mlp for low-dimensional data -------------------------------------------------------------------

def _mlp_generator(shape, z_dim, width=128):
    return nn.Sequential(nn.Linear(z_dim, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, shape[0]))


def _mlp_discriminator(shape, out_dim, batch_norm, width=128):
    return nn.Sequential(
        nn.Linear(shape[0], width), _maybe_bn(batch_norm, width, 1), nn.LeakyReLU(LRELU),
        nn.Linear(width, width), _maybe_bn(batch_norm, width, 1), nn.LeakyReLU(LRELU),
        nn.Linear(width, out_dim),
    )


def _mlp_check(shape):
    if len(shape) != 1:
        raise ArchitectureError(f"arch 'mlp' needs vector data (D,), got shape {tuple(shape)}")


ARCHITECTURES = {
    "infogan": (_infogan_check, _infogan_generator, _infogan_discriminator),
    "dcgan": (_dcgan_check, _dcgan_generator, _dcgan_discriminator),
    "mlp": (_mlp_check, _mlp_generator, _mlp_discriminator),
}


def check_fits(arch: str, shape) -> None:
    if arch not in ARCHITECTURES:
        raise ArchitectureError(f"arch: unknown '{arch}', choose one of {', '.join(ARCHITECTURES)}")
    ARCHITECTURES[arch][0](tuple(shape))


def build_generator(arch: str, shape, z_dim: int) -> nn.Module:
    check_fits(arch, shape)
    net = ARCHITECTURES[arch][1](tuple(shape), z_dim)
    if arch != "mlp":  # the MLP keeps PyTorch's default init: N(0, 0.02) makes its outputs start near 0 and learn slowly
        _init_normal(net)
    return net


def build_discriminator(arch: str, shape, out_dim: int = 1, batch_norm: bool = False) -> nn.Module:
    check_fits(arch, shape)
    net = ARCHITECTURES[arch][2](tuple(shape), out_dim, batch_norm)
    if arch != "mlp":
        _init_normal(net)
    return net


class AutoencoderDiscriminator(nn.Module):
    """BEGAN's discriminator: encoder (a discriminator trunk) to a code, decoder (a generator) back.
    Its output is each sample's mean absolute reconstruction error."""

    def __init__(self, arch: str, shape, code_dim: int = 64, batch_norm: bool = False):
        super().__init__()
        self.encoder = build_discriminator(arch, shape, code_dim, batch_norm)
        self.decoder = build_generator(arch, shape, code_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.decoder(self.encoder(x)) - x).abs().flatten(1).mean(1)
