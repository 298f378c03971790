"""Variants whose discriminator is an autoencoder (``nets.AutoencoderDiscriminator``): BEGAN, EBGAN, MAGAN and
MMD GAN. Its energy (reconstruction error) is low on real data; BEGAN balances it with k, EBGAN with a fixed margin,
MAGAN with a margin that falls epoch by epoch, and MMD GAN uses the encoder's codes as the kernel's features."""
from __future__ import annotations

from typing import Any

import torch

from .. import losses
from ..nets import AutoencoderDiscriminator, build_autoencoder
from ..penalties import clip_weights
from ..config import RunConfig
from .base import GANModule


class BEGANModule(GANModule):
    k: torch.Tensor  # the balance term, a buffer (checkpoints keep it)

    def __init__(self, config: RunConfig, shape: tuple[int, ...]) -> None:
        super().__init__(config, shape)
        self.register_buffer("k", torch.zeros(()))

    def build_discriminator(self) -> Any:
        return build_autoencoder(self.config.arch, self.shape, self.config.d_batch_norm, self.protocol.style,
                                 study=self.protocol.own_began_autoencoder)

    def variant_step(self) -> dict[str, Any]:
        opt_g, opt_d = self.optimizers()
        c = self.config
        for _ in range(c.n_disc):
            real = self.real.next(self.device)
            fake = self.generator(self.sample_z(real.shape[0]))
            recon_real, recon_fake = self.discriminator(real), self.discriminator(fake.detach())
            d_loss, _ = losses.began(recon_real, recon_fake, self.k)
            self.update_discriminator(opt_d, d_loss)
        g_loss = self.discriminator(fake).mean()
        self.update_generator(opt_g, g_loss)
        with torch.no_grad():  # k stays a tensor on the device: no host sync per step
            balance = c.began_gamma * recon_real.mean() - recon_fake.mean()
            self.k.copy_((self.k + c.began_lambda * balance).clamp(0, 1))
        return {"d_loss": d_loss, "g_loss": g_loss, "k": self.k.clone(), "convergence": recon_real.mean().detach() + balance.abs()}


class EBGANModule(GANModule):
    discriminator: AutoencoderDiscriminator
    """EBGAN (Zhao et al. 2017): n_disc updates of the autoencoder on L_D = D(x) + [m - D(G(z))]^+, then one of the
    generator on D(G(z)) + pt_weight * PT(codes of G(z)); energies are per-dimension mean squared errors."""

    def build_discriminator(self) -> Any:
        return build_autoencoder(self.config.arch, self.shape, self.config.d_batch_norm, self.protocol.style, energy="l2")

    @property
    def pulling_away_weight(self) -> float:
        return self.config.pt_weight

    def current_margin(self) -> Any:
        return self.config.margin

    def discriminator_update(self, opt_d: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor) -> Any:
        with torch.no_grad():
            fake = self.generator(z)
        e_real, e_fake = self.discriminator(real), self.discriminator(fake)
        d_loss, _ = losses.ebgan(e_real, e_fake, self.current_margin())
        self.update_discriminator(opt_d, d_loss)
        return d_loss, e_real.detach(), e_fake.detach()

    def generator_energy_update(self, opt_g: torch.optim.Optimizer, z: torch.Tensor) -> torch.Tensor:
        code, e_fake = self.discriminator.code_and_energy(self.generator(z))
        g_loss = e_fake.mean()
        if self.pulling_away_weight:
            g_loss = g_loss + self.pulling_away_weight * losses.pulling_away(code)
        self.update_generator(opt_g, g_loss)
        return g_loss

    def variant_step(self) -> dict[str, Any]:
        opt_g, opt_d = self.optimizers()
        for _ in range(self.config.n_disc):
            real = self.real.next(self.device)
            d_loss, e_real, e_fake = self.discriminator_update(opt_d, real, self.sample_z(real.shape[0]))
            self.after_discriminator_update(e_real, e_fake)
        g_loss = self.generator_energy_update(opt_g, self.sample_z(self.config.batch_size))
        return {"d_loss": d_loss, "g_loss": g_loss, "energy_real": e_real.mean(), "energy_fake": e_fake.mean()}

    def after_discriminator_update(self, e_real: torch.Tensor, e_fake: torch.Tensor) -> None:
        pass  # EBGAN's margin is fixed; MAGAN's moves


