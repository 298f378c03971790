"""Studies in an Optuna storage, and the worker loop that runs their trials.

The budget is exact by construction: the B settings of each (variant, data set) are sampled with a seeded RNG
when the study is created and enqueued as waiting trials. A worker claims a waiting trial by switching it to
RUNNING through the storage (which lets exactly one worker win), never through ``study.ask()``, which would
create a fresh trial once none is waiting. A worker that dies leaves a RUNNING trial behind: JournalStorage has
no heartbeat, so each trial records its owner (host, pid, SLURM job); a trial whose owner is gone is marked
lost (FAIL) and its setting enqueued again, to resume from its checkpoint in the same setting directory.
"""
from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import time
import traceback
from importlib import metadata
from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock
from optuna.trial import TrialState

from .spaces import settings_for
from .spec import Spec, trial_config

optuna.logging.set_verbosity(optuna.logging.WARNING)


def storage_for(study_dir: Path, url: str | None = None):
    if url:
        return url
    path = str(Path(study_dir) / "optuna.journal")
    return JournalStorage(JournalFileBackend(path, lock_obj=JournalFileOpenLock(path)))


def save_spec(study_dir: Path, spec: Spec) -> None:
    study_dir.mkdir(parents=True, exist_ok=True)
    (study_dir / "spec.json").write_text(json.dumps(spec.__dict__, indent=2))


def load_saved_spec(study_dir: Path) -> Spec:
    path = Path(study_dir) / "spec.json"
    if not path.is_file():
        raise FileNotFoundError(f"dir: {study_dir} holds no study (spec.json missing)")
    return Spec(**json.loads(path.read_text()))


def create_studies(spec: Spec, storage) -> list[optuna.Study]:
    """One study per (variant, data set, space); its settings enqueued once, when it is new."""
    studies = []
    for v in spec.variants:
        for d in spec.datasets:
            study = optuna.create_study(study_name=spec.study_name(v, d), storage=storage, direction="minimize", load_if_exists=True)
            if "budget" not in study.user_attrs:
                for i, params in enumerate(settings_for(spec.space, v, spec.settings, spec.seed)):
                    study.enqueue_trial(params, user_attrs={"setting": i, "phase": "random", "variant": v, "dataset": d,
                                                            "space": spec.space}, skip_if_exists=False)
                study.set_user_attr("budget", spec.settings)
            studies.append(study)
    return studies


def worker_identity() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
            "slurm_array_task_id": os.environ.get("SLURM_ARRAY_TASK_ID"), "slurm_restart": os.environ.get("SLURM_RESTART_COUNT", "0")}


