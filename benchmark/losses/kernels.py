"""Maximum mean discrepancy with a mixture of Gaussian kernels: GMMN on the data, MMD GAN on learned features."""
from __future__ import annotations

from typing import Iterable

import torch
import torch.nn.functional as F

Tensor = torch.Tensor

GMMN_BANDWIDTHS = (1.0, 2.5, 5.0, 10.0, 20.0, 40.0)  # times mmd_bandwidth; Li et al. 2015 at 2: 2, 5, 10, 20, 40, 80
MMD_GAN_BANDWIDTHS = (1.0, 2.0, 4.0, 8.0, 16.0)  # times mmd_bandwidth; Li et al. 2017's code at 1 (mmd_gan.py)


def mixture_rbf_kernel(x: Tensor, y: Tensor, sigmas: Iterable[float]) -> Tensor:
    """sum over sigma of exp(-|x - y|^2 / (2 sigma^2)), for every pair of rows of x and y."""
    d2 = torch.cdist(x.flatten(1), y.flatten(1)).pow(2)
    return torch.stack([torch.exp(-d2 / (2 * s**2)) for s in sigmas]).sum(0)


def mmd2(x: Tensor, y: Tensor, sigmas: Iterable[float], biased: bool = True) -> Tensor:
    """The squared MMD between the samples x and y under the kernel mixture. Biased (the V-statistic, diagonal
    included, as both papers train with) or unbiased (the U-statistic: without the diagonal)."""
    kxx, kyy, kxy = mixture_rbf_kernel(x, x, sigmas), mixture_rbf_kernel(y, y, sigmas), mixture_rbf_kernel(x, y, sigmas)
    if biased:
        return kxx.mean() + kyy.mean() - 2 * kxy.mean()
    n, m = x.shape[0], y.shape[0]
    return ((kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1)) + (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
            - 2 * kxy.mean())


def gmmn(real: Tensor, fake: Tensor, bandwidth: float) -> Tensor:
    """GMMN (Li, Swersky & Zemel 2015), data space: the generator minimises the square root of the biased MMD^2
    (their eq. 4 and section 3.1) between a real and a generated batch, kernels at bandwidth x GMMN_BANDWIDTHS."""
    return torch.sqrt(F.relu(mmd2(real, fake, [bandwidth * s for s in GMMN_BANDWIDTHS])) + 1e-12)


def mmd_gan(code_real: Tensor, code_fake: Tensor, bandwidth: float, one_sided_weight: float = 16.0) -> tuple[Tensor, Tensor]:
    """MMD GAN (Li et al. 2017) on the critic's codes, as their code trains it (mmd_gan.py): sqrt(relu(MMD^2_b)) of
    the codes plus a one-sided rank penalty -mean(relu(-(E f(x) - E f(G(z))))) weighted by lambda_rg = 16. The critic
    maximises it (its autoencoder term, which it also minimises, is added by the step); the generator minimises it.
    Returns (d_loss without the autoencoder term, g_loss)."""
    sigmas = [bandwidth * s for s in MMD_GAN_BANDWIDTHS]
    distance = torch.sqrt(F.relu(mmd2(code_real, code_fake, sigmas)) + 1e-12)
    one_sided = -F.relu(-(code_real.flatten(1).mean(0) - code_fake.flatten(1).mean(0))).mean()
    value = distance + one_sided_weight * one_sided
    return -value, value
