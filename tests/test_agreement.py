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
