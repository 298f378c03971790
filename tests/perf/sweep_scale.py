"""The sweep machinery at a study's scale: claims, heartbeats, storage, `sweep status` and `report` as a study grows
to tens of thousands of trials and a hundred workers, measured on one machine with synthetic trials (a spec's
``workload: synthetic``: each trial goes the whole way through the harness and records ``synthetic_score(seed)``
instead of training, so every second measured is the harness's).

Two grids, each storage (journal file, SQLite, PostgreSQL) side by side in one run: workers 1..128 on a study of
``--at`` trials, and studies of 100..30,000 trials at ``--with`` workers. Every run is checked trial by trial: each
setting finished exactly once (no trial lost, none duplicated, the budget exact) with the score its own seed gives.
The largest run (``--largest`` trials, PostgreSQL, ``--largest-workers``) has a tenth of its workers SIGKILLed twice and
restarted. Writes ``runs.csv``, ``meta.json`` and ``figures/sweep_scale.png`` to ``--out`` and exits 1 if any check fails.

    python tests/perf/sweep_scale.py --out results/sweep_scale          # the kept result (hours on 2 cores)
    python tests/perf/sweep_scale.py --quick                            # seconds: the code path, in make test
"""
from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import optuna
from optuna.trial import TrialState
from tier import QUICK, size

from ganbench.benchmark.machine import machine
from ganbench.sweeps.claims import CLAIM_GRACE_S
from ganbench.sweeps.executors import start_workers
from ganbench.sweeps.runner import work
from ganbench.sweeps.spec import load_spec, synthetic_score
from ganbench.sweeps.storage import create_studies, load_saved_spec, save_spec, storage_for

ROOT = Path(__file__).resolve().parents[2]
GANBENCH = str(Path(sys.executable).with_name("ganbench"))
VARIANTS = ["ns_gan", "mm_gan", "wgan", "wgan_gp", "lsgan", "hinge", "dragan", "rsgan", "rpgan", "r3gan"]  # one study each
RUN_KEYS = ("command", "date", "commit", "wall_time_s", "failed_checks")  # what meta.json keeps of each invocation
CELLS = 10  # studies a run's trials are spread over (as a Lucic spec spreads them over variants and data sets)


def postgres_admin() -> str | None:
    """The project's PostgreSQL (scripts/postgres_up.sh), as its superuser; None where it cannot be started."""
    r = subprocess.run(["bash", str(ROOT / "scripts" / "postgres_up.sh")], capture_output=True, text=True)
    if r.returncode != 0:
        print("postgresql: not measured, the server could not be started:", r.stderr.strip()[-300:])
        return None
    return r.stdout.strip().splitlines()[-1].replace("ganbench@", "postgres@").rsplit("/", 1)[0] + "/postgres"


def sql(admin: str, *statements: str, database: str | None = None):
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    url = admin if database is None else admin.rsplit("/", 1)[0] + "/" + database
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            results = [c.execute(text(s)) for s in statements]
            return results[-1].scalar() if results[-1].returns_rows else None
    finally:
        engine.dispose()


def make_study(root: Path, name: str, trials: int, storage: str, admin: str | None) -> tuple[Path, str | None, float]:
    """A synthetic study of ``trials`` trials over CELLS studies; its folder, storage URL and seconds to enqueue it."""
    cells = min(CELLS, trials)
    spec_path = root / f"{name}.yaml"
    spec_path.write_text(f"name: {name}\nvariants: {VARIANTS[:cells]}\ndatasets: [ring8]\nspace: narrow\n"
                         f"budget: {{settings: {trials // cells}}}\nsteps: 1\nworkload: synthetic\n")
    study_dir, url = root / name, None
    if storage == "sqlite":
        url = f"sqlite:///{root / name}.db"
    elif storage == "postgresql":
        sql(admin, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} OWNER ganbench")
        url = admin.replace("postgres@", "ganbench@").rsplit("/", 1)[0] + "/" + name
    save_spec(study_dir, load_spec(spec_path))
    started = time.perf_counter()
    create_studies(load_saved_spec(study_dir), storage_for(study_dir, url))
    return study_dir, url, time.perf_counter() - started


