"""The registry of GAN variants: a loss, a penalty and defaults per name.

Adding a variant is one loss function in ``losses/`` and one line here (and a training step in ``module.py`` where
the players' updates differ, as for BEGAN, EBGAN, MMD GAN, Fisher GAN, Cramér GAN, GMMN and the VAE). ``defaults`` are the variant's
default hyperparameters (compare_gan v1), which sweeps also use as the first setting of a random search.

Your own loss, without editing ganbench: name it ``package.module:function`` wherever a variant is named (a
function of the discriminator's outputs on real and generated samples returning ``(d_loss, g_loss)``, as those in
``losses/``), or register it from your package under the entry-point group ``ganbench.variants`` (the entry
point a loss function or a ``Variant``); see examples/my_loss/.
"""
from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Callable

from . import losses

_GAN = dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1)
_WGAN = dict(lr=5e-5, beta1=0.5, beta2=0.999, n_disc=5)
_WGAN_GP = dict(lr=1e-4, beta1=0.5, beta2=0.9, n_disc=5, penalty_weight=10.0)

# the variant-specific hyperparameters: what each is, and the values it may take (checked by train.resolve_config)
PARAMS = {
    "margin": "EBGAN's margin m on the per-dimension reconstruction energy, > 0",
    "pt_weight": "EBGAN's weight of the pulling-away term, >= 0 (0: none)",
    "pretrain_steps": "MAGAN's autoencoder pretraining on real data, in steps of the run, an integer >= 0",
    "mmd_bandwidth": "GMMN and MMD GAN: the scale of the Gaussian kernel mixture, > 0",
    "ae_weight": "MMD GAN's weight of the critic's autoencoder term, >= 0",
    "rank_weight": "MMD GAN's weight of the one-sided rank term (lambda_rg), >= 0",
    "rho": "Fisher GAN's penalty weight rho of the augmented Lagrangian (and the multiplier's step), > 0",
    "moments": "McGan's matched moments: mean, covariance or mean_covariance",
    "features": "the critic's feature dimension (McGan, Cramér GAN) or code size (MMD GAN), an integer >= 1",
    "loss": "pix2pix's objective: l1, gan, cgan, l1_gan or l1_cgan",
    "generator": "pix2pix's generator: unet or encoder_decoder",
    "patch": "pix2pix's discriminator patch on a 256x256 image, scaled to the image size: 1, 16, 70 or image",
    "l1_weight": "pix2pix's weight lambda of the L1 term, >= 0",
    "ngf": "pix2pix's width of the first generator and discriminator layers, an integer >= 1",
}


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    loss: Callable | None  # (d_real, d_fake) -> (d_loss, g_loss); None where the module's step computes it
    penalty: str = "none"  # a key of penalties.PENALTIES
    clip: bool = False  # weight clipping of the critic (its encoder for MMD GAN) after every critic step
    kind: str = "gan"  # which training step runs it: a key of module.MODULES
    single_step: bool = False  # f-GAN's Algorithm 1: D and G updated from one shared forward pass
    divergence: str | None = None  # f-GAN: the loss is losses.f_gan(divergence, config["fgan_generator_loss"])
    defaults: dict = field(default_factory=dict)
    point_defaults: dict = field(default_factory=dict)  # on 2-D point data, where an image default does not carry over
    params: dict = field(default_factory=dict)  # hyperparameters of this variant only (margin, rho, ...): defaults
    loss_params: tuple = ()  # the params the loss takes as keyword arguments (McGan's moments)
    citation: str = ""

    @property
    def judges_samples(self) -> bool:
        """A classifier or critic discriminator (one that packing and spectral normalisation apply to), not an
        autoencoder, an encoder or no discriminator at all."""
        return self.kind in ("gan", "fisher", "cramer")


_PIX2PIX = dict(loss="l1_cgan", generator="unet", patch="70", l1_weight=100.0, ngf=64)
_PIX2PIX_CITATION = "Isola, Zhu, Zhou & Efros, Image-to-Image Translation with Conditional Adversarial Networks, CVPR 2017"


def _pix2pix(suffix: str, what: str, **options) -> Variant:
    """pix2pix, or one of its paper's ablations (tables 1-3) as a preset of its options, so a study can run them side by side."""
    return Variant(f"pix2pix{suffix}", f"pix2pix{what} (Isola et al. 2017); paired data only", None, kind="pix2pix",
                   defaults=dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1), params={**_PIX2PIX, **options},
                   citation=f"{_PIX2PIX_CITATION}, eq. 4 and section 6.1-6.2")


def _fgan(div: str, title: str) -> Variant:
    return Variant(f"fgan_{div}", f"f-GAN, {title}", losses.f_gan(div), single_step=True, divergence=div, defaults=dict(_GAN),
                   citation="Nowozin, Cseke & Tomioka, f-GAN: Training Generative Neural Samplers using Variational Divergence Minimization, NeurIPS 2016, Table 6 and Algorithm 1")


