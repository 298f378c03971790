"""Every input ganbench takes, declared once: a ``Field`` says a setting's type, default, bounds or choices, help,
search ranges (wide and narrow) and, where it differs, its default on 2-D points. The run configuration's common
fields are ``RUN_FIELDS`` here; each variant's own parameters are declared beside the variant (``variants.py``).
From these declarations derive: the checks (``Field.check``, one line naming the field, the value and what is
allowed, with "did you mean" for a near miss), ``ganbench train``'s flags and help, the search spaces and the check
that each range lies inside its parameter's bounds, and the JSON Schema of a study spec.

Why dataclasses and one validator rather than pydantic: every input here is a flat scalar with bounds or choices;
pydantic's lax mode coerces ("1" -> 1, True -> 1) and its messages would need rewriting into the one-line form,
so its strict mode plus a formatter would be more code than ``Field.check``.
"""
from __future__ import annotations

import difflib
import math
import os
import re
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MAX_STEPS = 10**9  # far past any published GAN's training; counts of steps stay exact in every int64 a table holds
MAX_TASKS = 4_000_000  # SLURM's largest job array (MaxArraySize 4000001); local worker slots too
UINT32_MAX = 2**32 - 1  # numpy's and Lightning's seed range; torch takes more, but seed_everything would re-draw
NO_DEFAULT = object()


class ConfigError(ValueError):
    """Bad input; the message starts with the field's dotted name."""


