"""What a run prints and what it keeps: Lightning's loggers (curves on disk) and the libraries' chatter.

Curves go through Lightning's own loggers into ``<run>/logs/``: ``metrics.csv`` always, a TensorBoard event
file when ``tensorboard`` is installed. Rows are keyed by the protocol's step (not Lightning's optimizer-step
count), so a curve's x-axis is the step a user asked for. A resumed run starts a new file and keeps the earlier
ones as ``metrics-0.csv``, ``metrics-1.csv``, ...; readers take them in order, the last row of a step winning
(``analysis.load.read_curves``).
"""
from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path

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


def run_loggers(run_dir: Path) -> list:
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
