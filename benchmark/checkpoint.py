"""Checkpoints for resuming a killed run: every N training iterations, written atomically."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import os
import time
from pathlib import Path

import pytorch_lightning as pl
from .schema import env

if TYPE_CHECKING:  # annotations only
    from .module import GANModule


class StepCheckpoint(pl.Callback):
    """Saves the whole training state (weights, optimisers, loop progress, RNG and data position, callbacks' state)
    to ``path`` every ``every`` iterations. It counts training steps as the protocol does, not Lightning's optimizer steps
    (n_disc + 1 per iteration under ganbench's protocol). It skips the last iteration, whose state the finished run saves anyway, and writes beside the file
    then renames, so a kill mid-write leaves the previous checkpoint whole. Add it after callbacks whose state
    it should hold (the FID schedule)."""

    def __init__(self, path: Path, every: int, steps: int, every_s: float | None = None) -> None:
        self.path, self.every, self.steps = Path(path), every, steps
        # also every `every_s` seconds of training, so that a slow machine (or a short SLURM window) never trains a
        # whole window without a checkpoint to requeue from
        self.every_s = env("GANBENCH_CHECKPOINT_S") if every_s is None else every_s
        self.last = time.monotonic()

    def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, *args: Any) -> None:
        n = cast("GANModule", module).steps_done  # steps as the protocol counts them
        due = n % self.every == 0 or time.monotonic() - self.last >= self.every_s
        if due and n < self.steps:
            self.last = time.monotonic()
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            trainer.save_checkpoint(tmp, weights_only=False)  # the whole training state
            os.replace(tmp, self.path)
