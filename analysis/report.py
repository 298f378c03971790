"""`ganbench report`: tables, figures and a self-contained HTML report from study directories."""
from __future__ import annotations

import base64
import html
import json
import math
import shutil
import textwrap
from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from scipy.stats import mannwhitneyu  # noqa: E402

from ganbench.benchmark.files import finish_partial, is_ours, open_partial, partial_of, remove_partial  # noqa: E402
from ganbench.benchmark.protocols import get_protocol, lucic2018  # noqa: E402
from ganbench.benchmark.config import config_from_dict, resolve_config  # noqa: E402

from .budget import bootstrap_min_curve, compare_at_budget  # noqa: E402
from .load import check_comparable, load_trials, read_curves  # noqa: E402
from .search import curve_band, study_curves  # noqa: E402

PUBLISHED = Path(__file__).resolve().parent.parent / "results" / "published" / "lucic2018.csv"
PACGAN = PUBLISHED.with_name("pacgan2018.csv")
MODE_METRICS = ["modes_covered", "high_quality_percent", "mode_kl"]
TABLE3_ARCHS = {"unrolled_d_quarter": "D 1/4 G", "unrolled_d_half": "D 1/2 G"}  # PacGAN Table 3's settings, by net
STUDY = lucic2018.PROTOCOL  # the protocol the published table's numbers were measured under
LUCIC_PROTOCOL = dict(extractor="inception-v3-compat", n_fake=10_000, n_real=10_000, datasets={"mnist", "fashion_mnist", "cifar10", "celeba"})


def _variant_order(variants) -> list:
    known = ["mm_gan", "ns_gan", "fgan_kl", "fgan_reverse_kl", "fgan_pearson", "fgan_neyman", "fgan_hellinger", "fgan_js",
             "fgan_gan", "wgan", "wgan_gp", "lsgan", "dragan", "began", "vae", "hinge", "rwgan", "mcgan", "gmmn", "mmd_gan",
             "cramer_gan", "fisher_gan", "ebgan", "magan"]
    return [v for v in known if v in set(variants)] + sorted(set(variants) - set(known))


def colours_for(variants) -> dict:
    order = _variant_order(variants)
    pal = sns.color_palette("tab20", max(20, len(order)))
    return {v: pal[i] for i, v in enumerate(order)}


def _label(metric: str) -> str:
    return {"fid": "FID (min over checkpoints)", "mode_kl": "mode KL to uniform (lower is better)",
            "mixture_mismatch": "mass not within 3 std of the data (lower is better)",
            "sliced_w1": "sliced W1 to the test points (lower is better)"}.get(metric, metric)


def _has_run(run_dir, file: str = "") -> bool:
    """A trial's run folder is on disk (a study kept under results/ has its table only)."""
    return isinstance(run_dir, str) and (Path(run_dir) / file).exists()


def _save(fig, figures: Path, name: str) -> str:
    """Legible at its printed size: titles wrapped to their axes' width, log axes with few ticks, the layout
    constrained so nothing is clipped, 150 dpi."""
    width = fig.get_size_inches()[0]
    for ax in fig.axes:
        title = ax.get_title()
        if title:
            ax.set_title(textwrap.fill(title, max(20, int(11 * width * ax.get_position().width))))
        label, height = ax.get_ylabel(), fig.get_size_inches()[1] * ax.get_position().height
        if label:
            ax.set_ylabel(textwrap.fill(label, max(16, int(9 * height))))
        if ax.get_xscale() == "log":  # 1, 2 and 5 of each decade labelled plainly (1e-04, 2e-04, ...), at most six
            ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0), numticks=6))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
    if fig._suptitle is not None:
        fig.suptitle(textwrap.fill(fig._suptitle.get_text(), max(30, int(12 * width))))
    fig.set_layout_engine("constrained")
    for ext in ("png", "svg"):
        fig.savefig(figures / f"{name}.{ext}", dpi=150)
    plt.close(fig)
    return name


