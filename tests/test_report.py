"""Reports from a real (small) study: figures exist and are not blank, the HTML renders in headless Chromium
with no console errors, and its screenshot shows the figures; budget curves against the closed form."""
import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from ganbench.analysis.budget import compare_at_budget, expected_min_without_replacement, min_curve
from ganbench.analysis.load import check_comparable, load_trials
from ganbench.analysis.report import write_report


def test_expected_min_closed_form_by_hand():
    # values 1, 2, 3, 4; k = 2: the 6 pairs have minima 1, 1, 1, 2, 2, 3 -> 10 / 6
    assert expected_min_without_replacement([3, 1, 4, 2], 2) == pytest.approx(10 / 6)
    assert expected_min_without_replacement([3, 1, 4, 2], 1) == pytest.approx(2.5)
    assert expected_min_without_replacement([3, 1, 4, 2], 4) == 1.0
    curve = min_curve([3, 1, 4, 2], [1, 2, 3])
    for row, k in zip(curve, [1, 2, 3]):
        assert row["mean"] == pytest.approx(expected_min_without_replacement([3, 1, 4, 2], k))
        assert row["lo"] <= row["mean"] <= row["hi"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_min_curve_is_the_distribution_of_every_subset(seed):
    """Against every k-subset written out (ties and diverged runs included): the mean of the finite minima and the
    2.5% and 97.5% points of their distribution."""
    import itertools

    rng = np.random.default_rng(seed)
    values = list(rng.integers(0, 6, size=9).astype(float)) + [math.inf, math.inf]
    for row in min_curve(values, range(1, len(values) + 1)):
        mins = np.array([min(c) for c in itertools.combinations(values, row["budget"])])
        finite = np.sort(mins[np.isfinite(mins)])
        assert row["mean"] == pytest.approx(finite.mean())
        cdf = np.arange(1, len(finite) + 1) / len(finite)
        assert row["lo"] == finite[np.searchsorted(cdf, 0.025)] and row["hi"] == finite[np.searchsorted(cdf, 0.975 - 1e-12)]
    assert min_curve([math.inf, math.inf], [1])[0]["mean"] == math.inf


def test_significance_at_a_budget_by_hand():
    a, b = list(range(1, 9)), list(range(11, 19))
    for k in (1, 4, 8):  # every value of a beats every value of b: significant at any budget, p = 0
        r = compare_at_budget(a, b, k)
        assert r["p"] == 0 and r["significant"] and r["diff_hi"] < 0
    r = compare_at_budget(a, b, 1)  # one setting: the minimum is one uniform draw, mean 4.5 against 14.5
    assert r["mean_min_a"] == pytest.approx(4.5, abs=0.15) and r["mean_min_b"] == pytest.approx(14.5, abs=0.15)
    # at budget 8, E[min] = sum_i P(min >= i) = sum_i ((9 - i) / 8)^8 = 1.471
    assert compare_at_budget(a, b, 8)["mean_min_a"] == pytest.approx(1.471, abs=0.03)
    same = compare_at_budget(a, a, 2)
    assert not same["significant"] and same["p"] > 0.5
    assert not compare_at_budget(a, [x + 0.5 for x in a], 1)["significant"]  # overlapping
    few = compare_at_budget([1, 2, 3], [11, 12, 13], 2)  # three settings each: not tested
    assert math.isnan(few["p"]) and not few["significant"]


def test_summary_names_the_best_and_each_verdict_by_hand():
    """Five settings each: every FID of ns_gan below every FID of mm_gan (significant, p = 0 at the common budget of 5),
    vae's interleaved with ns_gan's (not significant); a data set of one variant has no verdict."""
    from ganbench.analysis.tables import summary_lines

    scores = {"ns_gan": [10, 12, 14, 16, 18], "mm_gan": [30, 31, 32, 33, 34], "vae": [11, 13, 15, 17, 19]}
    rows = [dict(dataset="mnist5k", variant=v, score=float(x), phase="search", status="finished", metric="fid", budget=5,
                 extractor="lenet-mnist", n_fake=1000, n_real=1000, train_steps=300, protocol="ganbench")
            for v, xs in scores.items() for x in xs]
    rows.append({**rows[0], "dataset": "ring8", "metric": "mixture_mismatch", "score": 0.5})
    (digits, ring) = summary_lines(pd.DataFrame(rows))
    assert re.fullmatch(r"mnist5k: best ns_gan \(min FID 10, 5 settings\); not significantly better than vae \(p = 0\.[2-9]\d\); "
                        r"better than mm_gan \(p = 0\.000, significant\)", digits), digits
    assert ring == "ring8: best ns_gan (mixture mismatch 0.5, 1 setting)"


def test_mixing_extractors_is_refused():
    df = pd.DataFrame(dict(dataset=["mnist", "mnist"], metric=["fid", "fid"], extractor=["lenet-mnist", "inception-v3-compat"],
                           n_fake=[1000, 1000], n_real=[1000, 1000]))
    with pytest.raises(ValueError, match="^extractor: FIDs on mnist were measured differently"):
        check_comparable(df)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from ganbench.sweeps.executors import run_local
    from ganbench.sweeps.storage import save_spec
    from ganbench.sweeps.spec import load_spec

    tmp = tmp_path_factory.mktemp("study")
    (tmp / "s.yaml").write_text("name: s\nvariants: [ns_gan, wgan_gp]\ndatasets: [mnist5k]\narch: conv_small\nspace: narrow\n"
                                "budget: {settings: 3, seeds: 2}\nsteps: 10\neval_every: 5\nextractor: lenet-mnist\n"
                                "n_fake: 300\nn_real: 300\n")
    (tmp / "r.yaml").write_text("name: r\nvariants: [ns_gan, lsgan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\nsteps: 300\n")
    study_dir = tmp / "study"
    save_spec(study_dir, load_spec(tmp / "s.yaml"))
    run_local(study_dir, workers=2, progress=False)
    save_spec(tmp / "ring", load_spec(tmp / "r.yaml"))
    run_local(tmp / "ring", workers=2, progress=False)
    # one diverged and one failed trial, as a crash would leave them
    import optuna
    from ganbench.sweeps.storage import load_saved_spec, storage_for

    st = optuna.load_study(study_name="s.ns_gan.mnist5k.narrow", storage=storage_for(study_dir))
    t = st.ask()
    for k, v in {**load_saved_spec(study_dir).trial("ns_gan", "mnist5k", 1, setting=99).attrs(), "status": "failed"}.items():
        t.set_user_attr(k, v)
    st.tell(t, state=optuna.trial.TrialState.FAIL)
    return study_dir


@pytest.mark.slow  # over 10 s: make test's tier
def test_table_counts_failed_trials(study):
    df = load_trials([study])
    assert len(df) == 11 and (df["status"] == "failed").sum() == 1 and (df["phase"] == "seed").sum() == 4
    assert df["extractor"].dropna().unique().tolist() == ["lenet-mnist"]


@pytest.mark.slow  # over 10 s: make test's tier
def test_report_renders_in_chromium(study, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (Debian package chromium; make test installs it through scripts/test_deps.sh)")
    index = write_report([study, study.parent / "ring"], tmp_path / "report")
    out = index.parent
    assert {"index.html", "report.md", "trials.csv", "trials.parquet"} <= {p.name for p in out.iterdir()}
    pngs = sorted((out / "figures").glob("*.png"))
    assert {p.stem.split("_")[0] for p in pngs} >= {"distribution", "budget", "sensitivity", "precision", "samples", "fid", "modes"}
    assert (out / "figures" / "modes_ring8.png").exists()
    from PIL import Image

    for p in pngs:
        assert np.asarray(Image.open(p).convert("L")).std() > 5, p  # not blank
    md = (out / "report.md").read_text()
    assert "failed" in md and "ns_gan" in md and "## Significance at a budget" in md
    sig = pd.read_csv(out / "significance.csv")
    assert set(sig["dataset"]) == {"mnist5k", "ring8"}
    assert (sig["better"] == "too few settings to test").all() and sig["p"].isna().all()  # 2-3 settings a variant
    assert sig[sig["dataset"] == "mnist5k"]["seeds_p"].notna().all()  # both variants ran a seed phase there
    from playwright.sync_api import sync_playwright

    errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                                     "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1200, "height": 3000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(index.resolve().as_uri())
        loaded = page.evaluate("Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length")
        shot = tmp_path / "shot.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == []
    assert loaded == len(pngs)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    coloured = (np.abs(pixels[..., 0] - pixels[..., 2]) > 40).sum()  # the figures' colours, not only black text on white
    assert coloured > 5000


@pytest.mark.slow  # over 10 s: make test's tier
def test_report_from_a_storage_url(tmp_path, ganbench):
    """A study run with --storage URL (here a real SQLite database through Optuna's RDB storage) is reported from it."""
    (tmp_path / "u.yaml").write_text("name: u\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\nbudget: {settings: 2}\nsteps: 20\n")
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    run = ganbench("sweep", "run", tmp_path / "u.yaml", "--dir", tmp_path / "u", "--storage", url)
    assert run.returncode == 0, run.stderr[-2000:]
    assert not (tmp_path / "u" / "optuna.journal").exists()
    df = load_trials([tmp_path / "u"], url)
    assert len(df) == 2 and set(df["status"]) == {"finished"}
    r = ganbench("report", tmp_path / "u", "--storage", url, "--out", tmp_path / "rep")
    assert r.returncode == 0 and (tmp_path / "rep" / "index.html").exists(), r.stderr[-2000:]


def test_baseline_table_by_hand():
    """Seed 004's question as a table: each variant's best and median against ns_gan, with the bootstrap's verdict."""
    from ganbench.analysis.tables import baseline_table

    scores = {"ns_gan": range(11, 19), "hinge": range(1, 9), "mmd_gan": range(21, 29), "ebgan": [x + 0.5 for x in range(11, 19)]}
    df = pd.DataFrame([dict(dataset="mnist5k", variant=v, metric="fid", phase="search", status="finished", score=float(x))
                       for v, xs in scores.items() for x in xs])
    t = baseline_table(df).set_index("variant")
    assert t.loc["hinge", "best"] == 1 and t.loc["hinge", "median"] == 4.5 and t.loc["mmd_gan", "median"] == 24.5
    assert t.loc["ns_gan", "verdict"] == "baseline" and t.loc["hinge", "verdict"] == "better than ns_gan"
    assert t.loc["mmd_gan", "verdict"] == "worse than ns_gan" and t.loc["hinge", "p_vs_baseline"] == 0
    assert t.loc["ebgan", "verdict"] == "no significant difference"
    assert baseline_table(df[df["variant"] != "ns_gan"]).empty  # no baseline ran: no table


def test_search_curves_count_recorded_steps_and_the_headline_fraction_by_hand():
    """Curves come from the steps each trial recorded (a pruned trial its rung), in finishing order; only finished
    trials improve the best. The headline: random's final bests 10 and 6 (target 8); TPE reaches <= 8 after 300 of
    1,000 steps in one repetition and 500 in the other (median fraction 0.4); a method that never does: inf."""
    from ganbench.analysis.search import best_curve, efficiency, steps_to_reach

    def study(rows):
        return pd.DataFrame([dict(status=s, steps=n, score=v, completed=i) for i, (s, n, v) in enumerate(rows)])

    curve = best_curve(study([("finished", 300, 12.0), ("pruned", 100, 1.0), ("finished", 300, 9.0), ("failed", None, math.nan)]))
    assert curve == [(300, 12.0), (400, 12.0), (700, 9.0), (700, 9.0)]  # the pruned trial's 1.0 is not an answer
    assert steps_to_reach(curve, 10) == 700 and steps_to_reach(curve, 5) == math.inf
    random = [[(500, 12.0), (1000, 10.0)], [(500, 6.0), (1000, 6.0)]]
    tpe = [[(300, 7.0), (1000, 5.0)], [(200, 9.0), (500, 8.0), (1000, 7.0)]]
    never = [[(1000, 9.0)], [(1000, 11.0)]]
    t = efficiency({"random": random, "tpe": tpe, "never": never}, 1000).set_index("method")
    assert t.loc["tpe", "target"] == 8.0 and t.loc["tpe", "fraction_median"] == pytest.approx(0.4) and t.loc["tpe", "reached"] == 2
    # random itself reaches its own mean in one repetition of two (0.5 and never): the median of (0.5, inf) is inf
    assert t.loc["random", "reached"] == 1 and t.loc["random", "fraction_median"] == math.inf
    assert t.loc["never", "reached"] == 0 and t.loc["never", "fraction_median"] == math.inf
    assert t.loc["tpe", "final_best_mean"] == 6.0 and t.loc["random", "final_best_mean"] == 8.0


def test_a_study_whose_trials_are_all_still_running_reports_them_as_running(tmp_path):
    """Asked while its first trials run (or of a journal a crash cut off mid-trial): a partial report, the arm counted
    as running, its best score empty rather than the inf of a diverged run, and no conclusion drawn."""
    import optuna

    from ganbench.sweeps.spec import load_spec
    from ganbench.sweeps.storage import create_studies, save_spec, storage_for

    (tmp_path / "s.yaml").write_text("name: s\nvariants: [ns_gan]\ndatasets: [ring8]\narch: mlp_small\nspace: narrow\n"
                                     "budget: {settings: 2}\nsteps: 4\n")
    spec = load_spec(tmp_path / "s.yaml")
    save_spec(tmp_path / "study", spec)
    (search, _), = create_studies(spec, storage_for(tmp_path / "study"))
    trial = search.ask()
    for k, v in spec.trial("ns_gan", "ring8", 1, setting=0).attrs().items():
        trial.set_user_attr(k, v)
    assert trial.number == 0 and search.trials[0].state == optuna.trial.TrialState.RUNNING
    index = write_report([tmp_path / "study"], tmp_path / "report")
    text = re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", index.read_text()))
    assert "PARTIAL: trials still running" in text and "best ns_gan" not in text
    from ganbench.analysis.tables import best_table

    df = load_trials([tmp_path / "study"])
    assert sorted(df["status"]) == ["running", "waiting"] and df["score"].isna().all()
    best = best_table(df)
    assert best["running"].tolist() == [1] and best["done"].tolist() == [0] and math.isnan(best["best"].iloc[0])
