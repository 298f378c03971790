"""Search spaces, declared as data: a parameter maps to a constant or to a distribution. `wide` and `narrow` name
ganbench's spaces under its own protocol and the study's exact ranges (params.py) under ``lucic2018``; a spec may
also write a space out in the same form (see README).

A distribution is a list: [uniform, lo, hi], [log, lo, hi] (log-uniform), [int, lo, hi] (inclusive) or
[choice, a, b, ...]. The same declaration is sampled two ways: by a seeded numpy RNG for the random search
(settings fixed when the study is created), or through an Optuna trial's suggest_* calls for adaptive samplers.
"""
from __future__ import annotations

import math

import numpy as np

KINDS = ("uniform", "log", "int", "choice")
FIXED = dict(batch_size=64, z_dim=64, beta2=0.999)
BASE = {
    "wide": dict(beta1=["uniform", 0, 1], lr=["log", 1e-5, 1e-2], n_disc=["int", 1, 5], d_batch_norm=["choice", False, True]),
    "narrow": dict(beta1=0.5, lr=["log", 1e-4, 1e-3], n_disc=1, d_batch_norm=False),
}
# each variant's own hyperparameters: a log range around its paper's value (wide), or a tighter one (narrow)
_CLIP = {"wide": ["log", 1e-3, 1], "narrow": ["log", 1e-2, 1]}
_PENALTY = {"wide": ["log", 1e-1, 1e2], "narrow": ["log", 1e-1, 10]}
PER_VARIANT = {
    space: {
        "wgan": dict(clip=_CLIP[space]), "wgan_gp": dict(penalty_weight=_PENALTY[space]),
        "dragan": dict(penalty_weight=_PENALTY[space]),
        "began": dict(began_lambda=["log", 1e-4, 1e-2], began_gamma=["uniform", 0, 1]) if space == "wide"
        else dict(began_lambda=1e-3, began_gamma=["uniform", 0.6, 0.9]),
        "hinge": dict(spectral_norm=["choice", False, True]) if space == "wide" else dict(spectral_norm=True),
        "rwgan": dict(penalty_weight=_PENALTY[space]),
        "mcgan": dict(clip=_CLIP[space], moments=["choice", "mean", "covariance", "mean_covariance"] if space == "wide" else "mean_covariance"),
        "cramer_gan": dict(penalty_weight=_PENALTY[space]),
        "fisher_gan": dict(rho=["log", 1e-8, 1e-4] if space == "wide" else ["log", 1e-7, 1e-5]),
        "gmmn": dict(mmd_bandwidth=["log", 0.2, 20] if space == "wide" else ["log", 1, 4]),
        "mmd_gan": dict(clip=_CLIP[space], mmd_bandwidth=["log", 0.1, 10] if space == "wide" else ["log", 0.5, 2],
                        ae_weight=["log", 0.8, 80] if space == "wide" else 8.0,
                        **({"rank_weight": ["log", 1.6, 160]} if space == "wide" else {})),
        "ebgan": dict(margin=["log", 0.1, 10] if space == "wide" else ["log", 0.3, 3],
                      pt_weight=["log", 0.01, 1] if space == "wide" else 0.1),
        "magan": dict(pretrain_steps=["int", 0, 500] if space == "wide" else 100),
    }
    for space in ("wide", "narrow")
}
SPACES = tuple(BASE)


class SpaceError(ValueError):
    pass


# pix2pix (and its ablations): the paper's Adam settings at the centre; no latents, packing or batch norm choice
TRANSLATION = {
    "wide": dict(batch_size=16, beta2=0.999, n_disc=1, lr=["log", 1e-5, 1e-2], beta1=["uniform", 0, 1], l1_weight=["log", 1, 1e4]),
    "narrow": dict(batch_size=16, beta2=0.999, n_disc=1, lr=["log", 1e-4, 1e-3], beta1=0.5, l1_weight=["log", 10, 1000]),
}


