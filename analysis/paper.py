"""A study's results as a paper includes them: LaTeX tables (booktabs; the best in bold; significance marks) and
vector figures sized to a column, every file saying which kept data and which command made it.

    ganbench paper results/demo results/demo_ring --out paper/           # tables/*.tex, figures/*.pdf
    ganbench paper results/demo --out paper/ --only tables/scores.tex    # exactly one file again

Tables: ``scores.tex`` (each variant's best score, and the median [IQR] of its trials, per data set; the best in
bold; ^{*} where the best variant is significantly better than this one at the common budget, the report's test),
``seeds.tex`` where the study re-ran its best settings over seeds (mean ± standard error). Figures, each at one-column
(3.25 in) and two-column (6.75 in) width in one style (``STYLE``: 8-pt type, fonts embedded as TrueType):
``scores_<data set>_{1col,2col}.pdf`` (every trial's score by variant) and ``budget_<data set>_{1col,2col}.pdf``
(the expected best score against the number of settings tried).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ganbench.benchmark.data import file_name  # noqa: E402

from .load import load_trials  # noqa: E402
from .tables import METRIC_NAMES, best_table, budget_curves, seed_table, significance_table, variant_order  # noqa: E402
from ganbench.benchmark.identity import Phase

WIDTHS = {"1col": 3.25, "2col": 6.75}  # inches: a column and the full text width of a two-column conference paper
STYLE: dict = {  # a plain dict: matplotlib's stubs type rc keys as literals"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
         "legend.fontsize": 7, "lines.linewidth": 1.0, "axes.linewidth": 0.6, "pdf.fonttype": 42, "ps.fonttype": 42,
         "savefig.bbox": "standard", "figure.dpi": 150}
PALETTE = "colorblind"  # seaborn's: distinguishable in print and to colour-blind readers; one colour a variant in every figure
MARK = r"^{*}"  # the best variant is significantly better than this one (p < 0.05, the report's bootstrap test)


@dataclass(frozen=True)
class Provenance:
    """What made a file: the command and the kept data (each study's trials.csv with a hash of its contents)."""
    command: str
    studies: tuple[str, ...]
    version: str

    @classmethod
    def of(cls, study_dirs, command: str) -> "Provenance":
        from ganbench import version_line

        def fingerprint(d: Path) -> str:
            table = next((d / name for name in ("trials.csv", "optuna.journal") if (d / name).is_file()), None)
            digest = hashlib.sha256(table.read_bytes()).hexdigest()[:12] if table else "no table"
            return f"{d} ({table.name if table else '-'} sha256 {digest})"

        return cls(command, tuple(fingerprint(Path(d)) for d in study_dirs), version_line())

    def lines(self) -> list[str]:
        return [f"made by: {self.command}", *(f"from: {s}" for s in self.studies), f"with: {self.version}"]


def _tex_escape(text: str) -> str:
    return "".join({"_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}"}.get(c, c) for c in str(text))


def _number(x: float) -> str:
    return "--" if x is None or not np.isfinite(x) else f"{x:.4g}"


def _tabular(header: list[str], rows: list[list[str]], groups: list[int], caption: str, label: str, prov: Provenance) -> str:
    """A booktabs table: ``groups`` are the row indices where a new data set starts (a rule before each but the first)."""
    out = [f"% {line}" for line in prov.lines()]
    out += [r"% needs \usepackage{booktabs}", r"\begin{table}[t]", r"\centering", r"\small",
            r"\begin{tabular}{" + "l" * 2 + "r" * (len(header) - 2) + "}", r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    for i, row in enumerate(rows):
        if i in groups and i:
            out.append(r"\midrule")
        out.append(" & ".join(row) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}", rf"\label{{{label}}}", r"\end{table}"]
    return "\n".join(out) + "\n"


def scores_table(df: pd.DataFrame, prov: Provenance, budget: int | None = None) -> str:
    best, sig = best_table(df), significance_table(df, budget)
    search = df[(df["phase"] != Phase.SEED) & df["value"].notna()]
    rows: list[list[str]] = []
    groups: list[int] = []
    for dataset, g in best.groupby("dataset", sort=True):
        groups.append(len(rows))
        g = g.set_index("variant").loc[[v for v in variant_order(g["variant"]) if v in set(g["variant"])]]
        top = g["best"].idxmin()
        for variant, r in g.iterrows():
            values = search[(search["dataset"] == dataset) & (search["variant"] == variant)]["value"]
            q1, med, q3 = (values.quantile(q) for q in (0.25, 0.5, 0.75)) if len(values) else (np.nan,) * 3
            pair = sig[(sig["dataset"] == dataset) & (((sig["a"] == top) & (sig["b"] == variant)) | ((sig["a"] == variant) & (sig["b"] == top)))]
            mark = MARK if len(pair) and pair.iloc[0]["better"] == top else ""
            cell = _number(r["best"])
            cell = rf"\textbf{{{cell}}}" if variant == top else f"${cell}{mark}$" if mark else cell
            rows.append([_tex_escape(dataset), rf"\texttt{{{_tex_escape(variant)}}}", cell,
                         f"{_number(med)} [{_number(q1)}, {_number(q3)}]", str(int(r["done"]))])
    metrics = ", ".join(sorted({METRIC_NAMES.get(m, m) for m in best["metric"].dropna()}))
    caption = (f"Each variant's best score ({_tex_escape(metrics)}; lower is better) and the median [IQR] over its "
               rf"settings; the best per data set in bold; ${MARK}$: significantly worse than the best at the common budget "
               "(bootstrap test of the minimum, $p < 0.05$).")
    return _tabular(["data set", "variant", "best", "median [IQR]", "settings"], rows, groups, caption, "tab:ganbench-scores", prov)


def seeds_table(df: pd.DataFrame, prov: Provenance) -> str | None:
    seeds = df[df["phase"] == Phase.SEED]
    if seeds.empty:
        return None
    stats = seeds.groupby(["dataset", "variant"])["value"].agg(["mean", "sem", "count"]).reset_index()
    rows: list[list[str]] = []
    groups: list[int] = []
    for dataset, g in stats.groupby("dataset", sort=True):
        groups.append(len(rows))
        top = g.loc[g["mean"].idxmin(), "variant"]
        for r in g.set_index("variant").loc[[v for v in variant_order(g["variant"]) if v in set(g["variant"])]].itertuples():
            cell = rf"{_number(r.mean)} $\pm$ {_number(r.sem)}"
            rows.append([_tex_escape(dataset), rf"\texttt{{{_tex_escape(r.Index)}}}", rf"\textbf{{{cell}}}" if r.Index == top else cell, str(int(r.count))])
    caption = "The best setting of each variant re-run over seeds: mean $\\pm$ standard error of its score (lower is better); the best in bold."
    return _tabular(["data set", "variant", "score", "seeds"], rows, groups, caption, "tab:ganbench-seeds", prov)


def _figure(width: str, height_1col: float = 2.1):
    w = WIDTHS[width]
    return plt.subplots(figsize=(w, height_1col * (1.0 if width == "1col" else 1.15)))


def paper_colours(df: pd.DataFrame) -> dict:
    import seaborn as sns

    order = variant_order(df["variant"].unique())
    return dict(zip(order, sns.color_palette(PALETTE, len(order))))


def scores_figure(df: pd.DataFrame, dataset: str, width: str, colours: dict):
    g = df[(df["dataset"] == dataset) & (df["phase"] != Phase.SEED) & df["value"].notna()]
    order = variant_order(g["variant"].unique())
    fig, ax = _figure(width)
    rng = np.random.default_rng(0)  # the jitter only
    for i, v in enumerate(order):
        values = g[g["variant"] == v]["value"].to_numpy()
        ax.boxplot(values, positions=[i], widths=0.5, showfliers=False, medianprops={"color": "black"})
        ax.scatter(i + rng.uniform(-0.15, 0.15, len(values)), values, s=6, color=colours[v], zorder=3)
    ax.set_xticks(range(len(order)), order, rotation=30 if width == "1col" and len(order) > 3 else 0, ha="right" if width == "1col" and len(order) > 3 else "center")
    ax.set_ylabel(METRIC_NAMES.get(g["metric"].iloc[0], g["metric"].iloc[0]) if len(g) else "score")
    ax.set_title(f"{dataset}: every setting's score (lower is better)")
    return fig


def budget_figure(df: pd.DataFrame, dataset: str, width: str, colours: dict):
    from matplotlib.ticker import MaxNLocator

    curves = budget_curves(df)
    curves = curves[curves["dataset"] == dataset]
    fig, ax = _figure(width)
    for v in variant_order(curves["variant"].unique()):
        c = curves[curves["variant"] == v].sort_values("budget")
        ax.plot(c["budget"], c["mean"], label=v, color=colours[v])
        if {"lo", "hi"} <= set(c):
            ax.fill_between(c["budget"], c["lo"], c["hi"], color=colours[v], alpha=0.15, linewidth=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("settings tried")
    ax.set_ylabel("expected best score")
    ax.set_title(f"{dataset}: expected best score against budget")
    ax.legend(frameon=False, ncol=1 if width == "1col" else 2, loc="best")
    return fig


FIGURES: dict[str, Callable] = {"scores": scores_figure, "budget": budget_figure}


def files(df: pd.DataFrame) -> list[str]:
    """Every file the paper output holds, by its path under --out."""
    names = ["tables/scores.tex"] + (["tables/seeds.tex"] if (df["phase"] == Phase.SEED).any() else [])
    for dataset in sorted(df["dataset"].unique()):
        names += [f"figures/{kind}_{file_name(dataset)}_{width}.pdf" for kind in FIGURES for width in WIDTHS]
    return names


def _write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_paper(study_dirs: list, out: Path | str, command: str, only: str | None = None, budget: int | None = None) -> list[Path]:
    """The paper's files of ``study_dirs`` under ``out`` (or only the one named), each written whole or not at all."""
    out = Path(out)
    for d in map(Path, study_dirs):  # never write into what is read
        if out.resolve() == d.resolve() or out.resolve().is_relative_to(d.resolve()):
            raise ValueError(f"out: {out} is inside the study {d} it reads; choose a folder outside it")
    df = load_trials(study_dirs)
    if df.empty:
        raise ValueError("study: no trials in " + ", ".join(map(str, study_dirs)))
    names = files(df)
    if only is not None and only not in names:
        raise ValueError(f"only: '{only}' is not one of this study's files; choose one of {', '.join(names)}")
    prov = Provenance.of(study_dirs, command)
    written = []
    for name in [only] if only else names:
        path = out / name
        if name in ("tables/scores.tex", "tables/seeds.tex"):
            text = scores_table(df, prov, budget) if name == "tables/scores.tex" else seeds_table(df, prov)
            assert text is not None  # the seeds' table is listed only where seeds ran
            _write_atomic(path, lambda p: p.write_text(text))
        else:
            kind, rest = Path(name).stem.split("_", 1)
            dataset_file, width = rest.rsplit("_", 1)
            dataset = next(d for d in df["dataset"].unique() if file_name(d) == dataset_file)
            with plt.rc_context(STYLE):
                fig = FIGURES[kind](df, dataset, width, paper_colours(df))
                fig.set_layout_engine("constrained")
                meta = {"Title": f"{kind}: {dataset}", "Subject": " | ".join(prov.lines()), "Creator": prov.version}
                _write_atomic(path, lambda p: fig.savefig(p, format="pdf", metadata=meta))
                plt.close(fig)
        written.append(path)
    return written
