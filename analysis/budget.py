"""Minimum score reachable as a function of budget (number of settings tried): the study's central figure."""
from __future__ import annotations

import math

import numpy as np


def expected_min_without_replacement(values, k: int) -> float:
    """E[min of k draws without replacement] = sum_i x_(i) C(n - i, k - 1) / C(n, k), x sorted ascending (i from 1)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError(f"k: {k} is not allowed, must be in [1, {n}]")
    weights = np.array([math.comb(n - i, k - 1) for i in range(1, n + 1)], dtype=float) / math.comb(n, k)
    return float((weights * x).sum())


def bootstrap_min_curve(values, budgets, n_boot: int = 2000, seed: int = 0) -> list[dict]:
    """For each budget k: the min of k settings drawn without replacement, over bootstrap draws; mean and 95% interval."""
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    out = []
    for k in budgets:
        mins = np.array([x[rng.choice(len(x), size=k, replace=False)].min() for _ in range(n_boot)])
        finite = mins[np.isfinite(mins)]
        lo, hi = (np.percentile(finite, [2.5, 97.5]) if len(finite) else (math.inf, math.inf))
        out.append({"budget": k, "mean": float(mins.mean()) if np.isfinite(mins).all() else float(np.mean(finite)) if len(finite) else math.inf,
                    "lo": float(lo), "hi": float(hi)})
    return out


def min_of_k_draws(values, k: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """n_boot bootstrap draws of the minimum of k settings drawn without replacement."""
    x = np.asarray(values, dtype=float)
    if not 1 <= k <= len(x):
        raise ValueError(f"budget: {k} is not allowed, must be in [1, {len(x)}] (the trials there are)")
    return np.array([x[rng.choice(len(x), size=k, replace=False)].min() for _ in range(n_boot)])


def compare_at_budget(a, b, k: int, n_boot: int = 4000, seed: int = 0) -> dict:
    """Is variant a's minimum score at budget k different from b's? Both minima are bootstrapped independently
    (each variant's settings resampled, k at a time); the difference min_a - min_b gets a 95% interval, and the
    two-sided p-value is twice the smaller share of draws on either side of zero. Lower scores are better."""
    rng = np.random.default_rng(seed)
    ma, mb = min_of_k_draws(a, k, n_boot, rng), min_of_k_draws(b, k, n_boot, rng)
    both = np.isfinite(ma) & np.isfinite(mb)
    d = ma[both] - mb[both]
    lo, hi = np.percentile(d, [2.5, 97.5]) if len(d) else (math.nan, math.nan)
    p = min(1.0, 2 * min(float(np.mean(ma <= mb)), float(np.mean(ma >= mb))))
    return {"budget": k, "mean_min_a": float(np.mean(ma[np.isfinite(ma)])) if np.isfinite(ma).any() else math.inf,
            "mean_min_b": float(np.mean(mb[np.isfinite(mb)])) if np.isfinite(mb).any() else math.inf,
            "diff_lo": float(lo), "diff_hi": float(hi), "p": p, "significant": bool(p < 0.05)}
