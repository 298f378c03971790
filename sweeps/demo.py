"""`make demo`: run sweeps/studies/demo.yaml and demo_ring.yaml with local workers into runs/, write their
report, and print what they found. A second run resumes the studies (finished trials are kept).
``python -m ganbench.sweeps.demo --steps N --settings K`` shortens it (the tests do)."""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import time
from importlib.resources import files
from pathlib import Path

import pandas as pd

from ganbench.analysis.load import load_trials
from ganbench.analysis.report import write_report
from ganbench.analysis.tables import conclusions, held_across, summary_lines

from .executors import run_local
from .storage import save_spec
from .spec import SpecError, load_spec

SPECS = ("demo", "demo_ring")
# the demo's conclusions under several kernel settings (tools/demo_machines.py): what moves with the machine
ON_OTHER_MACHINES = files("ganbench.results") / "demo_machines" / "conclusions.csv"


def machine_lines(found: pd.DataFrame) -> list[str]:
    """Which of the demo's conclusions held on every machine measured and on this run, with the range of their numbers."""
    if not ON_OTHER_MACHINES.is_file():
        return []
    kept = pd.read_csv(ON_OTHER_MACHINES)
    both = pd.concat([kept, found.assign(setting="this run")], ignore_index=True)
    return [f"with {kept['setting'].nunique()} kernel settings measured (results/demo_machines) and this run:",
            *(f"  {line}" for line in held_across(both))]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m ganbench.sweeps.demo", description=__doc__)
    p.add_argument("--results", default="runs", help="where the studies and the report go (default runs/)")
    p.add_argument("--steps", type=int, help="training steps per trial (default: the specs')")
    p.add_argument("--settings", type=int, help="settings per variant (default: the specs')")
    args = p.parse_args(argv)
    started, dirs = time.time(), []
    for name in SPECS:
        spec = load_spec(Path(__file__).parent / "studies" / f"{name}.yaml")
        changes = {k: v for k, v in (("steps", args.steps), ("settings", args.settings)) if v}
        if changes:
            spec = dataclasses.replace(spec, name=f"{spec.name}-short", eval_every=spec.eval_every and min(spec.eval_every, changes.get("steps", spec.steps)), **changes)
        study_dir = Path(args.results) / spec.name
        try:
            save_spec(study_dir, spec)
        except SpecError:  # the demo's own output from an older demo spec: start it again
            print(f"{study_dir} holds an older demo; starting it again")
            shutil.rmtree(study_dir)
            save_spec(study_dir, spec)
        print(f"study {spec.name}: {', '.join(spec.variants)} on {', '.join(spec.datasets)}, {spec.settings} settings each, "
              f"{spec.steps} steps a trial, into {study_dir}")
        run_local(study_dir, workers=max(1, min(2, os.cpu_count() or 1)), progress=True)
        dirs.append(study_dir)
    index = write_report(dirs, Path(args.results) / "demo-report")
    print(f"\nWhat the demo found ({(time.time() - started) / 60:.1f} min):")
    df = load_trials(dirs)
    shortened = bool(args.steps or args.settings)  # not the demo the kept machines ran
    for line in summary_lines(df) + ([] if shortened else machine_lines(conclusions(df))):
        print(f"  {line}")
    print(f"  report: {index.resolve()} (samples of each variant's best trial under Figures)")


if __name__ == "__main__":
    main()
