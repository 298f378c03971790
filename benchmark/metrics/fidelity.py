"""FID, KID, precision/recall and Inception Score through torch-fidelity, with a keyed cache of real features.

torch-fidelity computes every number (``*_featuresdict_to_metric``); ganbench supplies the inputs: a data
set's test split as uint8 images, and a generator wrapped as torch-fidelity's generative model with the study's
U(-1, 1) prior and a fixed latent seed, so every checkpoint of every trial is scored on the same latents.

Real features are cached under a key of everything that determines them (data set, split, sample count,
extractor, a hash of its weights, feature layer, input size): torch-fidelity's own cache key holds only name,
extractor and layer, so two weight files would collide there.
"""
from __future__ import annotations

import functools
import math
import hashlib
import json
import os
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from pathlib import Path

import torch
import torch_fidelity
from torch_fidelity.generative_model_modulewrapper import GenerativeModelModuleWrapper
from torch_fidelity.metric_fid import fid_featuresdict_to_statistics, fid_statistics_to_metric
from torch_fidelity.metric_isc import isc_featuresdict_to_metric
from torch_fidelity.metric_kid import kid_featuresdict_to_metric
from torch_fidelity.metric_prc import prc_featuresdict_to_metric
from torch_fidelity.utils import create_feature_extractor, get_featuresdict_from_dataset, get_featuresdict_from_generative_model

from . import density
from .density import density_coverage
from .extractors import EXTRACTORS, ExtractorName, default_extractor
from ..schema import ConfigError
from .latents import LATENT_SEED
from .lenet import LeNetMNISTExtractor, weights_hash
from .weights import extractor_weights
from ..schema import env

if TYPE_CHECKING:  # annotations only
    from ..data import Split

if TYPE_CHECKING:
    from ..config import RunConfig

torch_fidelity.register_feature_extractor(str(ExtractorName.LENET), LeNetMNISTExtractor)
stats = {"real_feature_extractions": 0}  # counted so that tests can prove the cache is used


class MetricError(ConfigError):
    """What cannot be scored as asked (too few samples, a classifier the weights lack): one line, exit 2."""


class NaNSamples(RuntimeError):
    """The generator made NaNs: no FID exists (the study stores its sentinel 31337 instead)."""


def cache_dir() -> Path:
    return Path(env("GANBENCH_CACHE") or Path.home() / ".cache" / "ganbench" / "stats").expanduser()


class ImagesUint8(torch.utils.data.Dataset[Any]):
    """A split as torch-fidelity wants it: uint8 (3, H, W), grey tiled to 3 channels."""

    def __init__(self, split: Split, n: int) -> None:
        self.split, self.n = split, min(n, len(split))

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if self.split.tensor is not None:
            x = self.split.tensor[i]
        else:
            assert self.split.dataset is not None
            x = (self.split.dataset[i] * 255).round().to(torch.uint8)
        return x.expand(3, -1, -1) if x.shape[0] == 1 else x


class GeneratorUint8(torch.nn.Module):
    """A [0, 1] generator as torch-fidelity wants it: quantised to uint8 like real images, 3 channels.
    torch-fidelity's wrapper offers U(0, 1) noise; the study's prior U(-1, 1) is 2u - 1. The VAE's prior is
    N(0, 1), which the wrapper offers as it is."""

    def __init__(self, generator: torch.nn.Module, prior: str = "uniform") -> None:
        super().__init__()
        self.generator, self.prior = generator, prior

    def forward(self, z: torch.Tensor) -> Any:
        z = z.to(torch.get_default_dtype())  # torch-fidelity draws float32; the same-seed check trains in float64
        z = 2 * z - 1 if self.prior == "uniform" else z
        x = self.generator(z)
        if torch.isnan(x).any():
            raise NaNSamples("the generator made NaN samples")
        x = (x.clamp(0, 1) * 255).round().to(torch.uint8)
        return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


