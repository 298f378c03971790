"""Search spaces, declared as data on the schema's fields (benchmark/schema.py for the common settings, each
variant's own fields in benchmark/variants.py): a parameter maps to a constant or to a distribution. `wide` and `narrow` name
ganbench's spaces under its own protocol and the study's exact ranges (params.py) under ``lucic2018``; a spec may
also write a space out in the same form (see README).

A distribution is a list: [uniform, lo, hi], [log, lo, hi] (log-uniform), [int, lo, hi] (inclusive) or
[choice, a, b, ...]. The same declaration is sampled two ways: by a seeded numpy RNG for the random search
(settings fixed when the study is created), or through an Optuna trial's suggest_* calls for adaptive samplers.
"""
from __future__ import annotations

import math

import numpy as np

from ganbench.benchmark.protocols import get_protocol
from ganbench.benchmark.schema import NOT_SEARCHED, RUN_FIELDS, SPACE_NAMES, ConfigError, did_you_mean
from ganbench.benchmark.variants import VARIANTS, VariantKind, get_variant

KINDS = ("uniform", "log", "int", "choice")
FIXED = dict(batch_size=64, z_dim=64, beta2=0.999)
SPACES = SPACE_NAMES


def base_space(space: str) -> dict:
    """The ranges every variant shares (lr, beta1, n_disc, d_batch_norm), declared on their schema fields."""
    return {name: getattr(f, space) for name, f in RUN_FIELDS.items() if getattr(f, space) is not None}


def variant_space(variant, space: str) -> dict:
    """A variant's own ranges: of the common settings it has its own range for (Variant.search) and of its own
    hyperparameters (their schema fields)."""
    own = {f.name: getattr(f, space) for f in variant.own if getattr(f, space) is not None}
    return {**variant.search.get(space, {}), **own}


class SpaceError(ValueError):
    pass


# pix2pix (and its ablations): the paper's Adam settings at the centre; no latents, packing or batch norm choice
TRANSLATION = {
    space: dict(batch_size=16, beta2=0.999, n_disc=1, lr=RUN_FIELDS["lr"].wide if space == "wide" else RUN_FIELDS["lr"].narrow,
                 beta1=RUN_FIELDS["beta1"].wide if space == "wide" else RUN_FIELDS["beta1"].narrow)
    for space in SPACES
}


def named_space(name: str, variant: str, protocol: str = "ganbench") -> dict:
    p = get_protocol(protocol)
    own = p.space(name, variant)
    if own is not None:
        return {**FIXED, **own}
    v = get_variant(variant)
    if v.kind == VariantKind.PIX2PIX:  # its own settings: a parameter that does not act on this variant is not searched
        return {k: x for k, x in {**TRANSLATION[name], **variant_space(v, name)}.items() if v.own_acts(k)}
    space = {**FIXED, **base_space(name), **variant_space(v, name)}
    return {**space, **{k: x for k, x in p.fixed.items() if k in space}}  # e.g. PacGAN's code: one D update a step


def is_distribution(value) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and value[0] in KINDS


def searchable(variant: str | None = None) -> dict:
    """The fields a space may set: the common model settings, and the variant's own (every variant's without one)."""

    fields = {n: f for n, f in RUN_FIELDS.items() if n not in NOT_SEARCHED}
    for v in ([get_variant(variant)] if variant else VARIANTS.values()):
        fields.update({f.name: f for f in v.own})
    return fields


def check_space(space: dict, where: str, variant: str | None = None) -> None:
    """Raise SpaceError naming ``where.param`` for anything that is neither a constant nor a distribution whose
    every value lies inside the parameter's declared bounds (so [uniform, -1, 1] for lr is refused here)."""
    if not isinstance(space, dict) or not space:
        raise SpaceError(f"{where}: a search space is a name ({', '.join(SPACES)}) or a mapping of parameters")
    fields = searchable(variant)
    for name, value in space.items():
        at = f"{where}.{name}"
        if name not in fields:
            raise SpaceError(f"{at}: not a hyperparameter{' of ' + variant if variant else ''}{did_you_mean(name, fields)}; "
                             f"searchable are {', '.join(fields)}")
        try:
            check_range(fields[name], value, at)
        except ConfigError as e:
            raise SpaceError(str(e)) from None


def check_range(f, value, at: str) -> None:
    """A constant, or a distribution over values the field allows."""
    if not isinstance(value, (list, tuple)):
        f.check(value, at)
        return
    kind = value[0] if value else None
    if kind not in KINDS:
        raise SpaceError(f"{at}: a distribution is [uniform|log|int, lo, hi] or [choice, a, b, ...], got {value!r}")
    if kind == "choice":
        if len(value) < 2:
            raise SpaceError(f"{at}: [choice, ...] needs at least one option")
        for option in value[1:]:
            f.check(option, at)
        return
    ok = len(value) == 3 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value[1:])
    ok = ok and value[1] <= value[2] and (kind != "log" or value[1] > 0) and (kind != "int" or all(float(v).is_integer() for v in value[1:]))
    if not ok:
        raise SpaceError(f"{at}: {value!r} is not allowed, must be [{kind}, lo, hi] with lo <= hi"
                         + (" and lo > 0" if kind == "log" else "") + (" integers" if kind == "int" else ""))
    if kind == "int" and f.type is not int:
        raise SpaceError(f"{at}: {value!r} is not allowed, [int, lo, hi] is for integer settings; {f.name} is {f.allowed()}")
    if kind != "int" and f.type is int:
        raise SpaceError(f"{at}: {value!r} is not allowed, [{kind}, lo, hi] draws real numbers; {f.name} takes integers: "
                         f"write [int, lo, hi] or [choice, ...]")
    lo, hi = (int(value[1]), int(value[2])) if kind == "int" else (float(value[1]), float(value[2]))
    f.check(lo, f"{at} (its low end)")
    # numpy's and Optuna's uniform draws lie in [lo, hi): an exclusive upper bound may be the range's end
    if not (kind == "uniform" and f.lt is not None and hi == f.lt):
        f.check(hi, f"{at} (its high end)")


