"""A run's configuration resolved in one place: ``resolve_config(**settings)`` checks what was given against its
declaration (schema.RUN_FIELDS, each variant's own fields), fills every default, and checks the result once more.
It returns a frozen, typed ``RunConfig`` (``TranslationConfig`` for pix2pix), read by attribute everywhere a run is
built, trained, timed or reported; nothing downstream defaults again.

Defaults resolve in one order, highest first, each said once (``default_layers`` says which layer set each value of
a run; docs/configuration.md lists, for every option, the layers that may set it):
1. what the user gave;
2. on 2-D points, the variant's point defaults (``Variant.point_defaults``, its own fields' ``point_default``);
3. the data set's (``DatasetInfo.defaults``: PacGAN's batch, latent size and optimiser on its 2-D mixtures);
4. the variant's under the protocol: the protocol's own table where it has one (the study's params.py), else
   ``Variant.defaults``;
5. ``schema.FALLBACKS``, the optimiser and penalty settings every GAN needs;
6. the field's own default (``schema.RUN_FIELDS``, a variant's own fields beside the variant), or a value derived
   from others (``DERIVED_HOW``: the nets from the data's shape, the extractor, the prior).

Light on purpose: torch, the registries and the nets' shapes, not Lightning or torch-fidelity, so the command line
can check and explain without them."""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, TypeVar

import torch

from .conditional.nets import Translator
from .data import DATASETS, DataError, canonical_name, get_dataset
from .metrics.extractors import default_extractor
from .nets import ArchitectureError, check_fits
from .protocols import Protocol, get_protocol
from .schema import ABSENT_MEANS, FALLBACKS, RUN_FIELDS, ConfigError, check_device, did_you_mean
from .variants import VARIANTS, Variant, VariantError, VariantKind, check_loss, get_variant

if TYPE_CHECKING:  # annotations only
    from .data import DatasetInfo

DEFAULTS: dict[str, Any] = {name: f.default for name, f in RUN_FIELDS.items()}
_C = TypeVar("_C", bound="_Config")


class _Config:
    """What both configurations share: the variant's own parameters (``params``) read as attributes too, the JSON
    form written to config.json, and a checked reading of that form."""

    params: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("params")  # absent while unpickling: no recursion through __getattr__
        if params is not None and not name.startswith("_") and name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__} has no setting '{name}'")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: every resolved setting, the variant's own included (config.json)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "params"}  # type: ignore[arg-type]  # the base of two dataclasses
        return {**out, **self.params}

    def replace(self: _C, **changes: Any) -> _C:
        params = {k: changes.pop(k) for k in list(changes) if k in self.params}
        return dataclasses.replace(self, **changes, params={**self.params, **params})  # type: ignore[type-var]  # likewise


# The two configurations list schema.RUN_FIELDS by name and type, so that a type checker and an editor see them; the
# declaration (default, bounds, help) stays the schema's, and _check_declared below refuses, at import, a field
# missing here or typed otherwise. A setting that resolution may leave None is typed so (``_left_unset``).