VARIANTS: dict[str, Variant] = {
    v.name: v
    for v in [
        Variant("mm_gan", "minimax GAN (Goodfellow et al. 2014)", losses.minimax, defaults=dict(_GAN),
                citation="Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014, eq. 1"),
        Variant("ns_gan", "non-saturating GAN, -log D trick", losses.non_saturating, defaults=dict(_GAN),
                citation="Goodfellow et al., Generative Adversarial Nets, NeurIPS 2014, section 3 (the -log D generator loss)"),
        _fgan("kl", "Kullback-Leibler"),
        _fgan("reverse_kl", "reverse Kullback-Leibler"),
        _fgan("pearson", "Pearson chi-square"),
        _fgan("neyman", "Neyman chi-square"),
        _fgan("hellinger", "squared Hellinger"),
        _fgan("js", "Jensen-Shannon"),
        _fgan("gan", "GAN divergence (2 JS - log 4)"),
        Variant("wgan", "Wasserstein GAN, weight clipping", losses.wasserstein, clip=True, defaults=dict(_WGAN, clip=0.01),
                citation="Arjovsky, Chintala & Bottou, Wasserstein GAN, ICML 2017, Algorithm 1"),
        Variant("wgan_gp", "WGAN with gradient penalty (Gulrajani et al. 2017)", losses.wasserstein,
                penalty="gradient_penalty", defaults=dict(lr=1e-4, beta1=0.5, beta2=0.9, n_disc=5, penalty_weight=10.0),
                citation="Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017, Algorithm 1"),
        Variant("lsgan", "least-squares GAN (Mao et al. 2017)", losses.least_squares, defaults=dict(_GAN),
                citation="Mao et al., Least Squares Generative Adversarial Networks, ICCV 2017, eq. 2 (a = 0, b = c = 1)"),
        Variant("hinge", "hinge loss (Lim & Ye 2017; Miyato et al. 2018)", losses.hinge, defaults=dict(_GAN),
                citation="Lim & Ye, Geometric GAN, arXiv:1705.02894, 2017; Miyato et al., Spectral Normalization for GANs, ICLR 2018, eqs. 16-17"),
        Variant("rwgan", "Relaxed Wasserstein GAN, KL Bregman cost (Guo et al. 2017)", losses.wasserstein,
                penalty="relaxed_wasserstein", defaults=dict(_WGAN_GP),
                citation="Guo, Hong, Lin & Yang, Relaxed Wasserstein with Applications to GANs, arXiv:1705.07164, 2017"),
        Variant("mcgan", "McGan, mean and covariance feature matching (Mroueh et al. 2017)", losses.mcgan, clip=True,
                defaults=dict(_WGAN, clip=0.01), params=dict(moments="mean_covariance", features=16), loss_params=("moments",),
                citation="Mroueh, Sercu & Goel, McGan: Mean and Covariance Feature Matching GAN, ICML 2017, Algorithms 1-2"),
        Variant("gmmn", "generative moment matching network, data-space MMD (Li et al. 2015)", None, kind="gmmn",
                defaults=dict(lr=1e-3, beta1=0.5, beta2=0.999, n_disc=1), params=dict(mmd_bandwidth=2.0),
                citation="Li, Swersky & Zemel, Generative Moment Matching Networks, ICML 2015, eqs. 3-4"),
        Variant("mmd_gan", "MMD GAN, kernel on a clipped autoencoder's codes (Li et al. 2017)", None, kind="mmd_gan", clip=True,
                defaults=dict(_WGAN, clip=0.01), params=dict(mmd_bandwidth=1.0, ae_weight=8.0, rank_weight=16.0, features=16),
                # on 2-D points (measured on ring8, seed 0): the kernels' bandwidths are absolute (1-16 on the
                # codes), and an encoder clipped at 0.01 gives codes of ~1e-3: the generator stays at the centre
                # (0 modes); and the rank term rewards E f(G(z)) > E f(x) without bound once outputs are unbounded
                # (tanh caps images): at clip 0.1 the samples drift off (0 modes at 5,000 steps; 5 without it)
                point_defaults=dict(clip=0.1, rank_weight=0.0),
                citation="Li, Chang, Cheng, Yang & Poczos, MMD GAN: Towards Deeper Understanding of Moment Matching "
                         "Network, NeurIPS 2017, Algorithm 1 and its code (OctoberChang/MMD-GAN mmd_gan.py)"),
        Variant("cramer_gan", "Cramér GAN, energy distance of critic features (Bellemare et al. 2017)", None, kind="cramer",
                defaults=dict(_WGAN_GP), params=dict(features=256),
                citation="Bellemare et al., The Cramer Distance as a Solution to Biased Wasserstein Gradients, arXiv:1705.10743, 2017, Algorithm 1"),
        Variant("fisher_gan", "Fisher GAN, chi-square IPM by augmented Lagrangian (Mroueh & Sercu 2017)", None, kind="fisher",
                defaults=dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=2), params=dict(rho=1e-6),
                citation="Mroueh & Sercu, Fisher GAN, NeurIPS 2017, eq. 8 and Algorithm 1"),
        Variant("ebgan", "energy-based GAN, autoencoder discriminator with a margin (Zhao et al. 2017)", None, kind="ebgan",
                defaults=dict(_GAN), params=dict(margin=1.0, pt_weight=0.1),
                citation="Zhao, Mathieu & LeCun, Energy-based Generative Adversarial Network, ICLR 2017, eqs. 1-2 and 4"),
        Variant("magan", "MAGAN, EBGAN with the margin adapted each epoch (Wang et al. 2017)", None, kind="magan",
                defaults=dict(_GAN), params=dict(pretrain_steps=100),
                citation="Wang, Wang & Sun, MAGAN: Margin Adaptation for Generative Adversarial Networks, arXiv:1704.03817, 2017, Algorithm 1"),
        Variant("dragan", "DRAGAN (Kodali et al. 2017)", losses.non_saturating, penalty="dragan",
                defaults=dict(_GAN, penalty_weight=10.0),
                citation="Kodali, Abernethy, Hays & Kira, On Convergence and Stability of GANs, arXiv:1705.07215, 2017, eq. 1"),
        Variant("began", "BEGAN (Berthelot et al. 2017)", None, kind="began",
                defaults=dict(lr=1e-4, beta1=0.5, beta2=0.999, n_disc=1, began_gamma=0.5, began_lambda=1e-3),
                citation="Berthelot, Schumm & Metz, BEGAN: Boundary Equilibrium GANs, arXiv:1703.10717, 2017, section 3.4"),
        Variant("vae", "variational autoencoder baseline", None, kind="vae", defaults=dict(lr=1e-4, beta1=0.9, beta2=0.999, n_disc=1),
                citation="Kingma & Welling, Auto-Encoding Variational Bayes, ICLR 2014; as the study's baseline, Lucic et al. 2018"),
        _pix2pix("", ": U-Net, 70x70 PatchGAN, cGAN + L1"),
        _pix2pix("_l1", ", L1 alone (table 1)", loss="l1"),
        _pix2pix("_gan", ", unconditional GAN alone (table 1)", loss="gan"),
        _pix2pix("_cgan", ", cGAN alone (table 1)", loss="cgan"),
        _pix2pix("_l1_gan", ", L1 + unconditional GAN (table 1)", loss="l1_gan"),
        _pix2pix("_encoder_decoder", ", encoder-decoder without skips, cGAN + L1 (table 2)", generator="encoder_decoder"),
        _pix2pix("_patch1", ", 1x1 PixelGAN (table 3)", patch="1"),
        _pix2pix("_patch16", ", 16x16 PatchGAN (table 3)", patch="16"),
        _pix2pix("_patch_image", ", whole-image discriminator (table 3)", patch="image"),
    ]
}


