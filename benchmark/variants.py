"""The registry of GAN variants: a loss, a penalty, defaults and the variant's own hyperparameters per name.

Adding a variant is one loss function in ``losses/`` and one entry here (and a training step in ``module/`` where
the players' updates differ, as for BEGAN, EBGAN, MMD GAN, Fisher GAN, Cramér GAN, GMMN and the VAE). ``defaults`` are
the variant's defaults of the common settings (compare_gan v1), which sweeps also use as the first setting of a
random search. ``own`` declares its own hyperparameters, each a ``schema.Field`` (type, default, bounds, 2-D default,
search ranges, help): `train`'s flags, `spaces`, the checks and the README's table come from that declaration.

Your own loss, without editing ganbench: name it ``package.module:function`` on the command line (``--variant``, a
spec given to ``sweep run``, or ``--allow-code`` for a run or study folder that names it: a file on disk never imports
code by itself), a function defined in that module of the discriminator's outputs on real and generated samples
returning ``(d_loss, g_loss)``, as those in ``losses/``; or register it from your package under the entry-point group
``ganbench.variants`` (the entry point a loss function or a ``Variant``); see examples/my_loss/.
"""
from __future__ import annotations

import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from importlib import metadata
from typing import Any, Callable

import torch

from . import losses
from .schema import NO_DEFAULT, Field, Vocabulary, did_you_mean

_GAN = dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1)
_WGAN = dict(lr=5e-5, beta1=0.5, beta2=0.999, n_disc=5)
_WGAN_GP = dict(lr=1e-4, beta1=0.5, beta2=0.9, n_disc=5, penalty_weight=10.0)

# Parameters that several variants share are declared once here and given each variant's default beside it.
_BANDWIDTH = Field("mmd_bandwidth", float, 1.0, "GMMN and MMD GAN: the scale of the Gaussian kernel mixture", gt=0)
_FEATURES = Field("features", int, 16, "the critic's feature dimension (McGan, Cramér GAN) or code size (MMD GAN)", ge=1)
_PIX2PIX_PARAMS = (
    Field("loss", str, "l1_cgan", "pix2pix's objective", choices=("l1", "gan", "cgan", "l1_gan", "l1_cgan")),
    Field("generator", str, "unet", "pix2pix's generator: unet or encoder_decoder (no skip connections)", choices=("unet", "encoder_decoder")),
    Field("patch", str, "70", "pix2pix's discriminator patch on a 256x256 image, scaled to the image size", choices=("1", "16", "70", "image")),
    Field("l1_weight", float, 100.0, "pix2pix's weight lambda of the L1 term", ge=0, wide=["log", 1, 1e4], narrow=["log", 10, 1000],
          acts_on=("pix2pix's objectives with an L1 term", lambda v, c: c.loss.startswith("l1"))),
    Field("ngf", int, 64, "pix2pix's width of the first generator and discriminator layers", ge=1),
)
# the search ranges of the common settings that a variant has its own range for (its penalty, its clip, ...)
_CLIP = {"wide": ["log", 1e-3, 1], "narrow": ["log", 1e-2, 1]}
_PENALTY = {"wide": ["log", 1e-1, 1e2], "narrow": ["log", 1e-1, 10]}
_SEARCH_CLIP = {space: dict(clip=r) for space, r in _CLIP.items()}
_SEARCH_PENALTY = {space: dict(penalty_weight=r) for space, r in _PENALTY.items()}