def private_mb(pid: int) -> float:
    """A process's own memory (not what it shares with the fork server it came from), in MB."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    return sum(int(line.split()[1]) for line in text.splitlines() if line.startswith(("Private_Clean", "Private_Dirty"))) / 1024


class Watch(threading.Thread):
    """Peaks while a run goes: the database's connections, and the workers' private memory."""

    def __init__(self, procs: list, admin: str | None, database: str | None):
        super().__init__(daemon=True)
        self.procs, self.admin, self.database = procs, admin, database
        self.connections, self.memory_mb, self.done = 0, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            if self.admin and self.database:
                self.connections = max(self.connections, sql(self.admin, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{self.database}'"))
            self.memory_mb = max(self.memory_mb, sum(private_mb(p.pid) for p in list(self.procs) if p.is_alive()))


def finished_trials(study_dir: Path, url: str | None) -> int:
    spec, storage = load_saved_spec(study_dir), storage_for(study_dir, url)
    return sum(len(optuna.load_study(study_name=spec.study_name(*c), storage=storage).get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))
               for c in spec.cells())


def run_workers(study_dir: Path, url: str | None, workers: int, trials: int, kills: int, admin: str | None) -> dict:
    """``workers`` worker processes until the budget is spent; with ``kills``, a tenth of them SIGKILLed (and as many
    started again) each time another 1/(kills + 1) of the trials has finished."""
    procs = start_workers(study_dir, url, [], [(str(i), None) for i in range(workers)], 1)
    watch = Watch(procs, admin, study_dir.name if url and url.startswith("postgresql") else None)
    watch.start()
    started, killed = time.perf_counter(), 0
    for k in range(1, kills + 1):
        while finished_trials(study_dir, url) < trials * k / (kills + 1) and any(p.is_alive() for p in procs):
            time.sleep(1.0)
        victims = random.Random(k).sample([p for p in procs if p.is_alive()], max(1, workers // 10))
        for p in victims:
            os.kill(p.pid, signal.SIGKILL)
        killed += len(victims)
        procs += start_workers(study_dir, url, [], [(f"r{k}-{i}", None) for i in range(len(victims))], 1)
    for p in procs:
        p.join()
    wall = time.perf_counter() - started
    watch.done.set()
    watch.join()
    # what a user does after a crash: `sweep resume` (a worker's claim cut off before it recorded its owner is judged
    # lost only after CLAIM_GRACE_S)
    resumed = 0
    if kills and finished_trials(study_dir, url) < trials:
        time.sleep(CLAIM_GRACE_S + 1)
        resumed = work(study_dir, url)
    return dict(wall_s=wall, killed=killed, resumed=resumed, worker_errors=sum(p.exitcode not in (0, -signal.SIGKILL) for p in procs),
                peak_connections=watch.connections, workers_private_mb=round(watch.memory_mb))


def check(study_dir: Path, url: str | None) -> dict:
    """Every setting finished exactly once, with the score of its own seed; lost attempts (killed workers') counted."""
    spec, storage = load_saved_spec(study_dir), storage_for(study_dir, url)
    lost = duplicated = wrong = attempts_lost = 0
    for cell in spec.cells():
        trials = optuna.load_study(study_name=spec.study_name(*cell), storage=storage).get_trials(deepcopy=False)
        done: dict[int, int] = {}
        for t in trials:
            if t.state == TrialState.COMPLETE:
                setting = t.user_attrs["setting"]
                done[setting] = done.get(setting, 0) + 1
                seed = spec.trial_seed("search", setting)
                wrong += t.user_attrs.get("seed") != seed or t.value != synthetic_score(seed)
            attempts_lost += t.user_attrs.get("status") == "lost"
        lost += sum(1 for i in range(spec.settings) if i not in done)
        duplicated += sum(n - 1 for n in done.values())
    return dict(lost=lost, duplicated=duplicated, wrong_score=wrong, lost_attempts=attempts_lost, budget_exact=lost == duplicated == 0)


def timed(*command: str) -> float:
    started = time.perf_counter()
    r = subprocess.run([GANBENCH, *command], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"ganbench {' '.join(command)}: {r.stderr.strip()[-500:]}")
    return time.perf_counter() - started


def storage_mb(study_dir: Path, url: str | None, admin: str | None) -> float:
    if url is None:
        return (study_dir / "optuna.journal").stat().st_size / 1e6
    if url.startswith("sqlite"):
        return Path(url.removeprefix("sqlite:///")).stat().st_size / 1e6
    return sql(admin, f"SELECT pg_database_size('{study_dir.name}')") / 1e6


def measure(root: Path, grid: str, storage: str, workers: int, trials: int, admin: str | None, kills: int = 0, reports: bool = True) -> dict:
    name = f"scale_{grid}_{storage}_{workers}w_{trials}t"  # each run its own study (one named alike would be found done)
    study_dir, url, enqueue_s = make_study(root, name, trials, storage, admin)
    row = dict(grid=grid, storage=storage, workers=workers, trials=trials, enqueue_s=round(enqueue_s, 2))
    row.update(run_workers(study_dir, url, workers, trials, kills, admin))
    row.update(check(study_dir, url))
    row["trials_per_s"] = round(trials / row["wall_s"], 2)
    row["core_s_per_trial"] = round(row["wall_s"] * min(workers, os.cpu_count() or 1) / trials, 4)
    row["wall_s"] = round(row["wall_s"], 1)
    row["peak_connections_per_worker"] = round(row["peak_connections"] / workers, 2) if row["peak_connections"] else None
    row["storage_mb"] = round(storage_mb(study_dir, url, admin), 2)
    flags = ["--storage", url] if url else []
    row["status_s"] = round(timed("sweep", "status", str(study_dir), *flags), 2) if reports else None
    row["report_s"] = round(timed("report", str(study_dir), *flags, "--out", str(root / f"{name}-report")), 2) if reports else None
    print(json.dumps(row), flush=True)
    return row


def figure(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b, c) = plt.subplots(1, 3, figsize=(14, 4))
    for storage in dict.fromkeys(r["storage"] for r in rows):
        by_workers = sorted((r for r in rows if r["storage"] == storage and r["grid"] == "workers"), key=lambda r: r["workers"])
        by_trials = sorted((r for r in rows if r["storage"] == storage and r["grid"] == "trials"), key=lambda r: r["trials"])
        a.plot([r["workers"] for r in by_workers], [r["trials_per_s"] for r in by_workers], "o-", label=storage)
        b.plot([r["trials"] for r in by_trials], [r["core_s_per_trial"] for r in by_trials], "o-", label=storage)
        c.plot([r["trials"] for r in by_trials], [r["report_s"] for r in by_trials], "o-", label=f"{storage}: report")
        c.plot([r["trials"] for r in by_trials], [r["status_s"] for r in by_trials], "s--", label=f"{storage}: status")
    for ax in (a, b, c):
        ax.set_xscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    a.set(xlabel="workers", ylabel="trials claimed and told a second", title=f"claims/s against workers ({rows[0]['at']:,} trials)")
    b.set(xlabel="trials in the study", ylabel="core-seconds of harness a trial", yscale="log",
          title=f"harness cost against study size ({rows[0]['with']} workers)")
    c.set(xlabel="trials in the study", ylabel="seconds", yscale="log", title="sweep status and report")
    fig.suptitle(f"ganbench sweep machinery, synthetic trials, {os.cpu_count()} cores", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _number(text: str):
    """A value of runs.csv read back as what it was written from."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return None if text == "" else text


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--storages", default=size("journal,sqlite,postgresql", "journal"))
    p.add_argument("--workers", default=size("1,8,32,64,128", "8"), help="the workers grid")
    p.add_argument("--at", type=int, default=size(1000, 100), help="trials of the workers grid's study")
    p.add_argument("--trials", default=size("100,1000,10000", "100"), help="the trials grid")
    p.add_argument("--with", dest="with_", type=int, default=size(8, 8), help="workers of the trials grid")
    p.add_argument("--largest", type=int, default=size(30000, 100), help="trials of the run with kills (PostgreSQL)")
    p.add_argument("--largest-workers", type=int, default=size(32, 10))
    p.add_argument("--largest-storage", help="the run with kills: postgresql where the server starts, else the first storage")
    p.add_argument("--no-largest", action="store_true", help="leave the run with kills out")
    p.add_argument("--append", action="store_true", help="add to --out's runs.csv (one storage at a time, say)")
    p.add_argument("--out", type=Path, help="where runs.csv, meta.json and the figure go")
    a = p.parse_args()
    admin = postgres_admin() if "postgresql" in a.storages else None
    storages = [s for s in a.storages.split(",") if s != "postgresql" or admin]
    rows, started = [], time.time()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for storage in storages:
            for w in [int(x) for x in a.workers.split(",") if x]:
                rows.append(measure(root, "workers", storage, w, a.at, admin, reports=False))
            for n in [int(x) for x in a.trials.split(",") if x]:
                rows.append(measure(root, "trials", storage, a.with_, n, admin))
        largest = a.largest_storage or ("postgresql" if admin else storages[0])
        if not a.no_largest:
            rows.append(measure(root, "kills", largest, a.largest_workers, a.largest, admin, kills=2))
        if admin:
            for r in rows:
                if r["storage"] == "postgresql":
                    sql(admin, f"DROP DATABASE IF EXISTS scale_{r['grid']}_postgresql_{r['workers']}w_{r['trials']}t WITH (FORCE)")
    for r in rows:
        r.update(at=a.at, **{"with": a.with_})
    failed = [r for r in rows if not r["budget_exact"] or r["wrong_score"] or r["worker_errors"]]
    if a.out:
        a.out.mkdir(parents=True, exist_ok=True)
        if a.append and (a.out / "runs.csv").is_file():
            with open(a.out / "runs.csv", newline="") as f:
                rows = [{k: _number(v) for k, v in r.items()} for r in csv.DictReader(f)] + rows
        with open(a.out / "runs.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        command = "python " + " ".join([str(Path(sys.argv[0]).relative_to(ROOT)) if Path(sys.argv[0]).is_absolute() else sys.argv[0], *sys.argv[1:]])
        runs = []
        if a.append and (a.out / "meta.json").is_file():  # the invocations before this one, each as it ran
            before = json.loads((a.out / "meta.json").read_text())
            runs = before["runs"] if "runs" in before else [{k: before[k] for k in RUN_KEYS}]  # or a single one's meta
        runs.append({"command": command, "date": datetime.date.today().isoformat(), "wall_time_s": round(time.time() - started),
                     "commit": subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip(),
                     "failed_checks": len(failed)})
        meta = {"machine": machine(), "runs": runs, "wall_time_s": sum(r["wall_time_s"] for r in runs),
                "failed_checks": sum(r["failed_checks"] for r in runs)}
        (a.out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
        (a.out / "figures").mkdir(exist_ok=True)
        figure(rows, a.out / "figures" / "sweep_scale.png")
    largest_row = next((r for r in reversed(rows) if r["grid"] == "kills"), None)
    if largest_row:
        print(f"largest run: {largest_row['trials']:,} trials, {largest_row['workers']} workers, {largest_row['storage']}, "
              f"{largest_row['killed']} workers SIGKILLed: {largest_row['lost']} lost, {largest_row['duplicated']} duplicated, "
              f"{largest_row['lost_attempts']} attempts re-run, {largest_row['resumed']} by the resume pass")
    if failed:
        print(f"FAILED: {len(failed)} runs lost, duplicated or mis-scored trials: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
