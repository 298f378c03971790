"""What a run prints and what it keeps: Lightning's loggers (curves on disk) and the libraries' chatter.

Curves go through Lightning's own loggers into ``<run>/logs/``: ``metrics.csv`` always, a TensorBoard event
file when ``tensorboard`` is installed. Rows are keyed by the protocol's step (not Lightning's optimizer-step
count), so a curve's x-axis is the step a user asked for. A resumed run appends; readers keep the last row
of a step (``analysis.load.read_curves``).
"""
from __future__ import annotations

import logging
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


def run_loggers(run_dir: Path) -> list:
    """CSV always; TensorBoard too where it is installed (it is an optional extra)."""
    from pytorch_lightning.loggers import CSVLogger

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
