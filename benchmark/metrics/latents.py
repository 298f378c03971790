"""The fixed latents every evaluation uses, so that every checkpoint of every trial is scored on the same z."""
from __future__ import annotations

import torch

LATENT_SEED = 2018


def fixed_samples(generator: torch.nn.Module, z_dim: int, n: int, prior: str = "uniform", device: str | torch.device = "cpu") -> torch.Tensor:
    g = torch.Generator(device="cpu").manual_seed(LATENT_SEED)
    z = torch.rand(n, z_dim, generator=g) * 2 - 1 if prior == "uniform" else torch.randn(n, z_dim, generator=g)
    was_training = generator.training
    generator.eval()
    try:
        with torch.no_grad():
            return torch.cat([generator(b.to(device)).cpu() for b in z.split(500)])
    finally:
        generator.train(was_training)
