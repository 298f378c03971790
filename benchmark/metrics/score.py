"""Scoring samples from anywhere (`ganbench score`): a folder of images, an .npz/.npy of samples or a ganbench run,
against a data set's test split or another folder or array, with any extractor, every metric (FID, KID,
precision/recall, density/coverage) and, for Inception, a resize mode (metrics.resize) recorded with the score.

With the extractor's own resize, both sides go through torch-fidelity exactly as `ganbench eval` does (a data set's
real features come from the same keyed cache), so a run scored here and by eval gives the same numbers."""
from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import Dataset

from .extractors import EXTRACTORS, ExtractorName, default_extractor
from .fidelity import Extractor, MetricError, metrics_from_features, real_features
from .resize import DEFAULT_RESIZE, RESIZE_MODES, as_rgb_uint8, inception_features



class _Uint8(Dataset[torch.Tensor]):
    def __init__(self, images: torch.Tensor) -> None:
        self.images = as_rgb_uint8(images)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> Any:
        return self.images[i]


def features(images: torch.Tensor, extractor: Extractor, resize: str) -> dict[str, Any]:
    """{layer: float32 (N, d)} of uint8 images (N, C, H, W) under ``resize`` (Inception's modes; the others resize
    themselves, so only the extractor's own applies)."""
    from torch_fidelity.utils import get_featuresdict_from_dataset

    layer = EXTRACTORS[extractor.name].layer
    if resize == DEFAULT_RESIZE:
        return get_featuresdict_from_dataset(_Uint8(images), extractor.build(False), batch_size=100, cuda=False,
                                             save_cpu_ram=True, verbose=False)
    return {layer: torch.from_numpy(inception_features(extractor.build(False), images, resize)).float()}


def reference_images(against: str, n: int | None) -> tuple[torch.Tensor | None, str]:
    """A data set's test split (None: its features come from the cache) or a folder's or array's images."""
    from ganbench.benchmark.data import DATASETS, is_user_dataset, sample_images

    if against in DATASETS or is_user_dataset(against):
        return None, against
    images = sample_images(against)
    return images[:n] if n else images, against


def check_extractor(extractor: str, resize: str) -> None:
    if extractor not in EXTRACTORS:
        raise MetricError(f"extractor: unknown '{extractor}', choose one of {', '.join(EXTRACTORS)}")
    if resize not in RESIZE_MODES:
        raise MetricError(f"resize: unknown '{resize}', choose one of {', '.join(RESIZE_MODES)}")
    if resize != DEFAULT_RESIZE and extractor != ExtractorName.INCEPTION:
        raise MetricError(f"resize: '{resize}' is a mode of Inception's input; {extractor} resizes to its own input itself "
                          f"(leave --resize at {DEFAULT_RESIZE})")


def score_images(samples: torch.Tensor, against: str, extractor: str | None = None, resize: str = DEFAULT_RESIZE,
                 n: int | None = None, nearest_k: int = 5) -> dict[str, Any]:
    """Every metric of ``samples`` (uint8 (N, C, H, W)) against ``against``, with what it was computed on."""
    from ganbench.benchmark.data import get_dataset, load_split

    ref, name = reference_images(against, n)
    extractor = extractor or (default_extractor(get_dataset(against)) if ref is None else ExtractorName.INCEPTION)
    check_extractor(extractor, resize)
    samples = samples[:n] if n else samples
    ext = Extractor(extractor, None)
    if ref is None:
        info = get_dataset(against)
        if not info.is_image or info.is_paired:
            raise MetricError(f"against: {against} is not a data set of images to score against")
        if info.shape[0] != samples.shape[1] and samples.shape[1] != 3 and info.shape[0] != 1:
            raise MetricError(f"samples: {samples.shape[1]} channels against {against}'s {info.shape[0]}")
        n_ref = min(len(load_split(against, "test")), n or 10_000)
        real = (real_features(against, "test", n_ref, ext) if resize == DEFAULT_RESIZE
                else features(load_split(against, "test").held[:n_ref], ext, resize))
    else:
        n_ref = len(ref)
        real = features(ref, ext, resize)
    least = max(2, nearest_k + 1)
    for side, count in (("samples", len(samples)), ("against", n_ref)):
        if count < least:
            raise MetricError(f"{side}: {count} images; FID, KID and density/coverage (k = {nearest_k}) need at least {least}")
    fake = features(samples, ext, resize)
    scores = metrics_from_features(fake, real, EXTRACTORS[extractor].layer, kid=True, prc=True, nearest_k=nearest_k)
    return {"against": name, "extractor": extractor, "resize": resize, "n_samples": len(samples), "n_reference": n_ref, **scores}
