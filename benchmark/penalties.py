"""Regularisers of the discriminator, separate from the losses: functions of (critic, real, fake)."""
from __future__ import annotations

import functools

import torch
from torch import nn

Tensor = torch.Tensor


def _gradient_norm_penalty(critic: nn.Module, points: Tensor, eps: float = 0.0) -> Tensor:
    """``eps`` inside the square root: the study's code uses sqrt(1e-4 + ||g||^2) (WGAN_GP.py:80, DRAGAN.py:93)."""
    points = points.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(points).sum(), points, create_graph=True)
    norms = torch.sqrt(eps + grad.flatten(1).pow(2).sum(1)) if eps else grad.flatten(1).norm(2, dim=1)
    return ((norms - 1) ** 2).mean()


def gradient_penalty(critic: nn.Module, real: Tensor, fake: Tensor, eps: float = 0.0) -> Tensor:
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


@torch.no_grad()
def clip_weights(critic: nn.Module, clip: float) -> None:
    """WGAN's Lipschitz constraint by clipping every weight of the critic to [-clip, clip]."""
    for p in critic.parameters():
        p.clamp_(-clip, clip)


PENALTIES = {"none": None, "gradient_penalty": gradient_penalty, "dragan": dragan_penalty}
# the same penalties as the Lucic et al. study's code computes them
STUDY_PENALTIES = {"none": None, "gradient_penalty": functools.partial(gradient_penalty, eps=1e-4),
                   "dragan": functools.partial(dragan_penalty, eps=1e-4, std_correction=0)}