def fig_distributions(df, figures, colours):
    names = []
    for (dataset, metric), g in df[df["status"].isin(["finished", "diverged"])].groupby(["dataset", "metric"]):
        g = g[np.isfinite(g["score"])]
        if g.empty:
            continue
        order = _variant_order(g["variant"])
        fig, ax = plt.subplots(figsize=(max(4.5, 1.2 + 0.9 * len(order)), 4))
        sns.boxplot(data=g, x="variant", y="score", order=order, hue="variant", palette=colours, ax=ax, fliersize=0, legend=False)
        sns.stripplot(data=g, x="variant", y="score", order=order, color="black", size=3, ax=ax)
        ax.set(title=f"{dataset}: distribution over settings", ylabel=_label(metric), xlabel="")
        ax.tick_params(axis="x", rotation=30)
        names.append(_save(fig, figures, f"distribution_{dataset}"))
    return names


def budget_curves(df) -> pd.DataFrame:
    rows = []
    for (dataset, variant), g in df[df["status"].isin(["finished", "diverged"]) & (df["phase"] != "seed")].groupby(["dataset", "variant"]):
        scores = g["score"].to_numpy(dtype=float)
        for r in bootstrap_min_curve(scores, range(1, len(scores) + 1)):
            rows.append(dict(dataset=dataset, variant=variant, metric=g["metric"].iloc[0], **r,
                             device_hours=r["budget"] * g["device_hours"].mean()))
    return pd.DataFrame(rows)


def fig_budget(curves, figures, colours):
    names = []
    for dataset, g in curves.groupby("dataset"):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for variant, h in g.groupby("variant"):
            for ax, x in zip(axes, ("budget", "device_hours")):
                ax.plot(h[x], h["mean"], marker="o", color=colours[variant], label=variant)
                ax.fill_between(h[x], h["lo"], h["hi"], color=colours[variant], alpha=0.2)
        axes[0].set(xlabel="budget (hyperparameter settings tried)", ylabel=f"minimum {_label(g['metric'].iloc[0])}", title=f"{dataset}: best reachable vs budget")
        axes[1].set(xlabel="compute (device-hours)", title="against compute; band: 95% bootstrap interval")
        axes[0].legend(fontsize=8)
        names.append(_save(fig, figures, f"budget_{dataset}"))
    return names


def fig_sensitivity(df, figures, colours):
    names = []
    ok = df[df["status"].isin(["finished"]) & np.isfinite(df["score"])]
    for dataset, g in ok.groupby("dataset"):
        params = [h for h in ("lr", "beta1", "n_disc", "penalty_weight") if g[h].notna().any() and g[h].nunique() > 1]
        if not params:
            continue
        fig, axes = plt.subplots(1, len(params), figsize=(3.6 * len(params) + 2.4, 3.6), squeeze=False, layout="constrained")
        for ax, p in zip(axes[0], params):
            sns.scatterplot(data=g, x=p, y="score", hue="variant", palette=colours, ax=ax, legend=ax is axes[0][0])
            if p in ("lr", "penalty_weight"):
                ax.set_xscale("log")
            ax.set(ylabel=_label(g["metric"].iloc[0]) if ax is axes[0][0] else "")
        handles, labels = axes[0][0].get_legend_handles_labels()
        if axes[0][0].get_legend() is not None:  # beside the panels, not over the points
            axes[0][0].get_legend().remove()
            fig.legend(handles, labels, loc="outside right center", fontsize=8, frameon=False)
        fig.suptitle(f"{dataset}: score against each hyperparameter")
        names.append(_save(fig, figures, f"sensitivity_{dataset}"))
    return names


def fig_precision_recall(df, figures, colours):
    """torch-fidelity's precision/recall in feature space; and on `triangles`, Lucic et al.'s polygon precision/recall."""
    panels = [(c, t) for c, t in (("", "precision against recall (feature space)"), ("polygon_", "triangles: polygon precision against recall"))
              if f"{c}precision" in df and df[f"{c}precision"].notna().any()]
    if not panels:
        return []
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 4), squeeze=False)
    for ax, (c, title) in zip(axes[0], panels):
        g = df[df[f"{c}precision"].notna() & df[f"{c}recall"].notna()]
        sns.scatterplot(data=g, x=f"{c}recall", y=f"{c}precision", hue="variant", style="dataset", palette=colours, ax=ax)
        ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02), title=title, xlabel="recall", ylabel="precision")
    return [_save(fig, figures, "precision_recall")]


