"""ganbench installed from a wheel, as a user outside the repository has it: the wheel built from this checkout,
installed into a new environment, run from a folder outside the checkout. Every file a command reads at run time
(the published tables, the study specs, the extractors' weights) must be inside the wheel."""
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the installed `ganbench` command, its environment, a working folder outside the checkout)."""
    tmp = tmp_path_factory.mktemp("installed")
    dist, source = tmp / "dist", tmp / "source"
    # built from a copy: a build writes build/ and *.egg-info beside its sources, and must not reuse stale ones
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "runs", "__pycache__", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(source)],
                   check=True, cwd=tmp, capture_output=True, timeout=300)
    (wheel,) = dist.glob("ganbench-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies (torch, Lightning, ...) from the test environment, by path: a .pth file there is not read, so the
    # checkout's editable install of ganbench stays out; ganbench itself comes from the wheel alone
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "-q", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp / "work"
    work.mkdir()
    return venv / "bin" / "ganbench", env, work, wheel


def run(installed, *args, timeout=300):
    ganbench, env, work, _ = installed
    out = subprocess.run([str(ganbench), *map(str, args)], cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"ganbench {' '.join(map(str, args))}: {out.stderr[-2000:]}"
    return out.stdout


@pytest.mark.slow(seconds=60)
def test_the_wheel_runs_outside_the_checkout(installed):
    ganbench, env, work, wheel = installed
    python = ganbench.parent / "python"
    where = subprocess.run([str(python), "-c", "import ganbench.benchmark, ganbench.analysis.tables as t; "
                            "print(ganbench.benchmark.__file__); print(t.LUCIC)"], cwd=work, env=env, capture_output=True, text=True)
    module, published = where.stdout.split()
    assert not Path(module).is_relative_to(ROOT) and not Path(published).is_relative_to(ROOT), where.stdout
    names = zipfile.ZipFile(wheel).namelist()
    assert "ganbench/results/published/lucic2018.csv" in names and "ganbench/sweeps/studies/tiny.yaml" in names
    assert not any(n.startswith(("ganbench/readme", "tools/", "tests/")) or "keep_study" in n for n in names), "development tools ship"

    assert "wgan_gp" in run(installed, "variants").split()
    spec = work / "tiny.yaml"
    shutil.copy(ROOT / "sweeps" / "studies" / "tiny.yaml", spec)
    assert "tiny" in run(installed, "spec", spec)
    plan = run(installed, "sweep", "plan", spec)
    assert "tiny" in plan and "ns_gan" in plan and "wgan_gp" in plan

    for kept in ("pacgan_ring_20k", "demo"):  # kept studies, copied: PacGAN's table and the Lucic table are read
        shutil.copytree(ROOT / "results" / kept, work / kept)
        run(installed, "report", work / kept, "--out", work / f"{kept}-report")
        assert (work / f"{kept}-report" / "index.html").is_file()
    md = (work / "pacgan_ring_20k-report" / "report.md").read_text()
    assert "## Beside PacGAN (Lin et al. 2018)" in md and "within_2se" in md