def _owner_gone(attrs: dict, me: dict) -> bool:
    if attrs.get("slurm_job_id"):
        if attrs["slurm_job_id"] == me["slurm_job_id"]:  # this very job, requeued: its earlier incarnation is gone
            return attrs.get("pid") != me["pid"] or attrs.get("host") != me["host"]
        try:
            out = subprocess.run(["squeue", "-h", "-j", attrs["slurm_job_id"], "-o", "%T"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return out.returncode == 0 and "RUNNING" not in out.stdout and "PENDING" not in out.stdout and "REQUEUE" not in out.stdout
    if attrs.get("host") != me["host"] or attrs.get("pid") is None:
        return False  # another host's process: only its own host (or SLURM) can tell
    if attrs["pid"] == me["pid"]:
        return False
    try:
        os.kill(attrs["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_lost_trials(study: optuna.Study) -> int:
    """Fail RUNNING trials whose worker is gone and enqueue their settings again. Returns how many."""
    me, n = worker_identity(), 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if _owner_gone(t.user_attrs, me):
            study._storage.set_trial_user_attr(t._trial_id, "status", "lost")
            if study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL):
                keep = {k: t.user_attrs[k] for k in ("setting", "phase", "variant", "dataset", "space")}
                study.enqueue_trial(t.params, user_attrs={**keep, "retry_of": t.number}, skip_if_exists=False)
                n += 1
    return n


def claim(study: optuna.Study) -> optuna.Trial | None:
    for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        try:
            if study._storage.set_trial_state_values(t._trial_id, TrialState.RUNNING):
                return optuna.Trial(study, t._trial_id)
        except RuntimeError:  # another worker switched it first
            continue
    return None


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent, timeout=5)
        return out.stdout.strip() or None
    except OSError:
        return None


def _suggest_fixed(trial: optuna.Trial, name: str, value):
    """Record an enqueued value under a distribution that stays compatible across the study's trials."""
    if isinstance(value, bool):
        return trial.suggest_categorical(name, [False, True])
    if isinstance(value, int):
        return trial.suggest_int(name, value, value)
    return trial.suggest_float(name, value, value)


def run_trial(study: optuna.Study, trial: optuna.Trial, spec: Spec, study_dir: Path) -> None:
    from benchmark.train import resolve_config, train

    attrs = study._storage.get_trial(trial._trial_id).user_attrs
    me = worker_identity()
    for k, v in {**me, "ganbench_version": metadata.version("ganbench"), "git_commit": _git_commit()}.items():
        trial.set_user_attr(k, v)
    v, d, setting = attrs["variant"], attrs["dataset"], attrs["setting"]
    out = study_dir / "trials" / v / d / str(setting)
    seed = spec.seed * 1000 + setting
    trial.set_user_attr("seed", seed)
    # the enqueued setting; suggesting each value records it as the trial's params (for Optuna, the dashboard, analysis)
    fixed = study._storage.get_trial(trial._trial_id).system_attrs.get("fixed_params", {})
    params = {k: _suggest_fixed(trial, k, v) for k, v in fixed.items()}
    try:
        config = resolve_config(**trial_config(spec, v, d, params, seed))
        metrics = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").exists() else train(config, out, progress=False)
    except Exception as e:  # noqa: BLE001 - a failed trial is recorded, counted and shown, never lost
        trial.set_user_attr("status", "failed")
        trial.set_user_attr("error", "".join(traceback.format_exception_only(type(e), e)).strip()[-2000:])
        study.tell(trial, state=TrialState.FAIL)
        return
    for k, val in metrics.items():
        trial.set_user_attr(k, val)
    value = objective(metrics)
    study.tell(trial, value if math.isfinite(value) else float("inf"))


def objective(metrics: dict) -> float:
    """The study's verdict: min-over-checkpoints FID; for data without FID, the mode KL; inf when diverged."""
    if metrics.get("status") == "diverged":
        return math.inf
    for key in ("fid_min", "fid", "mode_kl"):
        if key in metrics:
            return float(metrics[key])
    return math.inf


def work(study_dir: Path | str, storage_url: str | None = None) -> int:
    """A worker: run waiting trials of every study in the directory until none is left. Returns trials run."""
    study_dir = Path(study_dir)
    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir, storage_url)
    done = 0
    for study in create_studies(spec, storage):
        recover_lost_trials(study)
        while (trial := claim(study)) is not None:
            run_trial(study, trial, spec, study_dir)
            done += 1
    return done


def summary(spec: Spec, storage) -> list[dict]:
    rows = []
    for v in spec.variants:
        for d in spec.datasets:
            try:
                study = optuna.load_study(study_name=spec.study_name(v, d), storage=storage)
            except KeyError:
                rows.append(dict(variant=v, dataset=d, budget=spec.settings, finished=0, diverged=0, failed=0, running=0, waiting=0, best=None))
                continue
            trials = study.get_trials(deepcopy=False)
            status = [t.user_attrs.get("status") for t in trials]
            done = [t for t in trials if t.state == TrialState.COMPLETE]
            values = [t.value for t in done if t.value is not None and math.isfinite(t.value)]
            rows.append(dict(variant=v, dataset=d, budget=study.user_attrs.get("budget", spec.settings),
                             finished=sum(1 for t in done if t.user_attrs.get("status") == "finished"),
                             diverged=sum(1 for t in done if t.user_attrs.get("status") == "diverged"),
                             failed=status.count("failed"), lost=status.count("lost"),
                             running=sum(1 for t in trials if t.state == TrialState.RUNNING),
                             waiting=sum(1 for t in trials if t.state == TrialState.WAITING),
                             best=min(values) if values else None))
    return rows


def run_local(study_dir: Path, workers: int, storage_url: str | None = None, progress: bool = True) -> list[dict]:
    """N worker processes on this machine; a progress bar of trials done against the budget."""
    import sys

    from tqdm import tqdm

    spec = load_saved_spec(study_dir)
    storage = storage_for(study_dir, storage_url)
    create_studies(spec, storage)
    cmd = [sys.executable, "-m", "sweeps.worker", str(study_dir)] + (["--storage", storage_url] if storage_url else [])
    env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // workers))}
    procs = [subprocess.Popen(cmd, env=env) for _ in range(workers)]
    total = spec.settings * len(spec.variants) * len(spec.datasets)
    with tqdm(total=total, desc="trials", disable=not progress) as bar:
        while any(p.poll() is None for p in procs):
            rows = summary(spec, storage)
            n = sum(r["finished"] + r["diverged"] + r["failed"] for r in rows)
            best = [r["best"] for r in rows if r["best"] is not None]
            bar.n = n
            bar.set_postfix(best=f"{min(best):.4g}" if best else "-")
            bar.refresh()
            time.sleep(1.0)
    return summary(spec, storage)
