"""`ganbench report`: tables, figures and a self-contained HTML report from study directories."""
from __future__ import annotations

import base64
import dataclasses
import html
import math
import shutil
from pathlib import Path

import pandas as pd

from ganbench.benchmark.files import finish_partial, is_ours, open_partial, partial_of, remove_partial

from .figures import (
    colours_for, fig_best_samples, fig_budget, fig_distributions, fig_fid_over_training, fig_loss_curves,
    fig_mode_coverage, fig_pacgan_epochs, fig_seed_modes, fig_precision_recall, fig_search, fig_sensitivity,
)
from .load import check_comparable, load_external, load_trials
from ganbench.benchmark.identity import Phase, TrialStatus
from .tables import (
    BASELINE, PIX2PIX_FINDINGS, R3GAN_DIFFERENCES, ablation_table, baseline_table, best_table, budget_curves, ema_ablation, mode_trials,
    external_table, pacgan_comparison, pacgan_epoch_curves, plain_summary, published_comparison, quality_table, r3gan_comparison, recipe_deviations,
    seed_table, significance_table,
)


def _img(path: Path) -> str:
    return f'<img alt="{path.stem}" src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}">'


REPORT_MARKER = ".ganbench-report"  # in every finished report: the one kind of --out folder a new report replaces


def check_report_out(out: Path) -> None:
    """A new or empty folder, or an earlier ganbench report (replaced); anything else is the user's and refused."""
    if out.is_symlink():
        raise ValueError(f"out: {out} is a symbolic link; give the folder's own path")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / REPORT_MARKER).is_file())):
        raise ValueError(f"out: {out} already holds something that is not a ganbench report; choose a new or empty folder")


def write_report(study_dirs: list, out: Path | str, budget: int | None = None, storage_url: str | None = None,
                 externals: list | tuple = ()) -> Path:
    """The report of ``study_dirs`` into ``out``: written in a marked working folder, renamed when complete, and
    removed if anything fails (nothing half-written is left)."""
    out = Path(out)
    if budget is not None and budget < 1:
        raise ValueError(f"budget: {budget} is not allowed, must be an integer >= 1 (settings per variant)")
    seen: dict = {}
    for d in map(Path, study_dirs):
        if d.resolve() in seen:
            raise ValueError(f"study: {d} is the study {seen[d.resolve()]} again; each study is read once (its trials would count twice)")
        seen[d.resolve()] = d
    check_report_out(out)
    if partial_of(out).exists() and not is_ours(partial_of(out)):
        raise ValueError(f"out: {partial_of(out)} exists and ganbench did not make it; move it away or choose another --out")
    scored = [load_external(p) for p in externals]  # refused before any work, naming the file and field
    df = load_trials(study_dirs, storage_url)
    if df.empty:
        raise ValueError("study: no trials in " + ", ".join(map(str, study_dirs)))
    check_comparable(df)
    if budget is not None:  # the bootstrap draws budget settings a resample: more than any arm has measures nothing
        searched = df[df["phase"] == Phase.SEARCH] if "phase" in df else df
        most = int(searched.groupby(["study", "variant", "dataset"]).size().max()) if len(searched) else 0
        if budget > most:
            raise ValueError(f"budget: {budget} is not allowed, must be at most {most} (the most settings any variant "
                             "has in these studies)")
    for d in map(Path, study_dirs):  # never write into what is read: its files would be read as the study's next time
        if out.resolve() == d.resolve() or out.resolve().is_relative_to(d.resolve()) or d.resolve().is_relative_to(out.resolve()):
            where = "is" if out.resolve() == d.resolve() else "is inside" if out.resolve().is_relative_to(d.resolve()) else "holds"
            raise ValueError(f"out: {out} {where} the study {d} it reads; choose a folder outside it")
    remove_partial(partial_of(out))  # a crashed report's leftover
    tmp = open_partial(out)
    try:
        _write_report(df, tmp, study_dirs, budget, scored)
        (tmp / REPORT_MARKER).write_text("a ganbench report: `ganbench report --out` replaces it\n")
    except BaseException:
        remove_partial(tmp)
        raise
    if out.exists():
        if any(out.iterdir()) and not (out / REPORT_MARKER).is_file():
            remove_partial(tmp)
            raise ValueError(f"out: {out} was filled while the report was written; nothing was replaced")
        shutil.rmtree(out)  # an earlier report (checked above) or an empty folder
    finish_partial(tmp, out)
    return out / "index.html"


