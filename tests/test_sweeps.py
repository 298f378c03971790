"""Sweeps with the local executor: exactly the budget, nothing lost or duplicated when a worker is SIGKILLed."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from sweeps.runner import load_saved_spec, run_local, save_spec, storage_for, summary
from sweeps.spaces import settings_for
from sweeps.spec import SpecError, load_spec

SPEC = """
name: t
variants: [ns_gan, lsgan]
datasets: [ring8]
space: narrow
budget: {settings: 4}
steps: %d
"""


def make_study(tmp_path, steps=40):
    path = tmp_path / "t.yaml"
    path.write_text(SPEC % steps)
    study_dir = tmp_path / "study"
    save_spec(study_dir, load_spec(path))
    return study_dir


def trials(study_dir):
    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir)
    out = []
    for v in spec.variants:
        try:
            out += optuna.load_study(study_name=spec.study_name(v, "ring8"), storage=storage).get_trials()
        except KeyError:  # not created yet
            pass
    return out


def check_exact_budget(study_dir):
    ts = trials(study_dir)
    done = [t for t in ts if t.state == TrialState.COMPLETE]
    assert len(done) == 8
    per = {(t.user_attrs["variant"], t.user_attrs["setting"]) for t in done}
    assert len(per) == 8  # every setting exactly once
    assert all(t.state in (TrialState.COMPLETE, TrialState.FAIL) for t in ts)
    assert all(t.user_attrs["status"] == "lost" for t in ts if t.state == TrialState.FAIL)
    for t in done:
        d = study_dir / "trials" / t.user_attrs["variant"] / "ring8" / str(t.user_attrs["setting"])
        assert {"config.json", "metrics.json", "samples.png", "last.ckpt"} <= {p.name for p in d.iterdir()}
        for k in ("host", "pid", "seed", "ganbench_version", "wall_time_s", "device", "modes_covered"):
            assert k in t.user_attrs
    return ts


def test_settings_are_seeded_and_start_with_the_defaults():
    a, b = settings_for("wide", "wgan_gp", 5, 0), settings_for("wide", "wgan_gp", 5, 0)
    assert a == b and a != settings_for("wide", "wgan_gp", 5, 1)
    assert a[0]["lr"] == 1e-4 and a[0]["n_disc"] == 5 and a[0]["penalty_weight"] == 10.0 and a[0]["beta1"] == 0.5
    for s in a[1:]:
        assert 1e-5 <= s["lr"] <= 1e-2 and 1 <= s["n_disc"] <= 5 and 0.1 <= s["penalty_weight"] <= 100
    for s in settings_for("narrow", "began", 20, 0)[1:]:
        assert s["beta1"] == 0.5 and s["n_disc"] == 1 and 0.6 <= s["began_gamma"] <= 0.9 and s["began_lambda"] == 1e-3


@pytest.mark.parametrize("text,field", [
    ("variants: [nogan]", "variants"), ("space: huge", "space"), ("budget: {settings: 0}", "budget.settings"), ("colour: red", "colour"),
])
def test_bad_spec_names_the_field(tmp_path, text, field):
    base = dict(l.split(": ", 1) for l in SPEC.strip().splitlines())
    k, v = text.split(": ", 1)
    base[k] = v
    (tmp_path / "s.yaml").write_text("\n".join(f"{a}: {b}" for a, b in base.items()).replace("%d", "10"))
    with pytest.raises(SpecError, match=f"^{field}"):
        load_spec(tmp_path / "s.yaml")


def test_two_workers_finish_exactly_the_budget(tmp_path):
    study_dir = make_study(tmp_path)
    rows = run_local(study_dir, workers=2, progress=False)
    assert [(r["finished"] + r["diverged"] + r["failed"], r["budget"]) for r in rows] == [(4, 4), (4, 4)]
    check_exact_budget(study_dir)
    # resuming a finished study does nothing
    before = len(trials(study_dir))
    run_local(study_dir, workers=2, progress=False)
    assert len(trials(study_dir)) == before


def test_sigkilled_worker_loses_nothing_and_counts_nothing_twice(tmp_path):
    study_dir = make_study(tmp_path, steps=400)
    worker = subprocess.Popen([sys.executable, "-m", "sweeps.worker", str(study_dir)])
    deadline = time.time() + 300
    while time.time() < deadline:  # kill it once it has finished a trial and is inside the next one
        ts = trials(study_dir) if (study_dir / "optuna.journal").exists() else []
        if any(t.state == TrialState.COMPLETE for t in ts) and any(t.state == TrialState.RUNNING for t in ts):
            break
        time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    running = [t for t in trials(study_dir) if t.state == TrialState.RUNNING]
    assert len(running) == 1
    run_local(study_dir, workers=2, progress=False)
    ts = check_exact_budget(study_dir)
    lost = [t for t in ts if t.state == TrialState.FAIL]
    assert len(lost) == 1 and lost[0].number == running[0].number


def test_cli_status_json(tmp_path):
    from ganbench.cli import main

    study_dir = make_study(tmp_path, steps=10)
    run_local(study_dir, workers=1, progress=False)
    r = subprocess.run([sys.executable, "-m", "ganbench.cli", "sweep", "status", str(study_dir), "--json"], capture_output=True, text=True)
    doc = json.loads(r.stdout)
    assert [(s["variant"], s["finished"] + s["diverged"], s["budget"]) for s in doc["studies"]] == [("ns_gan", 4, 4), ("lsgan", 4, 4)]


def test_trials_train_with_their_enqueued_settings(tmp_path):
    study_dir = make_study(tmp_path, steps=5)
    run_local(study_dir, workers=1, progress=False)
    spec = load_saved_spec(study_dir)
    for t in trials(study_dir):
        s = t.user_attrs["setting"]
        expected = settings_for(spec.space, t.user_attrs["variant"], spec.settings, spec.seed)[s]
        assert t.params == expected
        config = json.loads((study_dir / "trials" / t.user_attrs["variant"] / "ring8" / str(s) / "config.json").read_text())
        assert config["lr"] == expected["lr"] and config["beta1"] == expected["beta1"]
