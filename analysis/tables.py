"""The report's tables: the best per variant, significance at a budget, against the baseline, beside the published
tables (the CSVs under results/published, shipped with the package), mode collapse, pix2pix's ablations."""
from __future__ import annotations

import json
import math
from importlib.resources import files
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from ganbench.benchmark.config import config_from_dict, resolve_config
from ganbench.benchmark.metrics.extractors import ExtractorName
from ganbench.benchmark.protocols import get_protocol, lucic2018

from .budget import compare_at_budget, min_curve
from .load import read_curves
from ganbench.benchmark.identity import Phase, TrialStatus


PUBLISHED = files("ganbench.results") / "published"  # results/published, package data: the published numbers
LUCIC = PUBLISHED / "lucic2018.csv"
PACGAN = PUBLISHED / "pacgan2018.csv"
R3GAN = PUBLISHED / "r3gan2024.csv"
MODE_METRICS = ["modes_covered", "high_quality_percent", "mode_kl"]
TABLE3_ARCHS = {"unrolled_d_quarter": "D 1/4 G", "unrolled_d_half": "D 1/2 G"}  # PacGAN Table 3's settings, by net
STUDY = lucic2018.PROTOCOL  # the protocol the published table's numbers were measured under
LUCIC_PROTOCOL = dict(extractor=ExtractorName.INCEPTION, n_fake=10_000, n_real=10_000, datasets={"mnist", "fashion_mnist", "cifar10", "celeba"})


def variant_order(variants) -> list:
    known = ["mm_gan", "ns_gan", "fgan_kl", "fgan_reverse_kl", "fgan_pearson", "fgan_neyman", "fgan_hellinger", "fgan_js",
             "fgan_gan", "wgan", "wgan_gp", "lsgan", "dragan", "began", "vae", "hinge", "rwgan", "mcgan", "gmmn", "mmd_gan",
             "cramer_gan", "fisher_gan", "ebgan", "magan", "rsgan", "rpgan", "rasgan", "ralsgan", "ns_gan_r1r2", "r3gan"]
    return [v for v in known if v in set(variants)] + sorted(set(variants) - set(known))


def has_run(run_dir, file: str = "") -> bool:
    """A trial's run folder is on disk (a study kept under results/ has its table only)."""
    return isinstance(run_dir, str) and (Path(run_dir) / file).exists()


def budget_curves(df) -> pd.DataFrame:
    rows = []
    for (dataset, variant), g in df[df["status"].isin([TrialStatus.FINISHED, TrialStatus.DIVERGED]) & (df["phase"] != Phase.SEED)].groupby(["dataset", "variant"]):
        scores = g["score"].to_numpy(dtype=float)
        for r in min_curve(scores, range(1, len(scores) + 1)):
            rows.append(dict(dataset=dataset, variant=variant, metric=g["metric"].iloc[0], **r,
                             device_hours=r["budget"] * g["device_hours"].mean()))
    return pd.DataFrame(rows)


def best_table(df) -> pd.DataFrame:
    rows = []
    for (dataset, variant), both in df.groupby(["dataset", "variant"]):
        g = both[both["phase"] != Phase.SEED]  # the search; the seed phase re-trains its best setting
        done = g[g["status"].isin([TrialStatus.FINISHED, TrialStatus.DIVERGED])]
        finite = done[np.isfinite(done["score"])]
        seeds = both[(both["phase"] == Phase.SEED) & both["status"].isin([TrialStatus.FINISHED])]
        rows.append(dict(dataset=dataset, variant=variant, metric=g["metric"].dropna().iloc[0] if g["metric"].notna().any() else None,
                         budget=g["budget"].max(), done=len(done), diverged=int((g["status"] == TrialStatus.DIVERGED).sum()),
                         failed=int((g["status"] == TrialStatus.FAILED).sum()), running=int((g["status"] == TrialStatus.RUNNING).sum()), pruned=int((g["status"] == TrialStatus.PRUNED).sum()),
                         failure_rate=float(g["status"].isin([TrialStatus.DIVERGED, TrialStatus.FAILED]).mean()),
                         best=finite["score"].min() if len(finite) else math.inf if len(done) else math.nan,  # nan: none ended yet
                         seeds=len(seeds), seed_mean=seeds["score"].mean() if len(seeds) else None,
                         seed_std=seeds["score"].std() if len(seeds) > 1 else None,
                         extractor=g["extractor"].dropna().iloc[0] if g["extractor"].notna().any() else None,
                         n_fake=g["n_fake"].dropna().iloc[0] if g["n_fake"].notna().any() else None,
                         n_real=g["n_real"].dropna().iloc[0] if g["n_real"].notna().any() else None,
                         train_steps=g["train_steps"].iloc[0], protocol=g["protocol"].iloc[0]))
    return pd.DataFrame(rows)


