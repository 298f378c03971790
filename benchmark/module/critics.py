"""Critics with a step of their own: Fisher GAN's Lagrange multiplier and Cramér GAN's two generated batches."""
from __future__ import annotations

from typing import Any

import torch

from .. import losses
from ..penalties import gradient_penalty
from ..config import RunConfig
from .base import GANModule


class FisherGANModule(GANModule):
    """Fisher GAN (Mroueh & Sercu 2017), Algorithm 1: each critic update ascends the augmented Lagrangian L_F, then
    the multiplier lambda (a buffer, so checkpoints keep it) descends: lambda <- lambda - rho (1 - Omega). The
    generator minimises E = E_P f - E_Q f, i.e. -E_Q f."""

    lam: torch.Tensor  # a buffer

    def __init__(self, config: RunConfig, shape: tuple[int, ...]) -> None:
        super().__init__(config, shape)
        self.register_buffer("lam", torch.zeros(()))
        self.loss = losses.wasserstein  # the generator's part, -E_Q f, is Fisher GAN's too; the critic's is below

    def discriminator_update(self, opt_d: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor) -> Any:
        with torch.no_grad():
            fake = self.generator(z)
        d_real, d_fake = self.discriminator(real), self.discriminator(fake)
        d_loss, _, omega = losses.fisher(d_real, d_fake, self.lam, self.config.rho)
        self.update_discriminator(opt_d, d_loss)
        with torch.no_grad():
            self.lam.copy_(losses.fisher_multiplier_update(self.lam, omega, self.config.rho))
        self.omega = omega.detach()
        return d_loss, d_real.detach()

    def variant_step(self) -> dict[str, Any]:
        return {**super().variant_step(), "lambda": self.lam.clone(), "omega": self.omega}


class CramerGANModule(GANModule):
    """Cramér GAN (Bellemare et al. 2017), Algorithm 1: the critic h maps a sample to ``features`` numbers; with two
    independent generated batches x_g, x'_g it minimises -(f(x_r) - f(x_g)) + lambda (|grad f(x_hat)| - 1)^2,
    f(x) = |h(x) - h(x'_g)| - |h(x)|, x_hat between x_r and x_g; the generator minimises the energy-distance
    surrogate L_g (``losses.cramer_generator_loss``)."""

    def discriminator_update(self, opt_d: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor) -> Any:
        with torch.no_grad():
            fake, fake2 = self.generator(z), self.generator(self.sample_z(z.shape[0]))
        h_real, h_fake, h_fake2 = self.discriminator(real), self.discriminator(fake), self.discriminator(fake2)
        d_loss = losses.cramer_critic_loss(h_real, h_fake, h_fake2)
        critic = lambda x: losses.cramer_critic(self.discriminator(x), h_fake2)  # noqa: E731  the penalised f, not h
        d_loss = d_loss + self.config.penalty_weight * gradient_penalty(critic, real, fake)
        self.update_discriminator(opt_d, d_loss)
        self._real = real
        return d_loss, h_real.detach()

    def generator_update(self, opt_g: torch.optim.Optimizer, d_real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        fake, fake2 = self.generator(z), self.generator(self.sample_z(z.shape[0]))
        g_loss = losses.cramer_generator_loss(self.discriminator(self._real), self.discriminator(fake), self.discriminator(fake2))
        self.update_generator(opt_g, g_loss)
        return g_loss
