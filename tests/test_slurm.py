"""Sweeps on a real single-node SLURM cluster started by scripts/slurm_up.sh, through submitit.
Under CI=true these tests fail, never skip, when SLURM cannot be started."""
import json
import subprocess
import time
from pathlib import Path

import optuna
import pytest
import torch
from conftest import wait_all
from optuna.trial import TrialState

from ganbench.sweeps.storage import load_saved_spec, save_spec, storage_for
from ganbench.sweeps.slurm import submit
from ganbench.sweeps.spec import load_spec

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def make_study(tmp_path, steps):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nvariants: [ns_gan, lsgan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {{settings: 4}}\nsteps: {steps}\n")
    study_dir = tmp_path / "study"
    save_spec(study_dir, load_spec(path))
    return study_dir


def all_trials(study_dir):
    spec, storage, out = load_saved_spec(study_dir), storage_for(study_dir), []
    for v in spec.variants:
        try:
            out += optuna.load_study(study_name=spec.study_name(v, "ring8"), storage=storage).get_trials()
        except KeyError:
            pass
    return out


def assert_exact_budget(study_dir):
    ts = all_trials(study_dir)
    done = [t for t in ts if t.state == TrialState.COMPLETE]
    assert len(done) == 8 and len({(t.user_attrs["variant"], t.user_attrs["setting"]) for t in done}) == 8
    assert all(t.user_attrs["status"] == "lost" for t in ts if t.state == TrialState.FAIL)
    assert all(t.user_attrs.get("slurm_job_id") for t in done)
    for t in done:
        assert (study_dir / "trials" / t.user_attrs["variant"] / "ring8" / str(t.user_attrs["setting"]) / "metrics.json").exists()
    return ts


@pytest.mark.slow(seconds=40)
def test_job_array_with_two_trials_a_task_runs_exactly_the_budget(slurm, tmp_path):
    """Two array tasks, each running two workers on its device (--trials-per-device 2): every setting once, no
    trial lost or counted twice, each trial recording its task as its device slot; siblings of one task do not
    take each other's running trials for lost ones."""
    study_dir = make_study(tmp_path, steps=150)
    from ganbench.sweeps.storage import create_studies

    create_studies(load_saved_spec(study_dir), storage_for(study_dir))
    jobs = submit(study_dir, tasks=2, time_min=10, trials_per_device=2)
    wait_all(jobs)
    ts = assert_exact_budget(study_dir)
    done = [t for t in ts if t.state == TrialState.COMPLETE]
    assert not [t for t in ts if t.state == TrialState.FAIL]  # no sibling declared lost
    assert all(t.user_attrs["device_slot"] == t.user_attrs["slurm_array_task_id"] for t in done)
    pids = {}
    for t in done:
        pids.setdefault(t.user_attrs["slurm_array_task_id"], set()).add(t.user_attrs["pid"])
    assert max(len(p) for p in pids.values()) == 2  # two workers of one task trained


@pytest.mark.slow(seconds=40)
def test_scancelled_task_then_resume_loses_nothing(slurm, tmp_path):
    from ganbench.sweeps.storage import create_studies

    study_dir = make_study(tmp_path, steps=400)
    create_studies(load_saved_spec(study_dir), storage_for(study_dir))
    jobs = submit(study_dir, tasks=1, time_min=10)
    deadline = time.time() + 300
    while time.time() < deadline:
        ts = all_trials(study_dir)
        if any(t.state == TrialState.COMPLETE for t in ts) and any(t.state == TrialState.RUNNING for t in ts):
            break
        time.sleep(0.5)
    subprocess.run(["scancel", jobs[0].job_id], check=True)
    wait_all(jobs)
    assert any(t.state == TrialState.RUNNING for t in all_trials(study_dir))
    # the controller forgets the cancelled job (MinJobAge): the resumed worker must count an unknown job as gone
    deadline = time.time() + 180
    while "invalid job id" not in subprocess.run(["squeue", "-h", "-j", jobs[0].job_id], capture_output=True, text=True).stderr.lower():
        assert time.time() < deadline, "slurmctld did not forget the job"
        time.sleep(2)
    jobs = submit(study_dir, tasks=1, time_min=10)  # `ganbench sweep resume DIR --executor slurm`
    wait_all(jobs)
    ts = assert_exact_budget(study_dir)
    assert sum(t.state == TrialState.FAIL for t in ts) == 1


def steps_for_seconds(tmp_path, seconds):
    """Training steps of the time-limit test's trial that take about `seconds` of one core's time on this machine,
    measured here with one thread as a SLURM task has: a fixed count finished inside one window on a fast machine and
    never reached the time limit (CI: 32,000 steps in under 80 s). The rate is per CPU-second of this thread, not per
    wall second: measured by the clock on a loaded machine (the suite's first minute) it came out half the task's
    later rate, and the trial finished before its time limit (8,000 steps in 29 s). A task's one thread cannot train
    faster than a core, however idle the machine is then."""
    from ganbench.benchmark.config import resolve_config
    from ganbench.benchmark.train import train

    assert torch.get_num_threads() == 1  # conftest's setting, a SLURM task's
    started = time.thread_time()
    train(resolve_config(variant="ns_gan", dataset="ring8", arch="mlp_small", steps=3000, lr=1e-4, beta1=0.5, batch_size=64,
                         n_disc=1, z_dim=2, d_batch_norm=False), tmp_path / "calibration", progress=False)
    rate = 3000 / (time.thread_time() - started)
    return max(8000, int(rate * seconds) // 1000 * 1000)


@pytest.mark.slow(seconds=120)
def test_task_at_its_time_limit_is_requeued_and_resumes_from_its_checkpoint(slurm, tmp_path, monkeypatch):
    # checkpoints every 5 s of training as well as every tenth of the run: on a loaded machine (the suite runs on
    # two workers) a window may train less than a tenth, and would then never leave a checkpoint to resume from
    monkeypatch.setenv("GANBENCH_CHECKPOINT_S", "5")
    # one trial of ~80 s of training, in tasks signalled 10 s before their one-minute limit. slurmctld checks limits
    # every 30 s, so the signal comes 50-80 s after a task starts: a trial of 60 s finished before it on an idle
    # machine (seen once in a full run), one of 80 s cannot; and a task signalled at 50 s, the earliest, has trained
    # ~42 s (after ~8 s of start-up), which leaves the requeued task ~38 s, less than it can train before its own signal
    steps = steps_for_seconds(tmp_path, 80)
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nbudget: {{settings: 1}}\nsteps: {steps}\n"
                    "space: {ns_gan: {lr: 1.0e-4, beta1: 0.5, batch_size: 64, z_dim: 2, n_disc: 1, d_batch_norm: false}}\n")
    study_dir = tmp_path / "study"
    save_spec(study_dir, load_spec(path))
    from ganbench.sweeps.storage import create_studies

    create_studies(load_saved_spec(study_dir), storage_for(study_dir))
    # SLURM sends USR2 10 s before the one-minute limit (slurmctld checks limits every 30 s, so 20-50 s after the
    # start: after the task has started and can handle it); submitit's handler requeues the task (scontrol requeue)
    jobs = submit(study_dir, tasks=1, time_min=1, signal_delay_s=10)
    job = jobs[0].job_id.split("_")[0]
    deadline, held_since = time.time() + 1500, None  # a loaded machine (two test workers beside the task) starts each incarnation slowly
    while time.time() < deadline:
        out = subprocess.run(["squeue", "-h", "-j", job, "-o", "%i %T %r"], capture_output=True, text=True).stdout
        if not out.strip():
            break
        # A requeued job waits ~2 minutes before it may start again. Once its last incarnation has been cleaned up
        # (starting earlier gets it killed: "Job credential revoked"), let it start now.
        held_since = (held_since or time.time()) if "BeginTime" in out else None
        if held_since and time.time() - held_since > 15:
            for line in out.splitlines():
                subprocess.run(["scontrol", "update", f"JobId={line.split()[0]}", "StartTime=now"], capture_output=True)
            held_since = None
        time.sleep(1)
    ts = all_trials(study_dir)
    done = [t for t in ts if t.state == TrialState.COMPLETE]
    lost = [t for t in ts if t.state == TrialState.FAIL]
    assert len(done) == 1 and lost and all(t.user_attrs["status"] == "lost" for t in lost)
    assert int(done[0].user_attrs["slurm_restart"]) >= 1  # it ran in a requeued incarnation of the task ...
    assert done[0].user_attrs["resumed_from_step"] > 0 and done[0].user_attrs["steps"] == steps  # ... from a checkpoint


def test_an_array_larger_than_the_clusters_max_array_size_is_refused_before_submission(slurm, tmp_path, ganbench):
    """The test cluster's MaxArraySize, read from `scontrol show config`; one task more is refused in one line before
    anything is made or submitted; the plan caps its array there."""
    from ganbench.sweeps.slurm import max_array_size

    most = max_array_size()
    config = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True).stdout
    assert most is not None and f"MaxArraySize            = {most}" in config
    spec = tmp_path / "s.yaml"
    spec.write_text("name: s\nvariants: [ns_gan]\ndatasets: [ring8]\nspace: narrow\nbudget: {settings: 4}\nsteps: 1\nworkload: synthetic\n")
    r = ganbench("sweep", "run", spec, "--dir", tmp_path / "s", "--executor", "slurm", "--workers", str(most + 1))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"error: workers: {most + 1:,} array tasks exceed this cluster's MaxArraySize of {most:,}" in r.stderr
    assert not (tmp_path / "s").exists()  # refused before the study folder, so before any submission
    spec.write_text(spec.read_text().replace("settings: 4", f"settings: {most + 500}"))
    p = ganbench("sweep", "plan", spec, "--json", "--gpu-check", ROOT / "tests" / "gpu_check_cpu.json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["slurm_tasks"] == most
