"""Same-seed numbers of a fixed set of short runs, one of each kind of training ganbench has: the Lucic study's
protocol, PacGAN's, ganbench's own on every module's step, pix2pix, and a two-trial sweep. A change to the code that
builds, trains or records runs must leave them where ``same_seed.json`` keeps them.

Why float64, and tolerances, not bits. In float32 the numbers are exact to one machine's kernels only: another CPU,
or the same CPU with MKL, oneDNN or ATen held to another instruction set, sums in another order, and Adam turns the
last bit of a gradient near zero into a whole step of the other sign (ns_gan's weights sum moved 1.3e-4 relative
between two instruction sets on one machine). The runs here train in float64 (the default dtype: the nets, latents and
batches; the data sets and the feature extractors stay float32, as in any run), where the same kernels differ by
~1e-16 and most numbers agree to 1e-9 or better across instruction sets. Each kept number carries the spread measured
across the kernel settings of benchmark/machine.py on one machine, and a tolerance ``max(MARGIN x spread, REL_FLOOR x
|value|)``: far above what a machine moves, far below what a change to a loss or an optimiser moves (tests/test_regression.py
shows both). Runs
whose dynamics amplify rounding even in float64 (BEGAN's and EBGAN's margins and L1 reconstruction, MAGAN's margin,
where a residual at zero flips its gradient's sign) are named in ``amplifies_rounding`` with their spread.

    python tests/regression/same_seed.py                 # print the numbers as JSON
    python tests/regression/same_seed.py --runs A,B      # only those runs (names as in RUNS)
    python tests/regression/same_seed.py --spread        # run under every SETTING, keep numbers, spreads, tolerances
    python tests/regression/same_seed.py --check FILE    # compare numbers in FILE with the reference: a line per miss

Rewrite the reference (``--spread``: 4.6 minutes on 2 cores, two settings at a time) only when a change is meant to move results.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from ganbench.benchmark.machine import KERNEL_SETTINGS as SETTINGS, kernel_env, machine

REFERENCE = Path(__file__).with_name("same_seed.json")
METRICS = ("d_loss", "g_loss", "fid", "fid_min", "modes_covered", "high_quality_fraction", "mode_kl", "mixture_mismatch",
           "l1", "classifier_score", "discriminator_updates", "generator_updates")

RUNS = {
    "lucic2018_wgan_mnist5k": dict(variant="wgan", dataset="mnist5k", protocol="lucic2018", steps=12, n_disc=5, eval_every=5,
                                   n_fake=200, n_real=200),
    "pacgan2018_ns_gan_ring8_pack2": dict(variant="ns_gan", dataset="ring8", protocol="pacgan2018", steps=30, pack=2),
    "ganbench_ns_gan_ring8": dict(variant="ns_gan", dataset="ring8", steps=30, seed=1),
    "ganbench_wgan_gp_ring8": dict(variant="wgan_gp", dataset="ring8", steps=10, seed=2),
    "ganbench_fgan_kl_ring8": dict(variant="fgan_kl", dataset="ring8", steps=30, seed=3),
    "pix2pix_edges2digits": dict(variant="pix2pix", dataset="edges2digits", steps=5, ngf=8, n_fake=100),
    "lucic2018_vae_mnist5k": dict(variant="vae", dataset="mnist5k", protocol="lucic2018", steps=5, n_fake=200, n_real=200),
    # one run of every other module's step (benchmark/module), on the ring
    **{f"ganbench_{v}_ring8": dict(variant=v, dataset="ring8", steps=6, seed=4) for v in (
        "cramer_gan", "fisher_gan", "began", "ebgan", "mmd_gan", "gmmn", "vae", "wgan", "dragan", "rwgan")},
    "ganbench_magan_ring8": dict(variant="magan", dataset="ring8", steps=6, seed=4, pretrain_steps=3),
}
SWEEP_RUN = "sweep_ns_gan_ring8"
SWEEP = "name: same_seed\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\nsteps: 20\n"

EMULATED = "all-sse"  # the second machine the suite runs the check on
MARGIN = 100  # a tolerance is this many times the spread measured on one machine ...
REL_FLOOR = 1e-9  # ... and never tighter than this share of the value (a number no setting moved)
AMPLIFIES = 1e-6  # a run any of whose numbers spread by more than this share of their value amplifies rounding


def weights_sum(ckpt: Path) -> float:
    state = torch.load(ckpt, weights_only=False)["state_dict"]
    return float(sum(v.double().sum() for v in state.values() if v.is_floating_point()))


def numbers(metrics: dict, run_dir: Path) -> dict:
    out = {k: metrics[k] for k in METRICS if k in metrics}
    out["weights_sum"] = weights_sum(run_dir / "last.ckpt")
    return out


def runs(tmp: Path, names) -> dict:
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train

    out = {}
    for name in names:
        metrics = train(resolve_config(**RUNS[name]), tmp / name, progress=False)
        out[name] = numbers(metrics, tmp / name)
    return out


def sweep(tmp: Path) -> dict:
    """The sweep's trials as runs of their own, ``sweep_ns_gan_ring8_setting_N``: score, drawn settings, weights.
    The worker's loop runs in this process (tests/test_sweeps.py covers the worker processes), so it trains in
    float64 as the runs do: a forked worker would start with the default dtype."""
    from optuna.trial import TrialState

    import optuna
    from ganbench.sweeps.runner import work
    from ganbench.sweeps.spec import load_spec
    from ganbench.sweeps.storage import load_saved_spec, save_spec, storage_for

    (tmp / "s.yaml").write_text(SWEEP)
    study_dir = tmp / "sweep"
    save_spec(study_dir, load_spec(tmp / "s.yaml"))
    work(study_dir)
    spec = load_saved_spec(study_dir)
    study = optuna.load_study(study_name=spec.study_name("ns_gan", "ring8"), storage=storage_for(study_dir))
    out = {}
    for t in sorted(study.get_trials(states=(TrialState.COMPLETE,)), key=lambda t: t.user_attrs["setting"]):
        run_dir = study_dir / t.user_attrs["run_dir"]
        out[f"{SWEEP_RUN}_setting_{t.user_attrs['setting']}"] = {
            "value": t.value, **{f"params.{k}": v for k, v in t.params.items()}, "weights_sum": weights_sum(run_dir / "last.ckpt")}
    return out


def measure(names=None) -> dict:
    """The runs' numbers, in this process made deterministic and float64 for them: call it in a process of its own
    (the script, or a test's subprocess), never in one whose other work expects torch's defaults."""
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)
    names = list(RUNS) + [SWEEP_RUN] if names is None else names
    with tempfile.TemporaryDirectory() as tmp:
        out = runs(Path(tmp), [n for n in names if n in RUNS])
        if SWEEP_RUN in names:
            out.update(sweep(Path(tmp)))
        return out


# --- the reference: strict JSON (a non-finite number as its name), a tolerance per number -----------------------

def _encode(v):
    return repr(float(v)) if isinstance(v, float) and not math.isfinite(v) else v  # "inf", "nan": strict JSON


def _decode(v):
    return float(v) if v in ("inf", "-inf", "nan") else v


def tolerance(value, spread: float) -> float:
    return 0.0 if isinstance(value, (bool, int, str)) or not math.isfinite(value) else max(MARGIN * spread, REL_FLOOR * abs(value))


def spread_reference(by_setting: dict[str, dict]) -> dict:
    """The reference from the same runs under every setting: the native value, its spread and its tolerance."""
    native = by_setting["native"]
    kept, amplifies = {}, {}
    for run, values in native.items():
        kept[run] = {}
        for metric, value in values.items():
            value = _decode(value)
            seen = [_decode(by_setting[s][run][metric]) for s in by_setting]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in seen):
                spread = max(seen) - min(seen)
            else:
                spread = 0.0 if len({repr(v) for v in seen}) == 1 else math.inf
            kept[run][metric] = {"value": _encode(value), "spread": _encode(spread), "tolerance": _encode(tolerance(value, spread))}
            if isinstance(value, float) and math.isfinite(value) and spread > AMPLIFIES * max(abs(value), 1e-12):
                amplifies[run] = max(amplifies.get(run, 0.0), spread / max(abs(value), 1e-12))
    return {"about": "tests/regression/same_seed.py: float64 numbers of fixed runs; spread across kernel settings on one machine",
            "machine": machine(), "settings": SETTINGS, "margin": MARGIN, "rel_floor": REL_FLOOR,
            "amplifies_rounding": {run: f"numbers spread up to {rel:.1e} of their value" for run, rel in sorted(amplifies.items())},
            "runs": kept}


def check(got: dict, reference: dict) -> list[str]:
    """One line per number of ``got`` outside its kept tolerance (or missing, or not kept)."""
    misses = []
    for run, values in got.items():
        kept = reference["runs"].get(run)
        if kept is None:
            misses.append(f"{run}: not in the reference")
            continue
        for metric in sorted(set(kept) | set(values)):
            if metric not in values or metric not in kept:
                misses.append(f"{run}.{metric}: {'not measured' if metric not in values else 'not in the reference'}")
                continue
            value, want = _decode(values[metric]), kept[metric]
            ref, tol, spread = _decode(want["value"]), _decode(want["tolerance"]), _decode(want["spread"])
            numeric = isinstance(value, (int, float)) and isinstance(ref, (int, float)) and math.isfinite(ref)
            ok = abs(value - ref) <= tol if numeric and math.isfinite(value) else repr(value) == repr(ref)
            if not ok:
                misses.append(f"{run}.{metric}: {value!r}, kept {ref!r} +- {tol:.3g} (spread across kernel settings {spread:.3g})")
    return misses


def _run_under(setting: str, names: list[str] | None) -> dict:
    env = kernel_env(setting)
    cmd = [sys.executable, __file__] + (["--runs", ",".join(names)] if names else [])
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if r.returncode:
        raise SystemExit(f"{setting}: same_seed.py failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", help="comma-separated run names (default: all, the sweep included)")
    parser.add_argument("--spread", action="store_true", help=f"measure under every setting and write {REFERENCE.name}")
    parser.add_argument("--check", type=Path, metavar="FILE", help="compare the numbers in FILE (this script's output) with the reference")
    args = parser.parse_args()
    names = args.runs.split(",") if args.runs else None
    if names and (unknown := [n for n in names if n not in RUNS and n != SWEEP_RUN]):
        parser.error(f"--runs: unknown {', '.join(unknown)}; choose from {', '.join([*RUNS, SWEEP_RUN])}")
    if args.check:
        misses = check(json.loads(args.check.read_text()), json.loads(REFERENCE.read_text()))
        print("\n".join(misses) or "all numbers within their tolerances")
        return 1 if misses else 0
    if args.spread:
        with ThreadPoolExecutor(max(1, min(len(SETTINGS), len(os.sched_getaffinity(0))))) as pool:
            by_setting = dict(zip(SETTINGS, pool.map(lambda s: _run_under(s, names), SETTINGS)))
        reference = spread_reference(by_setting)
        REFERENCE.write_text(json.dumps(reference, indent=1, sort_keys=True, allow_nan=False) + "\n")
        print(json.dumps(reference["amplifies_rounding"], indent=1))
        return 0
    got = {run: {metric: _encode(v) for metric, v in values.items()} for run, values in measure(names).items()}
    print(json.dumps(got, indent=1, sort_keys=True, allow_nan=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