@dataclass(frozen=True)
class RunConfig(_Config):
    """A GAN's (or the VAE's) resolved run: every field of schema.RUN_FIELDS as an attribute, the variant's own
    parameters in ``params`` (and as attributes)."""

    variant: str
    dataset: str
    protocol: str
    arch: str
    steps: int
    batch_size: int
    z_dim: int
    lr: float
    beta1: float
    beta2: float
    n_disc: int
    penalty_weight: float
    clip: float
    d_batch_norm: bool
    began_gamma: float
    began_lambda: float
    fgan_generator_loss: str | None
    pack: int
    generators: int
    prior: str
    r1_gamma: float
    r2_gamma: float
    cosine_decay: bool
    ema_nimg: float
    ema_rampup: float
    spectral_norm: bool
    seed: int
    device: str
    data_root: str | None
    checkpoint_every: int
    eval_every: int | None
    extractor: str | None
    n_fake: int
    n_real: int
    nearest_k: int
    generators_scheme: str | None = None  # uniform_mixture when generators > 1
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class TranslationConfig(_Config):
    """pix2pix's resolved run: TRANSLATION_FIELDS as attributes, the variant's (loss, generator, patch, ngf,
    l1_weight) in ``params``; unpacked, one generator, scored once at the end."""

    variant: str
    dataset: str
    protocol: str
    steps: int
    batch_size: int
    lr: float
    beta1: float
    beta2: float
    n_disc: int
    seed: int
    device: str
    data_root: str | None
    checkpoint_every: int
    extractor: str | None
    n_fake: int
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    # values that change nothing for such a run, read where a GAN's would be
    pack: ClassVar[int] = 1
    generators: ClassVar[int] = 1
    eval_every: ClassVar[int | None] = None
    r1_gamma: ClassVar[float] = ABSENT_MEANS["r1_gamma"]
    r2_gamma: ClassVar[float] = ABSENT_MEANS["r2_gamma"]
    cosine_decay: ClassVar[bool] = ABSENT_MEANS["cosine_decay"]
    ema_nimg: ClassVar[float] = ABSENT_MEANS["ema_nimg"]
    ema_rampup: ClassVar[float] = ABSENT_MEANS["ema_rampup"]
    nearest_k: ClassVar[int] = ABSENT_MEANS["nearest_k"]


# what an image-to-image run is configured by; the rest of RUN_FIELDS (latents, penalties, packing, ...) is the GANs'
TRANSLATION_FIELDS = tuple(f.name for f in dataclasses.fields(TranslationConfig) if f.name not in ("variant", "dataset", "params"))
NEUTRAL = dict(pack=1, generators=1, eval_every=0)  # values that change nothing (n_real: the n_fake pairs' targets are the real side)


def _check_declared(cls: type, names: Iterable[str]) -> None:
    """Each of ``names`` a field of ``cls`` typed as schema.RUN_FIELDS declares it (or None as well)."""
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for name in names:
        declared = RUN_FIELDS[name].type
        if name not in fields or hints[name] not in (declared, declared | None):
            raise TypeError(f"{cls.__name__}.{name}: declared {declared.__name__} in schema.RUN_FIELDS, here {hints.get(name)}")
    extra = fields - set(names) - {"variant", "dataset", "params", "generators_scheme"}
    if extra:
        raise TypeError(f"{cls.__name__}: {', '.join(sorted(extra))} not in schema.RUN_FIELDS")


_Resolved = TypeVar("_Resolved", RunConfig, TranslationConfig)
_check_declared(RunConfig, RUN_FIELDS)
_check_declared(TranslationConfig, TRANSLATION_FIELDS)


def config_from_dict(saved: dict[str, Any]) -> Any:
    """A configuration read back (a run's config.json): each value checked against its declaration, a missing or
    unknown setting named; no default is filled (the file holds every resolved setting). ConfigError on bad input."""
    if not isinstance(saved, dict):
        raise ConfigError(f"config: a mapping of settings, not {type(saved).__name__}")
    for name in ("variant", "dataset"):
        if not isinstance(saved.get(name), str):
            raise ConfigError(f"{name}: missing or not a name in the saved configuration")
    variant = get_variant(saved["variant"])  # VariantError as it is: it may say which code to allow
    try:
        info = get_dataset(saved["dataset"])
    except DataError as e:
        raise ConfigError(str(e)) from None
    cls = TranslationConfig if variant.kind == VariantKind.PIX2PIX else RunConfig
    names = [f.name for f in dataclasses.fields(cls) if f.name not in ("variant", "dataset", "params", "generators_scheme")]
    values: dict[str, Any] = {}
    for name in names:
        if name not in saved and name in ABSENT_MEANS:
            saved = {**saved, name: ABSENT_MEANS[name]}
        if name not in saved:
            raise ConfigError(f"{name}: missing from the saved configuration")
        f = RUN_FIELDS[name]
        if saved[name] is None and not _left_unset(name, variant, info):
            raise ConfigError(f"{name}: null is not allowed here, must be {f.allowed()} (resolution fills it for this run)")
        values[name] = saved[name] if saved[name] is None else f.check(saved[name], name)
    device = values.get("device")
    if device is not None and not (device in ("auto", "cpu", "cuda") or (device.startswith("cuda:") and device[5:].isdigit())):
        raise ConfigError(f"device: '{device}' is not allowed, must be auto, cpu, cuda or cuda:N")  # its form; where it runs now is eval's --device
    if values.get("data_root") is not None and not Path(values["data_root"]).is_absolute():
        raise ConfigError(f"data_root: '{values['data_root']}' is not allowed, must be the absolute path resolution wrote")
    params = {}
    for name, f in variant.fields.items():
        if name not in saved:
            raise ConfigError(f"{name}: missing from the saved configuration ({variant.name} takes it)")
        params[name] = f.check(saved[name], name)
    if cls is TranslationConfig:
        params.update({k: saved[k] for k in variant.params if k in saved})
    known = {"variant", "dataset", "generators_scheme", *names, *params, *(variant.params if cls is TranslationConfig else ())}
    unknown = [k for k in saved if k not in known]
    if unknown:
        raise ConfigError(f"{unknown[0]}: not a setting of {variant.name}'s runs{did_you_mean(unknown[0], sorted(known))}")
    scheme = saved.get("generators_scheme")
    if cls is RunConfig and scheme not in (None, "uniform_mixture"):
        raise ConfigError(f"generators_scheme: {scheme!r} is not allowed, must be uniform_mixture or null")
    if cls is RunConfig:
        values["generators_scheme"] = scheme
    return cls(variant=saved["variant"], dataset=saved["dataset"], **values, params=params)