QUALITY_METRICS = ["fid_min", "fid", "kid", "precision", "recall", "density", "coverage", "inception_score"]


def quality_table(df: pd.DataFrame) -> pd.DataFrame:
    """Each variant's best trial (by the study's score) on images: every sample-quality metric its final scoring
    wrote, on the same features (the extractor and sample sizes beside them). Empty where no trial was scored so."""
    have = [m for m in QUALITY_METRICS if m in df and df[m].notna().any()]
    if not {"density", "coverage"} & set(have) and not {"kid", "precision"} & set(have):
        return pd.DataFrame()
    rows = []
    done = df[(df["status"] == TrialStatus.FINISHED) & (df["phase"] != Phase.SEED) & np.isfinite(df["score"].astype(float))]
    for (dataset, variant), g in done.groupby(["dataset", "variant"]):
        best = g.loc[g["score"].astype(float).idxmin()]
        if all(pd.isna(best.get(m)) for m in have):
            continue
        rows.append(dict(dataset=dataset, variant=variant, **{m: best.get(m) for m in have},
                         extractor=best.get("extractor"), n_fake=best.get("n_fake"), n_real=best.get("n_real")))
    return pd.DataFrame(rows)


EXTERNAL_METRICS = ("fid", "kid", "precision", "recall", "density", "coverage")


def external_table(df, externals: list[dict]) -> pd.DataFrame:
    """Sample sets scored elsewhere (`ganbench score`) beside each variant's best trial on the same data set: the
    same metrics, and whether the two were scored alike (extractor, Inception's resize mode, sample sizes), said by
    field where they were not."""
    rows = []
    quality = quality_table(df)
    for ext in externals:
        rows.append(dict(dataset=ext["against"], arm=f"external: {ext['samples']}", source=ext["source"], extractor=ext["extractor"],
                         resize=ext["resize"], n_fake=ext["n_samples"], n_real=ext["n_reference"],
                         **{m: ext.get(m) for m in EXTERNAL_METRICS}, comparable="-"))
        best = quality[quality["dataset"] == ext["against"]] if len(quality) else quality
        for r in best.itertuples():
            apart = [f"{name} {ours} vs {theirs}" for name, ours, theirs in (
                ("extractor", r.extractor, ext["extractor"]), ("resize", "legacy_tensorflow", ext["resize"]),
                ("samples", int(r.n_fake), ext["n_samples"]), ("real samples", int(r.n_real), ext["n_reference"])) if ours != theirs]
            rows.append(dict(dataset=r.dataset, arm=f"study: {r.variant} (best trial)", source="", extractor=r.extractor,
                             resize="legacy_tensorflow", n_fake=int(r.n_fake), n_real=int(r.n_real),
                             **{m: getattr(r, m, None) for m in EXTERNAL_METRICS if m != "fid"},
                             fid=r.fid_min if pd.isna(getattr(r, "fid", None)) and hasattr(r, "fid_min") else getattr(r, "fid", None),
                             comparable="yes" if not apart else "no: " + "; ".join(apart)))
    return pd.DataFrame(rows)


