"""A study at scale, in the suite's minutes: synthetic trials (a spec's ``workload: synthetic``) labelled and kept
apart from trained ones; a PostgreSQL that cannot hold the workers' connections refused in one line, and one that
can runs the study exactly; `sweep status` and `report` bounded on a generated large study. The measurement itself
(up to 30,000 trials and 128 workers) is tests/perf/sweep_scale.py, kept in results/sweep_scale; its quick tier runs
in tests/test_perf.py."""
import json
import os
import subprocess
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from ganbench.sweeps.runner import objective, synthetic_metrics
from ganbench.sweeps.spec import load_spec, synthetic_score
from ganbench.sweeps.storage import CONNECTIONS_PER_WORKER, create_studies, load_saved_spec, save_spec, storage_for

ROOT = Path(__file__).resolve().parents[1]


def synthetic_spec(tmp_path: Path, name: str, settings: int, variants=("ns_gan", "wgan_gp")) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nvariants: {list(variants)}\ndatasets: [ring8]\nspace: narrow\n"
                    f"budget: {{settings: {settings}}}\nsteps: 1\nworkload: synthetic\n")
    return path


def exact(study_dir: Path, url: str | None = None) -> None:
    """Every setting of every study finished once, with its own seed's synthetic score."""
    spec, storage = load_saved_spec(study_dir), storage_for(study_dir, url)
    for cell in spec.cells():
        done = [t for t in optuna.load_study(study_name=spec.study_name(*cell), storage=storage).get_trials(deepcopy=False)
                if t.state == TrialState.COMPLETE]
        assert sorted(t.user_attrs["setting"] for t in done) == list(range(spec.settings))
        assert all(t.value == synthetic_score(spec.trial_seed("search", t.user_attrs["setting"])) for t in done)


@pytest.mark.slow(seconds=15)
def test_a_synthetic_study_is_labelled_and_never_reported_beside_a_trained_one(tmp_path, ganbench):
    r = ganbench("sweep", "run", synthetic_spec(tmp_path, "syn", 3), "--dir", tmp_path / "syn", "--workers", "2")
    assert r.returncode == 0, r.stderr
    exact(tmp_path / "syn")
    status = ganbench("sweep", "status", tmp_path / "syn")
    assert status.stdout.startswith("workload synthetic: ") and "not a result" in status.stdout.splitlines()[0]
    assert json.loads(ganbench("sweep", "status", tmp_path / "syn", "--json").stdout)["workload"] == "synthetic"
    r = ganbench("report", tmp_path / "syn", "--out", tmp_path / "report")
    assert r.returncode == 0, r.stderr
    assert "SYNTHETIC LOAD TEST: no model was trained" in (tmp_path / "report" / "index.html").read_text()
    assert "SYNTHETIC LOAD TEST" in (tmp_path / "report" / "report.md").read_text().splitlines()[0]
    # beside a kept, trained study: refused in one line, nothing written
    r = ganbench("report", tmp_path / "syn", ROOT / "results" / "demo_ring", "--out", tmp_path / "mixed")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "error: workload: syn recorded synthetic scores" in r.stderr
    assert not (tmp_path / "mixed").exists()


def test_a_synthetic_trial_records_its_seeds_score_under_its_objectives_key():
    spec = load_spec(ROOT / "sweeps" / "studies" / "demo_ring.yaml")
    for seed in (0, 1, 12345):
        m = synthetic_metrics(spec, "ring8", seed)
        assert m["workload"] == "synthetic" and objective(m) == synthetic_score(seed)
    assert len({synthetic_score(s) for s in range(1000)}) == 1000 and all(0 <= synthetic_score(s) < 1 for s in range(1000))


