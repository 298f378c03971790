"""The feature extractors FID, KID and precision/recall are computed on, by name: the feature layer each is read at,
and the one a data set is scored with by default. Names only, so that checking a setting does not import
torch-fidelity (and torchvision with it); metrics/fidelity.py builds them."""

EXTRACTORS = {"inception-v3-compat": "2048", "lenet-mnist": "fc1"}  # name -> feature layer for FID/KID/PRC


def default_extractor(dataset: str) -> str:
    """The offline digit extractor for the embedded digits; the study's Inception everywhere else."""
    return "lenet-mnist" if dataset in ("mnist5k", "triangles") else "inception-v3-compat"
