"""The few places where ganbench goes under Optuna's public API, in one module, each with why.

Optuna's public API lets a caller ask for a trial (``study.ask()``), which either pops an enqueued trial or creates
a new one. ganbench needs three things it does not offer:

- ``claim``: switch one *chosen* waiting trial to RUNNING atomically (``set_trial_state_values`` fails when another
  worker switched it first). ``ask()`` pops whichever enqueued trial comes first, and a sweep must take retries of
  lost trials before fresh slots and never start a slot the step budget cannot pay for.
- ``fail_lost``: mark another worker's RUNNING trial as lost and FAIL it. ``study.tell`` is only for the trial's
  own worker's result; a dead worker never tells.
- ``fix_params``: set the enqueued parameters (Optuna's ``fixed_params`` system attribute, which ``enqueue_trial``
  writes and ``suggest_*`` reads) of a trial already created, so a sampler draws nothing a setting fixes.

Each goes through ``study._storage`` and ``trial._trial_id``, which are private. ``pyproject.toml`` pins optuna to
the major version these were tested with, and tests/test_optuna_internals.py fails loudly if a release changes them.
"""
from __future__ import annotations

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState
from ganbench.benchmark.identity import TrialStatus

FIXED_PARAMS = "fixed_params"  # the system attribute enqueue_trial writes (optuna/study/study.py, enqueue_trial)


def trial_id(trial) -> int:
    return trial._trial_id


def storage(study: optuna.Study):
    return study._storage


def claim(study: optuna.Study, trial, owner: dict) -> optuna.Trial | None:
    """WAITING -> RUNNING for this trial, or None when another worker took it first; ``owner`` recorded at once,
    one attribute a write (the storages have no batch), ``host`` last: a reader takes a running trial without a host
    for one claimed and not yet recorded (claims.owner_gone), never for a half-recorded owner to be judged."""
    try:
        if not storage(study).set_trial_state_values(trial_id(trial), TrialState.RUNNING):
            return None
    except RuntimeError:  # it was no longer WAITING
        return None
    for k, v in sorted(owner.items(), key=lambda kv: kv[0] == "host"):
        storage(study).set_trial_user_attr(trial_id(trial), k, v)
    return optuna.Trial(study, trial_id(trial))


def fail_lost(study: optuna.Study, trial) -> bool:
    """Mark a RUNNING trial of a gone worker ``status: lost`` and FAIL it; False if it had finished meanwhile."""
    try:
        storage(study).set_trial_user_attr(trial_id(trial), "status", TrialStatus.LOST)
        return storage(study).set_trial_state_values(trial_id(trial), TrialState.FAIL)
    except (RuntimeError, UpdateFinishedTrialError):  # it finished (COMPLETE, PRUNED) after we looked
        return False


def set_user_attr(study: optuna.Study, trial, key: str, value) -> None:
    """A user attribute of any trial (``Trial.set_user_attr`` is for one's own running trial)."""
    storage(study).set_trial_user_attr(trial_id(trial), key, value)


def frozen(study: optuna.Study, trial) -> optuna.trial.FrozenTrial:
    """The trial as stored now, not as this process last saw it."""
    return storage(study).get_trial(trial_id(trial))


def fix_params(study: optuna.Study, trial, params: dict) -> optuna.Trial:
    """Fix parameters of a created trial as enqueue_trial would; returns a fresh Trial that reads them."""
    storage(study).set_trial_system_attr(trial_id(trial), FIXED_PARAMS, params)
    return optuna.Trial(study, trial_id(trial))


def fixed_params(study: optuna.Study, trial) -> dict:
    return frozen(study, trial).system_attrs.get(FIXED_PARAMS, {})
