"""pix2pix's objective (Isola et al. 2017, eqs. 1-4): G* = arg min_G max_D L_(c)GAN(G, D) + lambda L_L1(G).

The discriminator's outputs are logits, one per patch; its loss is the cross-entropy averaged over patches and
halved ("we divide the objective by 2 while optimizing D", section 3.3). The generator takes the non-saturating
-log D(x, G(x)) (section 3.3, as in Goodfellow et al. 2014) plus lambda times the mean absolute error to the target.
Whether D sees the input beside the image (cGAN, eq. 1) or the image alone (GAN, eq. 2) is the caller's: it stacks
the input onto both images before asking D.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

Tensor = torch.Tensor
TRANSLATION_LOSSES = ("l1", "gan", "cgan", "l1_gan", "l1_cgan")


def adversarial(loss: str) -> bool:
    return loss != "l1"


def conditional(loss: str) -> bool:
    """Does the discriminator see the input too (eq. 1) or the output alone (eq. 2)?"""
    return loss.endswith("cgan")


def l1_weight_of(loss: str, l1_weight: float) -> float:
    return l1_weight if loss.startswith("l1") else 0.0


def pix2pix_discriminator_loss(d_real: Tensor, d_fake: Tensor) -> Tensor:
    """Half the cross-entropy of real patches against 1 and generated ones against 0."""
    return 0.5 * (F.softplus(-d_real).mean() + F.softplus(d_fake).mean())


def pix2pix_generator_loss(d_fake: Tensor | None, fake: Tensor, target: Tensor, l1_weight: float) -> Tensor:
    """-log D(x, G(x)) averaged over patches (absent for the L1-only ablation, ``d_fake`` None) + lambda |y - G(x)|_1."""
    adv = F.softplus(-d_fake).mean() if d_fake is not None else fake.new_zeros(())
    return adv + l1_weight * (target - fake).abs().mean()