def _left_unset(name: str, variant: Variant, info: DatasetInfo) -> bool:
    """Whether resolution leaves this setting None for such a run, so that a saved null is what ran, not damage:
    a setting whose None means something (eval_every: never), registered data (data_root), f-GAN's generator
    loss for a loss that is no f-divergence, and the feature extractor on 2-D points."""
    return (RUN_FIELDS[name].nullable or name == "data_root" or (name == "fgan_generator_loss" and not variant.divergence)
            or (name == "extractor" and not info.is_image))


def variant_defaults(variant: str, protocol: str | Protocol = "ganbench") -> dict[str, Any]:
    """A variant's default hyperparameters under a protocol: the protocol's own (the study's params.py, say), else
    ganbench's registry over the fallbacks."""
    v = get_variant(variant)
    return get_protocol(protocol).variant_defaults(v) or {**FALLBACKS, **v.defaults}


DERIVED_HOW = {  # values filled from other values, and how
    "arch": "infogan on images, mlp on 2-D points", "extractor": "lenet-mnist on mnist5k, else Inception",
    "prior": "uniform; the VAE's is its protocol's", "fgan_generator_loss": "paper for f-GAN variants",
    "generators_scheme": "uniform_mixture when generators > 1", "r2_gamma": "r1_gamma's where the recipe ties them (R3GAN)"}
DERIVED = tuple(DERIVED_HOW)
LAYERS = ("given", "data set", "protocol", "variant", "variant on points", "fallback", "field", "derived")


def default_layers(variant: str, dataset: str, **given: Any) -> dict[str, str]:
    """Which layer (``LAYERS``) set each value of the run ``resolve_config(variant=..., dataset=..., **given)``
    resolves, in the order the module's docstring gives: what the user gave, else the data set's, the variant's under
    the protocol (the protocol's own table where it has one), on 2-D points the point defaults, the fallbacks, the
    field's own default; "derived": filled from other values (the nets from the data's shape, the extractor, ...)."""
    config = resolve_config(variant=variant, dataset=dataset, **given)
    v, info, protocol = get_variant(variant), get_dataset(config.dataset), get_protocol(config.protocol)
    on_points = len(info.shape) == 1
    table = protocol.variant_defaults(v)
    layers = {}
    for name in config.to_dict():
        if name in given or name in ("variant", "dataset"):
            layer = "given"
        elif name in v.fields:
            layer = "variant on points" if on_points and name in v.own_defaults(True) and v.own_defaults(True)[name] != v.own_defaults(False)[name] else "variant"
        elif isinstance(config, TranslationConfig):  # the data set's, over the variant's, over the field's
            layer = "data set" if name in info.defaults else "variant" if name in v.defaults else "derived" if name in DERIVED else "field"
        elif name in FALLBACKS:
            if on_points and name in v.point_defaults:
                layer = "variant on points"
            elif name in info.defaults:
                layer = "data set"
            elif table is not None and name in table:
                layer = "protocol"
            elif name in v.defaults:
                layer = "variant" if v.defaults[name] is not None else "derived"  # unset in the recipe: tied (r2_gamma)
            else:
                layer = "fallback"
        elif name in info.defaults:
            layer = "data set"
        else:
            layer = "derived" if name in DERIVED else "field"
        layers[name] = layer
    return layers