SCORE_COLUMNS = ("best", "median", "score", "value", "seed_mean", "fid_mean", "measured")
PAPER_STEPS = 400_000  # PacGAN's Table 1: 400 epochs of 1,000 steps
TOO_SHORT = 0.01  # runs shorter than this share of the paper's length are not set beside its table


def pacgan_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """PacGAN's comparison where the runs' length makes it meaningful, and a line saying what was left out and why."""
    table = pacgan_comparison(df)
    if table.empty:
        return table, PACGAN_TEXT
    short = table["steps"].notna() & (table["steps"] < TOO_SHORT * PAPER_STEPS) & (table["table"] == 1)
    if not short.any():
        return table, PACGAN_TEXT
    lengths = ", ".join(f"{int(x):,}" for x in sorted(table.loc[short, "steps"].unique()))
    note = (f" Left out: the rows of runs of {lengths} steps, under {TOO_SHORT:.0%} of Table 1's {PAPER_STEPS:,}: too short "
            "to set beside it (their modes are in the next tables).")
    return table[~short], PACGAN_TEXT + note


def pacgan_left_out(df: pd.DataFrame) -> list[str]:
    """When every row was too short to set beside Table 1: the one line that says so (the section shows nothing else)."""
    table, text = pacgan_rows(df)
    return [text.split(" Left out: ", 1)[1]] if table.empty and " Left out: " in text else []


@dataclasses.dataclass
class Section:
    """One part of the report, rendered the same way to report.md and index.html: a heading, a paragraph, and a
    table (written as ``csv`` too when named) or a bulleted list. Empty sections are left out."""

    title: str
    text: str = ""
    table: pd.DataFrame | None = None
    digits: int = 4  # significant digits of the HTML table's floats
    csv: str | None = None
    bullets: list[str] = dataclasses.field(default_factory=list)

    @property
    def empty(self) -> bool:
        return (self.table is None or not len(self.table)) and not self.bullets

    def shown(self) -> pd.DataFrame:
        """The table as a reader sees it: an empty cell blank, a non-finite number said in words (a mode KL of a run
        that covers no mode, the score of a diverged trial), floats to ``digits`` significant digits."""
        assert self.table is not None
        t = self.table.astype(object)
        for column in t:
            word = ("no mode covered" if "kl" in str(column) else "diverged" if str(column) in SCORE_COLUMNS else "not finite")
            t[column] = [word if isinstance(v, float) and math.isinf(v) else "" if v is None or (isinstance(v, float) and math.isnan(v))
                         else f"{v:.{self.digits}g}" if isinstance(v, float) else v for v in t[column]]
        return t

    def markdown(self) -> list[str]:
        out = [f"## {self.title}", ""] + ([self.text, ""] if self.text else []) + [f"- {b}" for b in self.bullets]
        if self.table is not None:
            out += [self.shown().to_markdown(index=False) if _has_tabulate() else self.shown().to_string(index=False)]
        return out + [""]

    def html(self) -> list[str]:
        out = [f"<h2>{html.escape(self.title)}</h2>"] + ([f"<p>{html.escape(self.text)}</p>"] if self.text else [])
        if self.bullets:
            out.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in self.bullets) + "</ul>")
        if self.table is not None:
            out.append(self.shown().to_html(index=False, na_rep=""))
        return out


LUCIC_TEXT = "The `comparable` column says why a number is not comparable with the published one (a protocol, extractor or sample size that differs from the study's)."


PACGAN_TEXT = ("Mean ± standard error over the runs of the best setting (the seed phase; with a single setting, every run "
               "of it) beside PacGAN's published value; within_2se: the difference is within two combined standard errors. "
               "protocol: what the runs trained under (pacgan2018 is PacGAN's code; docs/protocol.md lists what remains "
               "different); steps: the runs' length; the paper's Table 1 trains 400,000 steps (400 epochs of 100,000 "
               "packed 2-D examples at batch 100). On the 2-D mixtures the figures pacgan_epochs_* show each metric "
               "after every epoch against the paper's value.")
QUALITY_TEXT = ("The final scores of each variant's best trial on one extractor's features: FID, KID, precision and recall "
                "(Kynkäänniemi et al. 2019; fid_min: the minimum over checkpoints, the study's score), density and coverage (Naeem et al. 2020, k = nearest_k) and, where the "
                "extractor has a classifier, the Inception Score. Lower FID and KID are better; higher precision, recall "
                "and coverage; density is about 1 when the distributions match.")