class Vocabulary(str, Enum):
    """A closed set of names (a trial's status, a variant's kind, an extractor): each an enum owned by one module,
    beside what it names. A member is its string: it compares equal to it, prints and formats as it, and is written
    as it to JSON, CSV and Optuna's attributes, so files written before the enum read back unchanged."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    __hash__ = str.__hash__  # Enum hashes the member's name: "gan" would miss VariantKind.GAN in a set or a dict

@dataclass(frozen=True)
class Field:
    name: str
    type: type  # int, float, bool or str
    default: object = None  # None: resolved from the variant, protocol or data set (see config.resolve_config)
    help: str = ""
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple[Any, ...] | Callable[[], tuple[Any, ...]] | None = None  # a tuple[int, ...], or a function returning one (a registry's names, looked up when needed)
    nullable: bool = False  # None is a value of its own (eval_every: never), not "unset"
    wide: object = None  # the search range (a distribution list or a constant) in the wide space; None: not searched
    narrow: object = None
    point_default: object = NO_DEFAULT  # the default on 2-D points, where the image default does not carry over
    cite: str = ""
    flag: str | None = None  # the command-line flag, when not --name-with-dashes; "" for none
    # (which runs it acts on, in words; (variant, resolved settings by attribute) -> whether it acts on this one). A value given
    # for a run it does not act on is refused: it would be recorded as if it had shaped the run
    acts_on: tuple[str, Callable[[Any, Any], bool]] | None = None

    @property
    def options(self) -> tuple[Any, ...] | None:
        return tuple(self.choices()) if callable(self.choices) else self.choices

    @property
    def cli_flag(self) -> str:
        return self.flag if self.flag is not None else "--" + self.name.replace("_", "-")

    def allowed(self) -> str:
        """What the field takes, in words: 'an integer >= 1', 'a number in [0, 1)', 'one of a, b'."""
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.options or ()))
        if self.type is bool:
            return "true or false"
        if self.type is str:
            return "a string"
        noun = "an integer" if self.type is int else "a number"
        lo = f"{'[' if self.ge is not None else '('}{_num(self.ge if self.ge is not None else self.gt)}" if (self.ge, self.gt) != (None, None) else None
        hi = f"{_num(self.le if self.le is not None else self.lt)}{']' if self.le is not None else ')'}" if (self.le, self.lt) != (None, None) else None
        if lo and hi:
            return f"{noun} in {lo}, {hi}"
        if lo:
            return f"{noun} {'>=' if self.ge is not None else '>'} {_num(self.ge if self.ge is not None else self.gt)}"
        if hi:
            return f"{noun} {'<=' if self.le is not None else '<'} {_num(self.le if self.le is not None else self.lt)}"
        return noun

    def check(self, value: Any, where: str | None = None) -> Any:
        """The value if it is allowed (a YAML 70 for a choice of strings becomes '70'); else ConfigError naming
        ``where`` (the field's dotted path; its name by default)."""
        where = where or self.name
        if value is None and self.nullable:
            return None
        options = self.options
        if self.type is str and options and isinstance(value, int) and not isinstance(value, bool) and str(value) in options:
            value = str(value)
        if self.type is int and isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON's data model, and so JSON Schema's "integer": 2.0 is the integer 2
        if not _is_type(value, self.type):
            raise ConfigError(f"{where}: {_show(value)} is not allowed, must be {self.allowed()}")
        if options is not None and value not in options:
            raise ConfigError(f"{where}: {_show(value)} is not allowed, must be {self.allowed()}{did_you_mean(value, options)}")
        if self.type in (int, float):
            ok = (math.isfinite(value) and (self.ge is None or value >= self.ge) and (self.gt is None or value > self.gt)
                  and (self.le is None or value <= self.le) and (self.lt is None or value < self.lt))
            if not ok:
                raise ConfigError(f"{where}: {_show(value)} is not allowed, must be {self.allowed()}")
        if self.type is str:
            return str(value)  # a plain string: a Vocabulary member checked here is stored, pickled and sent as its value
        return float(value) if self.type is float else value

    def json_schema(self) -> dict[str, Any]:
        kind = {int: "integer", float: "number", bool: "boolean", str: "string"}[self.type]
        s: dict[str, Any] = {"type": [kind, "null"] if self.nullable else kind, "description": self.help}
        if self.choices is not None:
            s["enum"] = list(self.options or ()) + ([None] if self.nullable else [])
        for key, bound in (("minimum", self.ge), ("exclusiveMinimum", self.gt), ("maximum", self.le), ("exclusiveMaximum", self.lt)):
            if bound is not None:
                s[key] = bound
        if self.default is not None:
            s["default"] = self.default
        return s

    def with_default(self, default: Any, **changes: Any) -> "Field":
        return replace(self, default=default, **changes)


def _is_type(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def _num(x: float | None) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def did_you_mean(value: Any, known: Iterable[Any]) -> str:
    close = difflib.get_close_matches(str(value), [str(k) for k in known], n=1, cutoff=0.6) if isinstance(value, str) else []
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown(where: str, name: str, known: Iterable[Any]) -> ConfigError:
    return ConfigError(f"{where}: unknown '{name}'{did_you_mean(name, known)}; known are {', '.join(known)}")


# The registries (protocols, nets, generator losses, extractors) import the schema for its errors and constants, so
# the schema cannot import them: each names its members here when imported, and a field's choices read them from here.
REGISTRIES: dict[str, Callable[[], Iterable[str]]] = {}


def registered(kind: str) -> Callable[[], tuple[Any, ...]]:
    """A field's choices: the names the ``kind`` registry holds when asked (a plugin's registrations included)."""
    def names() -> tuple[Any, ...]:
        if kind not in REGISTRIES:  # a programming error: the entry points import every registry first
            raise RuntimeError(f"the {kind} registry is not imported yet (ganbench.benchmark.config imports them all)")
        return tuple(REGISTRIES[kind]())

    return names


_architectures, _generator_losses, _protocols, _extractors = (registered(k) for k in ("arch", "generator_loss", "protocol", "extractor"))


# The run's common fields. A default of None is filled by resolve_config from, in order: the data set's own protocol
# (PacGAN's on the 2-D mixtures), the variant's defaults (compare_gan v1, or the study's under lucic2018), and the
# ``fallback`` below. The wide and narrow ranges are ganbench's spaces for every variant (variants add their own).
_LOG_LR = ["log", 1e-5, 1e-2]
_BEGAN = ("BEGAN", lambda v, c: v.kind == "began")
RUN_FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("protocol", str, "ganbench", "what a step is, the defaults, nets and rules (`ganbench protocols` lists each; "
          "docs/protocol.md sets them side by side)", choices=_protocols),
    Field("arch", str, None, "the nets (default: infogan, the study's, for images; mlp, PacGAN's, for 2-D points)", choices=_architectures),
    Field("steps", int, 1000, "training steps as the protocol counts them: generator updates (ganbench), discriminator updates (lucic2018), "
          "simultaneous updates of both (pacgan2018; 1,000 an epoch)", ge=1, le=MAX_STEPS),
    Field("batch_size", int, 64, "batch size", ge=1, le=1 << 20),
    Field("z_dim", int, 64, "latent dimension", ge=1, le=1 << 16),
    Field("lr", float, None, "Adam learning rate of both players (default: the variant's)", gt=0, wide=_LOG_LR, narrow=["log", 1e-4, 1e-3]),
    Field("beta1", float, None, "Adam beta1 (default: the variant's)", ge=0, lt=1, wide=["uniform", 0, 1], narrow=0.5),
    Field("beta2", float, None, "Adam beta2 (default: the variant's)", ge=0, lt=1),
    Field("n_disc", int, None, "discriminator updates per generator update (default: the variant's)", ge=1, le=1000, wide=["int", 1, 5], narrow=1),
    Field("penalty_weight", float, None, "lambda of the gradient penalties (WGAN-GP, DRAGAN, ...; default 10)", ge=0,
          acts_on=("variants with a gradient penalty (WGAN-GP, DRAGAN, Cramér GAN, ...)", lambda v, c: v.penalised)),
    Field("clip", float, None, "weight clipping bound of clipped critics (WGAN, McGan, MMD GAN; default 0.01)", gt=0,
          acts_on=("variants that clip their critic's weights (WGAN, McGan, MMD GAN)", lambda v, c: v.clip)),
    Field("d_batch_norm", bool, None, "batch norm in the discriminator (default: the variant's under the protocol)",
          wide=["choice", False, True], narrow=False),
    Field("began_gamma", float, None, "BEGAN diversity ratio gamma (default 0.5)", ge=0, le=1, acts_on=_BEGAN),
    Field("began_lambda", float, None, "BEGAN learning rate of k_t (default 1e-3)", ge=0, acts_on=_BEGAN),
    Field("fgan_generator_loss", str, None, "f-GAN variants: paper (the default; G maximises E[g_f(V)], Nowozin et al. 3.2) or "
          "saddle (G minimises the bound)", choices=_generator_losses,
          acts_on=("the f-GAN variants", lambda v, c: v.divergence is not None)),
    Field("pack", int, 1, "PacGAN packing: the discriminator judges m samples at once (1: none)", ge=1, le=1024),
    Field("generators", int, 1, "a uniform mixture of K generators against one discriminator, each sample from one picked at random", ge=1, le=1024),
    Field("prior", str, None, "latent prior: uniform is U(-1, 1) (the study's), normal N(0, I) (PacGAN's 2-D default)",
          choices=("uniform", "normal")),
    Field("r1_gamma", float, None, "R1: gamma / 2 * E||grad D(x)||^2 on real samples added to the discriminator's loss "
          "(0: none; default: the variant's)", ge=0, le=1e6,
          cite="Mescheder, Geiger & Nowozin, Which Training Methods for GANs do actually Converge?, ICML 2018, eq. 9"),
    Field("r2_gamma", float, None, "R2: gamma / 2 * E||grad D(G(z))||^2 on generated samples, as R3GAN adds it (0: none; "
          "default: the variant's; R3GAN's recipe ties it to r1_gamma, and giving it unties them)", ge=0, le=1e6,
          cite="Mescheder et al. 2018, eq. 10; Huang, Gokaslan, Kuleshov & Tompkin, The GAN is dead; long live the GAN!, NeurIPS 2024, eq. 4"),
    Field("cosine_decay", bool, None, "R3GAN's schedule over the run: a cosine from the start to the end of training takes "
          "lr to a quarter, r1_gamma and r2_gamma to a tenth and beta2 to 0.99 (default: the variant's)",
          cite="R3GAN's train.py presets (lr 2e-4 to 5e-5, gamma to a tenth, beta2 0.9 to 0.99) and training_loop.py cosine_decay_with_warmup"),
    Field("ema_nimg", float, None, "an EMA of the generator's weights with this half-life in images, which is then "
          "scored, sampled and kept (0: none; default: the variant's)", ge=0, le=1e12,
          cite="Karras et al., Training Generative Adversarial Networks with Limited Data (StyleGAN2-ADA), NeurIPS 2020, training_loop.py"),
    Field("ema_rampup", float, None, "the EMA's half-life is at most this fraction of the images seen so far (0: no ramp-up; default 0.05)",
          ge=0, le=1e6, acts_on=("runs with an EMA generator (ema_nimg > 0)", lambda v, c: c.ema_nimg > 0)),
    Field("spectral_norm", bool, False, "spectral normalisation of every discriminator layer (Miyato et al. 2018); classifier and critic variants only"),
    Field("seed", int, 0, "random seed; the same seed gives the same numbers on CPU", ge=0, le=UINT32_MAX),
    Field("device", str, "auto", "cpu, cuda, cuda:N or auto (cuda when torch sees one)"),
    Field("data_root", str, None, "where torchvision data sets live (default ~/.cache/ganbench/data or $GANBENCH_DATA)"),
    Field("checkpoint_every", int, 0, "save a resumable checkpoint every N steps (0: none)", ge=0, le=MAX_STEPS),
    Field("eval_every", int, None, "score FID every N steps and at the end (0: at the end only; unset: never); the run keeps the minimum",
          ge=0, le=MAX_STEPS, nullable=True),
    Field("extractor", str, None, "FID's feature extractor (default: lenet-mnist for mnist5k, else Inception)",
          choices=_extractors),
    Field("n_fake", int, 10_000, "generated samples per FID", ge=2, le=10_000_000),
    Field("n_real", int, 10_000, "real test samples per FID (or the whole test split)", ge=2, le=10_000_000),
    Field("nearest_k", int, 5, "density and coverage: each real sample's ball reaches its k-th nearest real neighbour",
          ge=1, le=1000, cite="Naeem et al., Reliable Fidelity and Diversity Metrics for Generative Models, ICML 2020 (k = 5)"),
]}
# what a variant without its own default falls back to
FALLBACKS: dict[str, Any] = dict(lr=2e-4, beta1=0.5, beta2=0.999, n_disc=1, penalty_weight=10.0, clip=0.01, began_gamma=0.5, began_lambda=1e-3,
                 d_batch_norm=False, r1_gamma=0.0, r2_gamma=0.0, cosine_decay=False, ema_nimg=0.0, ema_rampup=0.05)