def significance_table(df, budget: int | None = None) -> pd.DataFrame:
    """Every pair of variants on each data set: is the difference of their minimum scores at a budget of k settings
    significant (bootstrap, see analysis.budget.compare_at_budget)? k defaults to the smallest number of settings any
    of them finished. Where both ran a seed phase, a Mann-Whitney U test on the seed scores too."""

    rows = []
    search = df[df["status"].isin([TrialStatus.FINISHED, TrialStatus.DIVERGED]) & (df["phase"] != Phase.SEED)]
    seeds = df[(df["status"] == TrialStatus.FINISHED) & (df["phase"] == Phase.SEED) & np.isfinite(df["score"])]
    for dataset, g in search.groupby("dataset"):
        scores = {v: h["score"].to_numpy(dtype=float) for v, h in g.groupby("variant")}
        order = variant_order(scores)
        k = budget or min(len(x) for x in scores.values())
        for a, b in combinations(order, 2):
            r = compare_at_budget(scores[a], scores[b], k)
            sa = seeds[(seeds["dataset"] == dataset) & (seeds["variant"] == a)]["score"]
            sb = seeds[(seeds["dataset"] == dataset) & (seeds["variant"] == b)]["score"]
            seed_p = float(mannwhitneyu(sa, sb).pvalue) if len(sa) >= 2 and len(sb) >= 2 else None
            rows.append(dict(dataset=dataset, a=a, b=b, metric=g["metric"].dropna().iloc[0] if g["metric"].notna().any() else None,
                             **r, better=(a if r["mean_min_a"] < r["mean_min_b"] else b) if r["significant"]
                             else ("too few settings to test" if math.isnan(r["p"]) else "neither"),
                             seeds_p=seed_p))
    return pd.DataFrame(rows)


BASELINE = "ns_gan"  # the objective table's question: does an innovation beat the original (non-saturating) GAN at the same budget?


def baseline_table(df, baseline: str = BASELINE, budget: int | None = None) -> pd.DataFrame:
    """Every variant against ``baseline`` on each data set that ran it: best and median score over the search's
    settings, and the significance table's verdict on the pair (bootstrap of the minimum at the common budget)."""
    sig = significance_table(df, budget)
    search = df[df["status"].isin([TrialStatus.FINISHED, TrialStatus.DIVERGED]) & (df["phase"] != Phase.SEED)]
    rows = []
    for dataset, g in search.groupby("dataset"):
        if baseline not in set(g["variant"]):
            continue
        for variant in variant_order(g["variant"]):
            scores = g[g["variant"] == variant]["score"].to_numpy(dtype=float)
            row = dict(dataset=dataset, variant=variant, metric=g["metric"].dropna().iloc[0] if g["metric"].notna().any() else None,
                       settings=len(scores), best=float(np.min(scores)), median=float(np.median(scores)),
                       diverged=int(np.sum(~np.isfinite(scores))), p_vs_baseline=math.nan, verdict="baseline")
            if variant != baseline:
                r = sig[(sig["dataset"] == dataset) & (((sig["a"] == variant) & (sig["b"] == baseline)) | ((sig["a"] == baseline) & (sig["b"] == variant)))]
                r = r.iloc[0] if len(r) else None
                row["p_vs_baseline"] = r["p"] if r is not None else math.nan
                row["verdict"] = ("too few settings to test" if r is None or r["better"] == "too few settings to test"
                                  else f"better than {baseline}" if r["better"] == variant
                                  else f"worse than {baseline}" if r["better"] == baseline else "no significant difference")
            rows.append(row)
    return pd.DataFrame(rows)


METRIC_NAMES = {"fid": "min FID", "mixture_mismatch": "mixture mismatch", "mode_kl": "mode KL"}


