"""The agreement study's fast scores equal torch-fidelity's, and Kendall's tau of identical rankings is 1."""
import numpy as np
import pytest
import torch

from ganbench.analysis.agreement import METRICS, STANDARD, agreement, frechet_distance, kid


def test_gram_form_fid_and_kid_equal_torch_fidelitys():
    from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric
    from torch_fidelity.metric_kid import kid_featuresdict_to_metric

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(120, 40)), rng.normal(0.3, 1.2, size=(150, 40))
    stats = [fid_featuresdict_to_statistics({"f": torch.from_numpy(x)}, "f") for x in (a, b)]
    assert frechet_distance(a, b) == pytest.approx(fid_statistics_to_metric(*stats, verbose=False)["frechet_inception_distance"], rel=1e-6)
    theirs = kid_featuresdict_to_metric({"f": torch.from_numpy(a)}, {"f": torch.from_numpy(b[:120])}, "f", kid_subset_size=120,
                                        kid_subsets=1, verbose=False)["kernel_inception_distance_mean"]
    assert kid(a, b[:120]) == pytest.approx(theirs, rel=1e-6)


def test_generators_ordered_alike_by_every_metric_agree_fully():
    """Five generators whose samples drift further from the data one by one: every metric ranks them the same, so
    every tau is 1 and so is its bootstrap interval's upper end."""
    rng = np.random.default_rng(1)
    real = {name: rng.normal(size=(150, 8)) for name in ("inception-v3-compat", "lenet-mnist")}
    fakes = [{name: rng.normal(shift, 1, size=(150, 8)) for name in real} for shift in (0.0, 0.5, 1.0, 2.0, 4.0)]
    table, taus = agreement(real, fakes, resamples=10)
    assert list(table[STANDARD].rank()) == [1, 2, 3, 4, 5]
    assert set(taus["metric"]) == set(METRICS) - {STANDARD}
    for metric in ("fid_lenet", "kid_inception", "coverage_inception"):
        assert taus.set_index("metric").loc[metric, "kendall_tau"] == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_knn_intervals_resample_without_duplicates(seed):
    """Two samples of one Gaussian (1,000 each, 16-d): the mean coverage over half-size subsets stays within 0.02 of
    the full samples' (seeds 0-2); a bootstrap with replacement, as the study drew before, falls far below it."""
    from ganbench.analysis.agreement import half_subset
    from ganbench.benchmark.metrics.density import density_coverage

    rng = np.random.default_rng(seed)
    real, fake = rng.normal(size=(1000, 16)), rng.normal(size=(1000, 16))
    coverage = lambda r, f: density_coverage(torch.from_numpy(r), torch.from_numpy(f), 5)["coverage"]  # noqa: E731
    full = coverage(real, fake)
    subsets = [coverage(real[half_subset(rng, 1000)], fake[half_subset(rng, 1000)]) for _ in range(20)]
    with_replacement = [coverage(real[rng.integers(0, 1000, 1000)], fake[rng.integers(0, 1000, 1000)]) for _ in range(20)]
    assert abs(np.mean(subsets) - full) < 0.02
    assert np.mean(with_replacement) < full - 0.1
    assert all(len(set(half_subset(rng, 1000))) == 500 for _ in range(5))
