"""ganbench: a benchmark harness for GANs in the style of Lucic et al. 2018."""
from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

try:
    __version__ = version("ganbench")  # pyproject.toml says it, once
except PackageNotFoundError:  # imported from a checkout that was never installed
    __version__ = "unknown"


def version_line() -> str:
    """``ganbench 0.2.0``, and from a git checkout the commit it runs (with ``+dirty`` when files differ from it)."""
    root = Path(__file__).resolve().parents[1]
    if (root / ".git").exists():
        try:
            run = lambda *args: subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)  # noqa: E731
            commit = run("rev-parse", "--short=10", "HEAD").stdout.strip()
            dirty = run("status", "--porcelain", "--untracked-files=no").stdout.strip()
            if commit:
                return f"ganbench {__version__} (commit {commit}{'+dirty' if dirty else ''})"
        except (OSError, subprocess.SubprocessError):  # no git, or a checkout git cannot read: the release alone
            pass
    return f"ganbench {__version__}"
