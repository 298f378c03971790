"""The private Optuna calls of sweeps/optuna_internals.py, each checked against the behaviour a sweep relies on:
if an Optuna release changes one, this fails, naming it, before any sweep does."""
import optuna
import pytest
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend
from optuna.trial import TrialState

from ganbench.sweeps import optuna_internals as oi


@pytest.fixture
def study(tmp_path):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = optuna.create_study(study_name="s", storage=JournalStorage(JournalFileBackend(str(tmp_path / "j.log"))))
    s.enqueue_trial({"x": 1.5}, user_attrs={"setting": 0})
    s.enqueue_trial({}, user_attrs={"setting": 1})
    return s


def test_optuna_major_version_is_the_tested_one():
    assert optuna.__version__.split(".")[0] == "5", "sweeps/optuna_internals.py was tested on optuna 5.x; re-test it and the pin"


def test_claim_switches_one_chosen_waiting_trial_once(study):
    second = study.get_trials(deepcopy=False)[1]
    trial = oi.claim(study, second, {"host": "h", "pid": 1})
    assert trial is not None and trial.number == 1
    assert oi.frozen(study, second).state == TrialState.RUNNING and oi.frozen(study, second).user_attrs["pid"] == 1
    assert oi.claim(study, second, {"host": "h", "pid": 2}) is None  # another worker took it
    assert study.get_trials(deepcopy=False)[0].state == TrialState.WAITING  # not whichever came first


def test_a_sibling_never_judges_a_half_recorded_owner_gone(study, monkeypatch):
    """claim writes the owner one attribute at a time; a sibling worker of the same SLURM task reading between two
    writes (seen under load: "slurm_restart" not yet written read as a requeued task) must not fail the trial as
    lost. Every prefix of claim's writes, judged by a live sibling: not gone."""
    import datetime
    import os

    from ganbench.sweeps.claims import owner_gone, worker_identity

    monkeypatch.setenv("SLURM_JOB_ID", "7")
    monkeypatch.setenv("SLURM_ARRAY_TASK_ID", "1")
    writes = []
    storage = oi.storage(study)
    record = storage.set_trial_user_attr
    monkeypatch.setattr(storage, "set_trial_user_attr", lambda tid, k, v: (writes.append((k, v)), record(tid, k, v)))
    owner = {**worker_identity(), "pid": os.getppid()}  # a live process of this host: the sibling
    oi.claim(study, study.get_trials(deepcopy=False)[0], owner)
    assert dict(writes) == owner
    for n in range(len(writes) + 1):
        assert not owner_gone(dict(writes[:n]), worker_identity(), started=datetime.datetime.now()), writes[:n]


def test_enqueued_params_are_the_fixed_params_and_can_be_set(study):
    first, second = study.get_trials(deepcopy=False)
    assert oi.fixed_params(study, first) == {"x": 1.5}  # what enqueue_trial wrote
    trial = oi.fix_params(study, oi.claim(study, second, {}), {"x": 2.5})
    assert trial.suggest_float("x", 0, 10) == 2.5  # suggest_* returns the fixed value, no sampler draw


def test_fail_lost_fails_another_workers_running_trial_but_not_a_finished_one(study):
    first, second = study.get_trials(deepcopy=False)
    running = oi.claim(study, first, {})
    assert oi.fail_lost(study, first) is True
    assert oi.frozen(study, first).state == TrialState.FAIL and oi.frozen(study, first).user_attrs["status"] == "lost"
    with pytest.raises(Exception):
        study.tell(running, 1.0)  # the frozen worker cannot count it any more
    done = oi.claim(study, second, {})
    study.tell(done, 0.5)
    assert oi.fail_lost(study, second) is False and oi.frozen(study, second).state == TrialState.COMPLETE