def sample(space: dict, rng: np.random.Generator) -> dict:
    """One setting drawn with a numpy RNG (the random search)."""
    out = {}
    for name, d in space.items():
        if not is_distribution(d):
            out[name] = d
        elif d[0] == "uniform":
            out[name] = float(rng.uniform(d[1], d[2]))
        elif d[0] == "log":
            out[name] = float(math.exp(rng.uniform(math.log(d[1]), math.log(d[2]))))
        elif d[0] == "int":
            out[name] = int(rng.integers(d[1], d[2] + 1))
        else:
            out[name] = d[1:][int(rng.integers(0, len(d) - 1))]
    return out


def suggest(trial, name: str, d):
    """The value of one parameter through an Optuna trial: from its sampler, or the enqueued value if fixed."""
    if not is_distribution(d):
        return constant(trial, name, d)
    if d[0] in ("uniform", "log"):
        return trial.suggest_float(name, float(d[1]), float(d[2]), log=d[0] == "log")
    if d[0] == "int":
        return trial.suggest_int(name, int(d[1]), int(d[2]))
    return trial.suggest_categorical(name, list(d[1:]))


def constant(trial, name: str, value):
    """Record a constant as a parameter too, so every trial lists its whole setting (for analysis, the dashboard).
    The trial must hold it among its fixed parameters (see sweeps.runner.run_trial), or a sampler would draw it."""
    if isinstance(value, bool):
        return trial.suggest_categorical(name, [False, True])
    if isinstance(value, str):
        return trial.suggest_categorical(name, [value])
    if isinstance(value, int):
        return trial.suggest_int(name, value, value)
    return trial.suggest_float(name, float(value), float(value))


def variant_defaults(variant: str, protocol: str = "ganbench", space: str = "wide", on_points: bool = False) -> dict:
    """The variant's default setting, the first of every search (as in the study); on 2-D points with the variant's
    defaults there (as `ganbench train` has them); under lucic2018 the study's defaults of that space (params.py:
    they differ between wide and narrow for the VAE's batch norm)."""
    own = get_protocol(protocol).search_defaults(variant, space)
    if own is not None:
        return dict(FIXED, **own)
    v = get_variant(variant)
    d = v.defaults
    if v.kind == VariantKind.PIX2PIX:
        return dict(**d, **v.params)  # its batch default is beside the variant (variants._pix2pix)
    searched = {k: RUN_FIELDS[k].default for k in v.search.get(space, {}) if RUN_FIELDS[k].default is not None}
    setting = dict(FIXED, **{k: x for k, x in d.items() if k != "beta2"}, beta2=d.get("beta2", 0.999), d_batch_norm=False,
                   **v.own_defaults(on_points), **{k: x for k, x in searched.items() if k not in d})  # e.g. hinge's spectral_norm
    return {**setting, **(v.point_defaults if on_points else {})}


def recipe_space(space: dict, recipe) -> dict:
    """A named space centred on a variant's recipe (a spec's ``start: recipe``): the recipe's settings as constants,
    its tuned ones (``Recipe.tuned``) drawn log-uniformly over a decade centred on the recipe's value, as wide as the
    narrow space's learning rates. A setting the recipe leaves unset (R3GAN's R2 gamma: tied to R1's) stays unset."""
    out = dict(space)
    for name, value in recipe.settings.items():
        if value is None:
            out.pop(name, None)
        elif name in recipe.tuned:
            out[name] = ["log", value / 10**0.5, value * 10**0.5]
        else:
            out[name] = value
    return out


def settings_for(space: dict, variant: str, n: int, seed: int) -> list[dict]:
    """The n settings of ganbench's random search, the variant's defaults first; the same for the same
    (space, variant, seed)."""
    rng = np.random.default_rng([seed, sum(map(ord, variant))])
    return [variant_defaults(variant)] + [sample(space, rng) for _ in range(n - 1)]


def replayed_settings(protocol: str, experiment: str, variant: str, n: int) -> list[dict]:
    """The first n settings a study itself trained for ``variant`` in ``experiment`` (its own draws)."""
    settings = get_protocol(protocol).replayed_settings(experiment, variant, n)
    assert settings is not None, f"protocol {protocol} replays no study's draws"
    return [dict(FIXED, **s) for s in settings]
