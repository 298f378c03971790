"""How images reach Inception's 299 x 299 input: the resizing and scaling an FID depends on. Parmar et al. ("On
Aliased Resizing and Surprising Subtleties in GAN Evaluation", CVPR 2022; clean-fid) show that TensorFlow 1.x's
bilinear resize, PyTorch's bilinear ``F.interpolate`` and PIL's bicubic give FIDs several points apart on the same
images, so a score says which it used. One registry, by name, as clean-fid names the modes:

- ``legacy_tensorflow``: TensorFlow 1.x's bilinear resize of the uint8 values, then (x - 128) / 128: the original
  TTUR FID, and what torch-fidelity's Inception does itself (``ganbench eval`` and training's FID use it);
- ``legacy_pytorch``: ``F.interpolate(..., mode="bilinear", align_corners=False)``, then x / 255 * 2 - 1: pytorch-fid;
- ``clean``: PIL's bicubic resize of each channel in float, clipped to [0, 255], then (x - 128) / 128: clean-fid.

``inception_features`` runs ganbench's Inception (torch-fidelity's network with the prepared weights) on the input a
mode makes. torch-fidelity's extractor takes uint8 and resizes inside its forward; a forward pre-hook on its first
convolution hands that convolution the mode's input instead (the one place ganbench reaches past its interface).
tests/test_fid_anchor.py checks two modes against FIDs clean-fid computed on images a package ships.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

SIZE = 299


def _tensorflow(x: torch.Tensor) -> torch.Tensor:
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    return (interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=(SIZE, SIZE), align_corners=False) - 128) / 128


def _pytorch(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x.float(), size=(SIZE, SIZE), mode="bilinear", align_corners=False) / 255 * 2 - 1


def _clean(x: torch.Tensor) -> torch.Tensor:
    from PIL import Image

    def channel(c: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(c.astype(np.float32), mode="F").resize((SIZE, SIZE), resample=Image.Resampling.BICUBIC)).clip(0, 255)

    out = np.stack([np.stack([channel(c) for c in image]) for image in x.numpy()])
    return (torch.from_numpy(out).float() - 128) / 128


@dataclass(frozen=True)
class ResizeMode:
    name: str
    description: str
    prepare: Callable[[torch.Tensor], torch.Tensor]  # uint8 (N, 3, H, W) -> Inception's float input (N, 3, 299, 299)


RESIZE_MODES: dict[str, ResizeMode] = {m.name: m for m in [
    ResizeMode("legacy_tensorflow", "TensorFlow 1.x bilinear, (x - 128) / 128 (TTUR's FID; torch-fidelity's own)", _tensorflow),
    ResizeMode("legacy_pytorch", "PyTorch bilinear F.interpolate, x / 255 * 2 - 1 (pytorch-fid)", _pytorch),
    ResizeMode("clean", "PIL bicubic in float per channel, clipped, (x - 128) / 128 (clean-fid)", _clean),
]}
DEFAULT_RESIZE = "legacy_tensorflow"  # what torch-fidelity's Inception does: every FID ganbench has recorded


def as_rgb_uint8(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) uint8 with C 1 or 3 -> (N, 3, H, W) uint8."""
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


@torch.no_grad()
def inception_features(extractor: torch.nn.Module, images: torch.Tensor, mode: str, batch_size: int = 50) -> np.ndarray:
    """Inception's 2048 pool features of uint8 images (N, C, H, W) under resize ``mode``, as float64 (N, 2048).
    ``extractor``: torch-fidelity's FeatureExtractorInceptionV3 (fidelity.Extractor("inception-v3-compat").build)."""
    prepare, first = RESIZE_MODES[mode].prepare, extractor.get_submodule("Conv2d_1a_3x3")
    out = []
    for batch in as_rgb_uint8(images).split(batch_size):
        x = prepare(batch)
        hook = first.register_forward_pre_hook(lambda module, args, x=x: (x,))
        try:
            out.append(extractor(torch.zeros(len(x), 3, SIZE, SIZE, dtype=torch.uint8))[0].double().numpy())
        finally:
            hook.remove()
    return np.concatenate(out)