class MAGANModule(EBGANModule):
    """MAGAN (Wang et al. 2017), Algorithm 1: the autoencoder is first trained on real data alone
    (``pretrain_steps`` steps of the run, no generator update), the margin set to the mean real energy, then
    EBGAN's game with the margin updated at the end of every epoch of real data (``losses.magan_margin_update``)."""

    margin: torch.Tensor  # buffers (checkpoints keep them)
    epoch_sums: torch.Tensor

    PRETRAIN_ESTIMATE_BATCHES = 8  # real batches that estimate the first margin, E[D(x)]

    def __init__(self, config: RunConfig, shape: tuple[int, ...]) -> None:
        super().__init__(config, shape)
        self.register_buffer("margin", torch.tensor(float("nan")))
        self.register_buffer("epoch_sums", torch.zeros(3, dtype=torch.float64))  # real energy, fake energy, samples

    @property
    def pulling_away_weight(self) -> float:
        return 0.0  # MAGAN's generator has no pulling-away term

    def current_margin(self) -> Any:
        return self.margin

    def _epoch_samples(self) -> int:
        n = len(self.real.split)
        return max(1, n // self.real.batch_size) * self.real.batch_size

    def variant_step(self) -> dict[str, Any]:
        if self.steps_done < self.config.pretrain_steps or torch.isnan(self.margin):
            return self.pretrain_step()
        logs = super().variant_step()
        return {**logs, "margin": self.margin.clone()}

    def pretrain_step(self) -> dict[str, Any]:
        _, opt_d = self.optimizers()
        loss = self.discriminator(self.real.next(self.device)).mean()
        self.update_discriminator(opt_d, loss)
        if self.steps_done + 1 >= self.config.pretrain_steps:
            with torch.no_grad():
                energies = [self.discriminator(self.real.next(self.device)).mean() for _ in range(self.PRETRAIN_ESTIMATE_BATCHES)]
                self.margin.copy_(torch.stack(energies).mean())
        return {"d_loss": loss.detach()}

    def after_discriminator_update(self, e_real: torch.Tensor, e_fake: torch.Tensor) -> None:
        self.epoch_sums += torch.stack([e_real.sum().double(), e_fake.sum().double(), torch.tensor(float(len(e_real)), dtype=torch.float64, device=e_real.device)])
        if self.epoch_sums[2] >= self._epoch_samples():
            real_sum, fake_sum, n = (float(v) for v in self.epoch_sums)
            self.margin.fill_(losses.magan_margin_update(float(self.margin), real_sum, fake_sum, int(n)))
            self.epoch_sums.zero_()


class MMDGANModule(GANModule):
    discriminator: AutoencoderDiscriminator
    """MMD GAN (Li et al. 2017), Algorithm 1 with its code's terms (mmd_gan.py): the critic is an autoencoder whose
    encoder f gives the kernel's features; it maximises sqrt(MMD^2(f(x), f(G(z)))) + 16 * one-sided term and
    minimises ae_weight * (reconstruction error of x and of G(z)); after each of its n_disc updates the encoder's
    weights (not the decoder's) are clipped to [-clip, clip]. The generator minimises the MMD term on the updated
    critic. Not followed: the paper's 100 critic updates at the first 25 and every 500th generator update, and
    RMSProp (ganbench trains every variant with Adam)."""

    def build_discriminator(self) -> Any:
        return build_autoencoder(self.config.arch, self.shape, self.config.d_batch_norm, self.protocol.style, energy="l2",
                                 code_dim=self.config.features)

    def variant_step(self) -> dict[str, Any]:
        opt_g, opt_d = self.optimizers()
        c, critic = self.config, self.discriminator
        for _ in range(c.n_disc):
            real = self.real.next(self.device)
            with torch.no_grad():
                fake = self.generator(self.sample_z(real.shape[0]))
            (code_real, e_real), (code_fake, e_fake) = critic.code_and_energy(real), critic.code_and_energy(fake)
            d_loss, _ = losses.mmd_gan(code_real, code_fake, c.mmd_bandwidth, c.rank_weight)
            d_loss = d_loss + c.ae_weight * (e_real.mean() + e_fake.mean())
            self.update_discriminator(opt_d, d_loss)
            clip_weights(critic.encoder, c.clip)
        fake = self.generator(self.sample_z(c.batch_size))
        _, g_loss = losses.mmd_gan(critic.encoder(real), critic.encoder(fake), c.mmd_bandwidth, c.rank_weight)
        self.update_generator(opt_g, g_loss)
        return {"d_loss": d_loss, "g_loss": g_loss}
