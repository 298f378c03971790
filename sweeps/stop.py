"""The Lightning side of a trial's liveness (liveness.py): a callback that checks the heartbeat as training goes. Apart
from liveness so that the commands that only read a sweep's record (status, report) do not import Lightning (~3.5 s)."""
from __future__ import annotations

import pytorch_lightning as pl

from .liveness import Heartbeat


class StopIfAbandoned(pl.Callback):
    """Checks the heartbeat before every step's end hooks (so before a checkpoint is written); put it first."""

    def __init__(self, heartbeat: Heartbeat):
        self.heartbeat = heartbeat

    def on_train_batch_end(self, *args) -> None:
        self.heartbeat.check()

    def on_train_end(self, *args) -> None:
        self.heartbeat.check()
