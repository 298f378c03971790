"""How far `make demo`'s numbers and conclusions move with the machine: the whole demo run once per kernel setting
(ganbench.benchmark.machine: the same CPU with its math kernels held to other instruction sets, as another CPU
would sum), one after the other on the same cores, each into its own folder; what each found is kept as data in
results/demo_machines/ (conclusions.csv: a row per setting, data set and compared variant; meta.json: the command,
commit, machine and wall times). The demo's summary and the README say from it which conclusions held on all.

    python tools/demo_machines.py                          # native, all-avx2, all-sse: about 25 minutes on 2 cores
    python tools/demo_machines.py --settings native,all-sse --out runs/demo_machines
"""
from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from ganbench.analysis.load import load_trials
from ganbench.analysis.tables import conclusions, held_across
from ganbench.benchmark.files import write_json
from ganbench.benchmark.machine import KERNEL_SETTINGS, kernel_env, machine
from ganbench.sweeps.demo import SPECS

ROOT = Path(__file__).resolve().parents[1]
KEPT = ROOT / "results" / "demo_machines"
DEFAULT = ("native", "all-avx2", "all-sse")


def run(setting: str, work: Path) -> tuple[pd.DataFrame, float]:
    started = time.time()
    subprocess.run([sys.executable, "-m", "ganbench.sweeps.demo", "--results", str(work / setting)], env=kernel_env(setting),
                   check=True, stdout=subprocess.DEVNULL)
    found = conclusions(load_trials([work / setting / name for name in SPECS]))
    return found.assign(setting=setting, **{"kernel_env": " ".join(f"{k}={v}" for k, v in KERNEL_SETTINGS[setting].items())}), time.time() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--settings", default=",".join(DEFAULT), help=f"comma-separated, of: {', '.join(KERNEL_SETTINGS)}")
    p.add_argument("--out", type=Path, default=KEPT, help="where conclusions.csv and meta.json go (default results/demo_machines)")
    args = p.parse_args()
    settings = args.settings.split(",")
    if unknown := [s for s in settings if s not in KERNEL_SETTINGS]:
        p.error(f"--settings: unknown {', '.join(unknown)}; choose from {', '.join(KERNEL_SETTINGS)}")
    work = Path(tempfile.mkdtemp(prefix="ganbench-demo-machines-"))
    found, walls = [], {}
    for setting in settings:
        rows, walls[setting] = run(setting, work)
        found.append(rows)
        print(f"{setting}: {walls[setting] / 60:.1f} min", flush=True)
    table = pd.concat(found, ignore_index=True)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "conclusions.csv", index=False)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip() or None
    write_json(args.out / "meta.json", {"command": "python tools/demo_machines.py " + " ".join(sys.argv[1:]), "commit": commit,
                                        "date": datetime.date.today().isoformat(), "machine": machine(), "settings": settings,
                                        "wall_time_s": {s: round(w) for s, w in walls.items()},
                                        "note": "one setting after another on the same cores, nothing else running"})
    print("\n".join(held_across(table)))


if __name__ == "__main__":
    main()
