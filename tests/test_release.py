"""A release builds: the sdist and the wheel of this checkout build, pass `twine check` (the metadata and README a
package index renders), and carry what an installed ganbench needs (its license, the package data commands read at
run time, the version pyproject.toml says) and nothing of a local run (results/gpu_check holds only kept checks)."""
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out, source = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("source")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, tracked):  # the tracked files of the checkout as they are now: the build writes beside them
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    # --no-isolation: the build backend is the test environment's setuptools (a release builds in isolation, online)
    r = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(out), str(source)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return out


@pytest.mark.slow(seconds=30)
def test_the_sdist_and_wheel_build_and_pass_twine_check(dist):
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    r = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.slow(seconds=5)
def test_the_wheel_carries_license_version_and_package_data(dist):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    wheel = next(dist.glob("*.whl"))
    assert wheel.name.startswith(f"ganbench-{version}-")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = Parser().parsestr(z.read(f"ganbench-{version}.dist-info/METADATA").decode())
    assert meta["License-Expression"] == "Apache-2.0" and meta["Version"] == version
    assert f"ganbench-{version}.dist-info/licenses/LICENSE" in names
    for needed in ("ganbench/cli.py", "ganbench/benchmark/metrics/weights/lenet_mnist.pt", "ganbench/sweeps/studies/demo.yaml",
                   "ganbench/results/published/lucic2018.csv", "ganbench/results/published/fid_anchor.csv"):
        assert needed in names, needed
    assert not any("/runs/" in n or n.startswith("tests/") for n in names)


def test_version_names_the_release_and_the_checkouts_commit():
    r = subprocess.run([sys.executable, "-m", "ganbench.cli", "--version"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert r.returncode == 0 and r.stdout.startswith(f"ganbench {version}")
    if (ROOT / ".git").exists():
        commit = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        assert f"(commit {commit}" in r.stdout


@pytest.mark.slow(seconds=15)
def test_the_wheel_installs_and_runs_outside_the_checkout(dist, tmp_path):
    """pip installs the wheel (its dependencies are this environment's), and the installed ganbench, imported from
    there and not from the checkout, names its version and lists its variants."""
    import os

    target = tmp_path / "site"
    wheel = next(dist.glob("*.whl"))
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import ganbench, ganbench.cli; print(ganbench.__file__); print(ganbench.__version__); ganbench.cli.main(['variants'])"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    where, version, *listing = r.stdout.splitlines()
    assert where.startswith(str(target)) and version == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert any("r3gan" in line for line in listing)
