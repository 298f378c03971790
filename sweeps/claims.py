"""Claiming trials within the budget, and telling whether a trial's owner is gone.

A worker claims a waiting trial by switching it to RUNNING through the storage (which lets exactly one worker win),
never through ``study.ask()``, which would create a fresh trial once none is waiting.

The budget is counted in training steps, B x steps: a running trial reserves its full length, a finished one
counts the steps it ran. Without a pruner this is exactly B trials. With Hyperband, pruned trials free steps, so
more slots are enqueued and a worker starts the lowest waiting one only if the steps reserved by every trial
before it leave room for a full trial: never over budget, with less than one trial's steps left over at the end."""
from __future__ import annotations

import datetime
import math
import os
import random
import socket
import subprocess

import optuna
from optuna.trial import TrialState

from . import optuna_internals
from .liveness import heartbeat_stale
from ganbench.benchmark.identity import TrialStatus


DEVICE_SLOT = "GANBENCH_DEVICE_SLOT"  # set by the executors for each worker process they start


def worker_identity() -> dict:
    """Who runs a trial, recorded on it: the process, its SLURM task and incarnation, and its device slot (the
    executors' k workers a device share a slot; CUDA_VISIBLE_DEVICES says which GPU the slot holds)."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
            "slurm_array_task_id": os.environ.get("SLURM_ARRAY_TASK_ID"), "slurm_restart": os.environ.get("SLURM_RESTART_COUNT", "0"),
            "device_slot": os.environ.get(DEVICE_SLOT), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}


CLAIM_GRACE_S = 60  # a live worker records itself within milliseconds of claiming a trial


def owner_gone(attrs: dict, me: dict, started=None) -> bool:
    """A stale heartbeat settles it on any executor and storage; SLURM and the local process table answer faster."""
    if attrs.get("host") is None:  # claimed, then killed before it could record itself
        return started is not None and (datetime.datetime.now() - started).total_seconds() > CLAIM_GRACE_S
    if heartbeat_stale(attrs):
        return True
    if attrs.get("slurm_job_id"):
        if attrs["slurm_job_id"] == me["slurm_job_id"]:
            if attrs.get("slurm_restart") != me["slurm_restart"] or attrs.get("host") != me["host"]:
                return True  # this very job, requeued: its earlier incarnation is gone
            return _process_gone(attrs["pid"], me["pid"])  # a sibling worker of this task (trials_per_device > 1)
        try:
            out = subprocess.run(["squeue", "-h", "-j", attrs["slurm_job_id"], "-o", "%T"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return False  # no answer: the heartbeat decides, later
        if out.returncode != 0:  # "Invalid job id specified": slurmctld has forgotten a finished job (MinJobAge)
            return "invalid job id" in out.stderr.lower()
        return not any(s in out.stdout for s in ("RUNNING", "PENDING", "REQUEUE", "CONFIGURING", "COMPLETING", "SUSPENDED"))
    if attrs.get("host") != me["host"] or attrs.get("pid") is None:
        return False  # another host's process: only its own host (or SLURM) can tell
    return _process_gone(attrs["pid"], me["pid"])


def _process_gone(pid: int | None, mine: int) -> bool:
    """Whether a process of this host has ended (never this one)."""
    if pid is None or pid == mine:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _budget_steps(study: optuna.Study, steps: int) -> int:
    attrs = study.user_attrs  # studies created before step budgets hold only the number of settings
    return attrs.get("budget_steps", attrs["budget"] * steps)


def steps_reserved(trials, steps: int) -> int:
    """Training steps spent or promised: running trials and waiting retries their full length, done trials what
    they ran; lost attempts nothing (their retry holds the reservation)."""
    total = 0
    for t in trials:
        if t.state == TrialState.RUNNING or (t.state == TrialState.WAITING and "retry_of" in t.user_attrs):
            total += steps
        elif t.state in (TrialState.COMPLETE, TrialState.PRUNED):
            total += int(t.user_attrs.get("steps", steps))
    return total


CLAIM_SPREAD = 8  # waiting slots a worker picks among, where every slot runs


def claim(study: optuna.Study, steps: int, every_slot_runs: bool = False) -> optuna.Trial | None:
    """Switch one waiting trial to RUNNING: a retry first, else the lowest slot if the step budget has room.

    ``every_slot_runs`` (the budget is the slots, each runs once, and their order does not matter): only the waiting
    trials are read, and a worker takes one of the lowest few at random. Reading the whole study at every claim, and a hundred workers
    racing for the one lowest slot (each loser reading it all again), made a PostgreSQL study of 1,000 trials claim
    2.6 trials a second at 32 workers (tests/perf/sweep_scale.py)."""
    budget = _budget_steps(study, steps)
    while True:
        trials = study.get_trials(deepcopy=False, states=(TrialState.WAITING,) if every_slot_runs else None)
        waiting = [t for t in trials if t.state == TrialState.WAITING]
        retries = [t for t in waiting if "retry_of" in t.user_attrs]
        fresh = sorted((t for t in waiting if "retry_of" not in t.user_attrs), key=lambda t: t.number)
        if retries:
            candidate = retries[0]
        elif fresh and every_slot_runs:
            candidate = random.choice(fresh[:CLAIM_SPREAD])
        elif fresh and steps_reserved(trials, steps) + steps <= budget:
            candidate = fresh[0]  # only the lowest: everything below it is counted in the check above
        else:
            return None
        trial = optuna_internals.claim(study, candidate, worker_identity())  # the owner, at once: see owner_gone
        if trial is not None:
            return trial  # else another worker switched it first: look again


def search_done(study: optuna.Study, steps: int) -> bool:
    """No search trial is running and none can start: every slot is used or the step budget is spent."""
    trials = study.get_trials(deepcopy=False)
    if any(t.state == TrialState.RUNNING or (t.state == TrialState.WAITING and "retry_of" in t.user_attrs) for t in trials):
        return False
    waiting = any(t.state == TrialState.WAITING for t in trials)
    return not waiting or steps_reserved(trials, steps) + steps > _budget_steps(study, steps)


def best_search_trial(study: optuna.Study):
    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if t.value is not None and math.isfinite(t.value) and t.user_attrs.get("status") == TrialStatus.FINISHED]
    return min(done, key=lambda t: (t.value, t.number)) if done else None
