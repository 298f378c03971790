"""The study's search spaces (compare_gan v1 params.py), by name. A space maps a variant to sampled settings."""
from __future__ import annotations

import math

import numpy as np

FIXED = dict(batch_size=64, z_dim=64, beta2=0.999)


def _log_uniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def wide(variant: str, rng: np.random.Generator) -> dict:
    s = dict(FIXED, beta1=float(rng.uniform(0, 1)), lr=_log_uniform(rng, 1e-5, 1e-2), n_disc=int(rng.integers(1, 6)),
             d_batch_norm=bool(rng.integers(0, 2)))
    if variant == "wgan":
        s["clip"] = _log_uniform(rng, 1e-3, 1)
    if variant in ("wgan_gp", "dragan"):
        s["penalty_weight"] = _log_uniform(rng, 1e-1, 1e2)
    if variant == "began":
        s.update(began_lambda=_log_uniform(rng, 1e-4, 1e-2), began_gamma=float(rng.uniform(0, 1)))
    return s


def narrow(variant: str, rng: np.random.Generator) -> dict:
    s = dict(FIXED, beta1=0.5, lr=_log_uniform(rng, 1e-4, 1e-3), n_disc=1, d_batch_norm=False)
    if variant == "wgan":
        s["clip"] = _log_uniform(rng, 1e-2, 1)
    if variant in ("wgan_gp", "dragan"):
        s["penalty_weight"] = _log_uniform(rng, 1e-1, 10)
    if variant == "began":
        s.update(began_lambda=1e-3, began_gamma=float(rng.uniform(0.6, 0.9)))
    return s


SPACES = {"wide": wide, "narrow": narrow}


def variant_defaults(variant: str) -> dict:
    """The variant's default setting, the first of every random search (as in the study)."""
    from benchmark.variants import VARIANTS

    d = VARIANTS[variant].defaults
    return dict(FIXED, **{k: v for k, v in d.items() if k != "beta2"}, beta2=d.get("beta2", 0.999), d_batch_norm=False)


def settings_for(space: str, variant: str, n: int, seed: int) -> list[dict]:
    """The n settings of a random search, the same for the same (space, variant, seed)."""
    rng = np.random.default_rng([seed, sum(map(ord, variant)), sum(map(ord, space))])
    return [variant_defaults(variant)] + [SPACES[space](variant, rng) for _ in range(n - 1)]
