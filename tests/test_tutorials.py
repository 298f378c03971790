"""Each tutorial's commands, as a reader pastes them, at a small size: every ```bash block of the page runs in order
in a fresh folder (with the checkout's sweeps/, scripts/ and examples/ beside it), the size variables the page
declares set small. The SLURM tutorial runs on the test cluster and PostgreSQL server the suite starts."""
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TUTORIALS = ROOT / "docs" / "tutorials"
SMALL = {"first-study": dict(STEPS="20", SETTINGS="1"), "slurm": dict(STEPS="20", SETTINGS="1", SEEDS="0"),
         "reproduce-pacgan": dict(EPOCHS="0.01", RUNS="0"),
         "lucic-gpu": {}, "plugin": dict(STEPS="30"), "pix2pix": dict(STEPS="4")}
SECONDS = {"first-study": 60, "slurm": 120, "reproduce-pacgan": 90, "lucic-gpu": 60, "plugin": 20, "pix2pix": 40}


def blocks(page: Path) -> str:
    return "\n".join(re.findall(r"```bash\n(.*?)```", page.read_text(), re.S))


def test_every_tutorial_is_run_here():
    assert {p.stem for p in TUTORIALS.glob("*.md")} == set(SMALL)
    for name in SMALL:
        assert blocks(TUTORIALS / f"{name}.md").strip(), name


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow(seconds=SECONDS[n])) for n in SMALL])
def test_a_tutorial_runs_as_written(name, tmp_path, request):
    if name == "slurm":
        request.getfixturevalue("slurm")
        request.getfixturevalue("postgres")
    for folder in ("sweeps", "scripts", "examples"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    script = "set -euo pipefail\n" + blocks(TUTORIALS / f"{name}.md")
    study = {"STUDY": f"cluster_study_{uuid.uuid4().hex[:8]}"} if name == "slurm" else {}  # the server keeps earlier runs' studies
    env = {**os.environ, **SMALL[name], **study, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{name}: {done.stderr[-3000:]}"
    if name in ("first-study", "reproduce-pacgan", "slurm"):
        report = {"first-study": "my_study-report", "reproduce-pacgan": "my_pacgan-report", "slurm": "cluster_study-report"}[name]
        assert (tmp_path / "runs" / report / "index.html").is_file()
    if name == "slurm":  # run --wait returned once the array ended, with the budget spent; resume then submits nothing
        status = [line.split() for line in done.stdout.splitlines() if line.startswith(("ns_gan ", "lsgan "))]
        assert len(status) >= 2 and all(row[2] == "1/1" for row in status), done.stdout
        assert "nothing to resume" in done.stdout and done.stdout.count("submitted job array") == 1, done.stdout