SEEDS_TEXT = ("Each variant's best setting trained again with new seeds: the mode metrics' mean and standard error "
              "over those runs (modes covered; high-quality fraction, the share of samples within 3 std of a mode; "
              "reverse KL of the mode histogram from the uniform one; mixture mismatch, the share of generated mass not "
              "within 3 std of the data). scored: ema where the numbers are the generator's moving average (r3gan and "
              "ns_gan_r1r2 keep one), trained otherwise; the trained generator's scores of an EMA run are in its "
              "metrics.json (raw_generator).")
EXTERNAL_TEXT = ("Sample sets scored elsewhere (`ganbench score --out`, given with --external), each beside every variant's "
                 "best trial on the same data set. 'comparable' says whether the two were scored alike (extractor, resize mode, "
                 "sample sizes) and, where not, how they differ: an FID is only compared with one computed the same way.")
RECIPE_TEXT = ("Arms that ran off their variant's declared recipe (`ganbench variants --recipes`: its paper's settings and "
               "their source), by field, read off the trial rows' effective settings: a setting the recipe fixes that trials "
               "ran at another value (a shared space's constant or draw, say), and R1 and R2 gammas apart where the recipe "
               "ties them; the settings a recipe's authors tuned are searched around it and not listed. A comparison whose "
               "arms are listed here did not run each arm at its paper's recipe (a spec's `start: shared`, Lucic et al.'s rule).")
EMA_TEXT = ("One factor alone: the seed runs of each variant scored on its EMA generator, the averaged and the trained "
            "(raw) generator of the same runs side by side; difference: EMA - raw, paired over the runs (mean ± standard error).")
R3GAN_TEXT = "Our runs beside R3GAN's published Stacked MNIST numbers (Huang et al. 2024). " + R3GAN_DIFFERENCES
SIGNIFICANCE_TEXT = ("Pairs of variants: is the difference of their minimum scores at a budget of k settings significant? "
                     "Each variant's settings resampled k at a time with replacement (95% interval of min_a - min_b, "
                     "two-sided p; not tested below 5 settings a variant); `seeds_p`: Mann-Whitney U on the seed phases "
                     "where both ran one.")
ABLATION_TEXT = ("pix2pix's ablations (Isola et al. 2017, tables 1-3) on held-out pairs, each variant's best setting: "
                 "classifier_score is the lenet-mnist accuracy on the outputs against the target digit's label (the "
                 "digit analogue of the paper's FCN score; classifier_score_targets is the same classifier on the "
                 "targets), l1 and psnr against the target, ssim, and the FID of outputs against targets. The paper "
                 "found: " + "; ".join(PIX2PIX_FINDINGS.values()) + ". Input | output | target triplets of each "
                 "best trial are under Figures (samples_*).")
BASELINE_TEXT = (f"Each variant against {BASELINE} (the original GAN with the -log D trick) on the same budget: best and "
                 "median score over its settings, and whether its minimum at the common budget differs significantly "
                 "(the test of the next table).")


def sections(df: pd.DataFrame, budget: int | None, externals: list[dict] | tuple = ()) -> list[Section]:
    """Every section of the report, in order; the one place a section is added."""
    table = best_table(df)
    pacgan_table, pacgan_text = pacgan_rows(df)
    return [
        Section("In short", bullets=plain_summary(df, budget)),
        Section("Samples from elsewhere", EXTERNAL_TEXT, external_table(df, list(externals)) if externals else None,
                digits=4, csv="external.csv"),
        Section("Best per variant and data set", table=table),
        Section("Off the recipe", RECIPE_TEXT, recipe_deviations(df), csv="recipe_deviations.csv"),
        Section("The EMA's share", EMA_TEXT, ema_ablation(df), digits=3, csv="ema_ablation.csv"),
        Section("Sample quality of each variant's best trial", QUALITY_TEXT, quality_table(df), digits=3, csv="quality.csv"),
        Section("Beside Lucic et al. 2018", LUCIC_TEXT, published_comparison(table)),
        Section("Beside PacGAN (Lin et al. 2018)", pacgan_text, pacgan_table, digits=3, csv="pacgan_comparison.csv",
                bullets=pacgan_left_out(df)),
        Section("Over seeds, the best setting of each variant", SEEDS_TEXT, seed_table(df), digits=3, csv="seeds.csv"),
        Section("Beside R3GAN (Huang et al. 2024)", R3GAN_TEXT, r3gan_comparison(df), digits=3, csv="r3gan_comparison.csv"),
        Section("Mode collapse, every trial", table=mode_trials(df), digits=3),
        Section("Ablations (pix2pix)", ABLATION_TEXT, ablation_table(df), csv="ablations.csv"),
        Section(f"Against {BASELINE}", BASELINE_TEXT, baseline_table(df, budget=budget), csv="against_baseline.csv"),
        Section("Significance at a budget", SIGNIFICANCE_TEXT, significance_table(df, budget), digits=3, csv="significance.csv"),
    ]