_RELATIVISTIC = "Jolicoeur-Martineau, The relativistic discriminator: a key element missing from standard GAN, ICLR 2019"
_R3GAN = "Huang, Gokaslan, Kuleshov & Tompkin, The GAN is dead; long live the GAN! A Modern GAN Baseline, NeurIPS 2024"
# R3GAN's recipe (its train.py, preset CIFAR10): Adam beta1 0 and beta2 0.9, lr 2e-4, gamma 0.05 on R1 and R2 alike,
# the cosine schedule (lr to 5e-5, gamma to a tenth, beta2 to 0.99) over the run where R3GAN takes 20M images, and
# an EMA generator. Its EMA ramps to a half-life of 5M images over those 20M; on runs of ~1e5 images ganbench keeps
# StyleGAN2-ADA's form with a half-life of 10,000 images (at most 5% of the images seen).
# r2_gamma unset: tied to r1_gamma (R3GAN's train.py has one --gamma for both; benchmark.config ties an unset one)
_R3GAN_RECIPE = dict(lr=2e-4, beta1=0.0, beta2=0.9, n_disc=1, r1_gamma=0.05, r2_gamma=None, cosine_decay=True, ema_nimg=10_000.0)
# on 2-D points the recipe's optimiser stands over PacGAN's (the data set's); its gamma is measured there
_R3GAN_ON_POINTS = dict(lr=2e-4, beta1=0.0, beta2=0.9)
_SEARCH_R3GAN = {"wide": dict(beta1=0.0, beta2=["uniform", 0.9, 0.99], r1_gamma=["log", 1e-3, 10]),  # one gamma: r2 is tied
                 "narrow": dict(beta1=0.0, beta2=0.9, r1_gamma=["log", 0.01, 1])}


@dataclass(frozen=True)
class Recipe:
    """A variant's paper's training settings, as its authors ran them, and where they say so. A study that starts
    its arms from their recipes (``start: recipe`` in a spec) runs these settings first and keeps them in every
    setting it draws, except the ``tuned`` ones, which it searches over a decade centred on the recipe's value (the
    narrow space's width); the report marks every arm that ran off its recipe, by field."""
    settings: dict[str, Any]
    source: str  # paper, table or section; the authors' code, file and line
    tuned: tuple[Any, ...] = ("lr",)  # what the authors tuned per data set (R3GAN's gamma), searched around the recipe


# DCGAN's optimiser (Radford, Metz & Chintala, ICLR 2016, section 4: Adam, lr 2e-4, beta1 0.5)
_DCGAN_RECIPE = Recipe(dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1),
                       "Radford, Metz & Chintala, Unsupervised Representation Learning with Deep Convolutional GANs, ICLR 2016, section 4")
# the relativistic paper's CIFAR-10 'stable' setup ("DCGAN setup"), which its code runs for every loss it compares
# (AlexiaJM/RelativisticGAN @2646c0b code/stable.sh lines 4-20: lr 2e-4, betas (0.5, 0.999), Diters 1, --spectral True)
_RELATIVISTIC_RECIPE = Recipe(dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1, spectral_norm=True),
                              f"{_RELATIVISTIC}; its code's stable setup, AlexiaJM/RelativisticGAN @2646c0b code/stable.sh lines 4-20")
