"""The LightningModules that train the variants, one per kind of training step (``Variant.kind``):

- ``base``: classifiers and critics (GAN, f-GAN, WGAN, LSGAN, hinge, DRAGAN, RWGAN, McGan), and the study's protocol;
- ``critics``: Fisher GAN and Cramér GAN;
- ``autoencoders``: BEGAN, EBGAN, MAGAN, MMD GAN;
- ``non_adversarial``: GMMN and the VAE;
- ``pix2pix``: image-to-image translation (a conditional task on paired data);
- ``pacgan``: PacGAN's own step (protocol ``pacgan2018``): both players from one forward pass.
"""
from .autoencoders import BEGANModule, EBGANModule, MAGANModule, MMDGANModule
from .base import Diverged, GANModule, RealBatches, loss_for
from .critics import CramerGANModule, FisherGANModule
from .non_adversarial import GMMNModule, VAEModule
from .pacgan import PacGANModule
from .pix2pix import Pix2PixModule
from ..protocols import get_protocol
from ..variants import get_variant

MODULES = {"gan": GANModule, "began": BEGANModule, "ebgan": EBGANModule, "magan": MAGANModule, "mmd_gan": MMDGANModule,
           "fisher": FisherGANModule, "cramer": CramerGANModule, "gmmn": GMMNModule, "vae": VAEModule,
           "pix2pix": Pix2PixModule}


def build_module(config, shape: tuple) -> GANModule:
    if get_protocol(config.protocol).step == "simultaneous":
        return PacGANModule(config, shape)
    return MODULES[get_variant(config.variant).kind](config, shape)


__all__ = ["MODULES", "build_module", "Diverged", "GANModule", "RealBatches", "loss_for"]
