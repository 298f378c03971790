"""How well a translator does on held-out pairs: L1 and PSNR against the target, SSIM (torchmetrics), FID of the
outputs against the targets (torch-fidelity, lenet-mnist on the digit tasks), and the classifier score: the
accuracy of the lenet-mnist classifier on the outputs against the target digit's label, the digit analogue of
pix2pix's FCN score ("a network judging the outputs", section 4.2), beside the same classifier on the targets.

As the paper runs its generator at test time (section 3.3): dropout on and batch statistics of the test batch,
under a fixed seed so that a checkpoint always scores the same.
"""
from __future__ import annotations

from typing import Any

import torch
from torch_fidelity.utils import get_featuresdict_from_dataset
from torchmetrics.functional.image import peak_signal_noise_ratio, structural_similarity_index_measure

from ..data import as_float, get_dataset, load_split
from ..metrics.extractors import EXTRACTORS
from ..metrics.fidelity import Extractor, metrics_from_features
from ..metrics.latents import LATENT_SEED
from ..metrics.lenet import WEIGHTS, LeNet

BATCH = 250
DIGIT_PAD = 2  # the digit tasks pad 28x28 digits to 32x32 (data/paired.py); the classifier reads the 28x28 centre


@torch.no_grad()
def translate(generator: torch.nn.Module, inputs: torch.Tensor, device: str = "cpu") -> torch.Tensor:
    """[0, 1] inputs -> [0, 1] outputs, in batches, in training mode (dropout, batch statistics) under a fixed seed."""
    was_training = generator.training
    generator.train()
    outs = []
    with torch.random.fork_rng(devices=[torch.device(device)] if str(device).startswith("cuda") else []):
        torch.manual_seed(LATENT_SEED)
        for i in range(0, len(inputs), BATCH):
            x = inputs[i:i + BATCH].to(device) * 2 - 1
            outs.append(((generator(x) + 1) / 2).clamp(0, 1).cpu())
    generator.train(was_training)
    return torch.cat(outs)


def held_out_pairs(dataset: str, n: int, data_root: str | None=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """The first ``n`` held-out (input, target) pairs as floats in [0, 1], and the targets' labels where known."""
    split = load_split(dataset, "test", data_root)
    n = min(n, len(split))
    if split.tensor is not None:
        assert split.inputs is not None, "a paired split holds its inputs beside its targets"
        return as_float(split.inputs[:n]), as_float(split.tensor[:n]), None if split.labels is None else split.labels[:n]
    assert split.dataset is not None
    pairs = [split.dataset[i] for i in range(n)]
    return torch.stack([a for a, _ in pairs]), torch.stack([b for _, b in pairs]), None


class _Uint8RGB(torch.utils.data.Dataset[Any]):
    """[0, 1] images as torch-fidelity reads them: uint8, 3 channels (grey tiled), quantised like real images."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> torch.Tensor:
        x = (self.images[i] * 255).round().to(torch.uint8)
        return x.expand(3, -1, -1) if x.shape[0] == 1 else x


def fid_outputs_to_targets(outputs: torch.Tensor, targets: torch.Tensor, extractor: str, device: str = "cpu") -> float:
    cuda = str(device).startswith("cuda")
    fe = Extractor(extractor, None).build(cuda)
    feats = [get_featuresdict_from_dataset(_Uint8RGB(x), fe, batch_size=BATCH, cuda=cuda, save_cpu_ram=True, verbose=False)
             for x in (outputs, targets)]
    return metrics_from_features(feats[0], feats[1], EXTRACTORS[extractor].layer, kid=False, prc=False)["fid"]


@torch.no_grad()
def classifier_accuracy(images: torch.Tensor, labels: torch.Tensor) -> float:
    net = LeNet()
    net.load_state_dict({k: v.float() for k, v in torch.load(WEIGHTS, map_location="cpu", weights_only=True).items()})
    net.eval()
    x = images[:, :, DIGIT_PAD:-DIGIT_PAD, DIGIT_PAD:-DIGIT_PAD] if images.shape[-1] == 28 + 2 * DIGIT_PAD else images
    return float((net(x.float())[1].argmax(1) == labels).float().mean())


def translation_metrics(generator: torch.nn.Module, dataset: str, extractor: str, n: int, device: str = "cpu", data_root: str | None=None) -> dict[str, Any]:
    inputs, targets, labels = held_out_pairs(dataset, n, data_root)
    outputs = translate(generator, inputs, device)
    ssim = structural_similarity_index_measure(outputs, targets, data_range=1.0)
    assert isinstance(ssim, torch.Tensor)  # one number: no full map asked for
    out = {"l1": float((outputs - targets).abs().mean()),
           "psnr": float(peak_signal_noise_ratio(outputs, targets, data_range=1.0, reduction="elementwise_mean", dim=(1, 2, 3))),
           "ssim": float(ssim),
           "fid": fid_outputs_to_targets(outputs, targets, extractor, device), "extractor": extractor, "n_pairs": len(inputs)}
    if labels is not None and get_dataset(dataset).shape[0] == 1:
        out.update(classifier_score=classifier_accuracy(outputs, labels), classifier_score_targets=classifier_accuracy(targets, labels))
    return out
