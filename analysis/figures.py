"""The report's figures, each a function of the trials' table that saves PNG and SVG and returns their names."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from ganbench.benchmark.data import file_name, get_dataset  # noqa: E402

from .load import read_curves  # noqa: E402
from .search import curve_band, study_curves  # noqa: E402
from .tables import PACGAN, PACGAN_CURVES, has_run, variant_order  # noqa: E402
from ganbench.benchmark.identity import Phase, TrialStatus


def colours_for(variants) -> dict:
    order = variant_order(variants)
    pal = sns.color_palette("tab20", max(20, len(order)))
    return {v: pal[i] for i, v in enumerate(order)}


def _label(metric: str) -> str:
    return {"fid": "FID (min over checkpoints)", "mode_kl": "mode KL to uniform (lower is better)",
            "mixture_mismatch": "mass not within 3 std of the data (lower is better)",
            "sliced_w1": "sliced W1 to the test points (lower is better)"}.get(metric, metric)


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
    name = file_name(name)  # a figure of your own data set (folder:PATH) is named by its readable tail and a hash
    for ext in ("png", "svg"):
        fig.savefig(figures / f"{name}.{ext}", dpi=150)
    plt.close(fig)
    return name


CROWDED = 200  # points in one strip or panel beyond which they are drawn small and faint (a study of thousands)


def fig_distributions(df, figures, colours):
    names = []
    for (dataset, metric), g in df[df["status"].isin([TrialStatus.FINISHED, TrialStatus.DIVERGED])].groupby(["dataset", "metric"]):
        g = g[np.isfinite(g["score"])]
        if g.empty:
            continue
        order = variant_order(g["variant"])
        fig, ax = plt.subplots(figsize=(max(4.5, 1.2 + 0.9 * len(order)), 4))
        sns.boxplot(data=g, x="variant", y="score", order=order, hue="variant", palette=colours, ax=ax, fliersize=0, legend=False)
        many = g.groupby("variant").size().max() > CROWDED  # thousands of settings: faint points, the box readable
        sns.stripplot(data=g, x="variant", y="score", order=order, color="black", size=1.5 if many else 3, alpha=0.25 if many else 1, ax=ax)
        ax.set(title=f"{dataset}: distribution over settings", ylabel=_label(metric), xlabel="")
        ax.tick_params(axis="x", rotation=30)
        names.append(_save(fig, figures, f"distribution_{dataset}"))
    return names


def fig_budget(curves, figures, colours):
    names = []
    if curves.empty:  # no trial has finished yet
        return names
    for dataset, g in curves.groupby("dataset"):
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for variant, h in g.groupby("variant"):
            for ax, x in zip(axes, ("budget", "device_hours")):
                ax.plot(h[x], h["mean"], marker="o" if len(h) <= 50 else None, color=colours[variant], label=variant)
                ax.fill_between(h[x], h["lo"], h["hi"], color=colours[variant], alpha=0.2)
        axes[0].set(xlabel="budget (hyperparameter settings tried)", ylabel=f"minimum {_label(g['metric'].iloc[0])}", title=f"{dataset}: best reachable vs budget")
        axes[1].set(xlabel="compute (device-hours)", title="against compute; band: 95% bootstrap interval")
        axes[0].legend(fontsize=8)
        names.append(_save(fig, figures, f"budget_{dataset}"))
    return names


def fig_sensitivity(df, figures, colours):
    names = []
    ok = df[df["status"].isin([TrialStatus.FINISHED]) & np.isfinite(df["score"])]
    for dataset, g in ok.groupby("dataset"):
        params = [h for h in ("lr", "beta1", "n_disc", "penalty_weight") if g[h].notna().any() and g[h].nunique() > 1]
        if not params:
            continue
        fig, axes = plt.subplots(1, len(params), figsize=(3.6 * len(params) + 2.4, 3.6), squeeze=False, layout="constrained")
        for ax, p in zip(axes[0], params):
            crowded = dict(s=6, alpha=0.3, linewidth=0) if len(g) > CROWDED else {}
            sns.scatterplot(data=g, x=p, y="score", hue="variant", palette=colours, ax=ax, legend=ax is axes[0][0], **crowded)
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
    ok = df[(df["status"] == TrialStatus.FINISHED) & np.isfinite(df["score"])]
    for dataset, g in ok.groupby("dataset"):
        best = g.loc[g.groupby("variant")["score"].idxmin()]
        best = best.set_index("variant").loc[variant_order(best["variant"])]
        images = [(v, Path(r.run_dir) / "samples.png") for v, r in best.iterrows() if has_run(r.run_dir, "samples.png")]
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
    g = df[df["fid_history"].notna() & (df["status"] == TrialStatus.FINISHED)]
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
    ok = df[(df["status"] == TrialStatus.FINISHED) & np.isfinite(df["score"])]
    for dataset, g in ok.groupby("dataset"):
        best = g.loc[g.groupby("variant")["score"].idxmin()]
        curves = [(r.variant, read_curves(r.run_dir)) for r in best.itertuples() if has_run(r.run_dir)]
        curves = [(v, {k: c for k, c in cs.items() if k != "fid"}) for v, cs in curves]
        curves = [(v, cs) for v, cs in sorted(curves, key=lambda vc: variant_order([vc[0]])) if cs]
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
    ok = df[(df["status"] == TrialStatus.FINISHED) & df["modes_covered"].notna() & (df["phase"] != Phase.SEED)]
    names = []
    for dataset, g in ok.groupby("dataset"):
        best = g.loc[g.groupby("variant")["score"].idxmin()].set_index("variant")
        order = variant_order(best.index)
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


def fig_seed_modes(seeds: pd.DataFrame, figures, colours):
    """Per data set, each variant's best setting over seeds: modes covered and reverse KL, mean with a bar of one
    standard error each side, the runs as dots."""
    names = []
    for dataset, g in seeds.groupby("dataset") if not seeds.empty else []:
        g = g.set_index("variant").loc[variant_order(g["variant"])]
        metrics = [m for m in ("modes_covered", "mode_kl", "mixture_mismatch") if m in g and g[m].notna().any()]
        fig, axes = plt.subplots(1, len(metrics), figsize=(1.2 + 0.55 * len(g) * len(metrics), 3.6), squeeze=False, constrained_layout=True)
        x = np.arange(len(g))
        for ax, metric in zip(axes[0], metrics):
            values = g[metric].replace([np.inf, -np.inf], np.nan)
            ax.bar(x, values.fillna(0), yerr=g[f"{metric}_se"].fillna(0), capsize=3, color=[colours[v] for v in g.index])
            for i in np.flatnonzero(np.isinf(g[metric].to_numpy(float))):  # a run with no mode covered: no finite KL
                ax.text(i, 0, "a run with\nno mode", ha="center", va="bottom", fontsize=7, rotation=90)
            ax.set_xticks(x, g.index, rotation=45, ha="right")
            ax.set(ylabel=_label(metric) if metric != "modes_covered" else "modes covered", title=metric.replace("_", " "))
            if metric == "modes_covered":
                ax.axhline(get_dataset(dataset).modes, color="black", linestyle="--", linewidth=1)
        fig.suptitle(f"{dataset}: the best setting of each variant over {int(g['runs'].max())} seeds (mean ± s.e.)")
        names.append(_save(fig, figures, f"seeds_{dataset}"))
    return names


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