RECIPES = {
    # Algorithm 1's default values; the authors' code runs beta1 0.5 (igul222/improved_wgan_training @fa66c57
    # gan_cifar.py lines 137-138, gan_toy.py lines 89-101): the paper's values are the recipe
    "wgan_gp": Recipe(dict(lr=1e-4, beta1=0.0, beta2=0.9, n_disc=5, penalty_weight=10.0),
                      "Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017, Algorithm 1 (its default values)"),
    # SN-GAN's hinge setting in the authors' code (pfnet-research/sngan_projection @e84b1a5
    # configs/sn_cifar10_unconditional.yml: adam alpha 0.0002, beta1 0.0, beta2 0.9; n_dis 5; loss_type hinge)
    "hinge": Recipe(dict(lr=2e-4, beta1=0.0, beta2=0.9, n_disc=5, spectral_norm=True),
                    "Miyato et al., Spectral Normalization for GANs, ICLR 2018; its authors' code, pfnet-research/sngan_projection @e84b1a5 "
                    "configs/sn_cifar10_unconditional.yml (adam alpha, beta1, beta2; n_dis; loss_type hinge)"),
    # the authors' code for their smaller data (xudonmao/LSGAN @3b13d36 train_chn.py lines 15-16: lr 2e-4, beta1 0.5;
    # train_lsun.py takes lr 1e-3 for the LSUN scenes)
    "lsgan": Recipe(dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1),
                    "Mao et al., Least Squares GANs, ICCV 2017; its authors' code, xudonmao/LSGAN @3b13d36 train_chn.py lines 15-16"),
    # the authors' notebook (kodalinaveen3/DRAGAN @5cf95ab DRAGAN.ipynb: lambd = 10, Adam(1e-4, 0.5, 0.9), one D step)
    "dragan": Recipe(dict(lr=1e-4, beta1=0.5, beta2=0.9, n_disc=1, penalty_weight=10.0),
                     "Kodali et al., On Convergence and Stability of GANs, arXiv:1705.07215; its authors' notebook, kodalinaveen3/DRAGAN "
                     "@5cf95ab DRAGAN.ipynb (lambd = 10; AdamOptimizer(1e-4, beta1=0.5, beta2=0.9))"),
    "ns_gan": _DCGAN_RECIPE,
    "rsgan": _RELATIVISTIC_RECIPE,
    "rasgan": _RELATIVISTIC_RECIPE,
    "ralsgan": _RELATIVISTIC_RECIPE,
    "rpgan": _RELATIVISTIC_RECIPE,  # RpGAN's loss is RSGAN's (Huang et al. 2024, eq. 2)
    # R3GAN tunes gamma per data set (its train.py presets): searched around 0.05 with the learning rate
    "r3gan": Recipe({k: v for k, v in _R3GAN_RECIPE.items()}, f"{_R3GAN}, train.py preset CIFAR10 (brownvc/R3GAN)", tuned=("lr", "r1_gamma")),
    "ns_gan_r1r2": Recipe({k: v for k, v in _R3GAN_RECIPE.items()}, f"{_R3GAN}, section 4 (its loss ablation: R3GAN's recipe, the classic loss)",
                          tuned=("lr", "r1_gamma")),
}


class VariantKind(Vocabulary):
    """What players a variant has, and so which module trains it (benchmark.module.MODULES) and which protocol steps
    can (``Step.trains``)."""

    GAN = "gan"  # a classifier or critic discriminator, its loss a function of D's outputs
    FISHER = "fisher"  # a critic with Fisher GAN's Lagrange multiplier
    CRAMER = "cramer"  # a critic of features, two generated batches
    BEGAN = "began"  # autoencoder discriminators
    EBGAN = "ebgan"
    MAGAN = "magan"
    MMD_GAN = "mmd_gan"
    GMMN = "gmmn"  # no discriminator
    VAE = "vae"  # an encoder and a decoder
    PIX2PIX = "pix2pix"  # image-to-image translation


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    loss: Callable[..., Any] | None  # (d_real, d_fake) -> (d_loss, g_loss); None where the module's step computes it
    penalty: str = "none"  # a key of penalties.PENALTIES
    clip: bool = False  # weight clipping of the critic (its encoder for MMD GAN) after every critic step
    kind: VariantKind = VariantKind.GAN
    single_step: bool = False  # f-GAN's Algorithm 1: D and G updated from one shared forward pass
    divergence: str | None = None  # f-GAN: the loss is losses.f_gan(divergence, config.fgan_generator_loss)
    defaults: dict[str, Any] = field(default_factory=dict[str, Any])
    point_defaults: dict[str, Any] = field(default_factory=dict[str, Any])  # common settings on 2-D points, where an image default does not carry over
    own: tuple[Any, ...] = ()  # the hyperparameters of this variant only (margin, rho, ...), each a schema.Field
    search: dict[str, Any] = field(default_factory=dict[str, Any])  # {space: {common setting: range}}: this variant's ranges of common settings
    loss_params: tuple[Any, ...] = ()  # the params the loss takes as keyword arguments (McGan's moments)
    citation: str = ""

    @property
    def recipe(self) -> Recipe | None:
        """Its paper's training settings with their source, where ganbench declares them (RECIPES)."""
        return RECIPES.get(self.name)

    @property
    def params(self) -> dict[str, Any]:
        """Its own hyperparameters' defaults, by name."""
        return {f.name: f.default for f in self.own}

    def own_defaults(self, on_points: bool = False) -> dict[str, Any]:
        """Its own hyperparameters' defaults, on 2-D points where they differ there."""
        return {f.name: f.point_default if on_points and f.point_default is not NO_DEFAULT else f.default for f in self.own}

    def own_acts(self, name: str) -> bool:
        """Whether ``name``, if it is one of its own parameters, acts on it, by the parameter's declaration
        (``Field.acts_on``) read on its own values (pix2pix's l1_weight on an objective without the L1 term: no)."""
        f = self.fields.get(name)
        return f is None or f.acts_on is None or f.acts_on[1](self, SimpleNamespace(**self.params))

    @property
    def fields(self) -> dict[str, Any]:
        return {f.name: f for f in self.own}

    @property
    def generator_sees_real(self) -> bool:
        """Its generator's loss compares fakes with reals (the relativistic losses): a generator step evaluates the
        updated discriminator on a fresh real batch, as the reference code does (losses.relativistic)."""
        return self.loss in losses.GENERATOR_SEES_REAL

    @property
    def penalised(self) -> bool:
        """penalty_weight acts on it: a declared penalty, or Cramér GAN's step, which applies its own gradient penalty."""
        return self.penalty != "none" or self.kind == VariantKind.CRAMER

    @property
    def judges_samples(self) -> bool:
        """A classifier or critic discriminator (one that packing and spectral normalisation apply to), not an
        autoencoder, an encoder or no discriminator at all."""
        return self.kind in (VariantKind.GAN, VariantKind.FISHER, VariantKind.CRAMER)