# the fallbacks that change nothing: a run's config.json written before its field existed ran with them
ABSENT_MEANS: dict[str, Any] = dict(r1_gamma=0.0, r2_gamma=0.0, cosine_decay=False, ema_nimg=0.0, ema_rampup=0.05, nearest_k=5)
# settings of the run, not of the model: never searched
NOT_SEARCHED = ("protocol", "steps", "seed", "device", "data_root", "eval_every", "extractor", "n_fake", "n_real", "arch",
                "checkpoint_every", "nearest_k")


def check_device(device: str, where: str = "device") -> str:
    """auto, cpu, cuda or cuda:N, against the devices torch sees here."""

    if not isinstance(device, str):
        raise ConfigError(f"{where}: {_show(device)} is not allowed, must be auto, cpu, cuda or cuda:N")
    if device in ("auto", "cpu"):
        return device
    if device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(device[5:]) if ":" in device else 0
        if index >= n:
            seen = f"{n} CUDA device{'s' if n != 1 else ''}" if n else "no CUDA device"
            raise ConfigError(f"{where}: '{device}' asked for but torch sees {seen}; use cpu or auto")
        return device
    raise ConfigError(f"{where}: '{device}' is not allowed, must be auto, cpu, cuda or cuda:N{did_you_mean(device, ['auto', 'cpu', 'cuda'])}")


