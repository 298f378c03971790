"""Many workers on one storage: the journal file (one machine, or a shared file system) and a real PostgreSQL
(scripts/postgres_up.sh), the storage for many nodes. Eight local workers at once, or four SLURM tasks, end with
exactly the budget."""
import uuid
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from ganbench.sweeps.executors import run_local
from ganbench.sweeps.storage import load_saved_spec, save_spec, storage_for
from ganbench.sweeps.spec import load_spec
from conftest import wait_all

REPO = Path(__file__).resolve().parents[1]
SETTINGS = 8


def make_study(tmp_path):
    path = tmp_path / "s.yaml"  # a name of its own: a shared database keeps the studies of earlier runs
    path.write_text(f"name: many-{uuid.uuid4().hex[:8]}\nvariants: [ns_gan, lsgan]\ndatasets: [ring8]\narch: mlp_small\n"
                    f"space: narrow\nbudget: {{settings: {SETTINGS}}}\nsteps: 20\n")
    study_dir = tmp_path / "study"
    save_spec(study_dir, load_spec(path))
    return study_dir


def check_exact_budget(study_dir, url):
    spec, storage = load_saved_spec(study_dir), storage_for(study_dir, url)
    for v in spec.variants:
        ts = optuna.load_study(study_name=spec.study_name(v, "ring8"), storage=storage).get_trials()
        done = [t for t in ts if t.state == TrialState.COMPLETE]
        assert len(done) == SETTINGS and len(ts) == SETTINGS, [(t.number, t.state) for t in ts]
        assert sorted(t.user_attrs["setting"] for t in done) == list(range(SETTINGS))  # each setting once
        assert len({t.user_attrs["pid"] for t in done}) > 1  # the work was shared


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["journal", "postgres"])
def test_eight_local_workers_run_exactly_the_budget(tmp_path, request, kind):
    url = request.getfixturevalue("postgres") if kind == "postgres" else None
    study_dir = make_study(tmp_path)
    run_local(study_dir, workers=8, storage_url=url, progress=False)
    check_exact_budget(study_dir, url)


@pytest.mark.slow(seconds=60)  # four task interpreters, each importing torch and Lightning
def test_a_slurm_array_of_four_on_postgres_runs_exactly_the_budget(slurm, postgres, tmp_path):
    """Four SLURM tasks share sixteen trials through PostgreSQL (eight tasks cost twice the CPU, ~200 CPU-s, and race
    no harder than the eight local workers above do on the same server)."""
    from ganbench.sweeps.storage import create_studies
    from ganbench.sweeps.slurm import submit

    study_dir = make_study(tmp_path)
    create_studies(load_saved_spec(study_dir), storage_for(study_dir, postgres))
    wait_all(submit(study_dir, tasks=4, time_min=10, storage_url=postgres))
    check_exact_budget(study_dir, postgres)
