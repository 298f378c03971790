"""Search efficiency: the best score a study has found against the training steps it has spent, and how much of
random search's compute another sampler or pruner needs to reach random search's result.

A study's curve takes its trials in the order they finished; every trial adds the steps it really trained (the
``steps`` its run recorded: a pruned trial its rung, a finished one the whole length), and only finished trials can
improve the best, as only they can be the study's answer (``sweeps.runner.best_search_trial``). Lower is better.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from ganbench.benchmark.identity import Phase, TrialStatus


def method_name(sampler: str, pruner: str) -> str:
    return sampler if pruner in (None, "none") else f"{sampler}+{pruner}"


def best_curve(trials: pd.DataFrame) -> list[tuple[int, float]]:
    """(cumulative steps, best score so far) after each trial of one study, in the order the trials finished."""
    done = trials[trials["status"].isin([TrialStatus.FINISHED, TrialStatus.PRUNED, TrialStatus.DIVERGED, TrialStatus.FAILED])].sort_values("completed")
    spent, best, curve = 0, math.inf, []
    for _, t in done.iterrows():
        spent += int(t["steps"]) if t["steps"] is not None and not pd.isna(t["steps"]) else 0
        if t["status"] == TrialStatus.FINISHED and math.isfinite(t["score"]):
            best = min(best, float(t["score"]))
        curve.append((spent, best))
    return curve


def best_at(curve: list[tuple[int, float]], steps: float) -> float:
    """The best score found within ``steps`` steps (inf before the first finished trial)."""
    found = [b for s, b in curve if s <= steps]
    return found[-1] if found else math.inf


def steps_to_reach(curve: list[tuple[int, float]], target: float) -> float:
    """The steps spent when the best first reached ``target`` or better; inf if it never did."""
    return next((float(s) for s, b in curve if b <= target), math.inf)


def _bootstrap(values: np.ndarray, stat, n: int = 4000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    draws = np.array([stat(values[rng.integers(0, len(values), len(values))]) for _ in range(n)])
    # no interpolation between draws: a fraction may be inf (never reached), and inf - inf has no value
    return float(np.percentile(draws, 2.5, method="lower")), float(np.percentile(draws, 97.5, method="higher"))


def efficiency(curves: dict[str, list[list[tuple[int, float]]]], budget: int, baseline: str = "random") -> pd.DataFrame:
    """For each method (its curves, one per repetition): the fraction of the budget it needs to reach the baseline's
    final mean best score (median over repetitions, with a bootstrap 95% interval; inf where it never reached it
    within the budget), how many repetitions reached it, and its final best score (mean and interval)."""
    target = float(np.mean([best_at(c, budget) for c in curves[baseline]]))
    rows = []
    for method, reps in curves.items():
        fractions = np.array([steps_to_reach(c, target) / budget for c in reps])
        finals = np.array([best_at(c, budget) for c in reps])
        lo, hi = _bootstrap(fractions, np.median) if len(reps) > 1 else (math.nan, math.nan)
        flo, fhi = _bootstrap(finals, np.mean) if len(reps) > 1 else (math.nan, math.nan)
        rows.append(dict(method=method, reps=len(reps), target=target, fraction_median=float(np.median(fractions)),
                         fraction_lo=lo, fraction_hi=hi, reached=int(np.isfinite(fractions).sum()),
                         final_best_mean=float(finals.mean()), final_best_lo=flo, final_best_hi=fhi))
    return pd.DataFrame(rows)


def curve_band(reps: list[list[tuple[int, float]]], grid) -> pd.DataFrame:
    """Mean best score over repetitions at each step of ``grid``, with a bootstrap 95% band."""
    rows = []
    for s in grid:
        vals = np.array([best_at(c, s) for c in reps])
        if not np.isfinite(vals).all():
            continue
        lo, hi = _bootstrap(vals, np.mean, n=1000) if len(vals) > 1 else (vals[0], vals[0])
        rows.append(dict(steps=s, mean=float(vals.mean()), lo=lo, hi=hi))
    return pd.DataFrame(rows)


def study_curves(df: pd.DataFrame) -> dict:
    """{(dataset, variant): {method: [curve of each study]}} from the tidy trial table (analysis.load)."""
    out: dict = {}
    search = df[df["phase"] != Phase.SEED]
    for (dataset, variant, study, sampler, pruner), g in search.groupby(["dataset", "variant", "study", "sampler", "pruner"]):
        out.setdefault((dataset, variant), {}).setdefault(method_name(sampler, pruner), []).append(best_curve(g))
    return out
