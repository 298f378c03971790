"""The measured studies kept under results/: the README's measured tables and results/README.md are generated from
them, each rebuilds its report from its table alone, and a damaged table fails naming its path."""
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ganbench.readme import GALLERY, README, gallery, kept_studies, render

ROOT = Path(__file__).resolve().parent.parent
KEPT = kept_studies()


def test_the_readme_and_the_gallery_are_generated_from_results():
    assert KEPT, "results/ holds no kept study"
    assert render(README.read_text()) == README.read_text(), "README.md is stale: run python -m ganbench.readme"
    assert GALLERY.read_text() == gallery() + "\n", "results/README.md is stale: run python -m ganbench.readme"
    for study in KEPT:
        assert f"`results/{study.name}`" in README.read_text() or study.name in GALLERY.read_text()
        for fig in (study / "figures").glob("*.png"):
            assert f"({study.name}/figures/{fig.name})" in GALLERY.read_text()
    assert sum(f.stat().st_size for f in (ROOT / "results").rglob("*") if f.is_file()) < 5_000_000  # a few MB at most


@pytest.mark.parametrize("study", KEPT, ids=[s.name for s in KEPT])
def test_a_kept_study_rebuilds_its_report_from_its_table_alone(study, tmp_path, ganbench):
    r = ganbench("report", study, "--out", tmp_path / "report")
    assert r.returncode == 0, r.stderr
    comparison = tmp_path / "report" / "pacgan_comparison.csv"
    if comparison.is_file():  # its numbers are the README's
        readme = README.read_text()
        for row in pd.read_csv(comparison).itertuples():
            if row.metric == "modes_covered":
                assert f"| {row.dataset} | {row.row} | `results/{study.name}` |" in readme
                assert f"{row.measured:.3g}" in readme


@pytest.mark.parametrize("damage, says", [(lambda df: df.drop(columns=["score"]), "lacks the column score"),
                                          (None, "does not parse")])
def test_a_damaged_table_fails_with_its_path(tmp_path, ganbench, damage, says):
    study = tmp_path / KEPT[0].name
    shutil.copytree(KEPT[0], study)
    table = study / "trials.csv"
    if damage is None:
        table.write_bytes(b"\x00\x01garbage\n\"unclosed")
    else:
        damage(pd.read_csv(table)).to_csv(table, index=False)
    r = ganbench("report", study, "--out", tmp_path / "report")
    assert r.returncode == 2 and str(table) in r.stderr and says in r.stderr and r.stderr.count("\n") == 1
