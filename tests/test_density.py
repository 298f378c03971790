"""Density and coverage against radii worked out by hand and against the prdc package; FID-infinity recovers the
Fréchet distance of two Gaussians."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ganbench.benchmark.metrics.density import density_coverage, fid_infinity


def test_density_and_coverage_by_hand():
    """Reals on a line at 0, 1, 3 with k = 1: nearest-neighbour radii 1, 1, 2. Fakes at 0.5 (inside the balls of 0
    and 1), 2.5 (inside 3's) and 10 (none): density = (2 + 1 + 0) / (1 * 3) = 1; covered reals: 0 and 1 (by 0.5; the
    ball is open), 3 (by 2.5): coverage = 3 / 3. Without the fake at 2.5: density 2 / 2, coverage 2 / 3."""
    real = torch.tensor([[0.0], [1.0], [3.0]])
    out = density_coverage(real, torch.tensor([[0.5], [2.5], [10.0]]), k=1)
    assert out == {"density": pytest.approx(1.0), "coverage": pytest.approx(1.0)}
    out = density_coverage(real, torch.tensor([[0.5], [10.0]]), k=1)
    assert out == {"density": pytest.approx(1.0), "coverage": pytest.approx(2 / 3)}
    # k = 2: radii 3 (0 to 3), 2 (1 to 3), 3 (3 to 0); the fake at 2.5 lies in all three balls, 10 in none
    assert density_coverage(real, torch.tensor([[2.5], [10.0]]), k=2)["density"] == pytest.approx(3 / (2 * 2))


@settings(max_examples=12, deadline=None)
@given(n=st.integers(8, 60), m=st.integers(7, 60), dim=st.integers(1, 6), k=st.integers(1, 5), seed=st.integers(0, 10_000),
       shift=st.floats(0, 3))
def test_density_and_coverage_agree_with_the_prdc_package(n, m, dim, k, seed, shift):
    from prdc import compute_prdc

    rng = np.random.default_rng(seed)
    real, fake = rng.normal(size=(n, dim)), rng.normal(shift, 1, size=(m, dim))
    theirs = compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    ours = density_coverage(torch.from_numpy(real), torch.from_numpy(fake), k)
    assert ours["density"] == pytest.approx(theirs["density"], abs=1e-12)
    assert ours["coverage"] == pytest.approx(theirs["coverage"], abs=1e-12)


def test_fid_infinity_recovers_the_frechet_distance_of_two_gaussians():
    """Features from N(0, I) and N(mu, 1.25^2 I) in 64 dimensions, |mu|^2 = 2: their Fréchet distance is
    2 + 64 * 0.25^2 = 6.0 exactly. FID of 1,000 fakes against 50,000 reals is biased upwards (measured over seeds 0-7:
    mean 7.45, sd 0.18); FID-infinity removes the bias (mean 5.92, sd 0.14). Asserted: the mean over seeds 0-7 within
    0.25 of 6.0, each seed within 0.5, FID at 1,000 above 6.8 on average."""
    from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric

    def fid_of(fake, real_stats):
        stats = fid_featuresdict_to_statistics({"f": fake}, "f")
        return float(fid_statistics_to_metric(stats, real_stats, verbose=False)["frechet_inception_distance"])

    dim, truth = 64, 6.0
    mu, s = torch.zeros(dim, dtype=torch.float64), torch.full((dim,), 1.25, dtype=torch.float64)
    mu[:2] = 1.0
    real = torch.randn(50_000, dim, generator=torch.Generator().manual_seed(123), dtype=torch.float64)
    stats = fid_featuresdict_to_statistics({"f": real}, "f")
    extrapolated, plain = [], []
    for seed in range(8):
        fake = mu + s * torch.randn(1000, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        out = fid_infinity(fake, stats, fid_of, seed=seed)
        assert out["fid_infinity_sizes"] == [200, 1000] and math.isfinite(out["fid_infinity_slope"])
        extrapolated.append(out["fid_infinity"])
        plain.append(fid_of(fake, stats))
    assert abs(np.mean(extrapolated) - truth) < 0.25 and max(abs(e - truth) for e in extrapolated) < 0.5, extrapolated
    assert np.mean(plain) > 6.8, plain


def test_objective_ranks_by_the_specs_choice():
    from ganbench.sweeps.runner import objective

    metrics = {"status": "finished", "fid_min": 30.0, "kid": 0.02, "coverage": 0.4, "mode_kl": 0.3}
    assert objective(metrics) == 30.0 and objective(metrics, "fid") == 30.0 and objective(metrics, "kid") == 0.02
    assert objective(metrics, "coverage") == -0.4  # maximised
    assert objective({"status": "finished", "fid_min": 30.0}, "coverage") == math.inf  # not scored: last
    assert objective({**metrics, "status": "diverged"}, "coverage") == math.inf


@pytest.mark.parametrize("extra,message", [
    ("objective: kid\n", "objective: kid is scored with FID during training; it needs eval_every"),
    ("objective: coverage\neval_every: 2\npruner: hyperband\n", "objective: hyperband prunes on FID"),
    ("objective: density\neval_every: 0\n", "objective: 'density' is not allowed, must be one of auto, fid, kid, coverage"),
])
def test_a_spec_objective_that_cannot_work_is_one_line(ganbench, tmp_path, extra, message):
    spec = tmp_path / "s.yaml"
    spec.write_text("variants: [ns_gan]\ndatasets: [mnist5k]\nspace: narrow\nbudget: {settings: 2}\nsteps: 4\n" + extra)
    r = ganbench("spec", spec)
    assert r.returncode == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr


@pytest.mark.slow(seconds=15)
def test_a_study_ranked_by_coverage_keeps_density_and_coverage(ganbench, tmp_path):
    """Two settings on the digits scored once at the end: each trial's metrics hold density, coverage and k, and its
    value is minus its coverage."""
    import json

    from ganbench.analysis.load import load_trials

    spec = tmp_path / "cov.yaml"
    spec.write_text("variants: [ns_gan]\ndatasets: [mnist5k]\nspace: narrow\nbudget: {settings: 2}\nsteps: 3\narch: conv_small\n"
                    "eval_every: 0\nn_fake: 64\nn_real: 64\nobjective: coverage\n")
    assert ganbench("sweep", "run", spec, "--dir", tmp_path / "study").returncode == 0
    df = load_trials([tmp_path / "study"])
    assert len(df) == 2 and (df["metric"] == "-coverage").all()
    for r in df.itertuples():
        metrics = json.loads((Path(r.run_dir) / "metrics.json").read_text())
        assert metrics["nearest_k"] == 5 and 0 <= metrics["coverage"] <= 1 and metrics["density"] >= 0
        assert r.value == pytest.approx(-metrics["coverage"])
