"""What a training protocol declares, and ganbench's own rules as the defaults a protocol overrides.

A protocol fixes what a training step is, each variant's defaults and search spaces, the nets' initialisation and
batch-norm constants, the loss forms, the evaluation rules, which variants and data sets it accepts, and what still
differs from its paper. Code consults a protocol by asking it (``protocol.fid_due(...)``, ``protocol.step.run(module)``), never
by comparing its name; a new protocol is one file holding one object, and a line in the registry (``__init__.py``)
or a call of ``register``.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable

from ..data import Split
from ..nets.layers import STYLES, Style
from ..schema import ABSENT_MEANS, ConfigError
from ..variants import Variant, VariantKind

if TYPE_CHECKING:  # annotations only
    from ..config import RunConfig, TranslationConfig
    from ..data import DatasetInfo

if TYPE_CHECKING:  # the module imports the protocols; a step only drives the module it is given
    import torch

    from ..module import GANModule

# methods later than the papers whose code a protocol replays: off under a replay
NOT_IN_REPLAYED_CODE = {"r1_gamma": "R1 penalty", "r2_gamma": "R2 penalty", "cosine_decay": "cosine schedule",
                        "ema_nimg": "EMA generator"}



class Step(ABC):
    """What one training step is under a protocol: the one place that says it. A step drives the players a module
    provides (benchmark/module: the nets, their optimisers, each player's update and loss) and returns the losses to
    show; the module counts the step, refuses a non-finite loss and moves the averaged generator. A protocol with a
    step of its own subclasses this beside it (lucic2018.py, pacgan2018.py, or a test's)."""

    name: ClassVar[str]  # what `ganbench protocols` calls it
    summary: ClassVar[str]  # one line: what a step is
    trains: ClassVar[frozenset[VariantKind] | None] = None  # the variant kinds it can train; None: every kind
    players: ClassVar[str | None] = None  # the players module it needs (benchmark.module.PLAYERS); None: the variant kind's
    logs_epochs: ClassVar[bool] = False  # it logs metrics of its own after every epoch (PacGAN's), in place of ganbench's

    @abstractmethod
    def run(self, m: GANModule) -> dict[str, torch.Tensor | None]:
        """One training step: the players' updates; the losses to show (None: not computed this step)."""

    def start(self, m: GANModule) -> None:
        """Once when training starts or resumes (after the module has read back its state)."""

    def after(self, m: GANModule) -> None:
        """After each step is counted (``m.steps_done`` includes it)."""


class VariantStep(Step):
    """ganbench's: each variant's own step as its paper gives it, which its module implements (``variant_step``)."""

    name = "alternating"
    summary = "the variant's own: n_disc discriminator updates, then one generator update on fresh latents"

    def run(self, m: GANModule) -> dict[str, torch.Tensor | None]:
        return m.variant_step()


@dataclass(frozen=True)
class Protocol:
    name: str
    summary: str  # one line: what it is
    cite: str  # the paper, and the code transcribed where there is one
    steps_count: str  # what the `steps` setting counts under it
    step: Step = field(default_factory=VariantStep)  # what a training step is
    style: Style = field(default_factory=lambda: STYLES["ganbench"])  # nets' initialisation and batch-norm constants
    differences: tuple[str, ...] = ()  # what still differs from the paper (shown by `ganbench protocols` and the docs)
    variants: tuple[str, ...] | None = None  # the variants it trains; None: every registered one
    datasets: tuple[str, ...] | None = None  # the data sets it trains on; None: every registered one
    translation: bool = False  # whether it trains image-to-image models (pix2pix) too
    vae_prior: str = "normal"  # the prior the VAE is sampled from when scored
    loss_overrides: dict[str, Callable[..., Any]] = field(default_factory=dict)  # variant -> (d_real, d_fake) -> (d_loss, g_loss)
    study_penalties: bool = False  # the study's gradient penalties (its epsilon and interpolation) instead of ganbench's
    relu_vae_decoder: bool = False  # the study's VAE decoder has ReLU where the GANs' generator has leaky ReLU
    own_began_autoencoder: bool = False  # the study's BEGAN autoencoder instead of generator and trunk reused
    replays_code: bool = False  # it transcribes a paper's code, so the training options that code lacks stay off
    fixed: dict[str, Any] = field(default_factory=dict[str, Any])  # settings its code fixes: a named search space holds them at these values

    def __post_init__(self) -> None:
        if not isinstance(self.step, Step):
            raise TypeError(f"step: a Step, not {type(self.step).__name__}")

    # --- what it accepts (one check, used by `train`, `spec` and the command line) -------------------------

    def accepts(self, variant: str | None = None, dataset: str | None = None) -> None:
        """ConfigError naming the field when the protocol does not train ``variant`` or ``dataset``."""
        if variant is not None and self.variants is not None and variant not in self.variants:
            raise ConfigError(f"variant: '{variant}' is not trained under protocol {self.name}; choose one of {', '.join(self.variants)}")
        if dataset is not None and self.datasets is not None and dataset not in self.datasets:
            raise ConfigError(f"dataset: protocol {self.name} trains on {', '.join(self.datasets)}, not '{dataset}'")

    def training_batches(self, split: Split, config: RunConfig | TranslationConfig) -> tuple[Split, int]:
        """The split a run trains on and the rows of it one batch takes: ``batch_size`` packs of ``pack`` samples."""
        return split, config.batch_size * config.pack

    def check_variant(self, variant: Variant) -> None:
        """ConfigError naming the variant when the protocol's step cannot train its kind (checked at resolution)."""
        trains = self.step.trains
        if trains is not None and variant.kind not in trains:
            raise ConfigError(f"variant: protocol {self.name}'s step ({self.step.name}) trains {', '.join(sorted(trains))} "
                              f"variants; '{variant.name}' is a {variant.kind} variant")

    def searched_variants(self, registered: Iterable[str]) -> list[str]:
        return list(self.variants) if self.variants is not None else list(registered)

    def check(self, cfg: RunConfig, info: DatasetInfo) -> None:
        """Rules that span fields, on the resolved settings (a RunConfig whose nets are not yet fitted to the data)
        and the data set's ``DatasetInfo``; ConfigError naming the field."""
        if self.replays_code:
            for name, method in NOT_IN_REPLAYED_CODE.items():
                if getattr(cfg, name) not in (None, ABSENT_MEANS[name]):
                    raise ConfigError(f"{name}: protocol {self.name} replays its paper's code, which has no {method}; "
                                      f"leave it at {ABSENT_MEANS[name]!r} or train under protocol ganbench")
        for name, value in self.fixed.items():
            if getattr(cfg, name) not in (None, value):
                raise ConfigError(f"{name}: protocol {self.name} fixes it at {value}, as its code does; not {getattr(cfg, name)!r}")

    def check_spec(self, raw: dict[str, Any]) -> None:
        """Rules on a study spec's fields beyond what each run checks; ConfigError naming the field."""
        if raw.get("experiment") is not None:
            raise ConfigError(f"experiment: only a protocol that replays a study's draws takes one, not {self.name}")
        space = raw.get("space")
        for v, written in (space.items() if isinstance(space, dict) else []):
            for k, value in (written.items() if isinstance(written, dict) else []):
                if k in self.fixed and value != self.fixed[k]:
                    raise ConfigError(f"space.{v}.{k}: protocol {self.name} fixes it at {self.fixed[k]}, not {value!r}")

    def spec_schema_rules(self) -> dict[str, Any]:
        """check_spec's rules as JSON Schema, applied to specs under this protocol (what JSON Schema cannot say,
        the spec schema's description lists)."""
        rules: dict[str, Any] = {"not": {"required": ["experiment"]}, "properties": {}}
        if self.variants is not None:
            rules["properties"]["variants"] = {"items": {"enum": list(self.variants)}}
        if self.datasets is not None:
            rules["properties"]["datasets"] = {"items": {"enum": list(self.datasets)}}
        if self.fixed:  # a written-out space holds what the protocol fixes at its value
            held = {"properties": {k: {"const": v} for k, v in self.fixed.items()}}
            rules["properties"]["space"] = {"anyOf": [{"type": "string"}, {"type": "object", "additionalProperties": {
                "anyOf": [{"type": "string"}, held]}}]}
        return rules if rules["properties"] else {"not": rules["not"]}

    # --- defaults and spaces ---------------------------------------------------------------------------------

    def variant_defaults(self, variant: Variant) -> dict[str, Any] | None:
        """A variant's default hyperparameters (``variant``: the registry's Variant); None: ganbench's (the
        variant's own, then the fallbacks)."""
        return None

    def space(self, name: str, variant: str) -> dict[str, Any] | None:
        """The named search space of a variant; None: ganbench's, from the fields' ranges."""
        return None

    def search_defaults(self, variant: str, space: str) -> dict[str, Any] | None:
        """The first setting of every search; None: ganbench's (the variant's defaults)."""
        return None

    def experiment_for(self, dataset: str, space: str, given: str | None = None) -> str | None:
        """The study experiment whose draws a random search replays on ``dataset``; None: none."""
        return None

    def replayed_settings(self, experiment: str, variant: str, n: int) -> list[dict[str, Any]] | None:
        return None

    # --- evaluation ------------------------------------------------------------------------------------------

    def fid_due(self, done: int, every: int) -> bool:
        """Whether FID is scored after ``done`` steps when scoring every ``every``."""
        return done % every == 0

    def fid_checkpoints(self, steps: int, every: int | None) -> int:
        """FID evaluations of a run of ``steps``: every due checkpoint and the end."""
        if not every:
            return 0
        return sum(self.fid_due(done, every) for done in range(1, steps)) + 1
