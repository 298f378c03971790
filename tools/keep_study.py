"""Measured studies kept in the repository: `python tools/keep_study.py STUDY_DIR --command "..."` turns a
finished study directory into ``results/<study>/``: its tidy trial table (``trials.csv``, the report's columns; no
absolute paths), its ``spec.json``, PacGAN's per-epoch curves where the protocol logs them (``pacgan_epochs.csv``),
its headline figures (``figures/``: the best samples, the epochs, the seed phase's modes) and ``meta.json`` (the command, commit, machine and wall time that produced it).
No checkpoints, no samples. ``ganbench report results/<study>`` rebuilds the report from these files alone, and
``python tools/readme.py`` the README's measured tables and results/README.md.
"""
from __future__ import annotations

import argparse
import datetime
import shutil
import subprocess
from pathlib import Path


from ganbench.benchmark.files import write_json
from ganbench.benchmark.machine import machine
from ganbench.benchmark.identity import TrialStatus

from ganbench.analysis.load import KEPT_TABLE, load_trials
from ganbench.analysis.figures import colours_for, fig_pacgan_epochs, fig_seed_modes
from ganbench.analysis.tables import pacgan_epoch_curves, seed_table

RESULTS = Path(__file__).resolve().parents[1] / "results"
DROPPED = ("study_dir", "run_dir", "host", "slurm_job_id")  # where it ran, not what it measured


def _commit() -> str | None:
    out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=RESULTS.parent)
    return out.stdout.strip() or None


def keep(study_dir: Path | str, command: str, dest: Path | str | None = None, wall_time_s: float | None = None,
         commit: str | None = None, note: str | None = None) -> Path:
    """Write results/<study>/ from a finished study directory; returns that folder."""
    study_dir = Path(study_dir)
    df = load_trials([study_dir])
    name = df["study"].iloc[0]
    dest = Path(dest) if dest else RESULTS / name
    dest.mkdir(parents=True, exist_ok=True)
    epochs = pacgan_epoch_curves(df)
    df.drop(columns=[c for c in DROPPED if c in df]).to_csv(dest / KEPT_TABLE, index=False)
    shutil.copyfile(study_dir / "spec.json", dest / "spec.json")
    figures = []
    if len(epochs):
        epochs.to_csv(dest / "pacgan_epochs.csv", index=False)
        (dest / "figures").mkdir(exist_ok=True)
        figures = fig_pacgan_epochs(epochs, dest / "figures")
        for name_ in figures:  # the PNG is the gallery's; the SVG twin is not needed in the repository
            (dest / "figures" / f"{name_}.svg").unlink(missing_ok=True)
    seeds = seed_table(df)
    if len(seeds):  # each variant's best setting over seeds, on data sets with modes
        (dest / "figures").mkdir(exist_ok=True)
        for name_ in fig_seed_modes(seeds, dest / "figures", colours_for(df["variant"].unique())):
            (dest / "figures" / f"{name_}.svg").unlink(missing_ok=True)
            figures.append(name_)
    done = df[(df["status"] == TrialStatus.FINISHED) & df["score"].notna()]
    for dataset, g in done.groupby("dataset"):  # the best trial's samples: a picture of what the study reached
        best = g.loc[g["score"].astype(float).idxmin()]
        samples = Path(str(best["run_dir"])) / "samples.png"
        if samples.is_file():
            (dest / "figures").mkdir(exist_ok=True)
            shutil.copyfile(samples, dest / "figures" / f"best_samples_{dataset}.png")
            figures.append(f"best_samples_{dataset}")
    wall = wall_time_s if wall_time_s is not None else float(df["wall_time_s"].fillna(0).sum())
    write_json(dest / "meta.json", {"study": name, "command": command, "commit": commit or _commit(), "machine": machine(),
                                    "wall_time_s": wall, "trials": int(len(df)),
                                    "date": datetime.date.today().isoformat(), "figures": [f"figures/{f}.png" for f in figures],
                                    "note": note})
    return dest


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python tools/keep_study.py", description=__doc__)
    p.add_argument("study_dir")
    p.add_argument("--command", required=True, help="the command that produced the study, as a reader would rerun it")
    p.add_argument("--dest", help="default results/<study name>")
    p.add_argument("--wall-time-s", type=float, help="the command's wall time (default: the trials' training time summed)")
    p.add_argument("--commit", help="the commit that produced it (default: this checkout's)")
    p.add_argument("--note", help="one line a reader should know (e.g. what ran beside it)")
    a = p.parse_args()
    print(keep(a.study_dir, a.command, a.dest, a.wall_time_s, a.commit, a.note))
