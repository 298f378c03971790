import logging
import os

import pytest

logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
os.environ.setdefault("GANBENCH_CACHE", "")


@pytest.fixture
def run(tmp_path):
    """Train from keyword settings into a fresh directory; returns (metrics, run_dir)."""
    from benchmark.train import resolve_config, train

    counter = iter(range(1000))

    def _run(**settings):
        out = tmp_path / f"run{next(counter)}"
        return train(resolve_config(**settings), out, progress=False), out

    return _run
