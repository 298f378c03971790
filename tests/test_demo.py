"""`make demo`, shortened: the same studies at 300 steps a trial, run as `make demo` runs them, must print a
summary that names the best variant of each data set and a significant difference. At 300 steps the digits' minimax
GAN has saturated (measured p = 0.000 against the best, as at 400; 0.015 at 250); at 10 steps a "significant"
difference is printed too (p = 0.018), so the length matters, not only the line."""
import re
import subprocess
import sys

import pytest


@pytest.mark.slow(seconds=200)
def test_shortened_demo_finds_a_significant_difference(tmp_path):
    r = subprocess.run([sys.executable, "-m", "ganbench.sweeps.demo", "--results", str(tmp_path), "--steps", "300"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    summary = r.stdout[r.stdout.index("What the demo found"):].splitlines()
    assert len(summary) == 4, summary  # the heading, a line per data set, the report's path
    assert summary[1].lstrip().startswith("mnist5k: best ") and summary[2].lstrip().startswith("ring8: best ")
    assert re.search(r"better than \w+ \(p = 0\.0[0-4]\d*, significant\)", "\n".join(summary)), summary
    assert (tmp_path / "demo-report" / "index.html").is_file() and summary[3].strip().startswith("report: ")
    assert "Warning" not in r.stderr and "Tip" not in r.stderr  # quiet: the progress bars only
