"""The feature extractors FID, KID, precision/recall and density/coverage are computed on, by name: the feature layer
each is read at, and the one a data set is scored with by default. Names only, so that checking a setting does not
import torch-fidelity (and torchvision with it); metrics/fidelity.py builds them and metrics/weights.py says where
each one's weights come from.

The Fréchet distance on any of them is reported as ``fid`` beside the extractor's name: on ``dinov2-vit-*`` it is
FD-DINOv2 (Stein et al., NeurIPS 2023), the ViT's size in the name."""
from ..schema import REGISTRIES

EXTRACTORS = {  # name -> feature layer
    "inception-v3-compat": "2048", "lenet-mnist": "fc1",
    "dinov2-vit-s-14": "dinov2", "dinov2-vit-b-14": "dinov2", "dinov2-vit-l-14": "dinov2", "dinov2-vit-g-14": "dinov2",
    "clip-vit-b-32": "clip",
}
REGISTRIES["extractor"] = EXTRACTORS.keys


def default_extractor(dataset: str) -> str:
    """The offline digit extractor for the embedded digits; the study's Inception everywhere else."""
    return "lenet-mnist" if dataset in ("mnist5k", "triangles") else "inception-v3-compat"