@dataclass(frozen=True)
class Extractor:
    name: str
    weights: str | None  # a local weights file the user gave; None: the prepared one (metrics/weights.py)

    def __post_init__(self) -> None:  # a plain string: torch-fidelity takes no subclass, checkpoints pickle no enum
        object.__setattr__(self, "name", str(self.name))

    @property
    def path(self) -> str | None:
        """The weights file it loads: the user's, else the prepared one (None: torch hub's, for DINOv2 and CLIP).
        WeightsMissing, naming the command that prepares them, when none is here."""
        if self.name not in EXTRACTORS:
            raise MetricError(f"extractor: unknown '{self.name}', choose one of {', '.join(EXTRACTORS)}")
        if self.weights:
            if not Path(self.weights).is_file():
                raise MetricError(f"inception-weights: no file at {self.weights}")
            return self.weights
        return extractor_weights(self.name)

    @property
    def weights_id(self) -> str:
        path = self.path
        return weights_hash(path) if path else f"{self.name}-torch-hub"

    @property
    def has_classifier(self) -> bool:
        """Its classifier's logits (the Inception Score's input): LeNet's always; Inception's from a weights file whose
        classifier is finite. The registry's Inception file (and any copy of it, wherever it lies) has the features
        only, its classifier written as NaN."""
        if not EXTRACTORS[self.name].classifier:
            return False
        return self.name != ExtractorName.INCEPTION or _finite_classifier(self.path)

    @functools.lru_cache(maxsize=4)  # one extractor per (name, weights, device) in a process: every checkpoint reuses it
    def build(self, cuda: bool) -> Any:
        path = self.path
        kwargs = {"feature_extractor_weights_path": path} if self.weights or (path and self.name != ExtractorName.LENET) else {}
        try:
            wanted = [EXTRACTORS[self.name].layer] + (["logits_unbiased"] if self.has_classifier else [])
            return create_feature_extractor(self.name, wanted, cuda=cuda, verbose=False, **kwargs)
        except (RuntimeError, pickle.UnpicklingError, EOFError, ValueError, KeyError, AttributeError, TypeError) as e:
            if not self.weights:  # the prepared weights are checked by their hash where they are found (weights.py)
                raise
            first = str(e).strip().splitlines()[0][:100] if str(e).strip() else ""
            raise MetricError(f"inception-weights: {self.weights} is not {self.name}'s weights in torch-fidelity's layout "
                              f"({type(e).__name__}: {first})") from None


@functools.lru_cache(maxsize=8)
def _finite_classifier(path: str) -> bool:
    state = torch.load(path, map_location="cpu", weights_only=True)
    return "fc.weight" in state and bool(torch.isfinite(state["fc.weight"]).all())