# The other commands' options (eval, sample, sweep, report): declared here too, so the CLI and the checks agree.
SPACE_NAMES = ("wide", "narrow")  # the search spaces every searched Field declares (its wide and narrow)

COMMAND_FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("workers", int, None, "device slots: local worker slots (default: one per visible GPU, else 1), or SLURM array "
          "tasks (default 1)", ge=1, le=MAX_TASKS),
    Field("trials_per_device", int, None, "trials that share one device: k worker processes on each local slot or SLURM "
          "task, each slot pinned to its GPU (default: the spec's trials_per_device, else 1)", ge=1, le=1024),
    Field("storage", str, None, "an Optuna storage URL (default: a JournalStorage file in the study directory)"),
    Field("executor", str, "local", "local worker processes or a SLURM job array", choices=("local", "slurm")),
    Field("partition", str, None, "SLURM partition"),
    Field("gpus_per_task", int, 0, "GPUs per SLURM task", ge=0, le=1024),
    Field("cpus_per_task", int, 1, "CPUs per SLURM task", ge=1, le=1 << 16),
    Field("mem", float, None, "memory per SLURM task in GB", gt=0),
    Field("time", int, 60, "time limit per SLURM task in minutes; tasks are requeued at it", ge=1, le=525_600),
    Field("signal_delay", int, 90, "seconds before the time limit at which SLURM warns a task, which then requeues itself", ge=0, le=65_535),
    Field("array_parallelism", int, 64, "SLURM tasks running at once", ge=1, le=MAX_TASKS),
    Field("wait", bool, False, "with --executor slurm: wait for the job array to end, with a progress bar of trials done, "
          "then print the status (the default returns once the array is submitted)"),
    Field("eval_n", int, None, "generated and real samples (default: the run's n_fake and n_real, so the recorded score is "
          "reproduced exactly)", ge=2, le=10_000_000, flag="--n"),
    Field("sample_n", int, 64, "how many samples", ge=1, le=10_000_000, flag="--n"),
    Field("sample_seed", int, 0, "seed of the latents: the same seed gives the same samples", ge=0, le=UINT32_MAX, flag="--seed"),
    Field("budget", int, None, "settings per variant at which pairs of variants are tested for a significant difference "
          "(default: the fewest any variant finished)", ge=1),
    Field("checkpoint", str, None, "best: the weights of the minimum FID (best.ckpt, the default where it exists); last: "
          "the end of training", choices=("best", "last")),
    Field("eval_extractor", str, None, "FID's feature extractor (default: the run's)", choices=_extractors, flag="--extractor"),
    Field("inception_weights", str, None, "a local file of Inception weights in torch-fidelity's layout (default: the ones "
          "`ganbench weights fetch inception-v3-compat` prepared)"),
    Field("fid_infinity", bool, False, "also FID-infinity: FID at 15 sample counts from a fifth of --n to --n, extrapolated "
          "to infinitely many samples by a line in 1/N (Chong & Forsyth, CVPR 2020)"),
    Field("sample_format", str, "png", "png: grid.png and one PNG per sample; npz: samples.npz (array 'samples', float32)",
          choices=("png", "npz"), flag="--format"),
    Field("space", str, "wide", "the search space (`space:` of a spec)", choices=SPACE_NAMES),
    RUN_FIELDS["device"], RUN_FIELDS["protocol"],
    Field("check_out", str, None, "the folder the `make gpu-check` JSON goes into (default ~/.cache/ganbench/gpu_check/; tools/keep_gpu_check.py keeps one in the repository)", flag="--out"),
    Field("check_seconds", float, None, "seconds each `make gpu-check` measurement runs (default 5 on a GPU, 2 on CPU)",
          gt=0, le=3_600, flag="--seconds"),
]}


