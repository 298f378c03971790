"""`make perf`: what a command that only lists, checks or explains costs a fresh interpreter, against what it cost
when the CLI imported training, scoring and the sweep runner up front (the same commands after importing them), side
by side in one run, best of three wall times each:

    .venv/bin/python tests/perf/cli_startup.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from tier import QUICK, size

EAGER = "import ganbench.benchmark.train, ganbench.benchmark.samples, ganbench.sweeps.runner; "
COMMANDS = {"--help": ["--help"], "variants": ["variants"], "spec": ["spec", "sweeps/studies/demo_ring.yaml"],
            "train, refused": ["train", "--variant", "ns_gan", "--dataset", "ring8", "--arch", "infogan", "--steps", "2",
                               "--out", tempfile.mkdtemp() + "/out"]}


def wall(prefix: str, args: list[str]) -> float:
    code = f"{prefix}import sys; from ganbench.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass"
    best = float("inf")
    for _ in range(size(3, 1)):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
        best = min(best, time.perf_counter() - t)
    return best


if __name__ == "__main__":
    print(f"{'command':16s} {'as now':>8s} {'eager imports':>14s} {'ratio':>6s}")
    for name, args in list(COMMANDS.items())[: 1 if QUICK else None]:
        light, eager = wall("", args), wall(EAGER, args)
        print(f"{name:16s} {light:7.2f}s {eager:13.2f}s {eager / light:5.1f}x")