def default_arch(shape: tuple[int, ...]) -> str:  # data sets with their own protocol name theirs (DatasetInfo.defaults)
    return "mlp" if len(shape) == 1 else "infogan"


def own_fields() -> dict[str, list[Any]]:
    """Every variant's own hyperparameters by name: [(variant, Field), ...] (several variants may share one)."""
    out: dict[str, list[Any]] = {}
    for v in VARIANTS.values():
        for f in v.own:
            out.setdefault(f.name, []).append((v.name, f))
    return out


def check_settings(settings: dict[str, Any]) -> None:
    """Names and types of what was given, before any default is filled: an unknown name (with "did you mean"), a
    list where one value goes, a value out of its bounds; each one line naming the field."""
    own = own_fields()
    known = ["variant", "dataset", *RUN_FIELDS, *own]
    for name, value in settings.items():
        if name in ("variant", "dataset", "generators_scheme"):
            continue
        if name not in RUN_FIELDS and name not in own:
            raise ConfigError(f"{name}: unknown setting{did_you_mean(name, known)}; known are {', '.join(known)}")
        if value is None:
            continue
        if name in RUN_FIELDS:
            RUN_FIELDS[name].check(value)
        else:
            own[name][0][1].check(value)  # type and bounds are one for all variants that share it


def resolve_config(**settings: Any) -> RunConfig | TranslationConfig:
    check_settings(settings)
    for field in ("variant", "dataset"):
        if settings.get(field) is None:
            raise ConfigError(f"{field}: required")
    try:
        variant = get_variant(settings["variant"])
        check_loss(variant)
    except VariantError as e:
        raise ConfigError(str(e)) from None
    protocol = get_protocol(settings.get("protocol") or DEFAULTS["protocol"])
    protocol.accepts(variant=settings["variant"])
    protocol.check_variant(variant)  # its step trains this kind of variant
    if not isinstance(settings["dataset"], str):
        raise ConfigError(f"dataset: {settings['dataset']!r} is not allowed, must be a data set's name")
    settings["dataset"] = canonical_name(settings["dataset"])
    try:
        info = get_dataset(settings["dataset"])
    except DataError as e:
        raise ConfigError(str(e)) from None
    if variant.kind == VariantKind.PIX2PIX or info.is_paired:
        return _resolve_translation(settings, variant, info)
    given = {k: v for k, v in settings.items() if v is not None}
    # a data set's own protocol (PacGAN's for the 2-D mixtures) comes before the generic and the variant's defaults
    on_points = {k: v for k, v in variant.point_defaults.items() if k in DEFAULTS} if len(info.shape) == 1 else {}
    cfg = {**DEFAULTS, **{k: v for k, v in info.defaults.items() if k in DEFAULTS}, **on_points, **given}
    defaults = {**variant_defaults(cfg["variant"], protocol), **{k: v for k, v in info.defaults.items() if k in FALLBACKS}}
    if len(info.shape) == 1:
        defaults.update(variant.point_defaults)
    for key in FALLBACKS:
        if cfg.get(key) is None:
            cfg[key] = defaults.get(key, FALLBACKS[key])
    if cfg["r2_gamma"] is None:  # a recipe that leaves R2's gamma unset ties it to R1's (R3GAN's one gamma)
        cfg["r2_gamma"] = cfg["r1_gamma"]
    if variant.divergence:
        cfg["fgan_generator_loss"] = cfg["fgan_generator_loss"] or "paper"
    _check_options_act(given, cfg, variant)
    _check_mixing_options(cfg, variant, protocol)
    _fill_variant_params(cfg, variant, on_points=len(info.shape) == 1)
    protocol.accepts(dataset=cfg["dataset"])
    cfg["arch"] = cfg["arch"] or default_arch(info.shape)
    if info.is_image:
        cfg["extractor"] = cfg["extractor"] or str(default_extractor(info))
    protocol.check(_built(RunConfig, dict(cfg), variant), info)  # every setting filled; before the nets meet the data
    try:
        check_fits(cfg["arch"], info.shape)
    except ArchitectureError as e:
        raise ConfigError(f"{e} (dataset '{cfg['dataset']}')") from None
    for name, f in RUN_FIELDS.items():  # every value, given or filled in, once more against its declaration
        cfg[name] = f.check(cfg[name]) if cfg[name] is not None or f.nullable else cfg[name]
    return _built(RunConfig, _check_where(cfg), variant)


