"""`make perf` stays working: every script its target runs (read from the Makefile, so the list is said once) runs
to the end at its quick size (tests/perf/tier.py: the measurement's code path, not its length) and prints what the
full size prints."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def perf_scripts() -> list[str]:
    recipe = re.search(r"^perf:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M).group(1)
    return re.findall(r"(tests/perf/\w+\.py)", recipe)


def test_make_perf_runs_the_scripts_here():
    assert len(perf_scripts()) >= 8 and all((ROOT / s).is_file() for s in perf_scripts())


@pytest.mark.slow(seconds=15)
@pytest.mark.parametrize("script", perf_scripts())
def test_perf_script_runs_at_its_quick_size(script, tmp_path):
    env = {**os.environ, "GANBENCH_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, script, "--quick"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip(), "printed nothing"
    assert "Traceback" not in r.stderr