def fig_best_samples(df, figures):
    names = []
    ok = df[(df["status"] == "finished") & np.isfinite(df["score"])]
    for dataset, g in ok.groupby("dataset"):
        best = g.loc[g.groupby("variant")["score"].idxmin()]
        best = best.set_index("variant").loc[_variant_order(best["variant"])]
        images = [(v, Path(r.run_dir) / "samples.png") for v, r in best.iterrows() if _has_run(r.run_dir, "samples.png")]
        if not images:
            continue
        fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 3.3), squeeze=False)
        for ax, (v, path) in zip(axes[0], images):
            ax.imshow(plt.imread(path))
            ax.set_title(f"{v} (best)", fontsize=9)
            ax.axis("off")
        names.append(_save(fig, figures, f"samples_{dataset}"))
    return names


def fig_fid_over_training(df, figures, colours):
    g = df[df["fid_history"].notna() & (df["status"] == "finished")]
    if g.empty:
        return []
    names = []

    for dataset, h in g.groupby("dataset"):
        fig, ax = plt.subplots(figsize=(5, 3.5))
        for variant, rows in h.groupby("variant"):
            best = rows.loc[rows["score"].idxmin()]
            hist = json.loads(best["fid_history"])
            ax.plot([p["step"] for p in hist], [p["fid"] for p in hist], marker="o", color=colours[variant], label=variant)
        ax.set(xlabel="training step", ylabel="FID", title=f"{dataset}: FID over training, best trial per variant")
        ax.legend(fontsize=8)
        names.append(_save(fig, figures, f"fid_over_training_{dataset}"))
    return names


def fig_loss_curves(df, figures):
    """The training curves (logs/metrics.csv) of each variant's best trial: the losses, per step."""
    names = []
    ok = df[(df["status"] == "finished") & np.isfinite(df["score"])]
    for dataset, g in ok.groupby("dataset"):
        best = g.loc[g.groupby("variant")["score"].idxmin()]
        curves = [(r.variant, read_curves(r.run_dir)) for r in best.itertuples() if _has_run(r.run_dir)]
        curves = [(v, {k: c for k, c in cs.items() if k != "fid"}) for v, cs in curves]
        curves = [(v, cs) for v, cs in sorted(curves, key=lambda vc: _variant_order([vc[0]])) if cs]
        if not curves:
            continue
        fig, axes = plt.subplots(1, len(curves), figsize=(3.2 * len(curves), 2.8), squeeze=False)
        for ax, (variant, cs) in zip(axes[0], curves):
            for metric, points in cs.items():
                ax.plot([p[0] for p in points], [p[1] for p in points], lw=0.8, label=metric)
            ax.set_title(f"{variant} (best)", fontsize=9)
            ax.set_xlabel("training step", fontsize=8)
            ax.legend(fontsize=7)
        fig.suptitle(f"{dataset}: training losses of the best trial per variant", fontsize=9)
        names.append(_save(fig, figures, f"losses_{dataset}"))
    return names


def best_table(df) -> pd.DataFrame:
    rows = []
    for (dataset, variant), both in df.groupby(["dataset", "variant"]):
        g = both[both["phase"] != "seed"]  # the search; the seed phase re-trains its best setting
        done = g[g["status"].isin(["finished", "diverged"])]
        finite = done[np.isfinite(done["score"])]
        seeds = both[(both["phase"] == "seed") & both["status"].isin(["finished"])]
        rows.append(dict(dataset=dataset, variant=variant, metric=g["metric"].dropna().iloc[0] if g["metric"].notna().any() else None,
                         budget=g["budget"].max(), done=len(done), diverged=int((g["status"] == "diverged").sum()),
                         failed=int((g["status"] == "failed").sum()), running=int((g["status"] == "running").sum()), pruned=int((g["status"] == "pruned").sum()),
                         failure_rate=float(g["status"].isin(["diverged", "failed"]).mean()),
                         best=finite["score"].min() if len(finite) else math.inf,
                         seeds=len(seeds), seed_mean=seeds["score"].mean() if len(seeds) else None,
                         seed_std=seeds["score"].std() if len(seeds) > 1 else None,
                         extractor=g["extractor"].dropna().iloc[0] if g["extractor"].notna().any() else None,
                         n_fake=g["n_fake"].dropna().iloc[0] if g["n_fake"].notna().any() else None,
                         n_real=g["n_real"].dropna().iloc[0] if g["n_real"].notna().any() else None,
                         train_steps=g["train_steps"].iloc[0], protocol=g["protocol"].iloc[0]))
    return pd.DataFrame(rows)