def recipe_deviations(df) -> pd.DataFrame:
    """Where an arm ran off its variant's declared recipe (``Variant.recipe``), by field, read off the trial rows'
    effective settings: a setting the recipe fixes that trials ran at another value (its tuned settings, searched
    around it by design, are not marked), and R1 and R2 gammas apart where the recipe ties them. A row per (data
    set, variant, field): what the recipe says, what ran, in how many of the arm's trials."""
    from ganbench.benchmark.variants import VARIANTS

    rows = []
    for (dataset, variant), g in df.groupby(["dataset", "variant"], sort=True):
        recipe = VARIANTS[variant].recipe if variant in VARIANTS else None
        if recipe is None:
            continue
        for field, value in recipe.settings.items():
            if field in recipe.tuned or field not in g or g[field].isna().all():
                continue
            if value is None:  # unset in the recipe: tied to R1's gamma (R3GAN's one gamma)
                apart = int((g["r1_gamma"] != g[field]).sum()) if "r1_gamma" in g else 0
                if apart:
                    rows.append(dict(dataset=dataset, variant=variant, field=field, recipe="= r1_gamma", ran="apart", trials=apart))
                continue
            off = g[field][g[field].notna() & (g[field] != value)]
            if len(off):
                ran = sorted(set(off))
                show = lambda x: f"{x:.3g}" if isinstance(x, float) else str(x)  # noqa: E731
                rows.append(dict(dataset=dataset, variant=variant, field=field, recipe=value, trials=len(off),
                                 ran=", ".join(map(show, ran)) if len(ran) <= 2 else f"{show(ran[0])} to {show(ran[-1])}"))
    return pd.DataFrame(rows, columns=["dataset", "variant", "field", "recipe", "ran", "trials"])


def conclusions(df, budget: int | None = None) -> pd.DataFrame:
    """What a study found, as data: a row per data set and other variant, with the best variant by its best score
    and the verdict of the significance table's test at the common budget ("better", "not significant" or "too few
    settings to test") and its p-value."""
    best, sig = best_table(df), significance_table(df, budget)
    rows = []
    for dataset, g in best.groupby("dataset"):
        g = g[g["done"] > 0].sort_values("best")  # an arm none of whose trials has ended yet is in no conclusion
        if g.empty:
            continue
        top = g.iloc[0]
        head = {"dataset": dataset, "best": top["variant"], "metric": METRIC_NAMES.get(top["metric"], top["metric"] or "score"),
                "best_score": float(top["best"]), "settings": int(top["done"])}
        for other in g["variant"].iloc[1:]:
            r = sig[(sig["dataset"] == dataset) & (((sig["a"] == top["variant"]) & (sig["b"] == other)) | ((sig["a"] == other) & (sig["b"] == top["variant"])))]
            if r.empty or r.iloc[0]["better"] == "too few settings to test":
                rows.append({**head, "other": other, "verdict": "too few settings to test", "p": float("nan")})
            else:
                rows.append({**head, "other": other, "p": float(r.iloc[0]["p"]),
                             "verdict": "better" if r.iloc[0]["better"] == top["variant"] else "not significant"})
        if len(g) == 1:
            rows.append({**head, "other": None, "verdict": None, "p": float("nan")})
    return pd.DataFrame(rows, columns=["dataset", "best", "metric", "best_score", "settings", "other", "verdict", "p"])


def summary_lines(df, budget: int | None = None) -> list[str]:
    """What a study found, a line per data set: the best variant by its best score, and whether it is
    significantly better than each other variant at the common budget (the significance table's test)."""
    lines = []
    for dataset, g in conclusions(df, budget).groupby("dataset", sort=True):
        top = g.iloc[0]
        verdicts = []
        for r in g[g["other"].notna()].itertuples():
            if r.verdict == "too few settings to test":
                verdicts.append(f"{r.other}: too few settings to test")
            elif r.verdict == "better":
                verdicts.append(f"better than {r.other} (p = {r.p:.3f}, significant)")
            else:
                verdicts.append(f"not significantly better than {r.other} (p = {r.p:.2f})")
        best = f"{dataset}: best {top['best']} ({top['metric']} {top['best_score']:.4g}, {top['settings']} setting{'s' if top['settings'] != 1 else ''})"
        lines.append("; ".join([best, *verdicts]))
    return lines


