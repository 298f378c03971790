"""Generator and discriminator architectures, registered by name and built from the data's shape.

``build_generator(arch, shape, z_dim)`` maps z to a sample of ``shape``; ``build_discriminator(arch, shape,
out_dim, batch_norm)`` maps a sample to ``out_dim`` raw outputs. An encoder (VAE) is a discriminator with a wider
output, a decoder a generator. ``protocol`` picks the layer conventions (initialisation, batch-norm constants:
see ``layers.STYLES``).
"""
from __future__ import annotations

from types import ModuleType

import torch
from torch import nn

from . import dcgan, infogan, mlp
from .layers import STYLES

ARCHITECTURES: dict[str, ModuleType] = {"infogan": infogan, "dcgan": dcgan, "mlp": mlp}


class ArchitectureError(ValueError):
    pass


def check_fits(arch: str, shape) -> None:
    if arch not in ARCHITECTURES:
        raise ArchitectureError(f"arch: unknown '{arch}', choose one of {', '.join(ARCHITECTURES)}")
    problem = ARCHITECTURES[arch].check(tuple(shape))
    if problem:
        raise ArchitectureError(problem)


def _initialised(net: nn.Module, arch: str, protocol: str) -> nn.Module:
    if arch != "mlp":  # the MLP keeps PyTorch's default init: N(0, 0.02) makes its outputs start near 0 and learn slowly
        STYLES[protocol].init(net)
    return net


def build_generator(arch: str, shape, z_dim: int, protocol: str = "ganbench", relu: bool = False) -> nn.Module:
    check_fits(arch, shape)
    kwargs = {"relu": True} if relu else {}
    return _initialised(ARCHITECTURES[arch].generator(tuple(shape), z_dim, STYLES[protocol], **kwargs), arch, protocol)


def build_discriminator(arch: str, shape, out_dim: int = 1, batch_norm: bool = False, protocol: str = "ganbench") -> nn.Module:
    check_fits(arch, shape)
    return _initialised(ARCHITECTURES[arch].discriminator(tuple(shape), out_dim, batch_norm, STYLES[protocol]), arch, protocol)


class AutoencoderDiscriminator(nn.Module):
    """BEGAN's discriminator under ganbench's protocol: encoder (a discriminator trunk) to a code, decoder (a
    generator) back. Its output is each sample's mean absolute reconstruction error."""

    def __init__(self, arch: str, shape, code_dim: int = 64, batch_norm: bool = False):
        super().__init__()
        self.encoder = build_discriminator(arch, shape, code_dim, batch_norm)
        self.decoder = build_generator(arch, shape, code_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.decoder(self.encoder(x)) - x).abs().flatten(1).mean(1)


def build_autoencoder(arch: str, shape, batch_norm: bool, protocol: str = "ganbench") -> nn.Module:
    """BEGAN's discriminator: the study's own autoencoder under lucic2018, else generator and trunk reused."""
    if protocol == "lucic2018":
        check_fits("infogan", shape)
        return _initialised(infogan.StudyBEGANAutoencoder(tuple(shape), batch_norm, STYLES[protocol]), "infogan", protocol)
    return AutoencoderDiscriminator(arch, shape, batch_norm=batch_norm)