def _built(cls: type[_Resolved], cfg: dict[str, Any], variant: Variant) -> _Resolved:
    """The resolved settings as their typed, frozen configuration."""
    own = {k: cfg.pop(k) for k in list(cfg) if k in variant.fields or (cls is TranslationConfig and k in variant.params)}
    return cls(**cfg, params=own)


def _check_where(cfg: dict[str, Any]) -> dict[str, Any]:
    """What every run shares: the device exists here, an absolute data root."""
    check_device(cfg["device"])
    if cfg["data_root"] is not None:
        cfg["data_root"] = str(Path(cfg["data_root"]).expanduser().resolve())
    return cfg


def _resolve_translation(settings: dict[str, Any], variant: Variant, info: DatasetInfo) -> TranslationConfig:
    """pix2pix and its ablations on a paired data set: its own settings, the paper's defaults (Adam 2e-4, beta1
    0.5; batch 1 on the paper's sets, section 6.2), scored once at the end on held-out pairs (n_fake of them)."""
    paired = [n for n, d in _datasets().items() if d.is_paired]
    if variant.kind != VariantKind.PIX2PIX:
        raise ConfigError(f"dataset: '{info.name}' is a paired (image-to-image) data set; train pix2pix or one of its ablations on it")
    if not info.is_paired:
        raise ConfigError(f"dataset: {variant.name} translates paired data; choose one of {', '.join(paired)}")
    for name, value in settings.items():
        if value is None or name in ("variant", "dataset", "n_real", *TRANSLATION_FIELDS, *variant.params) or NEUTRAL.get(name, object()) == value:
            continue
        if name == "eval_every":
            raise ConfigError("eval_every: pix2pix is scored once, at the end of training (on held-out pairs); leave it out")
        raise ConfigError(f"{name}: {variant.name} does not take it; it takes {', '.join([*TRANSLATION_FIELDS, *variant.params])}")
    protocol = get_protocol(settings.get("protocol") or DEFAULTS["protocol"])
    if not protocol.translation:
        translating = [p for p in _protocols() if p.translation]
        raise ConfigError(f"protocol: {variant.name} is not trained under {protocol.name}; choose {', '.join(p.name for p in translating)}")
    cfg = {"variant": variant.name, "dataset": info.name, **{k: DEFAULTS[k] for k in TRANSLATION_FIELDS},
           **variant.defaults, **info.defaults, **variant.params}
    cfg.update({k: v for k, v in settings.items() if v is not None and (k in TRANSLATION_FIELDS or k in variant.params)})
    cfg["protocol"] = protocol.name
    for name, f in variant.fields.items():
        cfg[name] = f.check(cfg[name])
    for name in TRANSLATION_FIELDS:
        if cfg[name] is not None:
            cfg[name] = RUN_FIELDS[name].check(cfg[name])
    try:
        Translator(info.paired_input_shape[0], info.shape[0], info.shape[-1], 1)
    except ValueError as e:
        raise ConfigError(f"dataset: {info.name}'s images cannot be halved down to 1x1 ({e})") from None
    cfg["extractor"] = cfg["extractor"] or str(default_extractor(info))
    return _built(TranslationConfig, _check_where(cfg), variant)


