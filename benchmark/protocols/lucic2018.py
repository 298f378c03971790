"""The protocol of Lucic et al. 2018, "Are GANs Created Equal?", transcribed from the study's own code:
google/compare_gan at commit 49495fd (2018-02-12, the code released with the study). ``file:line`` below refers
to that commit, under ``compare_gan/src/``. docs/protocol.md sets every aspect beside ganbench's own protocol.

This module is data and small pure functions: the search ranges and defaults (params.py), the experiments and
their draws (generate_tasks_lib.py), training length and checkpoints, and when the generator is updated
(gans/abstract_gan.py); and the study's training step (``StudyStep``), which drives the players of benchmark.module.
The nets are in benchmark.nets.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import math
import random
from collections import namedtuple

STUDY_CODE = "google/compare_gan@49495fdd9c5e7b1f6426929608b931759f4feccf"
BATCH_SIZE, Z_DIM = 64, 64  # generate_tasks_lib.py:38, the z_dim of every task
ALL_GANS = ["GAN", "GAN_MINMAX", "WGAN", "WGAN_GP", "DRAGAN", "VAE", "LSGAN", "BEGAN"]  # generate_tasks_lib.py:40
VARIANT_OF = {"GAN": "ns_gan", "GAN_MINMAX": "mm_gan", "WGAN": "wgan", "WGAN_GP": "wgan_gp", "DRAGAN": "dragan",
              "VAE": "vae", "LSGAN": "lsgan", "BEGAN": "began"}
GAN_TYPE = {v: k for k, v in VARIANT_OF.items()}
DATASET_OF = {"mnist": "mnist", "fashion-mnist": "fashion_mnist", "cifar10": "cifar10", "celeba": "celeba"}

ParamInfo = namedtuple("ParamInfo", ["default", "range", "is_log_scale", "is_discrete"])  # params.py:30


def study_params(gan_type: str, range_type: str) -> dict[str, ParamInfo]:
    """params.py:100-258, GetParameters(gan_type, dataset, range_type): the same for every data set."""
    if range_type == "wide":  # params.py:63-74
        p = dict(beta1=ParamInfo(0.5, [0.0, 1.0], False, False), learning_rate=ParamInfo(0.0001, [-5.0, -2.0], True, False),
                 disc_iters=ParamInfo(1, [1, 5], False, True), discriminator_batchnorm=ParamInfo(True, [True, False], False, True))
    elif range_type == "narrow":  # params.py:77-88; batch norm is added per model
        p = dict(beta1=ParamInfo(0.5, [0.5], False, True), learning_rate=ParamInfo(0.0001, [-4.0, -3.0], True, False),
                 disc_iters=ParamInfo(1, [1], False, True))
    else:
        raise ValueError(f"space: '{range_type}' is not one of wide, narrow")
    narrow = range_type == "narrow"
    def bn_both(default: bool) -> ParamInfo:
        return ParamInfo(default, [True, False], False, True)


    def update(**defaults: Any) -> None:  # params.py:51, UpdateDefaults keeps each range and changes the default only
        for k, v in defaults.items():
            p[k] = p[k]._replace(default=v)

    if gan_type in ("GAN", "GAN_MINMAX"):  # params.py:100-114
        if narrow:
            p["discriminator_batchnorm"] = bn_both(True)
        update(beta1=0.0, learning_rate=0.00005, disc_iters=1, discriminator_batchnorm=True)
    elif gan_type == "LSGAN":  # params.py:117-130
        if narrow:
            p["discriminator_batchnorm"] = bn_both(True)
        update(beta1=0.5, learning_rate=0.0002, disc_iters=1, discriminator_batchnorm=True)
    elif gan_type == "WGAN":  # params.py:133-151
        if narrow:
            p["discriminator_batchnorm"] = bn_both(True)
        update(beta1=0.5, learning_rate=0.00005, disc_iters=5, discriminator_batchnorm=True)
        p["weight_clipping"] = ParamInfo(0.01, [-2.0, 0.0] if narrow else [-3.0, 0.0], True, False)
    elif gan_type in ("WGAN_GP", "DRAGAN"):  # params.py:154-195
        if narrow:  # "From the barplot, clearly False is better."
            p["discriminator_batchnorm"] = ParamInfo(False, [False], False, True)
        if gan_type == "WGAN_GP":
            update(beta1=0.5, learning_rate=0.0001, disc_iters=5, discriminator_batchnorm=False)
        else:  # DRAGAN's default keeps batch norm on, outside its narrow range: the study's code does so
            update(beta1=0.5, learning_rate=0.0001, disc_iters=1, discriminator_batchnorm=True)
        p["lambda"] = ParamInfo(10.0, [-1.0, 1.0] if narrow else [-1.0, 2.0], True, False)
    elif gan_type == "VAE":  # params.py:198-211
        if narrow:
            p["discriminator_batchnorm"] = ParamInfo(False, [True, False], False, True)
        update(beta1=0.5, learning_rate=0.00005)
    elif gan_type == "BEGAN":  # params.py:214-238
        if narrow:
            p["discriminator_batchnorm"] = ParamInfo(False, [True, False], False, True)
        update(beta1=0.5, learning_rate=0.0001, disc_iters=5, discriminator_batchnorm=False)
        p["lambda"] = ParamInfo(0.001, [-3.0, -3.0] if narrow else [-4.0, -2.0], True, False)
        p["gamma"] = ParamInfo(0.75, [0.6, 0.9] if narrow else [0.0, 1.0], False, False)
    else:
        raise ValueError(f"variant: '{gan_type}' is not one of the study's models")
    return p


def ganbench_name(gan_type: str, param: str) -> str:
    """The study's parameter names as ganbench's config keys."""
    if param == "lambda":
        return "began_lambda" if gan_type == "BEGAN" else "penalty_weight"
    return {"beta1": "beta1", "learning_rate": "lr", "disc_iters": "n_disc", "discriminator_batchnorm": "d_batch_norm",
            "weight_clipping": "clip", "gamma": "began_gamma"}[param]


def to_ganbench(gan_type: str, setting: dict[str, Any]) -> dict[str, Any]:
    return {ganbench_name(gan_type, k): v for k, v in setting.items()}


def defaults(variant: str, space: str = "wide") -> dict[str, Any]:
    """The study's default setting of a variant in ganbench's names (GetDefaultParams, generate_tasks_lib.py:90)."""
    gan_type = GAN_TYPE[variant]
    return to_ganbench(gan_type, {k: info.default for k, info in study_params(gan_type, space).items()})


def space(variant: str, space_name: str) -> dict[str, Any]:
    """The study's ranges as a ganbench search space ([uniform|log, lo, hi] or [choice, ...]). Log ranges are
    exponents in the study (10 ** uniform(lo, hi)); here they are the values. The values are what the study
    searched; how it drew them is `replay`."""
    gan_type, out = GAN_TYPE[variant], {}
    for k, info in study_params(gan_type, space_name).items():
        lo, hi = info.range[0], info.range[-1]
        if info.is_discrete:
            d = info.range[0] if len(info.range) == 1 else ["choice", *info.range]
        elif info.is_log_scale:
            d = 10.0**lo if lo == hi else ["log", 10.0**lo, 10.0**hi]
        else:
            d = float(lo) if lo == hi else ["uniform", float(lo), float(hi)]
        out[ganbench_name(gan_type, k)] = d
    return out


# --- the study's draws ------------------------------------------------------------------------------------

EXPERIMENTS = {  # generate_tasks_lib.py:221-260, GetTasks: data set, settings per model, range
    "phase1_gan8_mnist_sample100_rep1": ("mnist", 100, "wide"),
    "phase1_gan8_fashionmnist_sample100_rep1": ("fashion-mnist", 100, "wide"),
    "phase1_gan8_cifar_sample100_rep1": ("cifar10", 100, "wide"),
    "phase1_gan8_celeba_sample100_rep1": ("celeba", 100, "wide"),
    "phase2_gan8_mnist_sample50_rep1": ("mnist", 50, "narrow"),
    "phase2_gan8_fashionmnist_sample50_rep1": ("fashion-mnist", 50, "narrow"),
    "phase2_gan8_cifar_sample50_rep1": ("cifar10", 50, "narrow"),
    "phase2_gan8_celeba_sample50_rep1": ("celeba", 50, "narrow"),
}


def _py2_choice(rng: random.Random, seq: list[Any]) -> Any:
    """Python 2.7's random.choice, which the study ran: seq[int(random() * len(seq))]. (Python 3's choice draws
    by getrandbits and gives other values from the same state.)"""
    return seq[int(rng.random() * len(seq))]


def _sample(rng: random.Random, params: dict[str, ParamInfo]) -> dict[str, Any]:
    """GetSample, generate_tasks_lib.py:98-112: parameters in sorted order."""
    out = {}
    for name, info in sorted(params.items()):
        if info.is_discrete:
            out[name] = _py2_choice(rng, info.range)
        else:
            v = rng.uniform(info.range[0], info.range[1])
            out[name] = math.pow(10, v) if info.is_log_scale else v
    return out


def replay(experiment: str) -> dict[str, list[dict[str, Any]]]:
    """Every setting the study trained in ``experiment``, per ganbench variant, in ganbench's names: TuneParams
    (generate_tasks_lib.py:115-150) after GetTasks' random.seed(123), model after model in ALL_GANS order, each
    model's defaults first. Python's Mersenne Twister gives the same random() stream from the same integer seed
    in Python 2 and 3, and random.uniform is a + (b - a) * random() in both."""
    if experiment not in EXPERIMENTS:
        raise ValueError(f"experiment: unknown '{experiment}', choose one of {', '.join(EXPERIMENTS)}")
    _, n, range_type = EXPERIMENTS[experiment]
    rng, out = random.Random(123), {}
    for gan_type in ALL_GANS:
        params = study_params(gan_type, range_type)
        samples = [{k: info.default for k, info in params.items()}]
        samples += [_sample(rng, params) for _ in range(n - 1)]
        out[VARIANT_OF[gan_type]] = [to_ganbench(gan_type, s) for s in samples]
    return out


def experiment_for(dataset: str, space_name: str) -> str | None:
    """The study's experiment that searched ``space_name`` on ``dataset`` (ganbench's data set names)."""
    for name, (d, _, r) in EXPERIMENTS.items():
        if DATASET_OF[d] == dataset and r == space_name:
            return name
    return None


# --- length, checkpoints and the update schedule ----------------------------------------------------------

def schedule(dataset: str) -> dict[str, Any]:
    """TuneParams, generate_tasks_lib.py:133-145: an epoch of MNIST and Fashion-MNIST counts 50,000 images."""
    epoch, epochs = {"cifar10": (50_000, 100), "celeba": (162_000, 40)}.get(dataset, (50_000, 20))
    return {"steps": epochs * epoch // BATCH_SIZE, "eval_every": 5 * epoch // BATCH_SIZE, "epochs": epochs, "epoch_images": epoch}


def generator_update_due(step: int, disc_iters: int) -> bool:
    """abstract_gan.py:207: step counts discriminator updates from 0; the generator follows the first step and
    every disc_iters-th after it (``(counter - 1) % disc_iters == 0 or g_loss is None``)."""
    return step == 0 or (step - 1) % disc_iters == 0


def update_counts(steps: int, disc_iters: int) -> tuple[int, int]:
    """(discriminator updates, generator updates) of a run of ``steps`` study steps, by the rule above."""
    return steps, sum(generator_update_due(s, disc_iters) for s in range(steps))


def checkpoint_due(updates_done: int, every: int) -> bool:
    """abstract_gan.py:166-167 and 272: after step index s (updates_done = s + 1) when s > 0 and s % every == 0; the
    final state is saved at the end of training as well."""
    s = updates_done - 1
    return s > 0 and s % every == 0


NAN_DETECTED = 31337.0  # eval_gan_lib.py:43: the FID stored when the generator made NaNs
FID_CODE_FAILED = 4242.0  # eval_gan_lib.py:46


# --- the protocol object ----------------------------------------------------------------------------------

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from ..losses import began as began_loss, least_squares_on_sigmoid  # noqa: E402
from ..nets.layers import STYLES  # noqa: E402
from ..schema import ConfigError  # noqa: E402
from ..variants import VariantKind  # noqa: E402
from .base import Protocol, Step  # noqa: E402

if TYPE_CHECKING:  # annotations only
    from ..module.autoencoders import BEGANModule
    from ..module.non_adversarial import VAEModule
    from ..config import RunConfig
    from ..data import DatasetInfo
    from ..module import GANModule
    from ..variants import Variant

RESAMPLE_BEFORE_GENERATOR = {"wgan_gp"}  # the study draws new latents for G's update only here (WGAN_GP.py:111)


class StudyStep(Step):
    """abstract_gan.py:198-220: a step is one discriminator update; the generator follows on step 0 and every
    n_disc-th step after, on the same latents. BEGAN and the VAE step as their own files of the study do."""

    name = "discriminator"
    summary = "one discriminator update; the generator follows on step 0 and every n_disc-th step after, on the same latents"
    trains = frozenset({VariantKind.GAN, VariantKind.BEGAN, VariantKind.VAE})

    def run(self, m: GANModule) -> dict[str, torch.Tensor | None]:
        return {VariantKind.GAN: self.gan, VariantKind.BEGAN: self.began, VariantKind.VAE: self.vae}[m.variant.kind](m)

    def gan(self, m: GANModule) -> dict[str, Any]:
        opt_g, opt_d = m.optimizers()
        real = m.real.next(m.device)
        z = m.sample_z(real.shape[0])
        d_loss, d_real = m.discriminator_update(opt_d, real, z)
        if generator_update_due(m.steps_done, m.config.n_disc):
            if m.variant.name in RESAMPLE_BEFORE_GENERATOR:
                z = m.sample_z(real.shape[0])
            m._last_g_loss = m.generator_update(opt_g, d_real, z).detach()
        return {"d_loss": d_loss, "g_loss": m._last_g_loss}

    def began(self, module: GANModule) -> dict[str, Any]:
        """BEGAN.py:98-171: D on this batch; G when due, on the same latents; then k from the errors recomputed
        on the same batch and latents by the updated nets (after_training_step_hook), not clamped to [0, 1]."""
        m = cast("BEGANModule", module)  # a BEGAN variant's players (this step's kinds)
        opt_g, opt_d = m.optimizers()
        c = m.config
        real = m.real.next(m.device)
        z = m.sample_z(real.shape[0])
        with torch.no_grad():
            fake = m.generator(z)
        d_loss, _ = began_loss(m.discriminator(real), m.discriminator(fake), m.k)
        m.update_discriminator(opt_d, d_loss)
        if generator_update_due(m.steps_done, c.n_disc):
            g_loss = m.discriminator(m.generator(z)).mean()
            m.update_generator(opt_g, g_loss)
            m._last_g_loss = g_loss.detach()
        with torch.no_grad():
            err_real, err_fake = m.discriminator(real).mean(), m.discriminator(m.generator(z)).mean()
            m.k.add_(c.began_lambda * (c.began_gamma * err_real - err_fake))
            convergence = err_real + (c.began_gamma * err_real - err_fake).abs()
        return {"d_loss": d_loss, "g_loss": m._last_g_loss, "k": m.k.clone(), "convergence": convergence}

    def vae(self, module: GANModule) -> dict[str, Any]:
        """VAE.py:78-113 and 133-144: sigma = 1e-6 + softplus, outputs clipped to [1e-8, 1 - 1e-8], the
        log-likelihood summed over height and width and averaged over batch and channels, KL with log(1e-8 + sigma^2)."""
        m = cast("VAEModule", module)
        opt = m.optimizers()
        x = m.real.next(m.device)
        mu, raw = m.discriminator(x).chunk(2, dim=1)
        sigma = 1e-6 + F.softplus(raw)
        out = m.generator(mu + sigma * torch.randn_like(mu)).clamp(1e-8, 1 - 1e-8)
        recon = -(x * torch.log(out) + (1 - x) * torch.log(1 - out)).sum(dim=(2, 3)).mean()
        kl = (0.5 * (mu**2 + sigma**2 - torch.log(1e-8 + sigma**2) - 1).sum(1)).mean()
        return m.vae_update(opt, recon, kl)


class StudyProtocol(Protocol):
    def check(self, cfg: RunConfig, info: DatasetInfo) -> None:
        super().check(cfg, info)
        if not info.is_image or cfg.arch != "infogan":
            raise ConfigError(f"arch: protocol lucic2018 trains the study's infogan nets on images, not '{cfg.arch}' on '{cfg.dataset}'")
        if cfg.n_fake != cfg.n_real:
            raise ConfigError(f"n_fake: the study scores as many generated as real images; under protocol lucic2018 "
                              f"n_fake ({cfg.n_fake}) must equal n_real ({cfg.n_real})")
        if cfg.pack > 1 or cfg.generators > 1:
            raise ConfigError(f"{'pack' if cfg.pack > 1 else 'generators'}: protocol lucic2018 trains the study's single, unpacked nets")
        if cfg.spectral_norm:
            raise ConfigError("spectral_norm: protocol lucic2018 trains the study's nets, which have none")

    def check_spec(self, raw: dict[str, Any]) -> None:
        outside = [v for v in raw["variants"] if v not in GAN_TYPE]
        if outside:
            raise ConfigError(f"variants: {outside[0]} is not in the Lucic et al. study; under protocol lucic2018 choose from {', '.join(GAN_TYPE)}")
        if not isinstance(raw.get("space"), str):
            raise ConfigError("space: protocol lucic2018 searches the study's own spaces, wide or narrow")
        experiment = raw.get("experiment")
        if experiment is not None:
            _, n, space_name = EXPERIMENTS[experiment]
            if space_name != raw["space"]:
                raise ConfigError(f"experiment: {experiment} searched the {space_name} space, the spec says space: {raw['space']}")
        else:
            for d in raw["datasets"]:
                if experiment_for(d, raw["space"]) is None:
                    raise ConfigError(f"experiment: the study ran no {raw['space']} search on {d}; name the experiment whose draws to replay")
            first = experiment_for(raw["datasets"][0], raw["space"])
            assert first is not None  # checked for every data set just above
            n = EXPERIMENTS[first][1]
        if raw.get("sampler", "random") == "random" and isinstance(raw.get("settings"), int) and raw["settings"] > n:
            raise ConfigError(f"budget.settings: the study drew {n} settings per model; a replay has no more than that")

    def spec_schema_rules(self) -> dict[str, Any]:
        from ..data import DATASETS

        study_sets = sorted({DATASET_OF[d] for d, _, _ in EXPERIMENTS.values()})
        # a named experiment's draws replay on any image data set (mnist5k offline, say); without one, the data set
        # and the space pick the experiment (check_spec)
        image_sets = [name for name, info in DATASETS.items() if info.is_image and not info.is_paired]
        replayed_on = {"anyOf": [{"enum": image_sets}, {"type": "string", "pattern": "^(folder|npz):.+"}]}
        named = {"required": ["experiment"]}

        def at_most(n: int) -> dict[str, Any]:  # a random search replays no more settings than the study drew
            return {"if": {"properties": {"sampler": {"const": "random"}}},
                    "then": {"properties": {"budget": {"properties": {"settings": {"maximum": n}}}}}}

        drew = {space: n for _, n, space in EXPERIMENTS.values()}
        return {"properties": {"variants": {"items": {"enum": list(GAN_TYPE)}}, "space": {"enum": ["wide", "narrow"]},
                               "pack": {"enum": [1, [1]]}, "generators": {"const": 1}, "arch": {"enum": ["infogan", None]}},
                "allOf": [{"if": named, "then": {"properties": {"datasets": {"items": replayed_on}}},
                           "else": {"properties": {"datasets": {"items": {"enum": study_sets}}}}},
                          *[{"if": {**named, "properties": {"experiment": {"const": name}}},
                             "then": {"properties": {"space": {"const": space}}, **at_most(n)}}
                            for name, (_, n, space) in EXPERIMENTS.items()],
                          *[{"if": {"not": named, "properties": {"space": {"const": space}}}, "then": at_most(n)}
                            for space, n in drew.items()]]}

    def variant_defaults(self, variant: Variant) -> dict[str, Any]:
        return {"beta2": 0.999, **defaults(variant.name, "wide")}  # TF's Adam has beta2 0.999

    def space(self, name: str, variant: str) -> dict[str, Any]:
        return space(variant, name)

    def search_defaults(self, variant: str, space_name: str) -> dict[str, Any]:
        return defaults(variant, space_name)

    def experiment_for(self, dataset: str, space_name: str, given: str | None = None) -> str | None:
        return given or experiment_for(dataset, space_name)

    def replayed_settings(self, experiment: str, variant: str, n: int) -> list[dict[str, Any]]:
        return replay(experiment)[variant][:n]

    def fid_due(self, done: int, every: int) -> bool:
        return checkpoint_due(done, every)


PROTOCOL = StudyProtocol(
    name="lucic2018",
    summary="the study's code (compare_gan, Feb 2018): a step is one discriminator update; its defaults, spaces, draws, "
            "losses, nets, TF batch-norm constants and FID rules",
    cite=f"Lucic et al. 2018, 'Are GANs Created Equal? A Large-Scale Study' (NeurIPS); code {STUDY_CODE}",
    steps_count="discriminator updates",
    step=StudyStep(),
    style=STYLES["lucic2018"],
    differences=(
        "FID pixels rounded to uint8 (the study: floats x 255): torch-fidelity's Inception takes uint8 only",
        "Inception: torch-fidelity's inception-v3-compat, a port of the study's TF FID graph",
        "random streams and data order: torch's, seeded (the study: numpy and TF's)",
        "channel layout NCHW (the study: NHWC): a fixed permutation of one weight matrix at initialisation",
        "MNIST from torchvision (the study: its own TFRecords of the same images)",
    ),
    variants=tuple(GAN_TYPE),
    vae_prior="uniform",
    loss_overrides={"lsgan": least_squares_on_sigmoid},
    study_penalties=True,
    relu_vae_decoder=True,
    own_began_autoencoder=True,
    replays_code=True,
)
