"""The measured studies kept under results/: the README's measured tables and results/README.md are generated from
them, each rebuilds its report from its table alone, and a damaged table fails naming its path."""
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # the development tools: not part of the installed package
from readme import GALLERY, README, gallery, kept_studies, pages, render  # noqa: E402
KEPT = kept_studies()


def test_the_pages_and_the_gallery_are_generated_from_results():
    assert KEPT, "results/ holds no kept study"
    for page in pages():
        assert render(page.read_text()) == page.read_text(), f"{page.name} is stale: run python tools/readme.py"
    assert GALLERY.read_text() == gallery() + "\n", "results/README.md is stale: run python tools/readme.py"
    for study in KEPT:
        assert f"results/{study.name}" in README.read_text() and study.name in GALLERY.read_text()
        for fig in (study / "figures").glob("*.png"):
            assert f"({study.name}/figures/{fig.name})" in GALLERY.read_text()
    assert sum(f.stat().st_size for f in (ROOT / "results").rglob("*") if f.is_file()) < 5_000_000  # a few MB at most


@pytest.mark.parametrize("study", KEPT, ids=[s.name for s in KEPT])
def test_a_kept_study_rebuilds_its_report_from_its_table_alone(study, tmp_path, ganbench):
    r = ganbench("report", study, "--out", tmp_path / "report")
    assert r.returncode == 0, r.stderr
    comparison = tmp_path / "report" / "pacgan_comparison.csv"
    if comparison.is_file():  # its numbers are the documentation's
        readme = "".join(page.read_text() for page in pages())
        for row in pd.read_csv(comparison).itertuples():
            if row.metric == "modes_covered" and row.table == 1:  # the docs set Table 1 rows beside ours
                assert f"| {row.dataset} | {row.row} | `results/{study.name}` |" in readme
                assert f"{row.measured:.3g}" in readme


@pytest.mark.parametrize("damage, says", [
    (lambda df: df.drop(columns=["score"]), "lacks the column score"), (None, "does not parse"),
    (lambda df: pd.concat([df, df]), "times; a trial is one row"),  # pasted twice: every trial would count twice
    (lambda df: pd.concat([df, df.iloc[:1]]), "2 times; a trial is one row"),
    (lambda df: df.assign(status="great"), "status: 'great' is not allowed"),
    (lambda df: df.assign(score="low"), "score: holds text where numbers go"),
])
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


@pytest.mark.slow  # over 10 s: make test's tier
def test_keep_writes_a_study_that_reports_from_its_table_alone(tmp_path, ganbench):
    """A finished study kept: its table without absolute paths, its spec, meta (command, commit, machine, wall time),
    PacGAN's per-epoch curves and figures; the report from the kept folder equals the one from the study."""
    import json

    from keep_study import keep

    spec = tmp_path / "k.yaml"
    spec.write_text("name: k\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\n"
                    "steps: 100\n")
    assert ganbench("sweep", "run", spec, "--dir", tmp_path / "study").returncode == 0
    kept = keep(tmp_path / "study", "ganbench sweep run k.yaml", dest=tmp_path / "kept", wall_time_s=12.5)
    meta = json.loads((kept / "meta.json").read_text())
    assert meta["command"] == "ganbench sweep run k.yaml" and meta["wall_time_s"] == 12.5 and meta["machine"]["cores"] >= 1
    table = pd.read_csv(kept / "trials.csv")
    assert len(table) == 2 and "run_dir" not in table and "study_dir" not in table
    assert (kept / "figures" / "best_samples_ring8.png").is_file() and meta["figures"] == ["figures/best_samples_ring8.png"]
    for source in (tmp_path / "study", kept):
        assert ganbench("report", source, "--out", tmp_path / f"report-{source.name}").returncode == 0
    a, b = (pd.read_csv(tmp_path / f"report-{n}" / "budget_curves.csv") for n in ("study", "kept"))
    pd.testing.assert_frame_equal(a, b)
    md = (tmp_path / "report-kept" / "report.md").read_text()  # a plain-language summary first
    assert md.index("## In short") < md.index("## Best per variant")
    assert "- ring8: 1 variant (ns_gan), 2 settings each, 100 steps a trial, protocol ganbench." in md