@pytest.fixture(scope="module")
def small_postgres():
    """A PostgreSQL of its own with max_connections 12 (3 of them kept for superusers): a cluster's server, smaller."""
    env = {**os.environ, "GANBENCH_PG_PORT": "55433", "GANBENCH_PG_DIR": "/tmp/ganbench-pg-small", "GANBENCH_PG_MAX_CONNECTIONS": "12"}
    r = subprocess.run(["bash", str(ROOT / "scripts" / "postgres_up.sh")], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


@pytest.mark.slow(seconds=20)
def test_more_workers_than_the_databases_connections_are_refused_in_one_line_and_fewer_run_exactly(tmp_path, ganbench, small_postgres):
    free = 12 - 3
    too_many = free // CONNECTIONS_PER_WORKER  # with the command's own connections, one worker too many
    spec = synthetic_spec(tmp_path, "pgsmall", 6)
    r = ganbench("sweep", "run", spec, "--dir", tmp_path / "big", "--workers", str(too_many), "--storage", small_postgres)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"error: storage: {too_many} workers at once need" in r.stderr and "max_connections is 12" in r.stderr
    assert "raise max_connections to at least" in r.stderr and "run at most" in r.stderr
    assert not (tmp_path / "big").exists()  # refused before the study folder was made
    fits = free // CONNECTIONS_PER_WORKER - 1
    r = ganbench("sweep", "run", spec, "--dir", tmp_path / "fits", "--workers", str(fits), "--storage", small_postgres)
    assert r.returncode == 0 and "too many clients" not in r.stderr, r.stderr
    exact(tmp_path / "fits", small_postgres)


def generated_study(tmp_path: Path, cells: int, settings: int) -> Path:
    """A finished synthetic study written straight into its journal (what a sweep of cells x settings trials
    records, without running one): for timing the commands that read a large study."""
    variants = ["ns_gan", "mm_gan", "wgan", "wgan_gp", "lsgan", "hinge", "dragan", "rsgan", "rpgan", "r3gan"][:cells]
    study_dir = tmp_path / "large"
    spec = load_spec(synthetic_spec(tmp_path, "large", settings, variants))
    save_spec(study_dir, spec)
    storage = storage_for(study_dir)
    for study, _ in create_studies(spec, storage):
        waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
        for t in waiting:
            seed = spec.trial_seed("search", t.user_attrs["setting"])
            trial = optuna.Trial(study, t._trial_id)  # noqa: SLF001 - a generated record, as a worker writes it
            storage.set_trial_state_values(t._trial_id, TrialState.RUNNING)
            metrics = synthetic_metrics(spec, "ring8", seed)
            for k, v in {**metrics, "seed": seed, "objective": "auto", "config": {"lr": 1e-4}}.items():
                trial.set_user_attr(k, v)
            study.tell(trial, objective(metrics))
    return study_dir


@pytest.mark.slow(seconds=60)
def test_status_and_report_of_a_large_study_are_bounded(tmp_path, ganbench):
    """3,000 trials: `sweep status` in seconds and `report` well under a minute on 2 cores (the kept measurement
    has 10,000 and 30,000); the report's tables do not list every trial."""
    study_dir = generated_study(tmp_path, cells=10, settings=300)
    started = time.perf_counter()
    r = ganbench("sweep", "status", study_dir)
    status_s = time.perf_counter() - started
    assert r.returncode == 0 and r.stdout.count("300/300") == 10, r.stderr
    started = time.perf_counter()
    r = ganbench("report", study_dir, "--out", tmp_path / "report")
    report_s = time.perf_counter() - started
    assert r.returncode == 0, r.stderr
    assert status_s < 15 and report_s < 60, (status_s, report_s)
    page = (tmp_path / "report" / "index.html").read_text()
    assert page.count("<tr") < 1000  # summaries, not a row a trial


def test_what_the_plan_and_the_docs_say_a_storage_carries_is_the_kept_measurement():
    """`sweep plan` advises a journal file up to JOURNAL_WORKERS workers: the most the kept measurement ran on one with
    every trial exactly once; the GPU-cluster page's stock-PostgreSQL figure is CONNECTIONS_PER_WORKER's."""
    import csv

    from ganbench.sweeps.storage import JOURNAL_WORKERS

    rows = list(csv.DictReader((ROOT / "results" / "sweep_scale" / "runs.csv").open()))
    exact_journal = [int(r["workers"]) for r in rows if r["storage"] == "journal" and r["budget_exact"] == "True" and r["worker_errors"] == "0"]
    assert max(exact_journal) == JOURNAL_WORKERS
    stock = (100 - 3) // CONNECTIONS_PER_WORKER - 1  # max_connections 100, 3 for superusers, the command's own
    assert f"A stock PostgreSQL allows 100 connections: {stock} workers at once." in (ROOT / "docs" / "guide" / "gpu-cluster.md").read_text().replace("\n  ", " ")


@pytest.mark.slow(seconds=15)
def test_a_worker_that_finds_the_database_full_waits_for_a_connection_then_gives_up_in_one_line(tmp_path, small_postgres):
    """Other clients took the connections `sweep run` counted free: a starting worker waits (one line), opens its
    storage once one is released, and past its wait stops with the storage's one-line error, never a traceback."""
    import threading

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from ganbench.benchmark.schema import ConfigError
    from ganbench.sweeps.storage import worker_storage

    study_dir = tmp_path / "full"
    save_spec(study_dir, load_spec(synthetic_spec(tmp_path, "full", 2)))
    engine = create_engine(small_postgres, poolclass=NullPool)
    held = []
    with pytest.raises(Exception):  # take every connection a non-superuser may have
        for _ in range(20):
            held.append(engine.connect())
            held[-1].execute(text("SELECT 1"))
    with pytest.raises(ConfigError, match="storage: cannot open .*(too many clients|connection slots are reserved)"):
        worker_storage(study_dir, small_postgres, wait_s=4)
    threading.Timer(3, lambda: [c.close() for c in held]).start()
    assert worker_storage(study_dir, small_postgres, wait_s=60) is not None
    engine.dispose()


def test_sqlite_with_more_than_one_worker_is_refused_in_one_line(tmp_path, ganbench):
    """SQLite's reads take no lock, so two workers could claim one trial (the load harness saw it): refused."""
    r = ganbench("sweep", "run", synthetic_spec(tmp_path, "lite", 2), "--dir", tmp_path / "lite", "--workers", "2",
                 "--storage", f"sqlite:///{tmp_path / 'x.db'}")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "error: storage: SQLite lets two of 2 workers claim" in r.stderr
    assert not (tmp_path / "lite").exists()
