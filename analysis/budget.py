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