def held_across(by_setting: pd.DataFrame) -> list[str]:
    """Which of a study's conclusions held on every kernel setting it was run under (``by_setting``: conclusions()
    rows with a ``setting`` column), a line per data set: the best variant and each verdict, said as held on all or
    as what it was on each, with the range of the numbers behind them."""
    n = by_setting["setting"].nunique()
    lines = []
    for dataset, g in by_setting.groupby("dataset", sort=True):
        firsts = g.drop_duplicates("setting")
        bests = sorted(set(firsts["best"]))
        lo, hi = firsts["best_score"].min(), firsts["best_score"].max()
        if len(bests) == 1:
            parts = [f"best {bests[0]} on all {n} ({firsts['metric'].iloc[0]} {lo:.4g}-{hi:.4g})"]
        else:
            counts = firsts["best"].value_counts()
            parts = [f"best varied: {', '.join(f'{b} on {counts[b]}' for b in bests)} ({lo:.4g}-{hi:.4g})"]
            rows = g[g["other"].notna()]
            tops = rows[rows["other"].isin(bests)]  # the varying bests against each other
            if len(tops):
                verdicts = tops["verdict"].value_counts()
                parts.append(f"{' and '.join(bests)} " + (f"{verdicts.index[0]} on all" if len(verdicts) == 1 else
                             ", ".join(f"{v} on {k}" for v, k in verdicts.items())) + f" (p {tops['p'].min():.3f}-{tops['p'].max():.3f})")
            for other, o in rows[~rows["other"].isin(bests)].groupby("other", sort=True):  # never the best
                below = int((o["verdict"] == "better").sum())
                parts.append(f"{other} significantly below the best on {'all' if below == n else f'{below} of {n}'} "
                             f"(p {o['p'].min():.3f}-{o['p'].max():.3f})")
        if len(bests) == 1:
            for other, o in g[g["other"].notna()].groupby("other", sort=True):
                counts = o["verdict"].value_counts()
                p = f"p {o['p'].min():.3f}-{o['p'].max():.3f}" if o["p"].notna().any() else "untested"
                said = {"better": f"better than {other}", "not significant": f"not significantly better than {other}"}
                if len(counts) == 1:
                    parts.append(f"{said.get(counts.index[0], f'{other}: {counts.index[0]}')} on all ({p})")
                else:
                    parts.append(f"vs {other} varied: {', '.join(f'{v} on {k}' for v, k in counts.items())} ({p})")
        lines.append(f"{dataset}: " + "; ".join(parts))
    return lines


def plain_summary(df, budget: int | None = None) -> list[str]:
    """The report's first lines: what was compared, at what budget and length, and what differs significantly."""
    lines = []
    for dataset, g in df.groupby("dataset"):
        search = g[g["phase"] != Phase.SEED]
        per = search.groupby("variant").size()
        steps = sorted(set(g["train_steps"].dropna().astype(int)))
        lines.append(f"{dataset}: {len(per)} variant{'s' if len(per) != 1 else ''} ({', '.join(variant_order(per.index))}), "
                     f"{per.min()}{'' if per.min() == per.max() else f'-{per.max()}'} setting{'s' if per.max() != 1 else ''} each"
                     f"{', ' + ' or '.join(f'{s:,}' for s in steps) + ' steps a trial' if steps else ''}"
                     f"{', protocol ' + ', '.join(sorted(set(g['protocol'].dropna()))) if 'protocol' in g else ''}.")
    return lines + summary_lines(df, budget)


def published_comparison(table: pd.DataFrame) -> pd.DataFrame:
    pub = pd.read_csv(LUCIC, comment="#")
    merged = table.merge(pub, on=["variant", "dataset"], how="inner")
    if merged.empty:
        return merged

    def why_not(r):
        reasons = []
        if get_protocol(r.protocol) is not STUDY:
            reasons.append(f"protocol {r.protocol} (published: the study's code, protocol {STUDY.name})")
        if r.extractor != LUCIC_PROTOCOL["extractor"]:
            reasons.append(f"extractor {r.extractor} (published: Inception)")
        if r.n_fake != 10_000 or r.n_real != 10_000:
            reasons.append(f"sample sizes {r.n_fake}/{r.n_real} (published: 10000/10000)")
        if r.budget < 100:
            reasons.append(f"budget {r.budget} settings (published: 100)")
        return "; ".join(reasons) or "comparable"

    merged["comparable"] = [why_not(r) for r in merged.itertuples()]
    return merged[["dataset", "variant", "best", "seed_mean", "seed_std", "fid_mean", "fid_std", "note", "comparable"]]


