"""Relativistic losses: the discriminator judges how much more real a real sample looks than a fake one, not each on
its own. Functions of the discriminator's outputs on a real and a fake batch, like the classic losses."""
from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def relativistic_standard(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """RSGAN (Jolicoeur-Martineau 2019, eqs. 5-6 with f = -log sigmoid): D minimises -E[log sigmoid(C(x_r) - C(x_f))],
    G minimises -E[log sigmoid(C(x_f) - C(x_r))] over pairs (x_r, x_f) of the batch. -log sigmoid(t) is
    softplus(-t), so this is RpGAN's function, said once (``relativistic_pairing``) and cited for both."""
    return relativistic_pairing(d_real, d_fake)


def relativistic_pairing(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """RpGAN (Jolicoeur-Martineau 2019, eq. 7 with f = softplus(-t); the loss of R3GAN, Huang et al. 2024, eq. 2):
    pairs (x_i, G(z_i)); D minimises E[softplus(-(D(x) - D(G(z))))], G minimises E[softplus(-(D(G(z)) - D(x)))]."""
    diff = (d_real - d_fake).flatten()
    return F.softplus(-diff).mean(), F.softplus(diff).mean()


def relativistic_average(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """RaGAN (Jolicoeur-Martineau 2019, eqs. 12-13, standard GAN form): each sample against the other side's mean;
    D minimises -E[log sigmoid(D(x) - mean D(G(z)))] - E[log(1 - sigmoid(D(G(z)) - mean D(x)))], G the same with
    real and fake swapped."""
    real, fake = d_real.flatten(), d_fake.flatten()
    real_vs, fake_vs = real - fake.mean(), fake - real.mean()
    d_loss = F.softplus(-real_vs).mean() + F.softplus(fake_vs).mean()
    g_loss = F.softplus(-fake_vs).mean() + F.softplus(real_vs).mean()
    return d_loss, g_loss


def relativistic_average_least_squares(d_real: Tensor, d_fake: Tensor) -> tuple[Tensor, Tensor]:
    """RaLSGAN (Jolicoeur-Martineau 2019, section 4.3 and eq. 26 of its appendix): D minimises
    E[(C(x_r) - mean C(x_f) - 1)^2] + E[(C(x_f) - mean C(x_r) + 1)^2], G the same with real and fake swapped."""
    real, fake = d_real.flatten(), d_fake.flatten()
    real_vs, fake_vs = real - fake.mean(), fake - real.mean()
    d_loss = ((real_vs - 1) ** 2).mean() + ((fake_vs + 1) ** 2).mean()
    g_loss = ((fake_vs - 1) ** 2).mean() + ((real_vs + 1) ** 2).mean()
    return d_loss, g_loss


# Their generator losses compare fakes with reals, so a generator step needs D(x_real) too: the updated discriminator's,
# on a real batch of its own, as the reference code evaluates it (R3GAN, training/training_loop.py at 19a7ddf, lines
# 287-303 and 317-343: separate D and G real batches, the D phase's optimiser step before the G phase;
# Jolicoeur-Martineau's GAN_losses_iter.py draws a new real batch for the generator's step).
GENERATOR_SEES_REAL = frozenset({relativistic_standard, relativistic_pairing, relativistic_average, relativistic_average_least_squares})
