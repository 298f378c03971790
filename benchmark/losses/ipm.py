"""Integral probability metrics on learned features: the critic maps a sample to a feature vector (McGan, Cramér
GAN) or a scalar (Fisher GAN) and the distance is a difference of expectations under a constraint."""
from __future__ import annotations

from typing import Any

import torch

Tensor = torch.Tensor

MCGAN_MOMENTS = ("mean", "covariance", "mean_covariance")


def _second_moment(f: Tensor) -> Tensor:
    return f.T @ f / f.shape[0]  # McGan's uncentered covariance E[Phi Phi^T]


def mcgan(f_real: Tensor, f_fake: Tensor, moments: str = "mean_covariance") -> tuple[Tensor, Tensor]:
    """McGan (Mroueh, Sercu & Goel 2017). On critic features Phi (batch, m):
    - mean matching, IPM_{mu,q} with q = 2 (their eq. 2, Algorithm 1): max over |v|_2 <= 1 of <v, mu_P - mu_Q>, which
      is |mu_P - mu_Q|_2 (v = the normalised difference, so v needs no parameters);
    - covariance matching (their eq. 6, Algorithm 2): max over orthonormal U, V of trace(U^T (Sigma_P - Sigma_Q) V),
      which over all m components is the nuclear norm |Sigma_P - Sigma_Q|_* (computed exactly from singular values
      rather than by their projected steps on U and V);
    - both, added.
    The critic maximises the distance (under weight clipping), the generator minimises it."""
    f_real, f_fake = f_real.flatten(1), f_fake.flatten(1)
    d = f_real.new_zeros(())
    if moments in ("mean", "mean_covariance"):
        d = d + (f_real.mean(0) - f_fake.mean(0)).norm(2)
    if moments in ("covariance", "mean_covariance"):
        d = d + torch.linalg.svdvals(_second_moment(f_real) - _second_moment(f_fake)).sum()
    return -d, d


def fisher(d_real: Tensor, d_fake: Tensor, lam: Tensor | float, rho: float) -> tuple[Tensor, Tensor, Tensor]:
    """Fisher GAN (Mroueh & Sercu 2017), eq. 8 and Algorithm 1. With E = E_P f - E_Q f and the second moment
    Omega = (E_P f^2 + E_Q f^2) / 2, the critic maximises the augmented Lagrangian
    L_F = E + lam (1 - Omega) - rho/2 (Omega - 1)^2; the generator minimises E (only -E_Q f depends on it).
    Returns (d_loss = -L_F, g_loss, Omega); the multiplier then moves by ``fisher_multiplier_update``."""
    e = d_real.mean() - d_fake.mean()
    omega = 0.5 * ((d_real**2).mean() + (d_fake**2).mean())
    lagrangian = e + lam * (1 - omega) - 0.5 * rho * (omega - 1) ** 2
    return -lagrangian, -d_fake.mean(), omega


def fisher_multiplier_update(lam: Tensor | float, omega: Tensor | float, rho: float) -> Any:
    """Algorithm 1: lam <- lam - rho * dL_F/dlam = lam - rho (1 - Omega), a gradient descent step on lam."""
    return lam - rho * (1 - omega)


def _norm(a: Tensor) -> Tensor:
    return a.flatten(1).norm(2, dim=1)


def cramer_critic(h_x: Tensor, h_fake2: Tensor) -> Tensor:
    """Cramér GAN's critic f(x) = |h(x) - h(x'_g)|_2 - |h(x)|_2 (Bellemare et al. 2017, Algorithm 1), per sample,
    with x'_g an independent generated sample."""
    return _norm(h_x - h_fake2) - _norm(h_x)


def cramer_generator_loss(h_real: Tensor, h_fake: Tensor, h_fake2: Tensor) -> Tensor:
    """Algorithm 1's L_g = |h(x_r) - h(x_g)| + |h(x_r) - h(x'_g)| - |h(x_g) - h(x'_g)|, averaged: with two
    independent generated batches it is an unbiased estimate of the energy distance between h(P) and h(Q) plus
    E|h(X) - h(X')|, a term the generator cannot change."""
    return (_norm(h_real - h_fake) + _norm(h_real - h_fake2) - _norm(h_fake - h_fake2)).mean()


def cramer_critic_loss(h_real: Tensor, h_fake: Tensor, h_fake2: Tensor) -> Tensor:
    """Algorithm 1's -L_surrogate = -(f(x_r) - f(x_g)), averaged; the gradient penalty on f is added by the step."""
    return -(cramer_critic(h_real, h_fake2) - cramer_critic(h_fake, h_fake2)).mean()