def mode_trials(df: pd.DataFrame) -> pd.DataFrame:
    """Every trial on a data set with modes: modes covered, high-quality share, reverse KL, and W1 on mixtures."""
    cols = ["dataset", "variant", "pack", "phase", "setting", "seed", "status", "modes_covered", "modes_total",
            "high_quality_fraction", "mode_kl", "mixture_mismatch", "mixture_w1"]
    m = df[df["modes_covered"].notna()] if "modes_covered" in df else df.iloc[0:0]
    return m[[c for c in cols if c in m]].sort_values(["dataset", "variant", "phase", "setting", "seed"], na_position="first")


def pacgan_comparison(df: pd.DataFrame) -> pd.DataFrame:
    """Measured beside PacGAN's Tables 1-3 for every (data set, variant, pack) a study ran: the mean and standard
    error over the seed phase (over all finished trials where there is none), and whether the two agree within
    two standard errors (the root of the sum of both squared)."""
    pub = pd.read_csv(PACGAN, comment="#")
    rows = []
    done = df[df["status"] == TrialStatus.FINISHED].copy()
    if done.empty or "modes_covered" not in done:
        return pd.DataFrame()
    done["high_quality_percent"] = 100 * done["high_quality_fraction"]
    done["setting_of_table"] = done["arch"].map(TABLE3_ARCHS).fillna("") if "arch" in done else ""
    for (dataset, variant, pack, setting), g in done.groupby(["dataset", "base_variant", "pack", "setting_of_table"]):
        # Table 3's discriminator sizes are its own nets (arch unrolled_d_*); every other run is compared with Tables 1-2
        ref = pub[(pub["dataset"] == dataset) & (pub["variant"] == variant) & (pub["pack"] == pack)
                  & (pub["setting"] == setting if setting else pub["setting"].isna())]
        if ref.empty:
            continue
        # with one setting (PacGAN's fixed protocol) the search trial is one more run of it; otherwise the seed phase
        one_setting = (g.loc[g["phase"] == Phase.SEARCH, "budget"] == 1).all()
        runs = g if one_setting or not (g["phase"] == Phase.SEED).any() else g[g["phase"] == Phase.SEED]
        for r in ref.itertuples():
            values = runs[r.metric].dropna().astype(float)
            if values.empty:
                continue
            if not np.isfinite(values).all():  # a run with no high-quality sample has an infinite reverse KL
                mean, se = math.inf, float("nan")
            else:
                mean, se = values.mean(), (values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else float("nan"))
            both = math.sqrt((0 if math.isnan(se) else se) ** 2 + r.se**2)
            agree = "yes" if abs(mean - r.value) <= 2 * both else "no"
            steps = int(runs["train_steps"].iloc[0]) if "train_steps" in runs and pd.notna(runs["train_steps"].iloc[0]) else None
            protocol = runs["protocol"].iloc[0] if "protocol" in runs else None
            rows.append(dict(table=r.table, dataset=dataset, row=r.row if not setting else f"{r.row}, {setting}", pack=pack,
                             protocol=protocol, steps=steps, metric=r.metric, runs=len(values),
                             measured=mean, measured_se=se, published=r.value, published_se=r.se, within_2se=agree))
    return pd.DataFrame(rows)


SEED_METRICS = ["modes_covered", "high_quality_fraction", "mode_kl", "mixture_mismatch"]


def _mean_se(values: pd.Series) -> tuple[float, float]:
    """Mean and standard error; an infinite value (a run with no high-quality sample has an infinite reverse KL)
    makes the mean infinite and the error undefined."""
    values = values.dropna().astype(float)
    if values.empty:
        return float("nan"), float("nan")
    if not np.isfinite(values).all():
        return math.inf, float("nan")
    return values.mean(), (values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else float("nan"))


