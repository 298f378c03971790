"""Autoencoder discriminators: the discriminator's output is a per-sample energy (a reconstruction error), low on
real data. BEGAN, EBGAN and MAGAN share the discriminator (``nets.AutoencoderDiscriminator``) and differ here."""
from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def began(recon_real: Tensor, recon_fake: Tensor, k: Tensor | float) -> tuple[Tensor, Tensor]:
    """Berthelot et al. 2017: D is an autoencoder, its outputs are per-sample reconstruction errors."""
    return recon_real.mean() - k * recon_fake.mean(), recon_fake.mean()


def began_k_update(k: float, recon_real: float, recon_fake: float, gamma: float, lambda_k: float) -> float:
    """Proportional control of the equilibrium E[L(G(z))] = gamma * E[L(x)], k kept in [0, 1]."""
    return min(max(k + lambda_k * (gamma * recon_real - recon_fake), 0.0), 1.0)


def ebgan(energy_real: Tensor, energy_fake: Tensor, margin: float | Tensor) -> tuple[Tensor, Tensor]:
    """Zhao, Mathieu & LeCun 2017, eqs. 1-2: L_D = D(x) + [m - D(G(z))]^+ and L_G = D(G(z)). D pushes real energy
    down and fake energy up, but only while the fake energy is below the margin m."""
    return energy_real.mean() + F.relu(margin - energy_fake).mean(), energy_fake.mean()


def pulling_away(codes: Tensor) -> Tensor:
    """EBGAN's pulling-away term (section 2.4): the mean squared cosine similarity of every ordered pair of distinct
    samples' encoder codes, 1/(N(N-1)) sum_{i != j} (s_i . s_j / |s_i| |s_j|)^2. Added to L_G with a weight, it
    pushes a batch's codes apart, against mode collapse."""
    s = F.normalize(codes.flatten(1), dim=1)
    n = s.shape[0]
    cos2 = (s @ s.T) ** 2
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


def magan_margin_update(margin: float, real_energy_sum: float, fake_energy_sum: float, n: int) -> float:
    """MAGAN (Wang, Wang & Sun 2017), Algorithm 1, at the end of an epoch of n real and n generated samples: the
    margin falls to the real data's mean energy when that is below the margin and the real energy sum is below the
    generated one; otherwise it stays. It never grows."""
    if real_energy_sum / n < margin and real_energy_sum < fake_energy_sum:
        return real_energy_sum / n
    return margin