def _atomic_save(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def real_features(dataset: str, split_name: str, n: int, extractor: Extractor, data_root: str | None=None, cuda: bool=False, verbose: bool=False) -> dict[str, Any]:
    from ganbench.benchmark.data import file_name, get_dataset, load_split

    info = get_dataset(dataset)
    key_fields = dict(dataset=dataset, split=split_name, n=n, extractor=extractor.name, weights=extractor.weights_id,
                      layer=EXTRACTORS[extractor.name].layer, shape=list(info.shape), tiled_to_rgb=True)
    if info.fingerprint:  # your own data: its files, so an edited folder is not scored against stale features
        key_fields["fingerprint"] = info.fingerprint
    key = hashlib.sha256(json.dumps(key_fields, sort_keys=True).encode()).hexdigest()[:24]
    path = cache_dir() / f"{file_name(dataset)}-{split_name}-{n}-{extractor.name}-{key}.pt"
    if path.exists():
        try:
            cached = torch.load(path, map_location="cpu", weights_only=True)
            if cached["key"] == key_fields:
                return cached["features"]
        except Exception:  # noqa: BLE001 - a truncated or corrupt file is rebuilt below
            pass
    split = load_split(dataset, split_name, data_root)
    if len(split) < n:
        raise MetricError(f"n-real: {n} real samples asked for, but {dataset}/{split_name} has {len(split)}")
    fe = extractor.build(cuda)
    stats["real_feature_extractions"] += 1
    feats = get_featuresdict_from_dataset(ImagesUint8(split, n), fe, batch_size=256, cuda=cuda, save_cpu_ram=True, verbose=verbose)
    _atomic_save({"key": key_fields, "features": feats}, path)
    return feats


PRIORS = {"uniform": "uniform_0_1", "normal": "normal"}  # ganbench's prior -> torch-fidelity's z_type


def generated_features(generator: torch.nn.Module, z_dim: int, n: int, fe: torch.nn.Module, cuda: bool, verbose: bool=False, prior: str = "uniform") -> dict[str, Any]:
    was_training = generator.training
    model = GenerativeModelModuleWrapper(GeneratorUint8(generator, prior), z_dim, PRIORS[prior], 0, make_eval=True)
    try:
        return get_featuresdict_from_generative_model(model, fe, n, batch_size=256, cuda=cuda, rng_seed=LATENT_SEED, verbose=verbose)
    finally:
        generator.train(was_training)


def _fid(fake_features: torch.Tensor, real_stats: dict[str, Any], layer: str) -> float:
    fake_stats = fid_featuresdict_to_statistics({layer: fake_features}, layer)
    return float(fid_statistics_to_metric(fake_stats, real_stats, verbose=False)["frechet_inception_distance"])


def metrics_from_features(fake: dict[str, Any], real: dict[str, Any], layer: str, kid: bool = True, prc: bool = True, nearest_k: int = 5,
                          fid_infinity: bool = False) -> dict[str, Any]:
    """FID, and where asked KID, precision/recall/F1 with density and coverage (``prc``), FID-infinity, and the
    Inception Score where the extractor gives logits."""
    real_stats = fid_featuresdict_to_statistics(real, layer)
    out = {"fid": _fid(fake[layer], real_stats, layer)}
    n = min(len(fake[layer]), len(real[layer]))
    if kid:
        size = min(1000, n)
        # 100 random subsets (the KID paper's estimator); when both sides hold exactly `size` samples every subset is
        # all of them, so one gives the same number
        whole = len(fake[layer]) == len(real[layer]) == size
        r = kid_featuresdict_to_metric(fake, real, layer, kid_subset_size=size, kid_subsets=1 if whole else 100, verbose=False)
        out.update(kid=float(r["kernel_inception_distance_mean"]), kid_std=float(r["kernel_inception_distance_std"]))
    if prc:
        r = prc_featuresdict_to_metric(fake, real, layer, verbose=False)
        out.update(precision=float(r["precision"]), recall=float(r["recall"]), f1=float(r["f_score"]))
        out.update(density_coverage(real[layer], fake[layer], nearest_k), nearest_k=nearest_k)
    if fid_infinity:
        out.update(density.fid_infinity(fake[layer], real_stats, functools.partial(_fid, layer=layer)))
    if "logits_unbiased" in fake:  # only from a classifier that is one (Extractor.has_classifier): never NaN
        score = float(isc_featuresdict_to_metric(fake, "logits_unbiased", verbose=False)["inception_score_mean"])
        if math.isfinite(score):
            out["inception_score"] = score
    return out


PRC_K = 3  # torch-fidelity's precision/recall neighbourhood


def check_sample_sizes(dataset: str, n_fake: int, n_real: int, nearest_k: int) -> None:
    """Enough samples for what is scored: FID's covariances need two a side; precision/recall and density/coverage
    count neighbours among the samples themselves, so each side needs more than k."""
    need = max(2, PRC_K + 1, nearest_k + 1) if nearest_k else 2
    if min(n_fake, n_real) < need:
        raise MetricError(f"n_real: {min(n_fake, n_real)} samples a side ({dataset}'s test split, or --n) are too few: "
                          f"{'precision/recall and density/coverage (k = ' + str(max(PRC_K, nearest_k)) + ') need' if nearest_k else 'FID needs'} "
                          f"at least {need}; give a data set with more test samples{', or a lower --nearest-k' if nearest_k > PRC_K else ''}")


@dataclass(frozen=True)
class ScoringRequest:
    """What a generator is scored on, declared once: the data set whose test split is the reference, the extractor
    (None: the data set's default), the sample sizes, which metrics beside FID, how the latents are drawn and where.
    ``ScoringRequest.of_run`` is a run's own, as its configuration says; eval, score and the FID schedule change
    only what they say they change (``dataclasses.replace``)."""

    dataset: str
    z_dim: int
    extractor: str | None = None
    n_fake: int = 10_000
    n_real: int = 10_000
    prior: str = "uniform"  # the latents' distribution (the generator's scored prior)
    nearest_k: int = 5  # density and coverage's k
    kid: bool = True
    prc: bool = True  # precision, recall, density and coverage
    dataset_specific: bool = True  # what only some data sets define (stacked-MNIST modes, polygon precision/recall)
    fid_infinity: bool = False
    weights: str | None = None  # Inception weights in torch-fidelity's layout (None: the prepared ones)
    data_root: str | None = None
    device: str = "cpu"
    verbose: bool = False

    @classmethod
    def of_run(cls, config: RunConfig, prior: str, device: str, **changes: Any) -> "ScoringRequest":
        """A run's scoring as its configuration declares it (``prior``: its module's scored prior)."""
        own = dict(dataset=config.dataset, z_dim=config.z_dim, extractor=config.extractor, n_fake=config.n_fake,
                   n_real=config.n_real, prior=prior, nearest_k=config.nearest_k, data_root=config.data_root, device=str(device))
        return cls(**{**own, **changes})


def evaluate_generator(generator: torch.nn.Module, request: ScoringRequest) -> dict[str, Any]:
    """Score a generator against the test split as ``request`` says; every value carries its extractor and sample
    sizes (lowered together where the test split is smaller, and then said)."""
    r = request
    from ganbench.benchmark.data import get_dataset

    ext = Extractor(r.extractor or default_extractor(get_dataset(r.dataset)), r.weights)
    cuda = str(r.device).startswith("cuda")
    from ganbench.benchmark.data import load_split

    n_fake, n_real, lowered = r.n_fake, r.n_real, {}
    available = len(load_split(r.dataset, "test", r.data_root))
    if n_real > available:  # a small test split: both sizes come down together, and the result says so
        lowered = {"n_lowered_from": {"n_fake": n_fake, "n_real": n_real}}
        n_real, n_fake = available, min(n_fake, available)
    check_sample_sizes(r.dataset, n_fake, n_real, r.nearest_k if r.prc else 0)
    real = real_features(r.dataset, "test", n_real, ext, r.data_root, cuda, r.verbose)
    fe = ext.build(cuda)
    fake = generated_features(generator, r.z_dim, n_fake, fe, cuda, r.verbose, r.prior)
    out = metrics_from_features(fake, real, EXTRACTORS[ext.name].layer, r.kid, r.prc, r.nearest_k, r.fid_infinity)
    if r.dataset_specific:
        from .dataset_metrics import dataset_metrics

        out.update(dataset_metrics(generator, r.z_dim, r.dataset, r.prior, r.device, n_fake))
    return {**out, "extractor": ext.name, "extractor_weights": ext.weights_id, "n_fake": n_fake, "n_real": n_real, **lowered}