def seed_table(df: pd.DataFrame) -> pd.DataFrame:
    """On data sets with modes: each variant's best setting trained again over seeds (the seed phase), its mode
    metrics as mean and standard error over those runs, and which generator was scored (ema: the weights' moving
    average; trained: the generator itself). Empty for a study without a seed phase."""
    ok = df[(df["phase"] == Phase.SEED) & (df["status"] == TrialStatus.FINISHED)] if "modes_covered" in df else df.iloc[:0]
    ok = ok[ok["modes_covered"].notna()]
    rows = []
    for (dataset, variant), g in ok.groupby(["dataset", "variant"]):
        row = dict(dataset=dataset, variant=variant, runs=len(g),
                   scored=("ema" if "scored_generator" in g and (g["scored_generator"] == "ema").all() else "trained"))
        for metric in SEED_METRICS:
            if metric in g and g[metric].notna().any():
                row[metric], row[f"{metric}_se"] = _mean_se(g[metric])
        diverged = df[(df["phase"] == Phase.SEED) & (df["dataset"] == dataset) & (df["variant"] == variant) & (df["status"] == TrialStatus.DIVERGED)]
        row["diverged"] = len(diverged)
        rows.append(row)
    if not rows:
        return pd.DataFrame()
    order = {v: i for i, v in enumerate(variant_order(ok["variant"].unique()))}
    return pd.DataFrame(rows).sort_values(["dataset", "variant"], key=lambda c: c.map(order) if c.name == "variant" else c)


def ema_ablation(df: pd.DataFrame) -> pd.DataFrame:
    """The EMA's share, one factor alone: in the seed phase of each variant scored on its EMA generator, the same
    trials' averaged and trained (raw) generators side by side, per mode metric: mean ± standard error of each, and
    of their paired difference (EMA - raw) over the same runs. Empty where no trial kept its raw generator's scores."""
    rows: list[dict] = []
    if "scored_generator" not in df:
        return pd.DataFrame(rows, columns=["dataset", "variant", "metric", "runs", "ema", "ema_se", "raw", "raw_se", "difference", "difference_se"])
    ok = df[(df["phase"] == Phase.SEED) & (df["status"] == TrialStatus.FINISHED) & (df["scored_generator"] == "ema")]
    for (dataset, variant), g in ok.groupby(["dataset", "variant"]):
        for metric in SEED_METRICS:
            raw = f"raw_{metric}"
            if metric not in g or raw not in g or g[[metric, raw]].isna().any(axis=None):
                continue
            (ema, ema_se), (trained, trained_se) = _mean_se(g[metric]), _mean_se(g[raw])
            diff, diff_se = _mean_se(g[metric].astype(float) - g[raw].astype(float))
            rows.append(dict(dataset=dataset, variant=variant, metric=metric, runs=len(g), ema=ema, ema_se=ema_se,
                             raw=trained, raw_se=trained_se, difference=diff, difference_se=diff_se))
    return pd.DataFrame(rows, columns=["dataset", "variant", "metric", "runs", "ema", "ema_se", "raw", "raw_se", "difference", "difference_se"])


R3GAN_DIFFERENCES = ("R3GAN trains its own residual nets (R3GAN/Networks.py) on Stacked MNIST for millions of images; "
                     "ganbench's rows train the nets and length of their study (e.g. conv_small, 1,500 steps of batch 64 "
                     "on CPU), on 25,000 triples of the 4,000 mnist5k training digits, and read the digits with "
                     "lenet-mnist (R3GAN: a pretrained MNIST classifier on 26,000 samples, as PacGAN); its schedule and "
                     "EMA half-life are scaled to the run (benchmark/variants.py, _R3GAN_RECIPE). The published rows "
                     "are single numbers without error bars: no agreement test is made.")


