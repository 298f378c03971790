"""The LightningModules that provide the players of each kind of variant (``Variant.kind``), which a protocol's step
drives (benchmark/protocols, ``Step``):

- ``base``: classifiers and critics (GAN, f-GAN, WGAN, LSGAN, hinge, DRAGAN, RWGAN, McGan), and the study's protocol;
- ``critics``: Fisher GAN and Cramér GAN;
- ``autoencoders``: BEGAN, EBGAN, MAGAN, MMD GAN;
- ``non_adversarial``: GMMN and the VAE;
- ``pix2pix``: image-to-image translation (a conditional task on paired data);
- ``pacgan``: PacGAN's players (protocol ``pacgan2018``, whose step names them in ``Step.players``).
"""
from __future__ import annotations

from .autoencoders import BEGANModule, EBGANModule, MAGANModule, MMDGANModule
from .base import Diverged, GANModule, RealBatches, loss_for
from .critics import CramerGANModule, FisherGANModule
from .non_adversarial import GMMNModule, VAEModule
from .pacgan import PacGANModule
from .pix2pix import Pix2PixModule
from ..config import RunConfig, TranslationConfig
from ..protocols import get_protocol
from ..variants import VariantKind, get_variant


MODULES: dict[VariantKind, type[GANModule]] = {
    VariantKind.GAN: GANModule, VariantKind.BEGAN: BEGANModule, VariantKind.EBGAN: EBGANModule, VariantKind.MAGAN: MAGANModule,
    VariantKind.MMD_GAN: MMDGANModule, VariantKind.FISHER: FisherGANModule, VariantKind.CRAMER: CramerGANModule,
    VariantKind.GMMN: GMMNModule, VariantKind.VAE: VAEModule, VariantKind.PIX2PIX: Pix2PixModule}
PLAYERS: dict[str, type[GANModule]] = {"pacgan": PacGANModule}  # players a protocol's step names (Step.players)


def build_module(config: RunConfig | TranslationConfig, shape: tuple[int, ...]) -> GANModule:
    if isinstance(config, TranslationConfig):
        return Pix2PixModule(config, shape)
    players = get_protocol(config.protocol).step.players
    return (PLAYERS[players] if players else MODULES[get_variant(config.variant).kind])(config, shape)


__all__ = ["MODULES", "PLAYERS", "build_module", "Diverged", "GANModule", "RealBatches", "loss_for"]
