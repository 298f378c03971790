"""Same seed, same numbers: the fixed runs of tests/regression/same_seed.py (every kind of training step, a sweep)
give exactly the numbers kept in same_seed.json. A change to how runs are built, trained or recorded that moves
them is a change of results, and must say so by rewriting the reference (``same_seed.py --write``)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent / "regression"


@pytest.mark.slow(seconds=70)
def test_same_seed_numbers_are_kept(tmp_path):
    """In a fresh interpreter with an empty feature cache: the reference was kept with a warm one, so this also
    proves that scoring during training (which builds the cache) leaves the training's random streams alone."""
    env = {**os.environ, "GANBENCH_CACHE": str(tmp_path / "cache")}
    r = subprocess.run([sys.executable, str(HERE / "same_seed.py")], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got, kept = json.loads(r.stdout), json.loads((HERE / "same_seed.json").read_text())
    assert got.keys() == kept.keys()
    for run, numbers in kept.items():
        assert got[run] == numbers, run
