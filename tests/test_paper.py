"""`ganbench paper`: LaTeX tables a paper can \\input (booktabs, the best in bold, significance marks) and PDF figures
at one- and two-column width with embedded fonts, each file naming the kept data and the command that made it;
``--only`` writes exactly one file again. Checked structurally (no TeX engine is installed by `make test`)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDIES = [str(ROOT / "results" / "objectives_today_2d")]


def ganbench(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ganbench.cli", *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper")
    r = ganbench("paper", *STUDIES, "--out", out)
    assert r.returncode == 0, r.stderr
    return out


def _check_tabular(text: str) -> None:
    """What a LaTeX run would choke on: unbalanced braces, a row with another number of cells than its columns, a
    missing booktabs rule, an unescaped underscore outside math."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("%"))
    assert body.count("{") == body.count("}")
    cols = len(re.search(r"\\begin\{tabular\}\{([lrc]+)\}", body).group(1))
    rows = [line for line in body.splitlines() if line.endswith(r"\\")]
    assert rows and all(line.count("&") == cols - 1 for line in rows), rows
    for rule in (r"\toprule", r"\midrule", r"\bottomrule", r"\end{tabular}", r"\end{table}", r"\caption{", r"\label{"):
        assert rule in body
    assert not re.search(r"(?<!\\)_", re.sub(r"\$[^$]*\$", "", body)), "an unescaped _ outside math"


@pytest.mark.slow(seconds=20)
def test_tables_are_booktabs_with_the_best_bold_and_say_what_made_them(paper):
    scores = (paper / "tables" / "scores.tex").read_text()
    _check_tabular(scores)
    assert scores.count(r"\textbf{") == 2  # the best on each of ring8 and grid25
    assert r"^{*}" in scores  # some arm is significantly worse than its data set's best
    header = [line for line in scores.splitlines() if line.startswith("%")]
    assert header[0].startswith("% made by: ganbench paper ") and any("objectives_today_2d (trials.csv sha256 " in h for h in header)
    assert any(h.startswith("% with: ganbench ") for h in header)
    _check_tabular((paper / "tables" / "seeds.tex").read_text())
    assert r"$\pm$" in (paper / "tables" / "seeds.tex").read_text()


@pytest.mark.slow(seconds=5)
def test_figures_are_pdfs_at_column_widths_with_embedded_fonts(paper):
    pdfs = sorted((paper / "figures").glob("*.pdf"))
    assert len(pdfs) == 8  # scores and budget, each data set, both widths
    for pdf in pdfs:
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF-")
        width = float(re.search(rb"/MediaBox \[ 0 0 ([\d.]+) [\d.]+ \]", data).group(1))
        assert width == pytest.approx({"1col": 3.25, "2col": 6.75}[pdf.stem.rsplit("_", 1)[1]] * 72)
        assert b"/FontFile2" in data and b"/Type3" not in data  # TrueType, embedded: what publishers ask for
        assert b"made by: ganbench paper" in data


@pytest.mark.slow(seconds=15)
def test_only_rewrites_exactly_one_file_and_a_wrong_name_is_refused(paper, tmp_path):
    r = ganbench("paper", *STUDIES, "--out", tmp_path, "--only", "tables/scores.tex")
    assert r.returncode == 0, r.stderr
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == ["tables/scores.tex"]
    strip = lambda t: [line for line in t.splitlines() if not line.startswith("% made by")]  # noqa: E731  (its own command)
    assert strip((tmp_path / "tables" / "scores.tex").read_text()) == strip((paper / "tables" / "scores.tex").read_text())
    r = ganbench("paper", *STUDIES, "--out", tmp_path, "--only", "tables/nothing.tex")
    assert r.returncode == 2 and "only: 'tables/nothing.tex' is not one of" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
