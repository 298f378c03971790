"""Regularisers of the discriminator, separate from the losses: functions of (critic, real, fake)."""
from __future__ import annotations

import functools
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

Tensor = torch.Tensor


def _gradient_norm_penalty(critic: Callable[[Tensor], Tensor], points: Tensor, eps: float = 0.0) -> Tensor:
    """``eps`` inside the square root: the study's code uses sqrt(1e-4 + ||g||^2) (WGAN_GP.py:80, DRAGAN.py:93)."""
    points = points.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    norms = torch.sqrt(eps + grad.flatten(1).pow(2).sum(1)) if eps else grad.flatten(1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()


def gradient_penalty(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, eps: float = 0.0) -> Tensor:
    """WGAN-GP (Gulrajani et al. 2017): (||grad D(x_hat)|| - 1)^2 on random interpolates of real and fake."""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    return _gradient_norm_penalty(critic, alpha * real + (1 - alpha) * fake.detach(), eps)


def dragan_penalty(critic: nn.Module, real: Tensor, fake: Tensor | None = None, eps: float = 0.0, std_correction: int = 1) -> Tensor:
    """DRAGAN (Kodali et al. 2017): the same penalty around real points perturbed by 0.5 * std(x) * U[0, 1],
    interpolated at a random position between x and its perturbation (as compare_gan does; its std is numpy's,
    std_correction=0, DRAGAN.py:46)."""
    perturbed = real + 0.5 * real.std(correction=std_correction) * torch.rand_like(real)
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device, dtype=real.dtype)
    return _gradient_norm_penalty(critic, real + alpha * (perturbed - real), eps)


def zero_centred_penalty(outputs: Tensor, points: Tensor) -> Tensor:
    """E ||grad D(x)||^2 at ``points`` (which require grad) from the critic's ``outputs`` on them, so the penalty
    reuses the loss's forward pass, as R3GAN's Trainer.py does (ZeroCenteredGradientPenalty)."""
    (grad,) = torch.autograd.grad(outputs.sum(), points, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()


def _squared_gradient_norm(critic: nn.Module, points: Tensor) -> Tensor:
    points = points.detach().requires_grad_(True)
    return zero_centred_penalty(critic(points), points)


def r1_penalty(critic: nn.Module, real: Tensor, fake: Tensor | None = None) -> Tensor:
    """R1 (Mescheder et al. 2018, eq. 9 without its gamma / 2): E ||grad D(x)||^2 on real data."""
    return _squared_gradient_norm(critic, real)


def r2_penalty(critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    """R2 (Mescheder et al. 2018, eq. 10 without its gamma / 2): E ||grad D(G(z))||^2 on generated data."""
    return _squared_gradient_norm(critic, fake)


def r1_r2_penalty(critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    """R3GAN's regulariser (Huang et al. 2024, eq. 4): (R1 + R2) / 2, so that penalty_weight is their gamma."""
    return 0.5 * (r1_penalty(critic, real) + r2_penalty(critic, real, fake))


def exp_bregman(x: Tensor, y: Tensor) -> Tensor:
    """B_phi(x, y) = phi(x) - phi(y) - <grad phi(y), x - y> for phi(x) = sum_i exp(x_i), per sample: the generalised
    KL divergence KL(e^y || e^x) = sum e^y log(e^y / e^x) - e^y + e^x. It is the KL cost written on all of R^d, so
    it applies to pixels and points alike (the plain KL cost, phi(u) = sum u log u, needs u > 0)."""
    x, y = x.flatten(1), y.flatten(1)
    ey = torch.exp(y)
    return (torch.exp(x) - ey - ey * (x - y)).sum(1)


def relaxed_wasserstein_penalty(critic: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    """RWGAN (Guo et al. 2017): the Relaxed Wasserstein distance is the optimal transport cost under a Bregman cost
    B_phi (their definition 1, KL cost here); its Kantorovich dual asks f(x) - f(y) <= B_phi(x, y). ganbench trains
    the critic of that dual with one potential (as WGAN does) and enforces the constraint on the batch's
    real/generated pairs, both orders, by a squared hinge. A packed critic judges packs: a pack's cost is the sum of
    its members'."""
    f_real, f_fake = critic(real).flatten(), critic(fake.detach()).flatten()
    n = f_real.shape[0]
    r, g = real.reshape(n, -1), fake.detach().reshape(n, -1)
    return (F.relu(f_real - f_fake - exp_bregman(r, g)) ** 2 + F.relu(f_fake - f_real - exp_bregman(g, r)) ** 2).mean()


@torch.no_grad()
def clip_weights(critic: nn.Module, clip: float) -> None:
    """WGAN's Lipschitz constraint by clipping every weight of the critic to [-clip, clip]."""
    for p in critic.parameters():
        p.clamp_(-clip, clip)


# a variant's penalty by name; R1 and R2 are options of every classifier or critic variant instead (r1_gamma, r2_gamma)
PENALTIES = {"none": None, "gradient_penalty": gradient_penalty, "dragan": dragan_penalty,
             "relaxed_wasserstein": relaxed_wasserstein_penalty}
# the same penalties as the Lucic et al. study's code computes them
STUDY_PENALTIES = {"none": None, "gradient_penalty": functools.partial(gradient_penalty, eps=1e-4),
                   "dragan": functools.partial(dragan_penalty, eps=1e-4, std_correction=0)}
