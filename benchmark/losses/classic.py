"""The classifier and critic losses: functions of the discriminator's outputs on a real and a fake batch."""
from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def minimax(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """Goodfellow et al. 2014: D maximises log D(x) + log(1 - D(G(z))); G minimises log(1 - D(G(z)))."""
    d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    g_loss = -F.softplus(d_fake).mean()  # log(1 - sigmoid(v)) = -softplus(v)
    return d_loss, g_loss


def non_saturating(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """The -log D trick: G maximises log D(G(z)) instead, which does not saturate early in training."""
    d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    g_loss = F.softplus(-d_fake).mean()
    return d_loss, g_loss


def wasserstein(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """Arjovsky et al. 2017: the critic maximises E[D(x)] - E[D(G(z))]."""
    return d_fake.mean() - d_real.mean(), -d_fake.mean()


def least_squares(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """Mao et al. 2017 with targets a=0 (fake), b=1 (real), c=1 (what G wants)."""
    d_loss = 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake**2).mean()
    g_loss = 0.5 * ((d_fake - 1) ** 2).mean()
    return d_loss, g_loss


def hinge(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """Lim & Ye 2017 (Geometric GAN), as Miyato et al. 2018 train it (their eqs. 16-17): D minimises
    E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]; G minimises -E[D(G(z))]."""
    d_loss = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
    return d_loss, -d_fake.mean()


def least_squares_on_sigmoid(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """LSGAN as the Lucic et al. study's code computes it (compare_gan LSGAN.py:68-75): the squares are taken of
    sigmoid(D), the discriminator's probability, not of its raw output."""
    p_real, p_fake = torch.sigmoid(d_real), torch.sigmoid(d_fake)
    d_loss = 0.5 * (((p_real - 1) ** 2).mean() + (p_fake**2).mean())
    g_loss = 0.5 * ((p_fake - 1) ** 2).mean()
    return d_loss, g_loss
