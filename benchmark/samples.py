"""samples.png: an image grid, or a scatter plot over the mixture for 2-D data."""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from pathlib import Path

import matplotlib
import numpy as np
import torch
import torchvision

from .conditional.metrics import held_out_pairs
from .files import finish_partial, open_partial, remove_partial

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

if TYPE_CHECKING:  # annotations only
    from .module.pix2pix import Pix2PixModule
    from .data import DatasetInfo
    from .module import GANModule


def save_samples(module: GANModule, info: DatasetInfo, path: Path, n: int = 64, seed: int = 1234) -> None:
    if info.is_paired:
        return save_translations(module, info, path)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # the same latents for every run, without disturbing training's RNG
    x = module.sample(n if info.is_image else 2500).float().cpu()
    torch.random.set_rng_state(state)
    if info.is_image:
        torchvision.utils.save_image(x.clamp(0, 1), path, nrow=8, padding=2)
        return
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.4, label="generated")
    if info.mode_centres is not None:
        ax.scatter(info.mode_centres[:, 0], info.mode_centres[:, 1], s=30, c="red", marker="x", label="modes")
    lim = float(abs(info.mode_centres).max()) * 1.5 if info.mode_centres is not None else None
    if lim:
        ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title(f"{module.config.variant} on {info.name}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _generate(module: GANModule, n: int, seed: int, batch: int = 1000) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]):  # seeded latents that leave the caller's random state alone
        torch.manual_seed(seed)
        return torch.cat([module.sample(min(batch, n - i)).float().cpu() for i in range(0, n, batch)])


def export_samples(module: GANModule, info: DatasetInfo, n: int, out: Path, fmt: str = "png", seed: int = 0) -> list[Path]:
    """``n`` samples from ``module`` into the new directory ``out``, for use in other tools: ``png`` writes
    ``grid.png`` and one ``000000.png`` per image (2-D data: a scatter plot ``grid.png``); ``npz`` writes
    ``samples.npz`` with ``samples`` (float32; images (N, C, H, W) in [0, 1]). Written beside ``out`` and renamed,
    so an interrupted export leaves nothing."""
    remove_partial(out.with_name(out.name + ".partial"))  # an interrupted export's leftover (ours only)
    tmp = open_partial(out)
    try:
        _export(module, info, n, tmp, fmt, seed)
    except BaseException:
        remove_partial(tmp)
        raise
    if out.exists():
        out.rmdir()  # an empty directory (checked by the caller)
    finish_partial(tmp, out)
    return sorted(out.iterdir())


def _export(module: GANModule, info: DatasetInfo, n: int, tmp: Path, fmt: str, seed: int) -> None:
    x = _generate(module, n, seed, batch=n if info.is_paired else 1000)  # a translator's samples: the first n held-out inputs
    if info.is_image:
        x = x.clamp(0, 1)
    if fmt == "npz":
        np.savez_compressed(tmp / "samples.npz", samples=x.numpy(), seed=seed)
    elif info.is_image:
        torchvision.utils.save_image(x[:64], tmp / "grid.png", nrow=8, padding=2)
        for i, image in enumerate(x):
            torchvision.utils.save_image(image, tmp / f"{i:06d}.png")
    else:
        save_samples(module, info, tmp / "grid.png", seed=seed)


def save_translations(module: GANModule, info: DatasetInfo, path: Path, n: int = 8, columns: int = 2) -> None:
    """Input | output | target triplets of the first ``n`` held-out pairs, ``columns`` triplets a row."""
    inputs, targets, _ = held_out_pairs(info.name, n, module.config.data_root)
    outputs = cast("Pix2PixModule", module).translate(inputs).cpu()
    if inputs.shape[1] != targets.shape[1]:
        inputs = inputs.mean(1, keepdim=True).expand_as(targets)
    rows = torch.stack([inputs, outputs, targets], 1).flatten(0, 1)  # in, out, target, in, out, target, ...
    torchvision.utils.save_image(rows.clamp(0, 1), path, nrow=3 * columns, padding=2, pad_value=0.5)
