"""Harness overhead per trial and parallel efficiency of local workers (issue 5's benchmark), measured in one run.

Overhead: a study of near-empty trials (1 training step on ring8), run end to end; the overhead per trial is
(wall time - time inside train()) / trials: claiming, storage writes, attributes, telling the study, worker start
(amortised), and on SLURM also job scheduling. Printed as a fraction of a 60-second trial (target <= 2%).
Parallel efficiency: the same real training work (ring8, N x K trials) with 1 and with N local workers on N cores.
Usage: python tests/perf/sweep_overhead.py [TRIALS] [--no-slurm]"""
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import optuna
from tier import QUICK, size

from ganbench.sweeps.executors import run_local
from ganbench.sweeps.storage import create_studies, load_saved_spec, save_spec, storage_for
from ganbench.sweeps.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def study(tmp: Path, name: str, settings: int, steps: int) -> Path:
    path = tmp / f"{name}.yaml"
    path.write_text(f"name: {name}\nvariants: [ns_gan]\ndatasets: [ring8]\nspace: narrow\nbudget: {{settings: {settings}}}\nsteps: {steps}\n")
    study_dir = tmp / name
    save_spec(study_dir, load_spec(path))
    create_studies(load_saved_spec(study_dir), storage_for(study_dir))
    return study_dir


def train_seconds(study_dir: Path) -> tuple[int, float]:
    spec = load_saved_spec(study_dir)
    ts = optuna.load_study(study_name=spec.study_name("ns_gan", "ring8"), storage=storage_for(study_dir)).get_trials()
    return len(ts), sum(t.user_attrs.get("train_s", 0.0) for t in ts)


def report(label: str, wall: float, study_dir: Path) -> None:
    n, inside = train_seconds(study_dir)
    per = (wall - inside) / n
    print(f"{label}: {n} trials in {wall:.1f} s, {inside:.1f} s inside train(); harness overhead {per * 1000:.0f} ms a trial "
          f"= {per / 60:.2%} of a 60-second trial (target <= 2%)")


def slurm(tmp: Path, trials: int) -> None:
    r = subprocess.run(["bash", str(ROOT / "scripts" / "slurm_up.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        print("SLURM: not measured, the cluster could not be started:", r.stderr.strip()[-300:])
        return
    os.environ["SLURM_CONF"] = r.stdout.strip().splitlines()[-1]
    from ganbench.sweeps.slurm import submit

    study_dir = study(tmp, "slurm", trials, 1)
    started = time.perf_counter()
    job = submit(study_dir, tasks=1, time_min=30)[0].job_id.split("_")[0]
    while subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True).stdout.strip():
        time.sleep(0.5)
    report("SLURM, 1 array task (submission to last trial, scheduling and start-up included)", time.perf_counter() - started, study_dir)


def worker_start(repeats: int = size(3, 1)) -> None:
    """A worker's start, side by side: a new interpreter importing the worker's modules (how local workers started
    before) against a fork from executors.start_workers's warm server (how they start now)."""
    started = time.perf_counter()
    for _ in range(repeats):
        subprocess.run([sys.executable, "-c", "import ganbench.sweeps.runner"], check=True)
    fresh = (time.perf_counter() - started) / repeats
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["ganbench.sweeps.runner"])
    warm = context.Process(target=os.getpid)
    warm.start()  # the server starts here, importing once
    warm.join()
    started = time.perf_counter()
    for _ in range(repeats):
        p = context.Process(target=os.getpid)
        p.start()
        p.join()
    forked = (time.perf_counter() - started) / repeats
    print(f"worker start: new interpreter {fresh:.2f} s, fork from the warm server {forked:.3f} s: ratio {fresh / forked:.0f}x")


def main(trials: int, with_slurm: bool) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ganbench-perf-"))
    worker_start()
    study_dir = study(tmp, "local", trials, 1)
    started = time.perf_counter()
    run_local(study_dir, workers=1, progress=False)
    report("local, 1 worker process (its start-up included)", time.perf_counter() - started, study_dir)
    if with_slurm:
        slurm(tmp, trials)

    cores = os.cpu_count() or 1
    walls = {}
    for workers in (1, cores):
        d = study(tmp, f"parallel{workers}", 2 * cores, size(1500, 5))
        started = time.perf_counter()
        run_local(d, workers=workers, progress=False)
        walls[workers] = time.perf_counter() - started
    speedup = walls[1] / walls[cores]
    print(f"parallel efficiency: {2 * cores} trials of {size(1500, 5):,} ring8 steps, 1 worker ({cores} threads) {walls[1]:.1f} s, "
          f"{cores} workers (1 thread each) {walls[cores]:.1f} s: speed-up {speedup:.2f}x, efficiency {speedup / cores:.0%}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else size(20, 2), "--no-slurm" not in sys.argv and not QUICK)
