"""`make check`'s type check: mypy over the ganbench package as it installs. setup.py maps the design's folders into
the namespace (ganbench.benchmark is benchmark/, ...), which mypy cannot follow from the source tree, so the package
is laid out once as links under .typecheck/ (ignored by git) and mypy reads it there; each error is printed with its
path in the repository. Settings, strictness and the exceptions: pyproject.toml's [tool.mypy]. Exit status mypy's."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TREE = ROOT / ".typecheck"
FOLDERS = ("benchmark", "sweeps", "analysis", "results")  # installed as ganbench.<folder> (setup.py)


def layout() -> Path:
    package = TREE / "ganbench"
    package.mkdir(parents=True, exist_ok=True)
    links = {**{f: ROOT / f for f in FOLDERS}, **{p.name: p for p in (ROOT / "ganbench").glob("*.py")}}
    for name, target in links.items():
        link = package / name
        if not (link.is_symlink() and link.resolve() == target):
            link.unlink(missing_ok=True)
            link.symlink_to(target)
    for stale in package.iterdir():
        if stale.name not in links:
            stale.unlink()
    return TREE


def main() -> int:
    tree = layout()
    r = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir",
                        str(ROOT / ".mypy_cache"), "-p", "ganbench"], cwd=tree, capture_output=True, text=True)
    out = r.stdout.replace("ganbench/benchmark/", "benchmark/").replace("ganbench/sweeps/", "sweeps/").replace(
        "ganbench/analysis/", "analysis/").replace("ganbench/results/", "results/")
    sys.stdout.write(out)
    sys.stderr.write(r.stderr)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