def figures(df: pd.DataFrame, figures_dir: Path) -> tuple[list[str], pd.DataFrame, pd.DataFrame]:
    """Every figure's name, in order, with the data behind the two that are kept as CSV too."""
    colours = colours_for(df["variant"].unique())
    curves, epochs = budget_curves(df), pacgan_epoch_curves(df)
    names = (fig_distributions(df, figures_dir, colours) + fig_budget(curves, figures_dir, colours)
             + fig_sensitivity(df, figures_dir, colours) + fig_precision_recall(df, figures_dir, colours)
             + fig_best_samples(df, figures_dir) + fig_mode_coverage(df, figures_dir, colours)
             + fig_seed_modes(seed_table(df), figures_dir, colours)
             + fig_fid_over_training(df, figures_dir, colours) + fig_loss_curves(df, figures_dir) + fig_search(df, figures_dir)
             + fig_pacgan_epochs(epochs, figures_dir))
    return names, curves, epochs


# the documentation site's look (Material's indigo header colour, system fonts, readable tables), self-contained
STYLE = ("body{font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;max-width:1100px;"
         "margin:2em auto;padding:0 1em;color:#1f2328;line-height:1.5}h1,h2{color:#3f51b5}h2{border-bottom:1px solid #e0e0e0;"
         "padding-bottom:.2em;margin-top:1.8em}table{border-collapse:collapse;font-size:13px;margin:.6em 0;display:block;"
         "overflow-x:auto}th{background:#f5f5f7;text-align:left}td,th{border:1px solid #e0e0e0;padding:4px 8px}"
         "tr:nth-child(even) td{background:#fafafa}figure{margin:1.5em 0}img{max-width:100%;max-height:520px}"
         "figcaption{color:#6a737d;font-size:13px}")


def _write_report(df: pd.DataFrame, tmp: Path, study_dirs: list, budget: int | None, externals: list | tuple = ()) -> None:
    figures_dir = tmp / "figures"
    figures_dir.mkdir(parents=True)
    names, curves, epochs = figures(df, figures_dir)
    parts = [s for s in sections(df, budget, externals) if not s.empty]
    df.to_csv(tmp / "trials.csv", index=False)
    df.to_parquet(tmp / "trials.parquet", index=False)
    curves.to_csv(tmp / "budget_curves.csv", index=False)
    if len(epochs):
        epochs.to_csv(tmp / "pacgan_epochs.csv", index=False)
    for s in parts:
        if s.csv and s.table is not None:
            s.table.to_csv(tmp / s.csv, index=False)
    if not any(s.csv == "significance.csv" for s in parts):
        significance_table(df, budget).to_csv(tmp / "significance.csv", index=False)  # always there, if empty

    partial = bool(df["status"].isin([TrialStatus.RUNNING, TrialStatus.WAITING]).any())
    title = "ganbench report" + (" (PARTIAL: trials still running)" if partial else "")
    if "workload" in df and (df["workload"].fillna("train") != "train").all():
        title += " (SYNTHETIC LOAD TEST: no model was trained; its scores are not results)"
    studies = f"Studies: {', '.join(map(str, study_dirs))}. Trials: {len(df)}."
    md = [f"# {title}", "", studies, ""] + [line for s in parts for line in s.markdown()]
    md += ["## Figures", ""] + [f"![{n}](figures/{n}.png)" for n in names]
    (tmp / "report.md").write_text("\n".join(md) + "\n")
    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(studies)}</p>"] + [line for s in parts for line in s.html()]
    body += ["<h2>Figures</h2>"] + [f"<figure>{_img(figures_dir / f'{n}.png')}<figcaption>{n}</figcaption></figure>" for n in names]
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>ganbench report</title><style>" + STYLE + "</style></head><body>"
            + "\n".join(body) + "</body></html>")
    (tmp / "index.html").write_text(page)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False
