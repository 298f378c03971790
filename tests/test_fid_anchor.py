"""ganbench's Inception gives the FID someone else computed: on IQA-PyTorch's calibration images (tests/fid_anchor.py),
clean-fid published 225.3678 in its legacy_pytorch mode and 220.5819 in its clean mode (results/published/fid_anchor.csv,
with the source's file, commit, row and column). The prepared inception-v3-compat weights (a TorchScript port of the
2015 TensorFlow graph from another package), our resize modes (benchmark/metrics/resize.py) and torch-fidelity's
Fréchet distance reproduce both to 1e-3: not a check of the weights against the file they were converted from."""
import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

import fid_anchor
from ganbench.benchmark.metrics.fidelity import Extractor
from ganbench.benchmark.metrics.resize import RESIZE_MODES, inception_features
from ganbench.benchmark.metrics.weights import WeightsMissing, extractor_weights

PUBLISHED = pd.read_csv(fid_anchor.Path(__file__).parents[1] / "results" / "published" / "fid_anchor.csv", comment="#")


def _images(folder: str) -> torch.Tensor:
    return torch.stack([torch.from_numpy(np.array(Image.open(fid_anchor.anchor_dir() / folder / f"{i}.bmp").convert("RGB"))).permute(2, 0, 1)
                        for i in fid_anchor.IMAGES])


@pytest.fixture(scope="module")
def features():
    if not fid_anchor.present():
        pytest.skip("the anchor's images are absent: python tests/fid_anchor.py (make test prepares them)")
    try:
        extractor_weights("inception-v3-compat")
    except WeightsMissing:
        pytest.skip("Inception's weights are absent: ganbench weights fetch inception-v3-compat")
    fe = Extractor("inception-v3-compat", None).build(False)
    return {mode: [inception_features(fe, _images(f), mode) for f in fid_anchor.FOLDERS] for mode in RESIZE_MODES}


def fid(a: np.ndarray, b: np.ndarray) -> float:
    from torch_fidelity.metric_fid import fid_statistics_to_metric

    stats = [{"mu": x.mean(0), "sigma": np.cov(x, rowvar=False)} for x in (a, b)]
    return float(fid_statistics_to_metric(*stats, verbose=False)["frechet_inception_distance"])


@pytest.mark.slow(seconds=25)
@pytest.mark.parametrize("row", PUBLISHED.to_dict("records"), ids=lambda r: r["mode"])
def test_inception_fid_matches_clean_fids_published_value(features, row):
    assert fid(*features[row["mode"]]) == pytest.approx(row["fid"], abs=1e-3)


@pytest.mark.slow(seconds=25)
def test_the_resize_modes_give_different_fids(features):
    """Why a score records its mode: the same ten images, three FIDs several points apart."""
    fids = {mode: fid(*f) for mode, f in features.items()}
    assert min(abs(a - b) for i, a in enumerate(fids.values()) for b in list(fids.values())[i + 1:]) > 1.0, fids


@pytest.mark.slow(seconds=10)
def test_no_inception_score_from_weights_without_a_classifier(features, tmp_path):
    """The prepared file has no classifier (NaN in its place): neither it nor a copy elsewhere (an offline node's)
    gives an Inception Score, where a NaN one came out before."""
    import shutil

    from ganbench.benchmark.metrics.fidelity import metrics_from_features

    copy = tmp_path / "inception.pth"
    shutil.copy(extractor_weights("inception-v3-compat"), copy)
    assert not Extractor("inception-v3-compat", None).has_classifier and not Extractor("inception-v3-compat", str(copy)).has_classifier
    fake, real = ({"2048": torch.from_numpy(f)} for f in features["clean"])
    nan_logits = {"logits_unbiased": torch.full((5, 1008), float("nan"))}
    out = metrics_from_features({**fake, **nan_logits}, real, "2048", kid=False, prc=False)
    assert "inception_score" not in out and out["fid"] == pytest.approx(220.5819, abs=1e-3)
