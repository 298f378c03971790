"""Generator and discriminator architectures, registered by name and built from the data's shape.

``build_generator(arch, shape, z_dim)`` maps z to a sample of ``shape``; ``build_discriminator(arch, shape,
out_dim, batch_norm)`` maps a sample to ``out_dim`` raw outputs. An encoder (VAE) is a discriminator with a wider
output, a decoder a generator. ``style`` is the protocol's layer conventions (initialisation, batch-norm
constants: see ``layers.STYLES``).
"""
from __future__ import annotations

from types import ModuleType, SimpleNamespace

import torch
from torch import nn

from . import conv_small, dcgan, infogan, mlp, mlp_small, unrolled
from .layers import STYLES, Style
from ..schema import REGISTRIES

# each: check(shape), generator(shape, z_dim, style), discriminator(shape, out_dim, batch_norm, style)
ARCHITECTURES: dict[str, ModuleType | SimpleNamespace] = {"infogan": infogan, "conv_small": conv_small, "dcgan": dcgan, "mlp": mlp, "mlp_small": mlp_small,
                                        "unrolled_d_quarter": unrolled.D_QUARTER, "unrolled_d_half": unrolled.D_HALF}
REGISTRIES["arch"] = ARCHITECTURES.keys


class ArchitectureError(ValueError):
    pass


def check_fits(arch: str, shape: tuple[int, ...]) -> None:
    if arch not in ARCHITECTURES:
        raise ArchitectureError(f"arch: unknown '{arch}', choose one of {', '.join(ARCHITECTURES)}")
    problem = ARCHITECTURES[arch].check(tuple(shape))
    if problem:
        raise ArchitectureError(problem)


def _initialised(net: nn.Module, arch: str, style: Style) -> nn.Module:
    if arch != "mlp_small":  # which keeps PyTorch's default init: with N(0, 0.02) its outputs start near 0 and learn slowly
        style.init(net)  # N(0, 0.02) weights and zero biases: the study's and PacGAN's
    return net


def build_generator(arch: str, shape: tuple[int, ...], z_dim: int, style: Style = STYLES["ganbench"], relu: bool = False, generators: int = 1) -> nn.Module:
    """``generators`` K > 1: a ``GeneratorMixture`` of K independently initialised generators."""
    check_fits(arch, shape)
    kwargs = {"relu": True} if relu else {}
    nets = [_initialised(ARCHITECTURES[arch].generator(tuple(shape), z_dim, style, **kwargs), arch, style)
            for _ in range(generators)]
    return GeneratorMixture(nets) if generators > 1 else nets[0]


def build_discriminator(arch: str, shape: tuple[int, ...], out_dim: int = 1, batch_norm: bool = False, style: Style = STYLES["ganbench"],
                        pack: int = 1, spectral_norm: bool = False) -> nn.Module:
    """``pack`` m > 1: PacGAN's packed discriminator, which judges m samples at once (see ``Packed``).
    ``spectral_norm``: every linear and convolutional layer's weight divided by its largest singular value."""
    check_fits(arch, shape)
    packed_shape = (shape[0] * pack, *shape[1:])  # m samples side by side: channels for images, features for vectors
    net = _initialised(ARCHITECTURES[arch].discriminator(tuple(packed_shape), out_dim, batch_norm, style), arch, style)
    if spectral_norm:
        net = spectrally_normalised(net)
    return Packed(net, pack) if pack > 1 else net


def spectrally_normalised(net: nn.Module) -> nn.Module:
    """Miyato et al. 2018: W / sigma(W) in every layer, sigma estimated by one power iteration per forward pass in
    training, through torch's own parametrisation (the u, v vectors are buffers, so checkpoints keep them)."""
    for layer in list(net.modules()):
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.utils.parametrizations.spectral_norm(layer)
    return net


class Packed(nn.Module):
    """PacGAN (Lin et al. 2018): the discriminator sees m samples concatenated (along channels for images, along
    features for vectors) and gives one output for the pack. A batch of B*m samples becomes B packs of m
    consecutive samples, so losses and penalties stay functions of per-sample inputs and per-pack outputs."""

    def __init__(self, net: nn.Module, pack: int) -> None:
        super().__init__()
        self.net, self.pack = net, pack

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] % self.pack:
            raise ValueError(f"pack: a batch of {x.shape[0]} samples does not split into packs of {self.pack}")
        return self.net(x.reshape(x.shape[0] // self.pack, self.pack * x.shape[1], *x.shape[2:]))


class GeneratorMixture(nn.Module):
    """K generators against one discriminator, each sample from a generator picked uniformly at random: the
    seed's "train a set of generators, pick one at random", trained jointly as one mixture (the scheme of
    MGAN, Hoang et al. 2018, without its classifier term and without parameter sharing). The pick is stratified: in
    training a random permutation deals the batch out (each sample's generator uniform, each generator n/K samples,
    so none sees a batch of one, which batch norm cannot train on); in eval mode sample i comes from generator
    i mod K, so fixed latents give fixed samples and exact proportions."""

    def __init__(self, generators: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(generators)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        k, n = len(self.members), z.shape[0]
        if self.training:
            pick = torch.randperm(n, device=z.device) % k
        else:
            pick = torch.arange(n, device=z.device) % k
        outs = [g(z[pick == i]) if bool((pick == i).any()) else None for i, g in enumerate(self.members)]
        shape = next(o for o in outs if o is not None).shape[1:]
        x = z.new_empty((n, *shape))
        for i, o in enumerate(outs):
            if o is not None:
                x[pick == i] = o
        return x


ENERGIES = {
    "l1": lambda err: err.abs().flatten(1).mean(1),  # BEGAN: mean absolute error
    "l2": lambda err: err.pow(2).flatten(1).mean(1),  # EBGAN, MAGAN, MMD GAN's regulariser: mean squared error
}


class AutoencoderDiscriminator(nn.Module):
    """The one autoencoder discriminator of BEGAN, EBGAN, MAGAN and MMD GAN: encoder (a discriminator trunk) to a
    code, decoder (a generator) back. Its output is each sample's energy, the reconstruction error per dimension
    (``energy``: l1 or l2), so one margin or one gamma fits data of any size. ``code_and_energy`` also gives the
    codes (EBGAN's pulling-away term, MMD GAN's kernel)."""

    def __init__(self, arch: str, shape: tuple[int, ...], code_dim: int = 64, batch_norm: bool = False, energy: str = "l1") -> None:
        super().__init__()
        self.encoder = build_discriminator(arch, shape, code_dim, batch_norm)
        self.decoder = build_generator(arch, shape, code_dim)
        self.energy = energy

    def code_and_energy(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        code = self.encoder(x)
        return code, ENERGIES[self.energy](self.decoder(code) - x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.code_and_energy(x)[1]


def build_autoencoder(arch: str, shape: tuple[int, ...], batch_norm: bool, style: Style = STYLES["ganbench"], energy: str = "l1",
                      code_dim: int = 64, study: bool = False) -> nn.Module:
    """An autoencoder discriminator: the study's own BEGAN autoencoder (``study``, under lucic2018), else generator
    and trunk reused."""
    if study:
        check_fits("infogan", shape)
        return _initialised(infogan.StudyBEGANAutoencoder(tuple(shape), batch_norm, style), "infogan", style)
    return AutoencoderDiscriminator(arch, shape, code_dim=code_dim, batch_norm=batch_norm, energy=energy)