STORAGE_SCHEMES = ("sqlite", "postgresql", "mysql")


def check_storage(url: str | None, where: str = "storage") -> str | None:
    """An Optuna storage URL that SQLAlchemy can parse, of a kind Optuna stores studies in."""
    if url is None:
        return None

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise ConfigError(f"{where}: '{url}' is not a storage URL; give e.g. sqlite:///study.db or "
                          "postgresql://user@host/db (default: a journal file in the study directory)") from None
    if parsed.get_backend_name() not in STORAGE_SCHEMES:
        raise ConfigError(f"{where}: '{parsed.get_backend_name()}' is not a storage Optuna keeps studies in; use one of "
                          f"{', '.join(STORAGE_SCHEMES)}{did_you_mean(parsed.get_backend_name(), STORAGE_SCHEMES)}")
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        # each worker process would open its own empty database: trials run, and nothing is kept
        raise ConfigError(f"{where}: '{url}' is an in-memory database that no other process sees; give a file, as in "
                          "sqlite:///study.db")
    return url


def check_storage_opens(url: str, where: str = "storage", must_exist: bool = False) -> None:
    """The database behind a storage URL answers: refused in one line (password hidden) before anything is written,
    not as a driver's traceback after the study folder was made. ``must_exist``: a command that reads (status,
    report) does not create an SQLite file by connecting to it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if must_exist and parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise ConfigError(f"{where}: {shown} names no database file; give the storage the study was run with")
    try:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError, ImportError) as e:
        first = str(getattr(e, "orig", None) or e).strip().splitlines()[0][:160]
        raise ConfigError(f"{where}: cannot open {shown} ({type(e).__name__}: {first})") from None


# --- environment variables: inputs like any other, declared here and checked when a command starts -------------------

PIX2PIX_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets"
ENV_FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("GANBENCH_DATA", str, None, "folder: where data sets are downloaded and read (default ~/.cache/ganbench/data)"),
    Field("GANBENCH_CACHE", str, None, "folder: where real-data feature statistics are cached (default ~/.cache/ganbench/stats)"),
    Field("GANBENCH_WEIGHTS", str, None, "folder: where `ganbench weights fetch` prepares the extractors' weights and "
          "scoring reads them (default ~/.cache/ganbench/weights; copy it to an offline node)"),
    Field("GANBENCH_CHECKPOINT_S", float, 600.0, "seconds of training between a sweep trial's checkpoints, at most "
          "(besides every tenth of its steps)", ge=1, le=86_400),
    Field("GANBENCH_HEARTBEAT_S", float, 30.0, "seconds between a sweep worker's heartbeats", ge=1, le=3_600),
    Field("GANBENCH_GRACE_S", float, 300.0, "seconds without a heartbeat after which a trial's worker is judged gone "
          "(more than twice GANBENCH_HEARTBEAT_S)", ge=2, le=7 * 86_400),
    Field("GANBENCH_PIX2PIX_URL", str, PIX2PIX_URL, "url: where the pix2pix archives are downloaded from (a mirror)"),
    Field("GANBENCH_MEMORY_GB", float, None, "the memory ganbench may plan a run or an export within, in GiB (default: what "
          "the machine has available when the command starts)", gt=0, le=1 << 20),
    Field("OMP_NUM_THREADS", int, None, "the most CPU threads a training process uses (sweep workers share the CPUs "
          "among themselves below it)", ge=1, le=4_096),
]}


def env(name: str) -> Any:
    """The environment variable ``name`` (declared in ENV_FIELDS) as its typed value, its default when unset or
    empty; ConfigError naming the variable when it holds something not allowed."""
    f, raw = ENV_FIELDS[name], os.environ.get(name, "").strip()
    if not raw:
        return f.default
    value: object = raw
    if f.type in (int, float):
        try:
            value = f.type(raw)
        except ValueError:
            raise ConfigError(f"{name}: '{_show(raw)[1:-1]}' is not allowed, must be {f.allowed()} ({f.help})") from None
    value = f.check(value, name)
    if f.help.startswith("folder:"):
        _check_folder(name, Path(raw).expanduser())
    elif f.help.startswith("url:") and not re.fullmatch(r"(https?|file)://\S+", raw):
        raise ConfigError(f"{name}: '{_show(raw)[1:-1]}' is not allowed, must be an http(s):// or file:// URL")
    return value


def _check_folder(name: str, path: Path) -> None:
    """A folder ganbench may create: an existing folder, or a path whose nearest existing parent is a folder."""
    if "\0" in str(path):
        raise ConfigError(f"{name}: a path cannot hold a NUL character")
    if not path.is_absolute():
        raise ConfigError(f"{name}: '{path}' is not allowed, must be an absolute path (or start with ~)")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"{name}: '{path}' is not allowed: {existing} is not a folder")


def check_environment() -> None:
    """Every declared variable, and the rules between them, before a command does any work."""
    for name in ENV_FIELDS:
        env(name)
    if env("GANBENCH_GRACE_S") <= 2 * env("GANBENCH_HEARTBEAT_S"):
        raise ConfigError(f"GANBENCH_GRACE_S: {env('GANBENCH_GRACE_S'):g} is not allowed, must be more than twice "
                          f"GANBENCH_HEARTBEAT_S ({env('GANBENCH_HEARTBEAT_S'):g}): a live worker would be judged gone")
