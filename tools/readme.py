"""The generated sections of the README and the documentation: `python tools/readme.py` rewrites each block between
``<!-- generated: NAME -->`` and ``<!-- end: NAME -->`` in README.md and docs/ from its source, and writes
results/README.md and docs/results.md (the gallery of the studies kept under results/); tests fail when a page and
the sources disagree. Sources: the schema (each
variant's own parameters, the spec's fields), the measured studies under results/ (tools/keep_study.py) and the
`make test` timings under results/timings/."""
from __future__ import annotations

import csv
import json
import math
import re
import sys
from pathlib import Path

from ganbench.analysis.load import is_kept, load_kept, load_trials
from ganbench.analysis.report import pacgan_rows
from ganbench.analysis.tables import ablation_table, baseline_table, conclusions, ema_ablation, r3gan_comparison, recipe_deviations, seed_table, summary_lines
from ganbench.benchmark.schema import RUN_FIELDS
from ganbench.benchmark.data import get_dataset
from ganbench.benchmark.variants import VARIANTS
from ganbench.benchmark.identity import Phase
from ganbench.sweeps.demo import machine_lines
from ganbench.sweeps.spec import BUDGET_FIELDS, SPEC_FIELDS
from shipped import shipped

README = Path(__file__).resolve().parents[1] / "README.md"
RESULTS = README.parent / "results"
GALLERY = RESULTS / "README.md"
DOCS = README.parent / "docs"


def pages() -> list[Path]:
    """Every page a generated block may sit in."""
    return [README, *sorted(DOCS.rglob("*.md"))]


def kept_studies() -> list[Path]:
    return sorted(p for p in RESULTS.iterdir() if p.is_dir() and is_kept(p))


def _mean_se(m, metric: str, unit: str = "") -> str:
    if metric not in m.index:
        return "-"
    r = m.loc[metric]
    if not math.isfinite(r["measured"]):
        return "inf"
    se = f" ± {r['measured_se']:.2g}" if math.isfinite(r["measured_se"]) else ""
    return f"{r['measured']:.3g}{se}{unit}"


COMPARE_AT_EPOCH = 10  # the shortest kept length: longer pacgan2018 studies are also shown at this epoch, from their curves


AGREEMENT = (("modes_covered", "modes"), ("high_quality_percent", "HQ"), ("mode_kl", "KL"))  # metric, its name in the table


def _agrees(m) -> str:
    """The metrics whose mean lies within two combined standard errors of Table 1's (report.pacgan_comparison)."""
    names = [short for metric, short in AGREEMENT if metric in m.index and m.loc[metric, "within_2se"] == "yes"]
    return ", ".join(names) or "none"


def _epoch_row(study_dir: Path, dataset: str, pack: int, epoch: int, published) -> str | None:
    """Mean ± SE over a kept study's runs at one epoch, from its pacgan_epochs.csv, and what agrees with Table 1."""
    import pandas as pd

    path = study_dir / "pacgan_epochs.csv"
    if not path.is_file():
        return None
    e = pd.read_csv(path)
    e = e[(e["dataset"] == dataset) & (e["pack"] == pack) & (e["epoch"] == epoch)].rename(
        columns={"high_quality_fraction": "high_quality_percent"})
    if e.empty:
        return None
    e["high_quality_percent"] *= 100
    cells, agree = [], []
    for metric, short in AGREEMENT:
        mean = e[metric].mean()
        se = e[metric].std(ddof=1) / math.sqrt(len(e)) if len(e) > 1 else float("nan")
        unit = "%" if metric == "high_quality_percent" else ""
        cells.append(f"{mean:.3g} ± {se:.2g}{unit}" if math.isfinite(se) else f"{mean:.3g}{unit}")
        p = published.loc[metric]
        if math.isfinite(mean) and abs(mean - p["published"]) <= 2 * math.hypot(0 if math.isnan(se) else se, p["published_se"]):
            agree.append(short)
    return f"{len(e)} | {' | '.join(cells)} | {', '.join(agree) or 'none'} |"


