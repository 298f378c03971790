"""Variants without an adversarial discriminator: GMMN matches the data's moments through a fixed kernel; the VAE,
the study's baseline, maximises a likelihood bound."""
from __future__ import annotations

from typing import Any

import torch

from .. import losses
from ..nets import build_discriminator, build_generator
from .base import GANModule


class GMMNModule(GANModule):
    """GMMN (Li, Swersky & Zemel 2015), data space: one generator update per step on the square root of the MMD^2
    between a real and a generated batch (``losses.gmmn``). There is no discriminator."""

    def build_discriminator(self) -> None:  # type: ignore[override]  # none: only the generator's own step runs
        return None

    def configure_optimizers(self) -> Any:
        return self.optimiser(self.generator.parameters())

    def variant_step(self) -> dict[str, Any]:
        opt = self.optimizers()
        real = self.real.next(self.device)
        loss = losses.gmmn(real.flatten(1), self.generator(self.sample_z(real.shape[0])).flatten(1), self.config.mmd_bandwidth)
        self.update_generator(opt, loss)
        return {"g_loss": loss}


class VAEModule(GANModule):
    """The study's non-adversarial baseline: encoder = discriminator trunk with 2*z_dim outputs, decoder = generator.
    Images: Bernoulli likelihood on [0, 1] pixels; points: unit-variance Gaussian likelihood."""

    def build_generator(self) -> Any:
        # the study's decoder has ReLU where the GANs' generator has leaky ReLU (VAE.py:66-75)
        return build_generator(self.config.arch, self.shape, self.config.z_dim, self.protocol.style,
                               relu=self.protocol.relu_vae_decoder)

    def build_discriminator(self) -> Any:
        return build_discriminator(self.config.arch, self.shape, 2 * self.config.z_dim, self.config.d_batch_norm, self.protocol.style)

    @property
    def prior(self) -> str:
        # The study trains on N(0, 1) but evaluates every model, the VAE included, on U(-1, 1) latents
        # (eval_gan_lib.py:180); under its protocol ganbench does the same.
        return self.protocol.vae_prior

    def sample_z(self, n: int) -> torch.Tensor:
        if self.prior == "uniform":
            return torch.rand(n, self.config.z_dim, device=self.device) * 2 - 1
        return torch.randn(n, self.config.z_dim, device=self.device)

    def configure_optimizers(self) -> Any:
        return self.optimiser(self.parameters())

    def variant_step(self) -> dict[str, Any]:
        opt = self.optimizers()
        x = self.real.next(self.device)
        mu, logvar = self.discriminator(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        x_hat = self.generator(z)
        if len(self.shape) == 3:
            recon = torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
        else:
            recon = 0.5 * ((x_hat - x) ** 2).sum() / len(x)
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum() / len(x)
        return self.vae_update(opt, recon, kl)

    def vae_update(self, opt: torch.optim.Optimizer, recon: torch.Tensor, kl: torch.Tensor) -> dict[str, Any]:
        loss = recon + kl
        self.update_discriminator(opt, loss)  # encoder and decoder move together on one optimiser: one update of each
        self.g_updates += 1
        return {"loss": loss, "recon": recon, "kl": kl}


