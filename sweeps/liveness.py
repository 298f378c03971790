"""Is a trial's worker alive? Heartbeats, on any executor and any storage, with SLURM and the local process table
as fast paths.

A worker refreshes its running trial's ``heartbeat`` user attribute (wall-clock seconds) every ``heartbeat_s()`` from
a thread; another worker judges a trial lost when that is older than ``grace_s()``. JournalStorage has no heartbeat
of its own, and Optuna's RDB heartbeat (``heartbeat_interval``, ``fail_stale_trials``) fails stale trials only
from ``study.optimize``/``ask``, which a sweep does not use (sweeps/optuna_internals.py says why); one mechanism for
every storage keeps the journal and PostgreSQL the same. Clocks of different hosts must agree to well within the
grace period (NTP does).

A worker frozen longer than the grace period (SIGSTOP, a suspended VM) may have been replaced: before its next
step, and before writing anything, it asks the storage whether the trial is still its own and stops with
``TrialAbandoned`` if not, so a trial is never trained to the end twice nor counted twice. The window left is one
heartbeat: a worker that was declared lost just after its last look may write one more checkpoint, which the retry,
resuming from the same directory, reads whole (checkpoints are replaced atomically).
"""
from __future__ import annotations

import contextlib
import threading
import time

import optuna
from optuna.trial import TrialState

from . import optuna_internals
from ganbench.benchmark.schema import env
from ganbench.benchmark.identity import TrialStatus


def heartbeat_s() -> float:  # read when used: a forked worker gets its starter's environment after this module loaded
    return env("GANBENCH_HEARTBEAT_S")


def grace_s() -> float:
    return env("GANBENCH_GRACE_S")


class TrialAbandoned(RuntimeError):
    """This worker's trial was declared lost while it was frozen; another worker owns it now."""


def heartbeat_stale(attrs: dict, now: float | None = None) -> bool:
    beat = attrs.get("heartbeat")
    return beat is not None and (now or time.time()) - float(beat) > grace_s()


class Heartbeat:
    """Refreshes a running trial's heartbeat from a daemon thread until ``stop()``."""

    def __init__(self, study: optuna.Study, trial):
        self.study, self.trial, self.lost = study, trial, False
        self.error: BaseException | None = None
        self.last = 0.0
        self._stop = threading.Event()
        self.beat()
        self._thread = threading.Thread(target=self._run, name="ganbench-heartbeat", daemon=True)
        self._thread.start()

    def beat(self) -> bool:
        """Still ours? Then refresh the heartbeat. A trial another worker failed as lost is not ours any more."""
        t = optuna_internals.frozen(self.study, self.trial)
        if t.state != TrialState.RUNNING or t.user_attrs.get("status") == TrialStatus.LOST:
            self.lost = True
            return False
        optuna_internals.set_user_attr(self.study, self.trial, "heartbeat", time.time())
        self.last = time.time()
        return True

    def _run(self) -> None:
        try:
            while not self._stop.wait(min(5.0, heartbeat_s())):
                if time.time() - self.last >= heartbeat_s():
                    with contextlib.suppress(Exception):
                        # a storage hiccup (a file lock, a dropped connection): the next beat tries again; one that
                        # lasts is not silent, check() asks the storage itself once the last beat is grace_s / 2 old
                        self.beat()
        except BaseException as e:  # noqa: BLE001 - without heartbeats the trial would be judged lost and run twice
            self.error = e

    def check(self) -> None:
        """Raise TrialAbandoned if the trial is no longer this worker's. Cheap unless the last beat is old (the
        process was frozen), when it asks the storage. A heartbeat thread that stopped fails the trial."""
        if self.error is not None:
            raise RuntimeError(f"the trial's heartbeat stopped ({type(self.error).__name__}: {self.error}); without it "
                               "the trial would be judged lost and run twice")
        if self.lost or (time.time() - self.last > grace_s() / 2 and not self.beat()):
            raise TrialAbandoned(f"trial {self.trial.number} was declared lost while this worker was frozen; another worker re-runs it")

    def stop(self) -> None:
        self._stop.set()