def measured_pacgan() -> str:
    """Every kept study on the 2-D mixtures beside PacGAN's Table 1: mean ± standard error over its runs, from
    results/; a longer study also at COMPARE_AT_EPOCH, from its per-epoch curves, so every row has an equal-length twin."""
    rows = ["| data set | row | source | protocol | steps | beta1 | runs | modes | high quality | reverse KL | within 2 SE of Table 1 |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    published = {}
    for study_dir in kept_studies():
        df = load_kept(study_dir)
        table = pacgan_rows(df)[0]  # the rows the report sets beside Table 1 (not runs under 1% of its length)
        if table.empty or set(table["table"]) != {1}:
            continue
        for (dataset, row), g in table.groupby(["dataset", "row"], sort=False):
            m, pack = g.set_index("metric"), int(g["pack"].iloc[0])
            beta1 = ", ".join(map(str, sorted(set(df.loc[(df["dataset"] == dataset) & (df["pack"] == pack), "beta1"]))))
            head = f"| {dataset} | {row} | `results/{study_dir.name}` | {g['protocol'].iloc[0]} |"
            steps = int(g["steps"].iloc[0])
            rows.append(f"{head} {steps:,} | {beta1} | {int(g['runs'].max())} | {_mean_se(m, 'modes_covered')} | "
                        f"{_mean_se(m, 'high_quality_percent', '%')} | {_mean_se(m, 'mode_kl')} | {_agrees(m)} |")
            at = _epoch_row(study_dir, dataset, pack, COMPARE_AT_EPOCH, m) if steps > COMPARE_AT_EPOCH * 1000 else None
            if at:
                rows.append(f"{head} {COMPARE_AT_EPOCH * 1000:,} (its epoch {COMPARE_AT_EPOCH}) | {beta1} | {at}")
            published[(dataset, row)] = m
    for (dataset, row), m in published.items():
        cell = lambda k, unit="": f"{m.loc[k, 'published']:.3g} ± {m.loc[k, 'published_se']:.2g}{unit}" if k in m.index else "-"  # noqa: E731
        rows.append(f"| {dataset} | {row} | PacGAN Table 1 | the paper's code | 400,000 | 0.8 | 10 | {cell('modes_covered')} | "
                    f"{cell('high_quality_percent', '%')} | {cell('mode_kl')} | |")
    return "\n".join(rows)


def _kept(prefix: str) -> list[tuple[Path, object]]:
    return [(d, load_kept(d)) for d in kept_studies() if d.name.startswith(prefix)]


def _score(x: float, metric: str) -> str:
    return "inf" if not math.isfinite(x) else f"{x:.3f}" if metric != "fid" else f"{x:.0f}"


def measured_objectives() -> str:
    """Each kept objectives_* study against ns_gan (the report's "Against ns_gan" table)."""
    out = []
    for study_dir, df in _kept("objectives_"):
        t = baseline_table(df)
        meta = json.loads((study_dir / "meta.json").read_text())
        metric = t["metric"].iloc[0]
        out += [f"`results/{study_dir.name}` ({meta['trials']} trials; {metric}, lower is better; p: the bootstrap test of the "
                f"minimum at {int(t['settings'].min())} settings, significant below 0.05):", "",
                f"| data set | variant | best {metric} | median | diverged | p vs ns_gan | verdict |", "|---|---|---|---|---|---|---|"]
        for r in t.itertuples():
            p = "" if not math.isfinite(r.p_vs_baseline) else f"{r.p_vs_baseline:.3f}"
            out.append(f"| {r.dataset} | `{r.variant}` | {_score(r.best, metric)} | {_score(r.median, metric)} | {r.diverged} | {p} | {r.verdict} |")
        out.append("")
    return "\n".join(out).rstrip() or "(no kept study)"


def _pm(mean, se, digits: int = 3, scale: float = 1.0) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return ""
    if math.isinf(mean):
        return "a run with no mode"
    return f"{mean * scale:.{digits}g}" + ("" if se is None or math.isnan(se) else f" ± {se * scale:.2g}")


def ring_caption() -> str:
    """The README's caption under the ring figure, from the kept seed phase of objectives_today_2d."""
    df = load_kept(RESULTS / "objectives_today_2d")
    g = df[(df["phase"] == Phase.SEED) & (df["dataset"] == "ring8")]
    total = int(g["modes_total"].max())
    every = g.groupby("variant")["modes_covered"].apply(lambda m: int((m == total).sum()))
    seeds = int(g.groupby("variant").size().max())
    full = [VARIANTS[v].description.split(":")[0].split(",")[0] if v == "r3gan" else v for v in every.index if every[v] == seeds]
    most_other = int(every[every < seeds].max())
    start = json.loads((RESULTS / "objectives_today_2d" / "spec.json").read_text()).get("start", "shared")
    arms = "each at its paper's recipe" if start == "recipe" else "every arm from the shared space's start"
    return (f"*On PacGAN's 8-Gaussian ring at equal budget ({int(g['train_steps'].iloc[0]):,} steps of a small MLP, the best "
            f"setting of each objective over {seeds} seeds, {arms}), {' and '.join(full)} cover{'s' if len(full) == 1 else ''} "
            f"all {total} modes on every seed, the others on at most {most_other} of {seeds} ([Objectives compared](docs/guide/objectives.md), "
            "with the grid, Stacked MNIST and what each arm ran).*")


def objectives_claims() -> str:
    """What docs/guide/objectives.md says about the kept comparisons of objectives, generated from their seed phases:
    who covers every mode on every seed and what the others cover, seed by seed; which arms' mean modes lie within
    two standard errors of the best (a match, not a win); and what the kept trials ran with that their variant's
    recipe does not say, read off the trial rows."""
    out = []
    for study_dir, df in _kept("objectives_today"):
        seeds = df[df["phase"] == Phase.SEED]
        for dataset, g in seeds.groupby("dataset", sort=True):
            modes = g.groupby("variant")["modes_covered"].apply(lambda x: [int(v) for v in x])
            total = int(g["modes_total"].max())
            full = [v for v, m in modes.items() if all(x == total for x in m)]
            stats = g.groupby("variant")["modes_covered"].agg(["mean", "sem"]).sort_values("mean", ascending=False)
            top = stats.index[0]
            match = [v for v in stats.index[1:] if stats.loc[top, "mean"] - stats.loc[v, "mean"]
                     <= 2 * math.hypot(stats.loc[top, "sem"], stats.loc[v, "sem"])]
            line = f"- `{dataset}` (`results/{study_dir.name}`, {len(modes[top])} seeds): "
            if full:
                line += f"{' and '.join(f'`{v}`' for v in full)} cover{'s' if len(full) == 1 else ''} all {total} modes on every seed; "
            def mean_se(v: str) -> str:
                return f"`{v}` ({stats.loc[v, 'mean']:.1f} ± {stats.loc[v, 'sem']:.1f})"

            per_seed = "; ".join(f"`{v}` " + ", ".join(map(str, m)) for v, m in modes.items() if v not in full)
            line += f"per seed, {per_seed}. Most modes on average: {mean_se(top)}"
            line += (", matched within two standard errors by " + ", ".join(map(mean_se, match)) + "." if match
                     else ", ahead of every other arm by more than two standard errors.")
            out.append(line)
        out += _single_factor_lines(study_dir, df)
        for (dataset, variant), d in recipe_deviations(df).groupby(["dataset", "variant"], sort=False):
            said = [f"R1 and R2 gammas apart in {r.trials} of {len(df[(df['dataset'] == dataset) & (df['variant'] == variant)])} trials "
                    "(the recipe ties them)" if r.field == "r2_gamma" else f"Adam {r.field} {r.ran} (recipe {r.recipe})" if r.field.startswith("beta")
                    else f"{r.field} {r.ran} (recipe {r.recipe})" for r in d.itertuples()]
            out.append(f"- Not the recipe: `{variant}` on `{dataset}` ran with {'; '.join(said)}.")
    return "\n".join(out)


def _apart(a: float, a_se: float, b: float, b_se: float) -> str:
    """Whether two means differ by more than two standard errors of their difference, in words."""
    gap = 2 * math.hypot(a_se, b_se)
    return "apart by more than two standard errors" if abs(a - b) > gap else "within two standard errors: no difference shown"


def _single_factor_lines(study_dir: Path, df) -> list[str]:
    """The kept study's single-factor ablations, in words from its seed phase: the loss alone (`r3gan` against
    `ns_gan_r1r2`, one recipe) and the EMA alone (each EMA arm's averaged and trained generator, the same runs)."""
    out, seeds = [], seed_table(df)
    for dataset, g in seeds.groupby("dataset", sort=True):
        arms = g.set_index("variant")
        if {"r3gan", "ns_gan_r1r2"} <= set(arms.index):
            a, b = arms.loc["r3gan"], arms.loc["ns_gan_r1r2"]
            out.append(f"- One factor, the loss (`r3gan` against `ns_gan_r1r2`, R3GAN's recipe for both) on `{dataset}`: "
                       f"{a.modes_covered:.1f} ± {a.modes_covered_se:.1f} modes against {b.modes_covered:.1f} ± {b.modes_covered_se:.1f}, "
                       f"{_apart(a.modes_covered, a.modes_covered_se, b.modes_covered, b.modes_covered_se)}.")
    ema = ema_ablation(df)
    ranked_by = "mixture_mismatch" if "mixture_mismatch" in set(ema["metric"]) else "mode_kl"
    for (dataset, variant), g in ema.groupby(["dataset", "variant"], sort=True):
        said = []
        for metric, what, fmt in (("modes_covered", "modes", ".1f"), (ranked_by, ranked_by.replace("_", " "), ".3f")):
            r = g[g["metric"] == metric]
            if r.empty:
                continue
            r = r.iloc[0]
            shown = "more than two standard errors from 0" if abs(r.difference) > 2 * r.difference_se else "within two standard errors of 0"
            said.append(f"{what} {r.ema:{fmt}} ± {r.ema_se:{fmt}} (averaged) against {r.raw:{fmt}} ± {r.raw_se:{fmt}} (trained), "
                        f"paired difference {r.difference:+{fmt}} ± {r.difference_se:{fmt}}, {shown}")
        out.append(f"- One factor, the EMA (`{variant}` on `{dataset}`, the same {int(g['runs'].iloc[0])} runs): " + "; ".join(said) + ".")
    return out


def measured_objectives_today() -> str:
    """The seed phase of each kept objectives_today_* study: each variant's best setting over seeds (tables.seed_table),
    and R3GAN's published Stacked MNIST rows beside ours where the study ran it."""
    out = []
    for study_dir, df in _kept("objectives_today"):
        meta = json.loads((study_dir / "meta.json").read_text())
        seeds = seed_table(df)
        out += [f"`results/{study_dir.name}` ({meta['trials']} trials, {int(df['train_steps'].iloc[0]):,} steps, "
                f"`{df['arch'].iloc[0]}` nets; mean ± standard error over {int(seeds['runs'].max())} seeds of each variant's best setting):", "",
                "| data set | variant | scored | modes | high quality | reverse KL | mixture mismatch |", "|---|---|---|---|---|---|---|"]
        for r in seeds.itertuples():
            get = lambda m: (getattr(r, m, float("nan")), getattr(r, f"{m}_se", float("nan")))  # noqa: E731
            out.append(f"| {r.dataset} | `{r.variant}` | {r.scored} | {_pm(*get('modes_covered'))} | "
                       f"{_pm(*get('high_quality_fraction'), scale=100)}{'%' if not math.isnan(get('high_quality_fraction')[0]) else ''} | "
                       f"{_pm(*get('mode_kl'))} | {_pm(*get('mixture_mismatch'))} |")
        beside = r3gan_comparison(df)
        if len(beside):
            out += ["", "Beside R3GAN's Table 1 (its nets and length; single published numbers):", "",
                    "| row | metric | ours | published |", "|---|---|---|---|"]
            out += [f"| {r.row} (`{r.variant}`) | {r.metric} | {_pm(r.measured, r.measured_se)} | {r.published:g} |" for r in beside.itertuples()]
        ema = ema_ablation(df)
        if len(ema):
            out += ["", "The EMA's share, from the same runs (the averaged and the trained generator of each seed run; "
                    "difference: EMA - raw, paired):", "", "| data set | variant | metric | EMA | raw | difference |", "|---|---|---|---|---|---|"]
            pct = {"high_quality_fraction": (100, "%")}  # as the seed table shows it
            out += [f"| {r.dataset} | `{r.variant}` | {r.metric} | " + " | ".join(
                        _pm(m, se, scale=pct.get(r.metric, (1, ""))[0]) + pct.get(r.metric, (1, ""))[1]
                        for m, se in ((r.ema, r.ema_se), (r.raw, r.raw_se), (r.difference, r.difference_se))) + " |"
                    for r in ema.itertuples()]
        out.append("")
    return "\n".join(out).rstrip() or "(no kept study)"


PIX2PIX_TABLE = {"pix2pix_l1": "1", "pix2pix_gan": "1", "pix2pix_cgan": "1", "pix2pix_l1_gan": "1", "pix2pix": "1-3",
                 "pix2pix_encoder_decoder": "2", "pix2pix_patch1": "3", "pix2pix_patch16": "3", "pix2pix_patch_image": "3"}


def measured_pix2pix() -> str:
    """Each kept pix2pix_* study's ablation table (the report's "Ablations" table)."""
    out = []
    for study_dir, df in _kept("pix2pix_"):
        t = ablation_table(df)
        out += [f"`results/{study_dir.name}`, each row the best of its settings by FID:", "",
                "| paper's table | variant | loss | generator | patch | classifier score | L1 | PSNR | SSIM | FID |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        t["table"] = [PIX2PIX_TABLE.get(v, "") for v in t["variant"]]
        for r in t.sort_values(["table", "variant"]).itertuples():
            out.append(f"| {r.table} | `{r.variant}` | {r.loss} | {r.generator} | {r.patch} | {r.classifier_score:.3f} | {r.l1:.4f} | "
                       f"{r.psnr:.1f} | {r.ssim:.3f} | {r.fid:.1f} |")
        out.append(f"\nThe classifier reads the targets themselves at {t['classifier_score_targets'].iloc[0]:.3f}.")
        out.append("")
    return "\n".join(out).rstrip() or "(no kept study)"


DEMO = ("demo", "demo_ring")  # sweeps/demo.py's studies, as `make demo` names them


def demo_summary() -> str:
    """What `make demo` printed, from its two studies kept under results/."""
    dirs = [RESULTS / name for name in DEMO]
    if not all(d.is_dir() and is_kept(d) for d in dirs):
        return "(the demo's studies are not kept under results/ yet)"
    meta = json.loads((dirs[0] / "meta.json").read_text())
    df = load_trials(dirs)
    lines = [f"  {line}" for line in summary_lines(df)]
    lines += [f"  {line}" for line in machine_lines(conclusions(df))]  # what moves with the machine, as the demo prints it
    return "\n".join(["```", f"What the demo found ({meta['wall_time_s'] / 60:.1f} min):", *lines,
                      "  report: /path/to/runs/demo-report/index.html (samples of each variant's best trial under Figures)", "```"])


WHAT = {"demo": "`make demo`: minimax GAN, non-saturating GAN and VAE on mnist5k", "demo_ring": "`make demo`: GAN against LSGAN on the ring",
        "objectives_today_2d": "objectives of 2018 and of today on the ring and grid", "objectives_today_stacked_mnist":
        "objectives of 2018 and of today on Stacked MNIST (1,000 modes)", "pix2pix_ablation": "pix2pix's ablations on edges2digits"}


def kept_table() -> str:
    """The README's short table of what is measured and kept under results/."""
    out = ["| study | what | trials | protocol |", "|---|---|---|---|"]
    for study_dir in kept_studies():
        meta, spec = json.loads((study_dir / "meta.json").read_text()), json.loads((study_dir / "spec.json").read_text())
        what = WHAT.get(study_dir.name) or ("PacGAN's Table 1 rows, " + ", ".join(spec["datasets"]) if study_dir.name.startswith("pacgan") else study_dir.name)
        out.append(f"| [`{study_dir.name}`](results/{study_dir.name}) | {what} | {meta['trials']} | {spec.get('protocol', 'ganbench')} |")
    return "\n".join(out)


def _resampling(meta: dict) -> str:
    """How the kept intervals were drawn; the study before half_subset resampled with replacement, which biases the
    k-NN metrics' intervals (precision, recall, density, coverage) low."""
    if "resampling" in meta:
        return meta["resampling"]
    return ("bootstrap resamples with replacement (kept before the study drew half-size subsets without replacement: "
            "duplicated samples shrink k-NN radii, so the intervals of precision, recall, density and coverage are biased low "
            "until the study is run again)")


def metrics_agreement() -> str:
    """The kept agreement study (python -m ganbench.analysis.agreement): Kendall's tau of each metric with Inception FID."""
    folder = RESULTS / "metrics_agreement"
    if not (folder / "kendall_tau.csv").is_file():
        return "(the agreement study is not kept under results/ yet)"
    meta = json.loads((folder / "meta.json").read_text())
    rows = list(csv.DictReader((folder / "kendall_tau.csv").open()))
    out = [f"`results/metrics_agreement`: {meta['generators']} generators (every trial of `{Path(meta['kept']).name}`), "
           f"{meta['n']} generated and {meta['n']} real samples each, {meta['resamples']} {_resampling(meta)}; "
           f"command: `{meta['command']}`", "",
           "| metric | extractor | better | Kendall's tau with Inception FID | 95% interval |", "|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['metric']} | {r['extractor']} | {r['better']} | {float(r['kendall_tau']):.2f} | "
                   f"[{float(r['tau_lo']):.2f}, {float(r['tau_hi']):.2f}] |")
    return "\n".join(out)


def metrics_agreement_reading() -> str:
    """What the agreement study says, each number read from its tables (the generators' scores and the taus)."""
    folder = RESULTS / "metrics_agreement"
    if not (folder / "kendall_tau.csv").is_file():
        return "(the agreement study is not kept under results/ yet)"
    taus = {r["metric"]: r for r in csv.DictReader((folder / "kendall_tau.csv").open())}
    scores = list(csv.DictReader((folder / "scores.csv").open()))
    n = json.loads((folder / "meta.json").read_text())["n"]
    tau = lambda m: float(taus[m]["kendall_tau"])  # noqa: E731
    span = lambda m: f"{float(taus[m]['tau_lo']):.2f} to {float(taus[m]['tau_hi']):.2f}"  # noqa: E731
    lenet = tau("fid_lenet")
    best = {}
    for variant in dict.fromkeys(r["variant"] for r in scores):
        rows = [r for r in scores if r["variant"] == variant]
        by = {k: min(rows, key=lambda r: float(r[k])) for k in ("fid_inception", "fid_lenet")}
        best[variant] = by
    same = [v for v, by in best.items() if by["fid_inception"] is by["fid_lenet"]]
    order = {k: sorted(best, key=lambda v: float(best[v][k][k])) for k in ("fid_inception", "fid_lenet")}
    per_variant = ", ".join(f"{v} {float(by['fid_inception']['fid_inception']):.1f} / {float(by['fid_lenet']['fid_lenet']):.0f}"
                            for v, by in sorted(best.items(), key=lambda kv: float(kv[1]["fid_inception"]["fid_inception"])))
    inception = sorted((m for m in taus if taus[m]["extractor"] == "inception-v3-compat"), key=tau, reverse=True)
    density = "density_lenet"
    out = [f"**How far a lenet-mnist ranking can be trusted.** Over the {len(scores)} generators, lenet-mnist FID ranks like "
           f"Inception FID with Kendall's tau {lenet:.2f} (95% interval {span('fid_lenet')}): {(1 + lenet) / 2:.0%} of pairs "
           "in the same order. It tells a clearly better generator from a clearly worse one, not the close calls."]
    out.append(f"The variants' best generators (best Inception FID / best lenet FID, both at {n} samples: "
               f"{per_variant}) rank the variants {'the same' if order['fid_inception'] == order['fid_lenet'] else 'differently'} "
               f"under both ({' < '.join(order['fid_inception'])} by Inception FID"
               + ("" if order["fid_inception"] == order["fid_lenet"] else f"; {' < '.join(order['fid_lenet'])} by lenet FID") + "); "
               + ("the two FIDs pick the same setting within every variant." if len(same) == len(best) else
                  f"the two FIDs pick the same setting within {' and '.join(same) or 'no variant'}, not within "
                  f"{' and '.join(v for v in best if v not in same)}."))
    out.append(f"Among the Inception-feature metrics, {inception[0].removesuffix('_inception')} ({tau(inception[0]):.2f}) and "
               f"{inception[1].removesuffix('_inception')} ({tau(inception[1]):.2f}) follow FID most closely; "
               f"{' and '.join(m.removesuffix('_inception') for m in inception if tau(m) == tau(inception[-1]))} "
               f"({tau(inception[-1]):.2f}) least (precision and density measure fidelity, not diversity: another question).")
    if float(taus[density]["tau_lo"]) <= 0:
        out.append(f"Density on lenet features barely agrees ({tau(density):.2f}, interval {span(density)}, reaching "
                   "no agreement at all): do not rank digit generators by it.")
    else:
        out.append(f"Density on lenet features agrees least ({tau(density):.2f}, interval {span(density)}).")
    out.append(f"These are the generators of one small study scored at {n} samples; a ranking of close variants needs "
               "Inception FID on more samples.")
    return " ".join(out)


def protocol_lines() -> str:
    from ganbench.benchmark.protocols import PROTOCOLS

    return "\n".join(f"- `{name}`: {p.summary}." for name, p in PROTOCOLS.items())


def gallery() -> str:
    """results/README.md: each kept study, what produced it, and its headline figure."""
    out = ["# Measured studies", "", "Each folder is one study ganbench ran, kept as data: `trials.csv` (one row per trial, the columns of "
           "`ganbench report`'s trials.csv), `spec.json` (what it ran), `meta.json` (the command, commit, machine and wall time) and, "
           "where the protocol logs them, `pacgan_epochs.csv` (PacGAN's metrics after every epoch of every run). "
           "`ganbench report results/NAME --out DIR` rebuilds a study's report from these files alone, in seconds. "
           "`python tools/readme.py` regenerates this page and the README's measured tables from them.", "",
           "This page is generated; do not edit it.", ""]
    for study_dir in kept_studies():
        meta = json.loads((study_dir / "meta.json").read_text())
        m = meta.get("machine", {})
        out += [f"## {meta['study']}", "", f"- command: `{meta['command']}`",
                f"- commit `{(meta.get('commit') or '?')[:10]}`, {meta.get('date')}; {m.get('processor')}, {m.get('cores')} cores"
                f"{', ' + m['cuda'] if m.get('cuda') else ''}; {meta['trials']} trials, {meta['wall_time_s'] / 60:.0f} minutes' wall time",
                *([f"- {meta['note']}"] if meta.get("note") else []), ""]
        for fig in meta.get("figures", []):
            out += [f"![{meta['study']}]({study_dir.name}/{fig})", "", f"*{meta['study']}: {_caption(fig)}*", ""]
    return "\n".join(out)


def _caption(fig: str) -> str:
    if "pacgan_epochs" in fig:
        return ("PacGAN's metrics (modes covered, high quality, reverse KL) after every epoch of 1,000 steps, mean over runs "
                "per packing degree with their range as a band, and Table 1's value at 400 epochs dashed.")
    if "seeds_" in fig:
        return "each variant's best setting trained again over seeds: modes covered, reverse KL and mixture mismatch, mean ± standard error"
    if "best_samples" in fig:
        return ("samples of the study's best trial by its score"
                " (for pix2pix: input | output | target triplets on held-out pairs)")
    return Path(fig).stem


def _range(r) -> str:
    if r is None:
        return "-"
    if isinstance(r, list):
        return f"{r[0]} {', '.join(map(str, r[1:]))}"
    return f"= {r}"


def variant_parameters() -> str:
    rows = ["| variant | parameter | default | on 2-D points | allowed | wide | narrow | what |", "|---|---|---|---|---|---|---|---|"]
    for v in VARIANTS.values():
        if v.kind == "pix2pix" and v.name != "pix2pix":
            continue  # the ablations are pix2pix with other defaults: their names say which
        on_points = v.own_defaults(on_points=True)
        for f in v.own:
            point = on_points[f.name] if on_points[f.name] != f.default else ""
            rows.append(f"| `{v.name}` | `{f.name}` | {f.default} | {point} | {f.allowed()} | {_range(f.wide)} | {_range(f.narrow)} | {f.help} |")
    return "\n".join(rows)


def spec_fields() -> str:
    rows = ["| field | default | allowed | what |", "|---|---|---|---|",
            "| `variants` | required | a list of distinct names (`ganbench variants`, or package.module:function) | the variants compared |",
            "| `datasets` | required | a list of distinct names (`ganbench datasets`, folder:PATH, npz:PATH) | the data sets |",
            "| `space` | required | wide, narrow, or per variant a name or a written-out space | what each search draws from |",
            "| `budget` | required | a mapping: `settings`, `seeds` | the budget of each (variant, data set) |",
            f"| `pack` | 1 | {RUN_FIELDS['pack'].allowed()}, or a list of distinct ones | PacGAN packing; a list runs one study per degree |"]
    for name, f in {**SPEC_FIELDS, **{f"budget.{k}": f for k, f in BUDGET_FIELDS.items()}}.items():
        default = "required" if name in ("steps", "budget.settings") else ("the file's name" if name == "name" else f.default)
        default = "-" if default is None else default
        allowed = f.allowed() if f.type is not str or f.choices else "a name"
        rows.append(f"| `{name.split('.')[-1]}`{' (in budget)' if name.startswith('budget.') else ''} | {default} | {allowed} | {f.help} |")
    return "\n".join(rows)


TIMINGS = RESULTS / "timings" / "make_test.csv"


def _scale_rows() -> tuple[list[dict], dict]:
    folder = RESULTS / "sweep_scale"
    rows = list(csv.DictReader((folder / "runs.csv").open()))
    return rows, json.loads((folder / "meta.json").read_text())


def _mb(x: str) -> str:
    v = float(x)
    return f"{v / 1000:.1f} GB" if v >= 1000 else f"{v:.0f} MB" if v >= 10 else f"{v:.1f} MB"


def sweep_scale() -> str:
    """The sweep machinery's load measurement (tests/perf/sweep_scale.py), as tables."""
    if not (RESULTS / "sweep_scale" / "runs.csv").is_file():
        return "(the scale measurement is not kept under results/ yet)"
    rows, meta = _scale_rows()
    at, with_ = rows[0]["at"], rows[0]["with"]
    runs = "; ".join(f"`{r['command']}` ({r['date']}, commit {r['commit'][:7]}, {int(r['wall_time_s']) / 60:.0f} min)" for r in meta["runs"])
    out = [f"`results/sweep_scale` ({meta['machine']['cores']} CPU cores, {meta['machine']['cpu']}; {runs}). Synthetic "
           "trials: each goes the whole way through the harness (claim, owner, setting, heartbeat, result) without "
           "training, so the time is the harness's."]
    commits: dict[str, list[str]] = {}
    for r in meta["runs"]:
        commits.setdefault(r["commit"][:7], []).append(r["command"].split("--storages ")[1].split()[0])
    if len(commits) > 1:  # appended runs of several commits: the storages are not compared at one
        first, last = list(commits)[0], list(commits)[-1]
        out[-1] += (" Not all at one commit: " + "; ".join(f"{' and '.join(storages)} at {c}" for c, storages in commits.items())
                    + f" (`git log {first}..{last}` says what changed between).")
    out += ["",
           f"Workers against one study of {int(at):,} trials:", "",
           "| storage | workers | trials/s | core-seconds a trial | peak connections (a worker) | workers' own memory | lost / duplicated |",
           "|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["grid"] == "workers"):
        conn = "-" if r["storage"] != "postgresql" else f"{r['peak_connections']} ({float(r['peak_connections_per_worker']):.2f})"
        out.append(f"| {r['storage']} | {r['workers']} | {float(r['trials_per_s']):.1f} | {float(r['core_s_per_trial']):.3f} | {conn} | "
                   f"{_mb(r['workers_private_mb'])} | {r['lost']} / {r['duplicated']} |")
    out += ["", f"Studies of growing size, {with_} workers:", "",
            "| storage | trials | trials/s | core-seconds a trial | storage size | `sweep status` | `report` | lost / duplicated |",
            "|---|---|---|---|---|---|---|---|"]
    for r in (r for r in rows if r["grid"] == "trials"):
        out.append(f"| {r['storage']} | {int(r['trials']):,} | {float(r['trials_per_s']):.1f} | {float(r['core_s_per_trial']):.3f} | "
                   f"{_mb(r['storage_mb'])} | {float(r['status_s']):.1f} s | {float(r['report_s']):.1f} s | {r['lost']} / {r['duplicated']} |")
    for r in (r for r in rows if r["grid"] == "kills"):
        resumed = f", {r['resumed']} of them by a resume pass" if int(r["resumed"]) else ""
        out += ["", f"The largest run: {int(r['trials']):,} trials, {r['workers']} workers, {r['storage']}, {r['killed']} workers "
                f"SIGKILLed in two rounds (a tenth each time, each replaced at once): {r['lost']} trials lost, {r['duplicated']} "
                f"duplicated, {r['wrong_score']} with another trial's score; {r['lost_attempts']} killed attempts were "
                f"run again{resumed}; "
                f"{float(r['trials_per_s']):.1f} trials/s, `sweep status` {float(r['status_s']):.1f} s, `report` "
                f"{float(r['report_s']):.1f} s."]
    out += ["", "![claims a second against workers, harness cost and report time against study size](../results/sweep_scale/figures/sweep_scale.png)"]
    return "\n".join(out)


STORAGE_NAMES = {"journal": "A journal file", "sqlite": "SQLite", "postgresql": "PostgreSQL"}


def sweep_scale_reading() -> str:
    """What each storage carries, read from the kept measurement: the most workers and trials it ran with the budget
    exact, and the rate of trials it tells at the most workers, as the shortest trial that keeps it from being the
    bottleneck."""
    if not (RESULTS / "sweep_scale" / "runs.csv").is_file():
        return "(the scale measurement is not kept under results/ yet)"
    rows, meta = _scale_rows()
    out = []
    for storage in dict.fromkeys(r["storage"] for r in rows):
        mine = [r for r in rows if r["storage"] == storage]
        exact = [r for r in mine if r["budget_exact"] == "True" and r["wrong_score"] == "0"]
        clean = [r for r in exact if r["worker_errors"] == "0"]
        crashed = [r for r in mine if r["worker_errors"] != "0"]
        line = (f"- **{STORAGE_NAMES[storage]}** finished every setting exactly once, with its own seed's score, in "
                f"{len(exact)} of {len(mine)} runs (up to {max(int(r['workers']) for r in mine)} workers and "
                f"{max(int(r['trials']) for r in mine):,} trials).")
        if crashed:
            line += (" Workers crashed in " + "; ".join(f"the run of {r['workers']} workers and {int(r['trials']):,} trials "
                                                        f"({r['worker_errors']})" for r in crashed) + ".")
        if clean:
            workers = max(int(r["workers"]) for r in clean)
            rate = max(float(r["trials_per_s"]) for r in clean if int(r["workers"]) == workers)
            line += (f" At {workers} worker{'s' if workers > 1 else ''} without a crash it told {rate:.1f} trials a second on "
                     f"{meta['machine']['cores']} cores" + (f": {workers} workers whose trials last {workers / rate:.0f} s or more "
                                                            "do not wait on it." if workers > 1 else "."))
            small, large = (min(clean, key=lambda r: int(r["trials"])), max(clean, key=lambda r: (int(r["trials"]), -int(r["workers"]))))
            each = lambda r: float(r["workers_private_mb"]) / int(r["workers"])  # noqa: E731
            if large is not small:
                line += (f" Each worker's own memory: {each(small):.0f} MB in a study of {int(small['trials']):,} trials, "
                         f"{each(large):.0f} MB in one of {int(large['trials']):,}.")
        out.append(line)
    return "\n".join(out)


def lucic_plan() -> str:
    """`ganbench sweep plan` over the whole Lucic study (every data set, wide and narrow, with the seed re-runs), as it
    prints the counts, the array, the storage and the connections (not the device-hours: those need a GPU node's
    gpu-check file, so the plan here is priced by none)."""
    from ganbench.sweeps.plan import SLURM_DEFAULT_MAX_ARRAY_SIZE, format_plans, plan
    from ganbench.sweeps.spec import load_spec

    unpriced = {"device": "a GPU node (not priced here)", "memory_bytes": None, "steps": []}
    plans = [plan(load_spec(p), None, unpriced, max_array=SLURM_DEFAULT_MAX_ARRAY_SIZE, flops=False) for p in sorted((README.parent / "sweeps" / "studies").glob("lucic_*.yaml"))]
    keep = ("lucic_", "SLURM:", "storage:", "all ", "submitted together")
    lines = [line.replace("; priced on a GPU node (not priced here)", "") for line in format_plans(plans).splitlines() if line.startswith(keep)]
    return "\n".join(["```console", "$ ganbench sweep plan sweeps/studies/lucic_*.yaml --gpu-check ~/.cache/ganbench/gpu_check/<device>.json",
                      "(the per-cell tables and device-hours left out)", *lines, "```"])


def make_test_timings() -> str:
    """`make test` on a fresh clone with empty caches, one row a measurement, as results/timings/ keeps them."""
    rows = list(csv.DictReader(TIMINGS.open()))
    out = ["| date | commit | cores | `make test` | of which the suite | tests | note |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        total, suite = int(r["make_test_s"]), int(r["pytest_s"])
        removed = " (chromium removed first)" if "chromium" in r["command"] else ""
        out.append(f"| {r['date']} | {r['commit']} | {r['cores']} | {total / 60:.1f} min | {suite} s | {r['tests']} | {r['note']}{removed} |")
    return "\n".join(out)


SECTIONS = {name: shipped(make) for name, make in {"variant-parameters": variant_parameters, "spec-fields": spec_fields, "measured-pacgan": measured_pacgan,
            "measured-objectives": measured_objectives, "measured-pix2pix": measured_pix2pix, "demo-summary": demo_summary,
            "make-test-timings": make_test_timings, "measured-objectives-today": measured_objectives_today, "objectives-claims": objectives_claims, "ring-caption": ring_caption,
            "kept-studies": kept_table, "protocols": protocol_lines, "metrics-agreement": metrics_agreement,
            "metrics-agreement-reading": metrics_agreement_reading, "sweep-scale": sweep_scale, "sweep-scale-reading": sweep_scale_reading,
            "lucic-plan": lucic_plan}.items()}


def render(text: str) -> str:
    """The page with each generated block it holds rewritten from its source."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- generated: {name} -->\n)(?:.*?\n)?(<!-- end: {name} -->)", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def missing_blocks() -> list[str]:
    text = "".join(p.read_text() for p in pages())
    return [name for name in SECTIONS if f"<!-- generated: {name} -->" not in text]


def docs_gallery() -> str:
    """The gallery as a docs page: the same text, its links into results/ made relative to docs/."""
    return gallery().replace("](", "](results/").replace("](results/http", "](http") + "\n"


if __name__ == "__main__":
    if missing_blocks():
        sys.exit(f"no page holds the generated block(s) {', '.join(missing_blocks())}")
    targets = {p: render(p.read_text()) for p in pages() if p != DOCS / "results.md"}
    targets[GALLERY], targets[DOCS / "results.md"] = gallery() + "\n", docs_gallery()
    stale = [p for p, text in targets.items() if not p.is_file() or p.read_text() != text]
    if "--check" in sys.argv[1:]:
        sys.exit(f"{', '.join(str(p.relative_to(README.parent)) for p in stale)} stale: run python tools/readme.py" if stale else 0)
    for p in stale:
        p.write_text(targets[p])