def significance_table(df, budget: int | None = None) -> pd.DataFrame:
    """Every pair of variants on each data set: is the difference of their minimum scores at a budget of k settings
    significant (bootstrap, see analysis.budget.compare_at_budget)? k defaults to the smallest number of settings any
    of them finished. Where both ran a seed phase, a Mann-Whitney U test on the seed scores too."""

    rows = []
    search = df[df["status"].isin(["finished", "diverged"]) & (df["phase"] != "seed")]
    seeds = df[(df["status"] == "finished") & (df["phase"] == "seed") & np.isfinite(df["score"])]
    for dataset, g in search.groupby("dataset"):
        scores = {v: h["score"].to_numpy(dtype=float) for v, h in g.groupby("variant")}
        order = _variant_order(scores)
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


BASELINE = "ns_gan"  # seed 004's question: does an innovation beat the original (non-saturating) GAN at the same budget?


def baseline_table(df, baseline: str = BASELINE, budget: int | None = None) -> pd.DataFrame:
    """Every variant against ``baseline`` on each data set that ran it: best and median score over the search's
    settings, and the significance table's verdict on the pair (bootstrap of the minimum at the common budget)."""
    sig = significance_table(df, budget)
    search = df[df["status"].isin(["finished", "diverged"]) & (df["phase"] != "seed")]
    rows = []
    for dataset, g in search.groupby("dataset"):
        if baseline not in set(g["variant"]):
            continue
        for variant in _variant_order(g["variant"]):
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


def summary_lines(df, budget: int | None = None) -> list[str]:
    """What a study found, a line per data set: the best variant by its best score, and whether it is
    significantly better than each other variant at the common budget (the significance table's test)."""
    best, sig = best_table(df), significance_table(df, budget)
    lines = []
    for dataset, g in best.groupby("dataset"):
        g = g.sort_values("best")
        top = g.iloc[0]
        metric = {"fid": "min FID", "mixture_mismatch": "mixture mismatch", "mode_kl": "mode KL"}.get(top["metric"], top["metric"] or "score")
        verdicts = []
        for other in g["variant"].iloc[1:]:
            r = sig[(sig["dataset"] == dataset) & (((sig["a"] == top["variant"]) & (sig["b"] == other)) | ((sig["a"] == other) & (sig["b"] == top["variant"])))]
            if r.empty or r.iloc[0]["better"] == "too few settings to test":
                verdicts.append(f"{other}: too few settings to test")
            elif r.iloc[0]["better"] == top["variant"]:
                verdicts.append(f"better than {other} (p = {r.iloc[0]['p']:.3f}, significant)")
            else:
                verdicts.append(f"not significantly better than {other} (p = {r.iloc[0]['p']:.2f})")
        lines.append(f"{dataset}: best {top['variant']} ({metric} {top['best']:.4g}, {int(top['done'])} settings); " + "; ".join(verdicts))
    return lines


