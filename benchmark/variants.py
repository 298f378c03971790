"""The registry of GAN variants: a loss, a penalty and defaults per name.

Adding a variant is one loss function in ``losses.py`` and one line here. ``defaults`` are the variant's
default hyperparameters (compare_gan v1), which sweeps also use as the first setting of a random search.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import losses

_GAN = dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1)
_WGAN = dict(lr=5e-5, beta1=0.5, beta2=0.999, n_disc=5)


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    loss: Callable | None  # (d_real, d_fake) -> (d_loss, g_loss); None for BEGAN and VAE
    penalty: str = "none"  # a key of penalties.PENALTIES
    clip: bool = False  # WGAN's weight clipping after every critic step
    kind: str = "gan"  # "gan", "began" or "vae": which training step runs it
    single_step: bool = False  # f-GAN's Algorithm 1: D and G updated from one shared forward pass
    divergence: str | None = None  # f-GAN: the loss is losses.f_gan(divergence, config["fgan_generator_loss"])
    defaults: dict = field(default_factory=dict)


def _fgan(div: str, title: str) -> Variant:
    return Variant(f"fgan_{div}", f"f-GAN, {title}", losses.f_gan(div), single_step=True, divergence=div, defaults=dict(_GAN))


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in [
        Variant("mm_gan", "minimax GAN (Goodfellow et al. 2014)", losses.minimax, defaults=dict(_GAN)),
        Variant("ns_gan", "non-saturating GAN, -log D trick", losses.non_saturating, defaults=dict(_GAN)),
        _fgan("kl", "Kullback-Leibler"),
        _fgan("reverse_kl", "reverse Kullback-Leibler"),
        _fgan("pearson", "Pearson chi-square"),
        _fgan("neyman", "Neyman chi-square"),
        _fgan("hellinger", "squared Hellinger"),
        _fgan("js", "Jensen-Shannon"),
        _fgan("gan", "GAN divergence (2 JS - log 4)"),
        Variant("wgan", "Wasserstein GAN, weight clipping", losses.wasserstein, clip=True, defaults=dict(_WGAN, clip=0.01)),
        Variant("wgan_gp", "WGAN with gradient penalty (Gulrajani et al. 2017)", losses.wasserstein,
                penalty="gradient_penalty", defaults=dict(lr=1e-4, beta1=0.5, beta2=0.9, n_disc=5, penalty_weight=10.0)),
        Variant("lsgan", "least-squares GAN (Mao et al. 2017)", losses.least_squares, defaults=dict(_GAN)),
        Variant("dragan", "DRAGAN (Kodali et al. 2017)", losses.non_saturating, penalty="dragan",
                defaults=dict(_GAN, penalty_weight=10.0)),
        Variant("began", "BEGAN (Berthelot et al. 2017)", None, kind="began",
                defaults=dict(lr=1e-4, beta1=0.5, beta2=0.999, n_disc=1, began_gamma=0.5, began_lambda=1e-3)),
        Variant("vae", "variational autoencoder baseline", None, kind="vae", defaults=dict(lr=1e-4, beta1=0.9, beta2=0.999, n_disc=1)),
    ]
}
