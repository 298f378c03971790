"""`make demo`, shortened: the same studies and report at 20 steps a trial (5 settings of each variant, as the demo
runs them), run as `make demo` runs them. The summary names the best variant of each data set and a verdict with its
p-value against each other variant; quiet output; the report written. Whether the verdicts are right is the
significance test's own tests (tests/test_report.py); what the full-length demo finds is kept in the README, from a
run of `make demo`. (A length check here proves little: at 10 steps a "significant" difference is printed too.)"""
import re
import subprocess
import sys

import pytest

VERDICT = r"(better than (\w+) \(p = (0\.\d{3}), significant\)|not significantly better than (\w+) \(p = ([01]\.\d\d)\))"


@pytest.mark.slow(seconds=60)
def test_shortened_demo_prints_what_it_found_and_writes_its_report(tmp_path):
    r = subprocess.run([sys.executable, "-m", "ganbench.sweeps.demo", "--results", str(tmp_path), "--steps", "20"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    summary = r.stdout[r.stdout.index("What the demo found"):].splitlines()
    assert len(summary) == 4, summary  # the heading, a line per data set, the report's path
    for line, dataset, variants in ((summary[1], "mnist5k", {"ns_gan", "mm_gan", "vae"}), (summary[2], "ring8", {"ns_gan", "lsgan"})):
        found = re.fullmatch(rf"  {dataset}: best (\w+) \(\S[^()]* [\d.]+, 5 settings\); (.*)", line)
        assert found, line
        verdicts = found.group(2).split("; ")
        assert all(re.fullmatch(VERDICT, v) for v in verdicts), verdicts
        others = {m[1] or m[3] for m in (re.fullmatch(VERDICT, v).groups() for v in verdicts)}
        assert {found.group(1)} | others == variants and found.group(1) not in others, line
    assert (tmp_path / "demo-report" / "index.html").is_file() and summary[3].strip().startswith("report: ")
    assert "Warning" not in r.stderr and "Tip" not in r.stderr  # quiet: the progress bars only


def test_the_demo_says_which_conclusions_held_under_other_kernels():
    """From the kept demo under three kernel settings: the digits' best varied (the VAE and ns_gan are never
    significantly apart), mm_gan is below the best on every setting, and the ring's verdict held on all."""
    from pathlib import Path

    import pandas as pd

    from ganbench.analysis.tables import held_across

    kept = pd.read_csv(Path(__file__).resolve().parents[1] / "results" / "demo_machines" / "conclusions.csv")
    mnist, ring = held_across(kept)
    assert mnist.startswith("mnist5k: best varied:") and "ns_gan and vae not significant on all" in mnist
    assert "mm_gan significantly below the best on all" in mnist
    assert ring.startswith("ring8: best lsgan on all 3") and "better than ns_gan on all" in ring