def plain_summary(df, budget: int | None = None) -> list[str]:
    """The report's first lines: what was compared, at what budget and length, and what differs significantly."""
    lines = []
    for dataset, g in df.groupby("dataset"):
        search = g[g["phase"] != "seed"]
        per = search.groupby("variant").size()
        steps = sorted(set(g["train_steps"].dropna().astype(int)))
        lines.append(f"{dataset}: {len(per)} variant{'s' if len(per) != 1 else ''} ({', '.join(_variant_order(per.index))}), "
                     f"{per.min()}{'' if per.min() == per.max() else f'-{per.max()}'} setting{'s' if per.max() != 1 else ''} each"
                     f"{', ' + ' or '.join(f'{s:,}' for s in steps) + ' steps a trial' if steps else ''}"
                     f"{', protocol ' + ', '.join(sorted(set(g['protocol'].dropna()))) if 'protocol' in g else ''}.")
    return lines + summary_lines(df, budget)


def fig_search(df, figures):
    """Best score against training steps spent, one line per search method (mean over the studies of that method,
    with a bootstrap band), where studies of several samplers or pruners ran the same variant on the same data."""

    names = []
    for (dataset, variant), by_method in study_curves(df).items():
        if len(by_method) < 2:
            continue
        end = max(c[-1][0] for reps in by_method.values() for c in reps if c)
        grid = np.linspace(0, end, 60)[1:]
        fig, ax = plt.subplots(figsize=(6, 4))
        for method, reps in sorted(by_method.items()):
            band = curve_band(reps, grid)
            if band.empty:
                continue
            ax.plot(band["steps"], band["mean"], label=f"{method} ({len(reps)} studies)")
            ax.fill_between(band["steps"], band["lo"], band["hi"], alpha=0.2)
        metric = df[df["dataset"] == dataset]["metric"].dropna()
        ax.set(xlabel="training steps spent", ylabel=f"best {_label(metric.iloc[0]) if len(metric) else 'score'}",
               title=f"{dataset}, {variant}: best found against compute")
        ax.legend(fontsize=8)
        names.append(_save(fig, figures, f"search_{dataset}_{variant}"))
    return names


def fig_mode_coverage(df, figures, colours):
    """Modes covered by each variant's best trial on data sets with known modes (ring8, grid25, stacked_mnist)."""
    ok = df[(df["status"] == "finished") & df["modes_covered"].notna() & (df["phase"] != "seed")]
    names = []
    for dataset, g in ok.groupby("dataset"):
        best = g.loc[g.groupby("variant")["score"].idxmin()].set_index("variant")
        order = _variant_order(best.index)
        best = best.loc[order]
        has_hq = best["high_quality_fraction"].notna().any()
        fig, axes = plt.subplots(1, 2 if has_hq else 1, figsize=(4 + 3.5 * has_hq + 0.5 * len(order), 3.6), squeeze=False)
        ax = axes[0][0]
        ax.bar(order, best["modes_covered"], color=[colours[v] for v in order])
        ax.axhline(best["modes_total"].max(), color="black", linestyle="--", linewidth=1, label="all modes")
        ax.set(ylabel="modes covered (best trial)", title=f"{dataset}: mode coverage")
        ax.legend(fontsize=8)
        ax.tick_params(axis="x", rotation=30)
        if has_hq:
            ax = axes[0][1]
            ax.bar(order, best["high_quality_fraction"], color=[colours[v] for v in order])
            ax.set(ylim=(0, 1), ylabel="high-quality fraction", title="samples within 3 std of a mode")
            ax.tick_params(axis="x", rotation=30)
        names.append(_save(fig, figures, f"modes_{dataset}"))
    return names


def published_comparison(table: pd.DataFrame) -> pd.DataFrame:
    pub = pd.read_csv(PUBLISHED, comment="#")
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
    done = df[df["status"] == "finished"].copy()
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
        one_setting = (g.loc[g["phase"] == "search", "budget"] == 1).all()
        runs = g if one_setting or not (g["phase"] == "seed").any() else g[g["phase"] == "seed"]
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


PACGAN_CURVES = {"modes_covered": ("modes covered", 1.0), "high_quality_fraction": ("high quality (%)", 100.0),
                 "mode_kl": ("reverse KL", 1.0)}


