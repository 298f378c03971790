"""The feature extractors FID, KID, precision/recall and density/coverage are computed on, by name: each one's
feature layer and input size, and the one a data set is scored with by default. Declarations only, so that checking
a setting does not import torch-fidelity (and torchvision with it); metrics/fidelity.py builds them and
metrics/weights.py says where each one's weights come from.

The Fréchet distance on any of them is reported as ``fid`` beside the extractor's name: on ``dinov2-vit-*`` it is
FD-DINOv2 (Stein et al., NeurIPS 2023), the ViT's size in the name."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..schema import REGISTRIES, Vocabulary

if TYPE_CHECKING:  # annotations only
    from ..data import DatasetInfo


class ExtractorName(Vocabulary):
    INCEPTION = "inception-v3-compat"  # the study's FID network (torch-fidelity's port of TF's)
    LENET = "lenet-mnist"  # a LeNet trained on MNIST, shipped: offline digits
    DINOV2_S = "dinov2-vit-s-14"
    DINOV2_B = "dinov2-vit-b-14"
    DINOV2_L = "dinov2-vit-l-14"
    DINOV2_G = "dinov2-vit-g-14"
    CLIP_B = "clip-vit-b-32"


@dataclass(frozen=True)
class ExtractorSpec:
    layer: str  # the feature layer torch-fidelity reads
    input_size: int  # the side of the images it reads
    classifier: bool = False  # a classifier head beside the features (the Inception Score's logits_unbiased)


EXTRACTORS: dict[str, ExtractorSpec] = {
    ExtractorName.INCEPTION: ExtractorSpec("2048", 299, classifier=True),
    ExtractorName.LENET: ExtractorSpec("fc1", 28, classifier=True),
    **{name: ExtractorSpec("dinov2", 224) for name in (ExtractorName.DINOV2_S, ExtractorName.DINOV2_B, ExtractorName.DINOV2_L,
                                                      ExtractorName.DINOV2_G)},
    ExtractorName.CLIP_B: ExtractorSpec("clip", 224),
}
REGISTRIES["extractor"] = lambda: [str(name) for name in EXTRACTORS]
DIGIT_SETS = ("mnist5k", "triangles")  # embedded or generated grey digits-like data, scored offline


def default_extractor(info: DatasetInfo) -> ExtractorName:
    """The offline digit extractor for the embedded digits and grey paired digits; the study's Inception everywhere
    else (MNIST itself included: the study scored it with Inception)."""
    if info.name in DIGIT_SETS or (info.is_paired and info.shape[0] == 1):
        return ExtractorName.LENET
    return ExtractorName.INCEPTION