def r3gan_comparison(df: pd.DataFrame) -> pd.DataFrame:
    """Our seed-phase rows (mean ± standard error) beside R3GAN's published Stacked MNIST numbers for the same
    objective: its loss (r3gan) and its loss ablation (ns_gan_r1r2)."""
    seeds = seed_table(df)
    if seeds.empty:
        return pd.DataFrame()
    pub = pd.read_csv(R3GAN, comment="#")
    rows = []
    for r in pub.itertuples():
        ours = seeds[(seeds["dataset"] == r.dataset) & (seeds["variant"] == r.variant)]
        if ours.empty or r.metric not in ours:
            continue
        o = ours.iloc[0]
        rows.append(dict(table=r.table, dataset=r.dataset, row=r.row, variant=r.variant, metric=r.metric, runs=o["runs"],
                         steps=int(df["train_steps"].dropna().iloc[0]) if df["train_steps"].notna().any() else None,
                         measured=o[r.metric], measured_se=o[f"{r.metric}_se"], published=r.value))
    return pd.DataFrame(rows)


PACGAN_CURVES = {"modes_covered": ("modes covered", 1.0), "high_quality_fraction": ("high quality (%)", 100.0),
                 "mode_kl": ("reverse KL", 1.0)}


def pacgan_epoch_curves(df: pd.DataFrame) -> pd.DataFrame:
    """PacGAN's metrics after every epoch (logged into each run's curves on the 2-D mixtures): one row per
    (data set, pack, run, epoch), the runs pacgan_comparison averages."""
    rows = []
    done = df[(df["status"] == TrialStatus.FINISHED) & df["modes_covered"].notna()] if "modes_covered" in df else df.iloc[0:0]
    kept = []
    for study_dir, g in done.groupby("study_dir") if "study_dir" in done else []:
        if (Path(study_dir) / "pacgan_epochs.csv").is_file():  # a study kept under results/: its curves were kept too
            curves = pd.read_csv(Path(study_dir) / "pacgan_epochs.csv")
            runs = set(zip(g["study_name"], g["trial"]))
            kept.append(curves[[(n, t) in runs for n, t in zip(curves["study_name"], curves["trial"])]])
            done = done[done["study_dir"] != study_dir]
    for r in done.itertuples():
        if not has_run(getattr(r, "run_dir", None)):
            continue
        curves = read_curves(r.run_dir)
        for step, epoch in curves.get("epoch", []):
            values = {m: dict(curves.get(m, [])).get(step) for m in PACGAN_CURVES}
            rows.append(dict(dataset=r.dataset, pack=r.pack, study_name=getattr(r, "study_name", None), trial=r.trial,
                             epoch=int(epoch), step=step, **values))
    return pd.concat([pd.DataFrame(rows), *kept], ignore_index=True) if kept else pd.DataFrame(rows)


TRANSLATION_METRICS = ["classifier_score", "l1", "psnr", "ssim", "fid"]


PIX2PIX_FINDINGS = {"loss": "L1 + cGAN best (table 1)", "generator": "U-Net better than encoder-decoder (table 2)",
                    "patch": "the 70x70 patch best (table 3)"}


def ablation_table(df: pd.DataFrame) -> pd.DataFrame:
    """pix2pix's ablations, a row per variant: its loss, generator and patch (from the run's config.json) and the
    held-out scores of its best setting (by the sweep's objective, the FID of outputs against targets), with the
    mean classifier score over its settings beside it. Empty when no study translated images."""

    ok = df[(df["status"] == TrialStatus.FINISHED) & df["classifier_score"].notna()] if "classifier_score" in df else df.iloc[:0]
    rows = []
    for variant, g in ok.groupby("variant"):
        best = g.loc[g["score"].idxmin()]
        config_path = Path(best["run_dir"] or "-") / "config.json"
        # a kept study has no run folders: the variant's preset says its loss, generator and patch (no study searches them)
        config = (config_from_dict(json.loads(config_path.read_text())) if config_path.is_file()
                  else resolve_config(variant=variant, dataset=best["dataset"]))
        rows.append(dict(dataset=best["dataset"], variant=variant, loss=config.loss, generator=config.generator,
                         patch=config.patch, settings=len(g), **{m: best[m] for m in TRANSLATION_METRICS},
                         classifier_score_mean=g["classifier_score"].mean(), classifier_score_targets=best["classifier_score_targets"]))
    return pd.DataFrame(rows).sort_values(["dataset", "loss", "generator", "patch"]) if rows else pd.DataFrame()