def pacgan_epoch_curves(df: pd.DataFrame) -> pd.DataFrame:
    """PacGAN's metrics after every epoch (logged into each run's curves on the 2-D mixtures): one row per
    (data set, pack, run, epoch), the runs pacgan_comparison averages."""
    rows = []
    done = df[(df["status"] == "finished") & df["modes_covered"].notna()] if "modes_covered" in df else df.iloc[0:0]
    kept = []
    for study_dir, g in done.groupby("study_dir") if "study_dir" in done else []:
        if (Path(study_dir) / "pacgan_epochs.csv").is_file():  # a study kept under results/: its curves were kept too
            curves = pd.read_csv(Path(study_dir) / "pacgan_epochs.csv")
            runs = set(zip(g["study_name"], g["trial"]))
            kept.append(curves[[(n, t) in runs for n, t in zip(curves["study_name"], curves["trial"])]])
            done = done[done["study_dir"] != study_dir]
    for r in done.itertuples():
        if not _has_run(getattr(r, "run_dir", None)):
            continue
        curves = read_curves(r.run_dir)
        for step, epoch in curves.get("epoch", []):
            values = {m: dict(curves.get(m, [])).get(step) for m in PACGAN_CURVES}
            rows.append(dict(dataset=r.dataset, pack=r.pack, study_name=getattr(r, "study_name", None), trial=r.trial,
                             epoch=int(epoch), step=step, **values))
    return pd.concat([pd.DataFrame(rows), *kept], ignore_index=True) if kept else pd.DataFrame(rows)


def fig_pacgan_epochs(epochs: pd.DataFrame, figures: Path) -> list[str]:
    """Each metric against epochs, a line per pack (the mean over its runs, the band their range), PacGAN's Table 1
    value dashed in the same colour."""
    if epochs.empty:
        return []
    pub = pd.read_csv(PACGAN, comment="#")
    names = []
    for dataset, g in epochs.groupby("dataset"):
        fig, axes = plt.subplots(1, len(PACGAN_CURVES), figsize=(4.2 * len(PACGAN_CURVES), 3.4), constrained_layout=True)
        for ax, (metric, (label, scale)) in zip(axes, PACGAN_CURVES.items()):
            for i, (pack, h) in enumerate(g.groupby("pack")):
                colour = plt.cm.viridis(i / max(1, g["pack"].nunique() - 1) * 0.85)
                by = h.groupby("epoch")[metric].agg(["mean", "min", "max"]).replace([np.inf, -np.inf], np.nan) * scale
                name = "GAN" if pack == 1 else f"PacGAN{pack}"
                runs = len(h[["study_name", "trial"]].drop_duplicates())
                ax.plot(by.index, by["mean"], color=colour, label=f"{name} ({runs} runs)")
                ax.fill_between(by.index, by["min"], by["max"], color=colour, alpha=0.2, lw=0)
                published = "high_quality_percent" if metric == "high_quality_fraction" else metric  # a percentage there
                ref = pub[(pub["dataset"] == dataset) & (pub["pack"] == pack) & (pub["metric"] == published) & (pub["table"] == 1)]
                if len(ref):
                    ax.axhline(float(ref["value"].iloc[0]), color=colour, ls="--", lw=1)
            ax.set(xlabel="epoch (1,000 steps)", ylabel=label, title=label)
        axes[0].legend(fontsize=8)
        fig.suptitle(f"{dataset}: PacGAN's metrics after every epoch (band: range over runs; dashed: Table 1 at 400 epochs)")
        names.append(_save(fig, figures, f"pacgan_epochs_{dataset}"))
    return names


TRANSLATION_METRICS = ["classifier_score", "l1", "psnr", "ssim", "fid"]
PIX2PIX_FINDINGS = {"loss": "L1 + cGAN best (table 1)", "generator": "U-Net better than encoder-decoder (table 2)",
                    "patch": "the 70x70 patch best (table 3)"}


def ablation_table(df: pd.DataFrame) -> pd.DataFrame:
    """pix2pix's ablations, a row per variant: its loss, generator and patch (from the run's config.json) and the
    held-out scores of its best setting (by the sweep's objective, the FID of outputs against targets), with the
    mean classifier score over its settings beside it. Empty when no study translated images."""

    ok = df[(df["status"] == "finished") & df["classifier_score"].notna()] if "classifier_score" in df else df.iloc[:0]
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


