"""Retries: a lost trial (its worker gone) and a failed one (an error in training, `sweep resume`) run again as
exactly the trial they were (``benchmark.identity.TrialIdentity``), before any new slot, keeping their reservation.

A worker that dies leaves a RUNNING trial behind. Each trial records its owner (host, pid, SLURM job) and a
heartbeat its worker refreshes (sweeps/liveness.py); a trial whose heartbeat is stale, whose SLURM job is gone or
unknown, or whose local process is dead is marked lost (FAIL) and its setting enqueued again, to resume from its
checkpoint in the same directory. A frozen worker that wakes to find its trial re-run stops without telling the
study."""
from __future__ import annotations

import optuna
from optuna.trial import TrialState

from ganbench.benchmark.identity import TrialIdentity, TrialStatus, retried

from . import optuna_internals
from .claims import owner_gone, worker_identity
from .spec import Spec


def recover_lost_trials(study: optuna.Study) -> int:
    """Fail RUNNING trials whose worker is gone and enqueue their settings again. Returns how many."""
    me, n = worker_identity(), 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if owner_gone(t.user_attrs, me, t.datetime_start):
            if optuna_internals.fail_lost(study, t):
                enqueue_retry(study, t)
                n += 1
    return n


def enqueue_retry(study: optuna.Study, t: optuna.trial.FrozenTrial) -> None:
    """The trial ``t`` again, exactly as it was: its identity and its setting (a lost seed-phase trial keeps the
    setting it had taken from the best search trial)."""
    identity = TrialIdentity.of(t.user_attrs)
    study.enqueue_trial(t.params, user_attrs={**identity.attrs(), "retry_of": t.number}, skip_if_exists=False)


def retry_failed(spec: Spec, storage) -> int:
    """`sweep resume`: every failed trial (an error in training, not a verdict on its setting) that no trial re-runs
    yet is enqueued again as exactly the trial it was; the failed attempt then counts once. Returns how many."""
    n = 0
    for name in [spec.study_name(*cell) for cell in spec.cells()] + [spec.seed_study_name(*cell) for cell in spec.cells() if spec.seeds]:
        try:
            study = optuna.load_study(study_name=name, storage=storage)
        except KeyError:
            continue
        trials = study.get_trials(deepcopy=False)
        done = retried(trials)
        for t in trials:
            if t.state == TrialState.FAIL and t.user_attrs.get("status") == TrialStatus.FAILED and t.number not in done:
                enqueue_retry(study, t)
                n += 1
    return n