def _datasets() -> dict[str, Any]:
    return DATASETS


def _protocols() -> list[Protocol]:
    from .protocols import PROTOCOLS

    return list(PROTOCOLS.values())


def _check_options_act(given: dict[str, Any], cfg: dict[str, Any], variant: Variant) -> None:
    """A setting given for a run it does not act on (a BEGAN option to ns_gan, EMA options without an EMA) is refused
    from its field's declaration (schema.Field.acts_on): recorded, it would read as if it had shaped the run."""
    settings = SimpleNamespace(**cfg)  # read by attribute, as a run's configuration is
    for name, value in given.items():
        f = RUN_FIELDS.get(name)
        if f is not None and f.acts_on is not None and not f.acts_on[1](variant, settings):
            raise ConfigError(f"{name}: acts on {f.acts_on[0]} only, not on this run of '{variant.name}'; leave it out")


def _check_mixing_options(cfg: dict[str, Any], variant: Variant, protocol: Protocol) -> None:
    """Packing, mixtures of generators and the prior: what each variant can take."""
    if cfg["pack"] > 1 and not variant.judges_samples:
        raise ConfigError(f"pack: '{cfg['variant']}' has no discriminator that judges samples (an autoencoder or an encoder); "
                          "packing needs a classifier or critic")
    if cfg["generators"] > 1 and variant.kind == VariantKind.VAE:
        raise ConfigError("generators: the VAE has one decoder; a mixture of generators needs an adversarial variant")
    if cfg["generators"] > 1 and cfg["batch_size"] is not None and 2 * cfg["generators"] > cfg["batch_size"] * cfg["pack"]:
        raise ConfigError(f"generators: {cfg['generators']} generators share a batch of {cfg['batch_size'] * cfg['pack']} samples; "
                          "each needs at least 2 (batch norm trains on no fewer): lower generators or raise batch_size")
    if variant.kind == VariantKind.VAE:  # the VAE's prior is its own: N(0, 1), evaluated on U(-1, 1) in the study
        if cfg["prior"] not in (None, "normal"):
            raise ConfigError(f"prior: the VAE's prior is N(0, 1), not '{cfg['prior']}'")
        cfg["prior"] = protocol.vae_prior
    cfg["prior"] = cfg["prior"] or "uniform"
    if (cfg["r1_gamma"] or cfg["r2_gamma"]) and variant.kind != VariantKind.GAN:
        which = "r1_gamma" if cfg["r1_gamma"] else "r2_gamma"
        raise ConfigError(f"{which}: '{cfg['variant']}' updates its discriminator with a step of its own; R1 and R2 apply to "
                          "the classifier and critic variants of the common step (GAN, f-GAN, WGAN, LSGAN, hinge, the relativistic ones, ...)")
    cfg["generators_scheme"] = "uniform_mixture" if cfg["generators"] > 1 else None


def _fill_variant_params(cfg: dict[str, Any], variant: Variant, on_points: bool = False) -> None:
    """The variant's own hyperparameters (margin, rho, ...): its defaults where unset; refused for other variants."""
    for name, takers in own_fields().items():
        if name not in variant.fields:
            if cfg.get(name) is not None:
                names = [v for v, _ in takers]
                raise ConfigError(f"{name}: only {', '.join(names)} take{'s' if len(names) == 1 else ''} it, not '{cfg['variant']}'")
            cfg.pop(name, None)
    defaults = variant.own_defaults(on_points)
    for name, f in variant.fields.items():
        cfg[name] = f.check(defaults[name] if cfg.get(name) is None else cfg[name])
    if cfg["spectral_norm"] and not variant.judges_samples:
        raise ConfigError(f"spectral_norm: '{cfg['variant']}' has no classifier or critic to normalise (its discriminator is "
                          f"{'absent' if variant.kind == VariantKind.GMMN else 'an autoencoder or an encoder'})")


def pick_device(device: str) -> str:
    if check_device(device) == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