def _img(path: Path) -> str:
    return f'<img alt="{path.stem}" src="data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}">'


REPORT_MARKER = ".ganbench-report"  # in every finished report: the one kind of --out folder a new report replaces


def check_report_out(out: Path) -> None:
    """A new or empty folder, or an earlier ganbench report (replaced); anything else is the user's and refused."""
    if out.is_symlink():
        raise ValueError(f"out: {out} is a symbolic link; give the folder's own path")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / REPORT_MARKER).is_file())):
        raise ValueError(f"out: {out} already holds something that is not a ganbench report; choose a new or empty folder")


def write_report(study_dirs: list, out: Path | str, budget: int | None = None, storage_url: str | None = None) -> Path:
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
    df = load_trials(study_dirs, storage_url)
    if df.empty:
        raise ValueError("study: no trials in " + ", ".join(map(str, study_dirs)))
    check_comparable(df)
    remove_partial(partial_of(out))  # a crashed report's leftover
    tmp = open_partial(out)
    try:
        _write_report(df, tmp, study_dirs, budget)
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


def _write_report(df: pd.DataFrame, tmp: Path, study_dirs: list, budget: int | None) -> None:
    figures = tmp / "figures"
    figures.mkdir(parents=True)
    colours = colours_for(df["variant"].unique())
    curves = budget_curves(df)
    names = (fig_distributions(df, figures, colours) + fig_budget(curves, figures, colours) + fig_sensitivity(df, figures, colours)
             + fig_precision_recall(df, figures, colours) + fig_best_samples(df, figures) + fig_mode_coverage(df, figures, colours) + fig_fid_over_training(df, figures, colours)
             + fig_loss_curves(df, figures) + fig_search(df, figures))
    epochs = pacgan_epoch_curves(df)
    names += fig_pacgan_epochs(epochs, figures)
    table = best_table(df)
    significance = significance_table(df, budget)
    comparison = published_comparison(table)
    pacgan = pacgan_comparison(df)
    modes = mode_trials(df)
    partial = bool(df["status"].isin(["running", "waiting"]).any())
    df.to_csv(tmp / "trials.csv", index=False)
    df.to_parquet(tmp / "trials.parquet", index=False)
    curves.to_csv(tmp / "budget_curves.csv", index=False)
    significance.to_csv(tmp / "significance.csv", index=False)
    if len(pacgan):
        pacgan.to_csv(tmp / "pacgan_comparison.csv", index=False)
    if len(epochs):
        epochs.to_csv(tmp / "pacgan_epochs.csv", index=False)

    title = "ganbench report" + (" (PARTIAL: trials still running)" if partial else "")
    summary = plain_summary(df, budget)
    md = [f"# {title}", "", f"Studies: {', '.join(map(str, study_dirs))}. Trials: {len(df)}.", "", "## In short", "",
          *[f"- {line}" for line in summary], "", "## Best per variant and data set", "",
          table.to_markdown(index=False) if _has_tabulate() else table.to_string(index=False), ""]
    if len(comparison):
        md += ["## Beside Lucic et al. 2018", "", "The `comparable` column says why a number is not comparable with the published one.", "",
               comparison.to_markdown(index=False) if _has_tabulate() else comparison.to_string(index=False), ""]
    pacgan_text = ("Mean ± standard error over the runs of the best setting (the seed phase; with a single setting, "
                   "every run of it) beside "
                   "PacGAN's published value; within_2se: the difference is within two combined standard errors. "
                   "protocol: what the runs trained under (pacgan2018 is PacGAN's code; docs/protocol.md lists what remains "
                   "different); steps: the runs' length; the paper's Table 1 trains 400,000 steps (400 epochs of 100,000 "
                   "packed 2-D examples at batch 100). On the 2-D mixtures the figures pacgan_epochs_* show each metric "
                   "after every epoch against the paper's value.")
    if len(pacgan):
        md += ["## Beside PacGAN (Lin et al. 2018)", "", pacgan_text, "",
               pacgan.to_markdown(index=False) if _has_tabulate() else pacgan.to_string(index=False), ""]
    if len(modes):
        md += ["## Mode collapse, every trial", "", modes.to_markdown(index=False) if _has_tabulate() else modes.to_string(index=False), ""]
    sig_text = ("Pairs of variants: is the difference of their minimum scores at a budget of k settings significant? "
                "Each variant's settings resampled k at a time with replacement (95% interval of min_a - min_b, "
                "two-sided p; not tested below 5 settings a variant); `seeds_p`: Mann-Whitney U on the seed phases "
                "where both ran one.")
    ablations = ablation_table(df)
    ablation_text = ("pix2pix's ablations (Isola et al. 2017, tables 1-3) on held-out pairs, each variant's best setting: "
                     "classifier_score is the lenet-mnist accuracy on the outputs against the target digit's label (the "
                     "digit analogue of the paper's FCN score; classifier_score_targets is the same classifier on the "
                     "targets), l1 and psnr against the target, ssim, and the FID of outputs against targets. The paper "
                     "found: " + "; ".join(PIX2PIX_FINDINGS.values()) + ". Input | output | target triplets of each "
                     "best trial are under Figures (samples_*).")
    if len(ablations):
        ablations.to_csv(tmp / "ablations.csv", index=False)
        md += ["## Ablations (pix2pix)", "", ablation_text, "",
               ablations.to_markdown(index=False) if _has_tabulate() else ablations.to_string(index=False), ""]
    against = baseline_table(df, budget=budget)
    against_text = (f"Each variant against {BASELINE} (the original GAN with the -log D trick) on the same budget: best and "
                    "median score over its settings, and whether its minimum at the common budget differs significantly "
                    "(the test of the next table).")
    if len(against):
        against.to_csv(tmp / "against_baseline.csv", index=False)
        md += [f"## Against {BASELINE}", "", against_text, "",
               against.to_markdown(index=False) if _has_tabulate() else against.to_string(index=False), ""]
    if len(significance):
        md += ["## Significance at a budget", "", sig_text, "",
               significance.to_markdown(index=False) if _has_tabulate() else significance.to_string(index=False), ""]
    md += ["## Figures", ""] + [f"![{n}](figures/{n}.png)" for n in names]
    (tmp / "report.md").write_text("\n".join(md) + "\n")

    body = [f"<h1>{html.escape(title)}</h1>", f"<p>Studies: {html.escape(', '.join(map(str, study_dirs)))}. Trials: {len(df)}.</p>",
            "<h2>In short</h2>", "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in summary) + "</ul>",
            "<h2>Best per variant and data set</h2>", table.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.4g}")]
    if len(comparison):
        body += ["<h2>Beside Lucic et al. 2018</h2>", "<p>Where runs differ from the published protocol, the last column says how; "
                 "such numbers are not comparable.</p>", comparison.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.4g}")]
    if len(pacgan):
        body += ["<h2>Beside PacGAN (Lin et al. 2018)</h2>", f"<p>{html.escape(pacgan_text)}</p>",
                 pacgan.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.3g}")]
    if len(modes):
        body += ["<h2>Mode collapse, every trial</h2>", modes.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.3g}")]
    if len(ablations):
        body += ["<h2>Ablations (pix2pix)</h2>", f"<p>{html.escape(ablation_text)}</p>",
                 ablations.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.4g}")]
    if len(against):
        body += [f"<h2>Against {BASELINE}</h2>", f"<p>{html.escape(against_text)}</p>",
                 against.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.4g}")]
    if len(significance):
        body += ["<h2>Significance at a budget</h2>", f"<p>{html.escape(sig_text)}</p>",
                 significance.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.3g}")]
    body += ["<h2>Figures</h2>"] + [f"<figure>{_img(figures / f'{n}.png')}<figcaption>{n}</figcaption></figure>" for n in names]
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>ganbench report</title><style>"
            "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;font-size:13px}"
            "td,th{border:1px solid #ccc;padding:3px 6px}img{max-width:100%}</style></head><body>" + "\n".join(body) + "</body></html>")
    (tmp / "index.html").write_text(page)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False
