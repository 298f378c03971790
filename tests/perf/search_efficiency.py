"""Budget-aware search against random search, at equal compute (issue 17's benchmark).

For each objective, R repetitions of three methods at the same step budget (settings x steps per study):
random search (the study's), TPE (Optuna's, constant_liar for the parallel workers, a third of the budget as
random start-up settings: sweeps.storage.tpe_startup_trials), and TPE + Hyperband (rungs at every FID checkpoint,
reduction factor 3; the freed steps buy more settings). Repetition r of every method uses spec seed r, so its
random start-up settings match. Objectives, the study's wide space:
- mnist5k, ns_gan and wgan_gp: 300 steps of conv_small, lenet-mnist FID on 500 samples at steps 100, 200, 300;
- grid25, ns_gan: 2,000 steps of mlp_small, the mixture mismatch; random and TPE only (Hyperband prunes on FID
  checkpoints, which the 2-D mixtures do not have).
Prints, per objective and method, the fraction of the budget needed to reach random search's final mean best
score (median over repetitions, bootstrap 95% interval, how many reached it) and the best score at the full
budget; writes the curves into a ganbench report (RESULTS/report, figure search_*).
Usage: python tests/perf/search_efficiency.py [--reps R] [--results DIR] [--workers N] [--summarise] [--quick]
(--quick: one repetition of 2 settings of a few steps each, into a temporary folder: the code path, not the figures.)
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tier import QUICK, size

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ganbench.analysis.load import load_trials  # noqa: E402
from ganbench.analysis.report import write_report  # noqa: E402
from ganbench.analysis.search import efficiency, study_curves  # noqa: E402
from ganbench.sweeps.executors import run_local  # noqa: E402
from ganbench.sweeps.storage import save_spec  # noqa: E402
from ganbench.sweeps.spec import load_spec  # noqa: E402

MNIST = (f"datasets: [mnist5k]\narch: conv_small\nsteps: {size(300, 4)}\neval_every: {size(100, 2)}\nextractor: lenet-mnist\n"
         f"n_fake: {size(500, 50)}\nn_real: {size(500, 50)}\n")
GRID = f"datasets: [grid25]\narch: mlp_small\nsteps: {size(2000, 4)}\n"
OBJECTIVES = {"mnist5k-ns_gan": ("ns_gan", MNIST, True), "grid25-ns_gan": ("ns_gan", GRID, False), "mnist5k-wgan_gp": ("wgan_gp", MNIST, True)}
if QUICK:  # one objective with FID checkpoints: every method's code path
    OBJECTIVES = dict(list(OBJECTIVES.items())[:1])
METHODS = {"random": "sampler: random\n", "tpe": "sampler: tpe\n", "tpe+hyperband": "sampler: tpe\npruner: hyperband\n"}
SETTINGS = size(8, 2)


def run_study(results: Path, objective: str, method: str, rep: int, workers: int) -> Path:
    variant, data, _ = OBJECTIVES[objective]
    name = f"se-{objective}-{method.replace('+', '-')}-r{rep}"
    study_dir = results / name
    yaml = results / f"{name}.yaml"
    yaml.write_text(f"name: {name}\nvariants: [{variant}]\nspace: wide\nbudget: {{settings: {SETTINGS}}}\nseed: {rep}\n{data}{METHODS[method]}")
    if not (study_dir / "spec.json").exists():
        save_spec(study_dir, load_spec(yaml))
    run_local(study_dir, workers=workers, progress=False)  # resumes a study a killed benchmark left
    return study_dir


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=size(3, 1))
    p.add_argument("--results", default=tempfile.mkdtemp(prefix="ganbench-perf-") if QUICK else str(ROOT / "runs" / "search_efficiency"))
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--summarise", action="store_true", help="train nothing: print and report the studies already in --results")
    args = p.parse_args()
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    started, dirs = time.time(), []
    for objective, (_, _, has_fid) in OBJECTIVES.items():
        for rep in range(args.reps):  # repetition by repetition: a benchmark cut short still compares the methods
            for method in METHODS if has_fid else ("random", "tpe"):
                if args.summarise:
                    found = results / f"se-{objective}-{method.replace('+', '-')}-r{rep}"
                    dirs += [found] if (found / "spec.json").exists() else []
                    continue
                dirs.append(run_study(results, objective, method, rep, args.workers))
                print(f"  {dirs[-1].name} done ({(time.time() - started) / 60:.1f} min)", flush=True)
    df = load_trials(dirs)
    took = "summarised from disk" if args.summarise else f"{(time.time() - started) / 60:.1f} min on {os.cpu_count()} CPUs"
    print(f"\nsearch efficiency ({args.reps} repetitions; {took})")
    print("fraction of random search's steps needed to reach its final mean best score (median over repetitions, "
          "95% bootstrap interval), and the best score at the full budget")
    for (dataset, variant), curves in study_curves(df).items():
        budget = SETTINGS * int(df[(df["dataset"] == dataset)]["train_steps"].iloc[0])
        table = efficiency(curves, budget)
        print(f"{dataset} {variant} (budget {budget} steps, target {table['target'].iloc[0]:.4g}):")
        for r in table.itertuples():
            print(f"  {r.method:<14} fraction {r.fraction_median:.2f} [{r.fraction_lo:.2f}, {r.fraction_hi:.2f}], reached in "
                  f"{r.reached}/{r.reps}; best at full budget {r.final_best_mean:.4g} [{r.final_best_lo:.4g}, {r.final_best_hi:.4g}]")
    index = write_report(dirs, results / "report")
    print(f"report: {index}")


if __name__ == "__main__":
    main()