ENTRY_POINT_GROUP = "ganbench.variants"


class VariantError(ValueError):
    """An unknown variant or a user loss that cannot be used; the message starts with the field's name."""


def _as_variant(name: str, obj, origin: str) -> Variant:
    if isinstance(obj, Variant):
        return replace(obj, name=name)
    if callable(obj):
        return Variant(name, f"your loss {origin}", obj, defaults=dict(_GAN))
    raise VariantError(f"variant: {origin} is a {type(obj).__name__}, not a loss function (d_real, d_fake) -> (d_loss, g_loss)")


def _load_entry_points() -> None:
    """Variants that installed packages register; a broken plugin is reported and skipped, not fatal."""
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in VARIANTS:
            continue
        try:
            VARIANTS[ep.name] = _as_variant(ep.name, ep.load(), f"{ep.value} (entry point {ep.name})")
        except Exception as e:  # noqa: BLE001 - someone else's package: say which and go on
            print(f"ganbench: skipping variant '{ep.name}' from entry point {ep.value}: {type(e).__name__}: {e}", file=sys.stderr)


def _import_loss(name: str) -> Variant:
    module_name, _, attr = name.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise VariantError(f"variant: cannot import '{name}' ({type(e).__name__}: {e})") from None
    return _as_variant(name, obj, name)


def get_variant(name: str) -> Variant:
    """A variant by name: built in, registered by an installed package, or ``package.module:function``."""
    if not isinstance(name, str):
        raise VariantError(f"variant: {name!r} is not a name; choose one of {', '.join(VARIANTS)}")
    if name not in VARIANTS and re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*", name):
        VARIANTS[name] = _import_loss(name)
    if name not in VARIANTS:
        raise VariantError(f"variant: unknown '{name}', choose one of {', '.join(VARIANTS)}, or give package.module:function")
    return VARIANTS[name]


_load_entry_points()