def _is_translation(variant: str) -> bool:
    from benchmark.variants import get_variant

    return get_variant(variant).kind == "pix2pix"


def named_space(name: str, variant: str, protocol: str = "ganbench") -> dict:
    if protocol == "lucic2018":
        from benchmark.protocols import lucic2018

        return {**FIXED, **lucic2018.space(variant, name)}
    if _is_translation(variant):
        from benchmark.variants import get_variant

        has_l1 = get_variant(variant).params["loss"].startswith("l1")  # lambda means nothing without the L1 term
        return {k: v for k, v in TRANSLATION[name].items() if has_l1 or k != "l1_weight"}
    return {**FIXED, **BASE[name], **PER_VARIANT[name].get(variant, {})}


def is_distribution(value) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and value[0] in KINDS


def check_space(space: dict, where: str) -> None:
    """Raise SpaceError naming ``where.param`` for anything that is neither a constant nor a valid distribution."""
    from benchmark.train import DEFAULTS
    from benchmark.variants import PARAMS

    if not isinstance(space, dict) or not space:
        raise SpaceError(f"{where}: a search space is a name ({', '.join(SPACES)}) or a mapping of parameters")
    for name, value in space.items():
        field = f"{where}.{name}"
        if name not in DEFAULTS and name not in PARAMS or name in ("protocol", "steps", "seed", "device", "data_root", "eval_every", "extractor", "n_fake", "n_real", "arch", "checkpoint_every"):
            raise SpaceError(f"{field}: not a hyperparameter; searchable are lr, beta1, beta2, n_disc, d_batch_norm, "
                             "batch_size, z_dim, penalty_weight, clip, began_gamma, began_lambda, spectral_norm, "
                             + ", ".join(PARAMS))
        if isinstance(value, (list, tuple)):
            kind = value[0] if value else None
            if kind not in KINDS:
                raise SpaceError(f"{field}: a distribution is [uniform|log|int, lo, hi] or [choice, a, b, ...], got {value!r}")
            if kind != "choice":
                ok = len(value) == 3 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value[1:])
                ok = ok and value[1] <= value[2] and (kind != "log" or value[1] > 0) and (kind != "int" or all(float(v).is_integer() for v in value[1:]))
                if not ok:
                    raise SpaceError(f"{field}: {value!r} is not allowed, must be [{kind}, lo, hi] with lo <= hi"
                                     + (" and lo > 0" if kind == "log" else "") + (" integers" if kind == "int" else ""))
            elif len(value) < 2:
                raise SpaceError(f"{field}: [choice, ...] needs at least one option")


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
    if protocol == "lucic2018":
        from benchmark.protocols import lucic2018

        return dict(FIXED, **lucic2018.defaults(variant, space))
    from benchmark.variants import get_variant

    v = get_variant(variant)
    d = v.defaults
    if v.kind == "pix2pix":
        return dict(batch_size=16, **d, **v.params)
    setting = dict(FIXED, **{k: x for k, x in d.items() if k != "beta2"}, beta2=d.get("beta2", 0.999), d_batch_norm=False,
                   **v.params, **({"spectral_norm": False} if v.judges_samples and v.name == "hinge" else {}))
    return {**setting, **(v.point_defaults if on_points else {})}


def settings_for(space: dict, variant: str, n: int, seed: int) -> list[dict]:
    """The n settings of ganbench's random search, the variant's defaults first; the same for the same
    (space, variant, seed)."""
    rng = np.random.default_rng([seed, sum(map(ord, variant))])
    return [variant_defaults(variant)] + [sample(space, rng) for _ in range(n - 1)]


def replayed_settings(experiment: str, variant: str, n: int) -> list[dict]:
    """The first n settings the study itself trained for ``variant`` in ``experiment`` (its own draws)."""
    from benchmark.protocols import lucic2018

    return [dict(FIXED, **s) for s in lucic2018.replay(experiment)[variant][:n]]
