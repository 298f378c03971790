"""The protocol of Lin et al. 2018, "PacGAN: The power of two samples in generative adversarial networks", for its
2-D experiments (Table 1), transcribed from the paper's code: fjxmlzn/PacGAN at commit 190853e (2020-10-01; the 2-D code as of 2018), and
the code it runs on, ALI (IshmaelBelghazi/ALI, ``ali/algorithms.py``) and Blocks. ``file:line`` below is under
``synthetic_data_experiments/`` of that commit; docs/protocol.md sets every aspect beside ganbench's own protocol.

This module is data and small pure functions: the constants, the paper's losses, the packed data set, the update
rule of Blocks' Adam and of the batch-norm population statistics; and the paper's training step (``PacGANStep``), which
drives the players of ``benchmark.module.pacgan.PacGANModule``. The nets are ``benchmark.nets.mlp`` with
``layers.STYLES["pacgan2018"]``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import torch
import torch.nn.functional as F

PAPER_CODE = "fjxmlzn/PacGAN@190853e (synthetic_data_experiments/2D*_GAN&PacGAN)"
DATASETS = ("ring8", "grid25")  # 2DRing_GAN&PacGAN, 2DGrid_GAN&PacGAN; the Stacked MNIST and CelebA runs are TF code of their own
VARIANT = "ns_gan"  # PacGAN.compute_losses (PacGAN/pacgan/bricks.py:69-72): softplus forms, the non-saturating G loss

# config.py:15-35 (the same in both folders)
EPOCHS = 400  # num_epoch
EXAMPLES = 100_000  # num_sample: packed examples, drawn once
BATCH_SIZE = 100  # batch_size: packs a step
LEARNING_RATE, BETA1 = 1e-4, 0.8  # Adam(learning_rate, beta1): Blocks' Adam, beta2 its default (see BETA1_MEANING)
INIT_STD = 0.02  # weights_init_std: IsotropicGaussian for every weight; biases_init Constant(0)
LOG_SAMPLES = 2_500  # num_log_figure_sample: the fixed latents the metrics are computed on, each epoch
MONITOR_EXAMPLES = 5_000  # PacGAN/pacgan/streams.py:33: the training monitor's ShuffledScheme(5000, batch_size)

# pacgan_task.py:149 ``bn_updates``: population statistics <- 0.05 * (mean over the m generator calls) + 0.95 * them
BN_RATE = 0.05
BN_EPSILON = 1e-4  # blocks.bricks.bn.BatchNormalization's default epsilon, inside the square root of the batch variance

# Blocks' Adam changed convention on 2017-01-24 (mila-iqia/blocks aa064519, merged in #1176 on 2017-01-25): before,
# beta1 was the weight of the *new* gradient (default 0.1; beta1 = 0.8 meant PyTorch's 0.2), after, the usual decay
# (default 0.9). ALI's mixture script, which PacGAN's copies, set 0.8 in June 2016 under the old convention; PacGAN
# asks for ALI's "development version" of Blocks and was run in 2017 (arXiv v1 December 2017; repository January
# 2018), which gives the new one. The code cannot settle it; ganbench takes the new meaning (PyTorch's 0.8) and the
# old one is measured beside it (docs/protocol.md).
BETA1_MEANING = {"blocks since 2017-01-25 (taken)": 0.8, "blocks before 2017-01-25": 0.2}


def epoch_steps(batch_size: int = BATCH_SIZE) -> int:
    """Steps an epoch: the 100,000 packed examples in batches (fuel's ShuffledScheme), the short last batch dropped
    (exact at the paper's batch of 100)."""
    return EXAMPLES // batch_size


def losses(data_preds: torch.Tensor, sample_preds: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """bricks.py:69-72: D's loss softplus(-D(x)) + softplus(D(G(z))), G's softplus(D(x)) + softplus(-D(G(z))),
    means over the batch. G's first term carries no gradient to G: its gradient is the non-saturating GAN's."""
    d_loss = (F.softplus(-data_preds) + F.softplus(sample_preds)).mean()
    g_loss = (F.softplus(data_preds) + F.softplus(-sample_preds)).mean()
    return d_loss, g_loss


def packed_examples(points: torch.Tensor, pack: int, seed: int, n: int = EXAMPLES) -> torch.Tensor:
    """PacGAN/pacgan/datasets.py:58-70, GaussianPackingMixture: the data set's points drawn once, then for each of
    the m copies n indices with replacement (``np.random.randint``); example i is the m points side by side.
    Returns (n, m, D)."""
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(points), (pack, n), generator=g)
    return torch.stack([points[i] for i in idx], dim=1)


def blocks_adam_(param: torch.Tensor, grad: torch.Tensor, state: dict[str, Any], lr: float, beta1: float, beta2: float = 0.999,
                 eps: float = 1e-8) -> None:
    """One step of Blocks' Adam (blocks/algorithms/__init__.py, class Adam, after 2017-01-24, decay_factor 1), in
    place: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
    PyTorch's Adam adds eps to the bias-corrected sqrt(v) instead: the same up to eps's scale."""
    if not state:
        state.update(t=0, m=torch.zeros_like(param), v=torch.zeros_like(param))
    state["t"] += 1
    t, m, v = state["t"], state["m"], state["v"]
    m.mul_(beta1).add_(grad, alpha=1 - beta1)
    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    step = lr * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
    param.addcdiv_(m, v.sqrt().add_(eps), value=-step)


# --- the protocol object ----------------------------------------------------------------------------------

from ..data import Split  # noqa: E402
from ..nets.layers import STYLES  # noqa: E402
from ..schema import FALLBACKS, ConfigError  # noqa: E402
from ..variants import VariantKind  # noqa: E402
from .base import Protocol, Step  # noqa: E402

if TYPE_CHECKING:  # annotations only
    from ..module.pacgan import PacGANModule
    from ..config import RunConfig, TranslationConfig
    from ..module import GANModule
    from ..variants import Variant


class PacGANStep(Step):
    """ALI's ``ali_algorithm`` (ali/algorithms.py): the discriminator's and the generator's gradients from **one**
    forward pass on one batch, applied at once by Blocks' Adam; the generator's batch-norm population statistics move
    at rate 0.05 towards the mean of the m calls' statistics (pacgan_task.py:127-149). After each epoch the training
    monitor runs its 50 batches, which move the population statistics again (pacgan_task.py:178-180,
    DataStreamMonitoring with ``updates=bn_updates``), then the metrics are logged into the run's curves."""

    name = "simultaneous"
    summary = "both players' gradients from one forward pass, applied at once"
    trains = frozenset({VariantKind.GAN})
    players = "pacgan"
    logs_epochs = True

    def run(self, module: GANModule) -> dict[str, torch.Tensor | None]:
        m = cast("PacGANModule", module)  # this step's players (Step.players)
        opt_g, opt_d = m.optimizers()
        real = m.real.next(m.device)  # (batch, m, D): batch packed examples
        batch = real.shape[0]
        fake = m.fake_packs(batch)
        preds = m.discriminator(torch.cat([real.reshape(batch * m.pack, -1), fake]))  # one pass, as get_predictions
        d_loss, g_loss = m.loss(preds[:batch], preds[batch:])  # the protocol's: bricks.py:69-72
        m.simultaneous_update(opt_d, opt_g, d_loss, g_loss)
        for bn in m.batch_norms:
            bn.update_population(BN_RATE)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def start(self, module: GANModule) -> None:
        m = cast("PacGANModule", module)  # this step's players (Step.players)
        if m.steps_done == 0:  # DataStreamMonitoring runs before the first epoch too (Blocks' default)
            self.monitor_batch_norm(m)

    def after(self, module: GANModule) -> None:
        m = cast("PacGANModule", module)  # this step's players (Step.players)
        if m.steps_done % epoch_steps(m.config.batch_size) == 0:
            self.monitor_batch_norm(m)
            if m.data_info is not None:
                row = {"epoch": m.steps_done // epoch_steps(m.config.batch_size), **m.scores()}
                for logger in m.loggers:
                    logger.log_metrics(row, step=m.steps_done)

    @torch.no_grad()
    def monitor_batch_norm(self, m: PacGANModule) -> None:
        """The training monitor's pass: MONITOR_EXAMPLES / batch batches of m generator calls, each moving the
        population statistics as a training step does, with no parameter changed."""
        batch = m.config.batch_size
        for _ in range(MONITOR_EXAMPLES // batch):
            m.fake_packs(batch)
            for bn in m.batch_norms:
                bn.update_population(BN_RATE)


class PacGANProtocol(Protocol):
    """What PacGAN's 2-D code fixes (``fixed``): its nets, prior and single simultaneous update; the optimiser's
    constants, batch, latent size, packing and length stay settings."""

    def check_spec(self, raw: dict[str, Any]) -> None:
        super().check_spec(raw)
        if raw["variants"] != [VARIANT]:
            raise ConfigError(f"variants: protocol pacgan2018 trains PacGAN's GAN only; write variants: [{VARIANT}]")
        outside = [d for d in raw["datasets"] if d not in DATASETS]
        if outside:
            raise ConfigError(f"datasets: protocol pacgan2018 is PacGAN's 2-D code; {outside[0]} is not one of {', '.join(DATASETS)}")

    def accepts(self, variant: str | None = None, dataset: str | None = None) -> None:
        if variant is not None and variant != VARIANT:
            raise ConfigError(f"variant: protocol pacgan2018 trains PacGAN's GAN, {VARIANT} (its softplus losses), not '{variant}'")
        if dataset is not None and dataset not in DATASETS:
            raise ConfigError(f"dataset: protocol pacgan2018 is PacGAN's code for its 2-D experiments, {' and '.join(DATASETS)}; "
                              f"not '{dataset}' (its Stacked MNIST and CelebA code is other code, not transcribed)")

    def spec_schema_rules(self) -> dict[str, Any]:
        rules = super().spec_schema_rules()
        rules["properties"]["variants"] = {"const": [VARIANT]}
        rules["properties"].update({k: {"enum": [self.fixed[k], None]} for k in ("arch", "generators")})  # the spec's own fields
        return rules

    def training_batches(self, split: Split, config: RunConfig | TranslationConfig) -> tuple[Split, int]:
        """datasets.py:58-70: packed examples drawn once from the data set's points, ``batch_size`` of them a step."""
        return Split(tensor=packed_examples(split.held, config.pack, config.seed)), config.batch_size

    def variant_defaults(self, variant: Variant) -> dict[str, Any]:  # Blocks' Adam's beta2; the rest is the data set's (PACGAN_2D)
        return {**FALLBACKS, **variant.defaults, "beta2": 0.999, "n_disc": 1, "d_batch_norm": False}


PROTOCOL = PacGANProtocol(
    name="pacgan2018",
    summary="PacGAN's code (2-D ring and grid): both players updated at once from one forward pass, a generator call "
            "per pack copy, Blocks' batch norm and Adam, packed data drawn once, metrics after every epoch",
    cite=f"Lin et al. 2018, 'PacGAN: The power of two samples in generative adversarial networks' (NeurIPS); code {PAPER_CODE}",
    steps_count="simultaneous updates of both players (1,000 an epoch at batch 100)",
    step=PacGANStep(),
    style=STYLES["pacgan2018"],
    differences=(
        "Blocks' Adam beta1 = 0.8 taken in its post-2017-01-25 meaning (PyTorch's 0.8); the code cannot settle which "
        "Blocks ran (the older meaning, PyTorch's 0.2, is measured beside it in results/)",
        "random streams: torch's, seeded (the paper: Theano's MRG, NumPy's and Fuel's)",
    ),
    variants=(VARIANT,),
    datasets=DATASETS,
    replays_code=True,
    loss_overrides={VARIANT: losses},
    fixed=dict(arch="mlp", n_disc=1, generators=1, spectral_norm=False, d_batch_norm=False, prior="normal"),  # what its code fixes
)
