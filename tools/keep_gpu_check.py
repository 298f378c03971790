"""A `make gpu-check` record kept in the repository: `python tools/keep_gpu_check.py FILE [FILE ...]` checks each
file as `ganbench sweep plan --gpu-check` reads it and copies it to ``results/gpu_check/<device>.json``, which installs
with the package (pyproject.toml's package data) so that `sweep plan` prices that GPU without a measurement of its own.
`make gpu-check` itself writes to ~/.cache/ganbench/gpu_check/, never here: a local measurement reaches a built wheel
only through this tool."""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ganbench.sweeps.plan import PlanError, gpu_check_file_name, load_gpu_check

KEPT = Path(__file__).resolve().parents[1] / "results" / "gpu_check"


def keep(path: Path, kept: Path = KEPT) -> Path:
    record = load_gpu_check(path)  # PlanError naming the file and the field
    if record.get("gpu") is not True:
        raise PlanError(f"gpu-check: {path} was measured without CUDA ({record['device']}); only GPU records are kept")
    out = kept / gpu_check_file_name(record["device"])
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tools/keep_gpu_check.py", description=__doc__)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="records `make gpu-check` wrote")
    a = p.parse_args(argv)
    for path in a.files:
        try:
            print(f"kept: {keep(path)}")
        except PlanError as e:
            print(f"keep_gpu_check: error: {e}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
