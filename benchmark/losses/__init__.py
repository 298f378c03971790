"""GAN losses as small pure functions of discriminator outputs.

Every loss takes the discriminator's raw outputs on a real and a fake batch and returns ``(d_loss, g_loss)``: the
discriminator minimises the first, the generator the second. Losses whose players need more than that (Fisher GAN's
multiplier, Cramér GAN's second fake batch, the autoencoder discriminators' margins) are still pure functions; the
training step that feeds them lives in ``module/`` (``module/base.py`` and its siblings). Penalties (gradient penalties, clipping) live in
``penalties.py``.

- ``classic``: minimax, non-saturating, Wasserstein, least squares, hinge;
- ``fgan``: the f-GAN family;
- ``energy``: autoencoder discriminators (BEGAN, EBGAN, MAGAN);
- ``ipm``: integral probability metrics on learned features (McGan, Fisher GAN, Cramér GAN);
- ``kernels``: maximum mean discrepancy (GMMN, MMD GAN);
- ``relativistic``: RSGAN, RpGAN (R3GAN's loss), RaSGAN and RaLSGAN;
- ``translation``: pix2pix's conditional GAN + L1 and its ablations.
"""
from .classic import hinge, least_squares, least_squares_on_sigmoid, minimax, non_saturating, wasserstein
from .energy import began, began_k_update, ebgan, magan_margin_update, pulling_away
from .fgan import F_DIVERGENCES, GENERATOR_LOSSES, FDivergence, f_divergence_bound, f_gan
from .ipm import MCGAN_MOMENTS, cramer_critic, cramer_critic_loss, cramer_generator_loss, fisher, fisher_multiplier_update, mcgan
from .kernels import gmmn, mixture_rbf_kernel, mmd2, mmd_gan
from .relativistic import GENERATOR_SEES_REAL, relativistic_average, relativistic_average_least_squares, relativistic_pairing, relativistic_standard
from .translation import TRANSLATION_LOSSES, pix2pix_discriminator_loss, pix2pix_generator_loss

__all__ = [
    "minimax", "non_saturating", "wasserstein", "least_squares", "least_squares_on_sigmoid", "hinge",
    "began", "began_k_update", "ebgan", "magan_margin_update", "pulling_away",
    "F_DIVERGENCES", "GENERATOR_LOSSES", "FDivergence", "f_divergence_bound", "f_gan",
    "MCGAN_MOMENTS", "mcgan", "fisher", "fisher_multiplier_update", "cramer_critic", "cramer_critic_loss", "cramer_generator_loss",
    "mixture_rbf_kernel", "mmd2", "gmmn", "mmd_gan", "relativistic_standard", "relativistic_pairing", "relativistic_average",
    "relativistic_average_least_squares", "GENERATOR_SEES_REAL",
    "TRANSLATION_LOSSES", "pix2pix_discriminator_loss", "pix2pix_generator_loss",
]
