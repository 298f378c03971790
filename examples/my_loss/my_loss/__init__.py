"""A loss of your own for ganbench: a function of the discriminator's outputs on real and generated samples
that returns (d_loss, g_loss), like those in benchmark/losses.py. This one is the hinge loss (Lim & Ye 2017)."""
import torch


def hinge(d_real: torch.Tensor, d_fake: torch.Tensor):
    d_loss = torch.relu(1 - d_real).mean() + torch.relu(1 + d_fake).mean()
    return d_loss, -d_fake.mean()
