"""`make demo`: run sweeps/studies/demo.yaml with local workers into results/demo, then write its report.
A second run resumes the study (finished trials are kept) and rewrites the report."""
import logging
import os
from pathlib import Path

from analysis.report import write_report

from .runner import run_local, save_spec
from .spec import load_spec


def main() -> None:
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    dirs = []
    for name in ("demo", "demo_ring"):
        spec = load_spec(Path(__file__).parent / "studies" / f"{name}.yaml")
        study_dir = Path("results") / spec.name
        save_spec(study_dir, spec)
        print(f"study {spec.name}: {len(spec.variants)} variants x {spec.datasets} x {spec.settings} settings, into {study_dir}")
        run_local(study_dir, workers=max(1, min(2, os.cpu_count() or 1)))
        dirs.append(study_dir)
    index = write_report(dirs, Path("results") / "demo-report")
    print(f"report: {index.resolve()}")


if __name__ == "__main__":
    main()
