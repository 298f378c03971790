"""What a run prints and what it keeps: Lightning's loggers (curves on disk) and the libraries' chatter.

Curves go through Lightning's own loggers into ``<run>/logs/``: ``metrics.csv`` always, a TensorBoard event
file when ``tensorboard`` is installed. Rows are keyed by the protocol's step (not Lightning's optimizer-step
count), so a curve's x-axis is the step a user asked for. A resumed run starts a new file and keeps the earlier
ones as ``metrics-0.csv``, ``metrics-1.csv``, ...; readers take them in order, the last row of a step winning
(``analysis.load.read_curves``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import logging
import os
import sys
import time
import warnings
from pathlib import Path

if TYPE_CHECKING:  # annotations only
    from .module import GANModule

LOG_DIR = "logs"

# chatter a user cannot act on: Lightning's tips and end-of-fit info, a deprecation inside Lightning's own code
_LIBRARY_LOGGERS = ("pytorch_lightning", "lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric")


def quiet_libraries(verbose: bool = False) -> None:
    """Quiet by default; ``verbose`` lets everything through. Lightning sets its loggers' level when imported,
    so this imports it first."""
    if not verbose:  # before the import: one of these is raised while Lightning imports
        warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    import pytorch_lightning  # noqa: F401

    level = logging.INFO if verbose else logging.WARNING
    for name in _LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(level)
    if not verbose:
        warnings.filterwarnings("ignore", message=r".*does not have many workers.*")
        warnings.filterwarnings("ignore", message=r".*srun.*")
        warnings.filterwarnings("ignore", message=r".*smaller than the logging interval.*")
        # ganbench's loader is a range of step numbers, which Lightning positions itself on resume (tests/test_train.py)
        warnings.filterwarnings("ignore", message=r".*your dataloader is not resumable.*")
        warnings.filterwarnings("ignore", message=r".*Experiment logs directory.*exists and is not empty.*")


def run_loggers(run_dir: Path) -> list[Any]:
    """CSV always; TensorBoard too where it is installed (it is an optional extra)."""
    from pytorch_lightning.loggers import CSVLogger

    curves = Path(run_dir) / LOG_DIR / "metrics.csv"
    if curves.exists():  # a resumed run: Lightning's CSVLogger deletes the file it finds; keep it as a segment
        os.replace(curves, curves.with_name(f"metrics-{len(list(curves.parent.glob('metrics-*.csv')))}.csv"))
    loggers = [CSVLogger(save_dir=str(run_dir), name=LOG_DIR, version="")]
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return loggers
    from pytorch_lightning.loggers import TensorBoardLogger

    return loggers + [TensorBoardLogger(save_dir=str(run_dir), name=LOG_DIR, version="tensorboard", default_hp_metric=False)]


def log_every(steps: int) -> int:
    """About 500 points a curve, and every step of a short run."""
    return max(1, steps // 500)


PLAIN_EVERY_S, PLAIN_EVERY_FRACTION = 30.0, 0.05


def interactive() -> bool:
    """Whether progress goes to a terminal; otherwise (a SLURM job's output file, `make demo > log`) a bar's
    redraws would pile up in the file, and plain lines are printed instead."""
    return sys.stderr.isatty()


class PlainProgress:
    """A progress bar for files: ``desc: n/total (p%) postfix, elapsed`` on its own line every 30 s or every 5% of
    the total, whichever comes first, and once at the end. The part of tqdm's interface ganbench uses: ``n``,
    ``set_postfix``, ``refresh``, ``update``, and use as a context manager."""

    def __init__(self, total: int, desc: str, stream: Any=None) -> None:
        self.total, self.desc, self.n, self.stream = total, desc, 0, stream or sys.stderr
        self.postfix, self.started = "", time.monotonic()
        self._last_time, self._last_n = self.started, 0

    def set_postfix(self, **values: Any) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def update(self, n: int = 1) -> None:
        self.n += n
        self.refresh()

    def refresh(self) -> None:
        now = time.monotonic()
        step = max(1, int(self.total * PLAIN_EVERY_FRACTION)) if self.total else None
        if now - self._last_time >= PLAIN_EVERY_S or (step and self.n - self._last_n >= step):
            self._print(now)

    def _print(self, now: float) -> None:
        pct = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        extra = f", {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {self.n}/{self.total}{pct}{extra}, {_clock(now - self.started)}", file=self.stream, flush=True)
        self._last_time, self._last_n = now, self.n

    def close(self) -> None:
        if self.n != self._last_n:
            self._print(time.monotonic())

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


def progress_bar(total: int, desc: str, enabled: bool = True) -> Any:
    """tqdm on a terminal, PlainProgress in a file, nothing when not ``enabled``."""
    from tqdm import tqdm

    if not enabled:
        return tqdm(total=total, disable=True)
    return tqdm(total=total, desc=desc) if interactive() else PlainProgress(total, desc)


def training_progress(steps: int) -> Any:
    """The Lightning callback that shows a run's progress: its TQDM bar on a terminal, plain lines in a file."""
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import TQDMProgressBar

    if interactive():
        return TQDMProgressBar(refresh_rate=max(1, steps // 200))

    class PlainTrainingProgress(pl.Callback):
        def __init__(self) -> None:
            self.bar = PlainProgress(steps, "training steps")

        def on_train_batch_end(self, trainer: pl.Trainer, module: pl.LightningModule, *args: Any) -> None:
            losses = {k: f"{float(v):.3g}" for k, v in trainer.progress_bar_metrics.items()}
            self.bar.set_postfix(**losses)
            self.bar.n = cast("GANModule", module).steps_done  # steps as the protocol counts them
            self.bar.refresh()

        def on_train_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.bar.close()

    return PlainTrainingProgress()