_PIX2PIX_CITATION = "Isola, Zhu, Zhou & Efros, Image-to-Image Translation with Conditional Adversarial Networks, CVPR 2017"


def _pix2pix(suffix: str, what: str, **options: Any) -> Variant:
    """pix2pix, or one of its paper's ablations (tables 1-3) as a preset of its options, so a study can run them side by side."""
    return Variant(f"pix2pix{suffix}", f"pix2pix{what} (Isola et al. 2017); paired data only", None, kind=VariantKind.PIX2PIX,
                   defaults=dict(_GAN, batch_size=16),  # the paper's batch is 1 (section 6.2); 16 on small images
                   own=tuple(f.with_default(options.get(f.name, f.default)) for f in _PIX2PIX_PARAMS),
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
        Variant("wgan", "Wasserstein GAN, weight clipping", losses.wasserstein, clip=True, defaults=dict(_WGAN, clip=0.01), search=_SEARCH_CLIP,
                citation="Arjovsky, Chintala & Bottou, Wasserstein GAN, ICML 2017, Algorithm 1"),
        Variant("wgan_gp", "WGAN with gradient penalty (Gulrajani et al. 2017)", losses.wasserstein,
                penalty="gradient_penalty", defaults=dict(_WGAN_GP), search=_SEARCH_PENALTY,
                citation="Gulrajani et al., Improved Training of Wasserstein GANs, NeurIPS 2017, Algorithm 1"),
        Variant("lsgan", "least-squares GAN (Mao et al. 2017)", losses.least_squares, defaults=dict(_GAN),
                citation="Mao et al., Least Squares Generative Adversarial Networks, ICCV 2017, eq. 2 (a = 0, b = c = 1)"),
        Variant("hinge", "hinge loss (Lim & Ye 2017; Miyato et al. 2018)", losses.hinge, defaults=dict(_GAN),
                search={"wide": dict(spectral_norm=["choice", False, True]), "narrow": dict(spectral_norm=True)},
                citation="Lim & Ye, Geometric GAN, arXiv:1705.02894, 2017; Miyato et al., Spectral Normalization for GANs, ICLR 2018, eqs. 16-17"),
        Variant("rwgan", "Relaxed Wasserstein GAN, KL Bregman cost (Guo et al. 2017)", losses.wasserstein,
                penalty="relaxed_wasserstein", defaults=dict(_WGAN_GP), search=_SEARCH_PENALTY,
                citation="Guo, Hong, Lin & Yang, Relaxed Wasserstein with Applications to GANs, arXiv:1705.07164, 2017"),
        Variant("mcgan", "McGan, mean and covariance feature matching (Mroueh et al. 2017)", losses.mcgan, clip=True,
                defaults=dict(_WGAN, clip=0.01), loss_params=("moments",), search=_SEARCH_CLIP,
                own=(Field("moments", str, "mean_covariance", "McGan's matched moments", choices=("mean", "covariance", "mean_covariance"),
                           wide=["choice", "mean", "covariance", "mean_covariance"], narrow="mean_covariance"), _FEATURES),
                citation="Mroueh, Sercu & Goel, McGan: Mean and Covariance Feature Matching GAN, ICML 2017, Algorithms 1-2"),
        Variant("rsgan", "relativistic standard GAN (Jolicoeur-Martineau 2019)", losses.relativistic_standard, defaults=dict(_GAN),
                citation=f"{_RELATIVISTIC}, eqs. 5-6 with f = -log sigmoid"),
        Variant("rpgan", "relativistic pairing GAN, RpGAN: R3GAN's loss without its penalties", losses.relativistic_pairing,
                defaults=dict(_GAN), citation=f"{_R3GAN}, eq. 2; R3GAN/Trainer.py in brownvc/R3GAN"),
        Variant("rasgan", "relativistic average standard GAN, RaSGAN (Jolicoeur-Martineau 2019)", losses.relativistic_average,
                defaults=dict(_GAN), citation=f"{_RELATIVISTIC}, eqs. 12-13"),
        Variant("ralsgan", "relativistic average least-squares GAN, RaLSGAN (Jolicoeur-Martineau 2019)",
                losses.relativistic_average_least_squares, defaults=dict(_GAN), citation=f"{_RELATIVISTIC}, section 4.3 and its appendix's RaLSGAN"),
        Variant("r3gan", "R3GAN's recipe: RpGAN + R1 + R2, Adam beta1 0, cosine schedule, EMA generator (Huang et al. 2024)",
                losses.relativistic_pairing, defaults=dict(_R3GAN_RECIPE), point_defaults=dict(_R3GAN_ON_POINTS), search=_SEARCH_R3GAN,
                citation=f"{_R3GAN}, eqs. 2 and 4, train.py preset CIFAR10 (its nets are not ganbench's)"),
        Variant("ns_gan_r1r2", "non-saturating GAN with R3GAN's R1 + R2, schedule and EMA: R3GAN's loss ablation",
                losses.non_saturating, defaults=dict(_R3GAN_RECIPE), point_defaults=dict(_R3GAN_ON_POINTS), search=_SEARCH_R3GAN,
                citation=f"{_R3GAN}, section 4 (the classic GAN with the same regularisers); Mescheder et al., ICML 2018"),
        Variant("gmmn", "generative moment matching network, data-space MMD (Li et al. 2015)", None, kind=VariantKind.GMMN,
                defaults=dict(lr=1e-3, beta1=0.5, beta2=0.999, n_disc=1),
                own=(_BANDWIDTH.with_default(2.0, wide=["log", 0.2, 20], narrow=["log", 1, 4]),),
                citation="Li, Swersky & Zemel, Generative Moment Matching Networks, ICML 2015, eqs. 3-4"),
        Variant("mmd_gan", "MMD GAN, kernel on a clipped autoencoder's codes (Li et al. 2017)", None, kind=VariantKind.MMD_GAN, clip=True,
                defaults=dict(_WGAN, clip=0.01), search=_SEARCH_CLIP,
                own=(_BANDWIDTH.with_default(1.0, wide=["log", 0.1, 10], narrow=["log", 0.5, 2]),
                     Field("ae_weight", float, 8.0, "MMD GAN's weight of the critic's autoencoder term (the paper's code)", ge=0,
                           wide=["log", 0.8, 80], narrow=8.0),
                     Field("rank_weight", float, 16.0, "MMD GAN's weight of the one-sided rank term (lambda_rg, the paper's code)", ge=0,
                           wide=["log", 1.6, 160], point_default=0.0),
                     _FEATURES),
                # on 2-D points (measured on ring8, seed 0): the kernels' bandwidths are absolute (1-16 on the
                # codes), and an encoder clipped at 0.01 gives codes of ~1e-3: the generator stays at the centre
                # (0 modes); and the rank term rewards E f(G(z)) > E f(x) without bound once outputs are unbounded
                # (tanh caps images): at clip 0.1 the samples drift off (0 modes at 5,000 steps; 5 without it)
                point_defaults=dict(clip=0.1),
                citation="Li, Chang, Cheng, Yang & Poczos, MMD GAN: Towards Deeper Understanding of Moment Matching "
                         "Network, NeurIPS 2017, Algorithm 1 and its code (OctoberChang/MMD-GAN mmd_gan.py)"),
        Variant("cramer_gan", "Cramér GAN, energy distance of critic features (Bellemare et al. 2017)", None, kind=VariantKind.CRAMER,
                defaults=dict(_WGAN_GP), own=(_FEATURES.with_default(256),), search=_SEARCH_PENALTY,
                citation="Bellemare et al., The Cramer Distance as a Solution to Biased Wasserstein Gradients, arXiv:1705.10743, 2017, Algorithm 1"),
        Variant("fisher_gan", "Fisher GAN, chi-square IPM by augmented Lagrangian (Mroueh & Sercu 2017)", None, kind=VariantKind.FISHER,
                defaults=dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=2),
                own=(Field("rho", float, 1e-6, "Fisher GAN's penalty weight rho of the augmented Lagrangian (and the multiplier's step)",
                           gt=0, wide=["log", 1e-8, 1e-4], narrow=["log", 1e-7, 1e-5]),),
                citation="Mroueh & Sercu, Fisher GAN, NeurIPS 2017, eq. 8 and Algorithm 1"),
        Variant("ebgan", "energy-based GAN, autoencoder discriminator with a margin (Zhao et al. 2017)", None, kind=VariantKind.EBGAN,
                defaults=dict(_GAN),
                own=(Field("margin", float, 1.0, "EBGAN's margin m on the per-dimension reconstruction energy", gt=0,
                           wide=["log", 0.1, 10], narrow=["log", 0.3, 3]),
                     Field("pt_weight", float, 0.1, "EBGAN's weight of the pulling-away term (0: none)", ge=0,
                           wide=["log", 0.01, 1], narrow=0.1)),
                citation="Zhao, Mathieu & LeCun, Energy-based Generative Adversarial Network, ICLR 2017, eqs. 1-2 and 4"),
        Variant("magan", "MAGAN, EBGAN with the margin adapted each epoch (Wang et al. 2017)", None, kind=VariantKind.MAGAN,
                defaults=dict(_GAN),
                own=(Field("pretrain_steps", int, 100, "MAGAN's autoencoder pretraining on real data, in steps of the run", ge=0,
                           wide=["int", 0, 500], narrow=100),),
                citation="Wang, Wang & Sun, MAGAN: Margin Adaptation for Generative Adversarial Networks, arXiv:1704.03817, 2017, Algorithm 1"),
        Variant("dragan", "DRAGAN (Kodali et al. 2017)", losses.non_saturating, penalty="dragan",
                defaults=dict(_GAN, penalty_weight=10.0), search=_SEARCH_PENALTY,
                citation="Kodali, Abernethy, Hays & Kira, On Convergence and Stability of GANs, arXiv:1705.07215, 2017, eq. 1"),
        Variant("began", "BEGAN (Berthelot et al. 2017)", None, kind=VariantKind.BEGAN,
                defaults=dict(lr=1e-4, beta1=0.5, beta2=0.999, n_disc=1, began_gamma=0.5, began_lambda=1e-3),
                search={"wide": dict(began_lambda=["log", 1e-4, 1e-2], began_gamma=["uniform", 0, 1]),
                        "narrow": dict(began_lambda=1e-3, began_gamma=["uniform", 0.6, 0.9])},
                citation="Berthelot, Schumm & Metz, BEGAN: Boundary Equilibrium GANs, arXiv:1703.10717, 2017, section 3.4"),
        Variant("vae", "variational autoencoder baseline", None, kind=VariantKind.VAE, defaults=dict(lr=1e-4, beta1=0.9, beta2=0.999, n_disc=1),
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
BUILT_IN = frozenset(VARIANTS)  # ganbench's own; the registry also grows by installed plugins and named code


ENTRY_POINT_GROUP = "ganbench.variants"


class VariantError(ValueError):
    """An unknown variant or a user loss that cannot be used; the message starts with the field's name."""


def _as_variant(name: str, obj: Any, origin: str) -> Variant:
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


CODE_NAME = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


def _import_loss(name: str) -> Variant:
    """Import ``package.module:function``; it must be a function (or a Variant) defined in that module, so that
    ``builtins:print`` or a class is refused without being called."""
    module_name, _, attr = name.partition(":")
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise VariantError(f"variant: cannot import '{name}' ({type(e).__name__}: {e})") from None
    if isinstance(obj, Variant):
        return replace(obj, name=name)
    if not inspect.isfunction(obj) or obj.__module__ != module_name:
        raise VariantError(f"variant: '{name}' is not a function defined in {module_name} (it is {type(obj).__name__}"
                           f"{' from ' + str(getattr(obj, '__module__', None)) if getattr(obj, '__module__', None) else ''}); "
                           "name a loss function (d_real, d_fake) -> (d_loss, g_loss) of your module")
    return Variant(name, f"your loss {name}", obj, defaults=dict(_GAN))


def check_loss(variant: Variant) -> None:
    """A loss must map discriminator outputs to two scalars; tried on a small batch, so a user's loss that does
    not fails here with its name rather than deep inside training."""
    if variant.loss is None:
        return
    d_real, d_fake = torch.randn(4, 1, requires_grad=True), torch.randn(4, 1, requires_grad=True)
    try:
        out = variant.loss(d_real, d_fake)
    except Exception as e:  # noqa: BLE001 - any failure of a user's function is bad input
        raise VariantError(f"variant: {variant.name} failed on discriminator outputs of shape (4, 1): {type(e).__name__}: {e}") from None
    if not (isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, torch.Tensor) and t.dim() == 0 for t in out)):
        raise VariantError(f"variant: {variant.name} must return (d_loss, g_loss), two scalar tensors; it returned {type(out).__name__}")
    d_loss, g_loss = out
    # each player's loss must reach its player through the outputs: one that does not trains nothing (or fails at
    # the first backward pass, deep inside Lightning)
    for what, loss, needs in (("d_loss", d_loss, "the discriminator's outputs (d_real, d_fake)"), ("g_loss", g_loss, "d_fake")):
        if not loss.requires_grad or not torch.isfinite(loss.detach()):
            raise VariantError(f"variant: {variant.name}'s {what} must be a finite tensor computed from {needs}; it "
                               f"{'is not finite' if loss.requires_grad else 'carries no gradient'} on a small batch")
    if torch.autograd.grad(g_loss, d_fake, retain_graph=True, allow_unused=True)[0] is None:
        raise VariantError(f"variant: {variant.name}'s g_loss does not depend on d_fake (the generator's samples judged); "
                           "the generator would learn nothing")


def import_variant(name: str) -> Variant:
    """A variant the user named on this command line: ``package.module:function`` is imported here, and only here;
    it is registered once it has been found usable, so a loss that fails is not listed afterwards."""
    if isinstance(name, str) and name not in VARIANTS and CODE_NAME.fullmatch(name):
        variant = _import_loss(name)
        check_loss(variant)
        VARIANTS[name] = variant
    return get_variant(name)


def get_variant(name: str) -> Variant:
    """A variant by name: built in, registered by an installed package, or ``package.module:function`` once the
    user has named it (import_variant). A name read from a file on disk never imports code by itself."""
    if not isinstance(name, str):
        raise VariantError(f"variant: {name!r} is not a name; choose one of {', '.join(VARIANTS)}")
    if name not in VARIANTS and CODE_NAME.fullmatch(name):
        raise VariantError(f"variant: '{name}' names code to import (module:function); ganbench imports only what you name "
                           f"on the command line: add --allow-code {name}")
    if name not in VARIANTS:
        raise VariantError(f"variant: unknown '{name}'{did_you_mean(name, VARIANTS)}; choose one of {', '.join(VARIANTS)}, "
                           "or give package.module:function")
    return VARIANTS[name]


_load_entry_points()
