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


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def __iter__(self):  # code, out, err = ganbench(...)
        return iter((self.returncode, self.stdout, self.stderr))


@pytest.fixture
def ganbench(capsys):
    """Runs the CLI in this process (importing torch once keeps the suite fast); the console script is run
    as a subprocess in test_cli.py's test_train_end_to_end."""
    from ganbench.cli import main

    def _run(*args):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:
            code = e.code
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return _run
