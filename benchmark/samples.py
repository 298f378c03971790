"""samples.png: an image grid, or a scatter plot over the mixture for 2-D data."""
from __future__ import annotations

from pathlib import Path

import torch


def save_samples(module, info, path: Path, n: int = 64, seed: int = 1234) -> None:
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # the same latents for every run, without disturbing training's RNG
    x = module.sample(n if info.is_image else 2500).float().cpu()
    torch.random.set_rng_state(state)
    if info.is_image:
        import torchvision

        torchvision.utils.save_image(x.clamp(0, 1), path, nrow=8, padding=2)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    ax.scatter(x[:, 0], x[:, 1], s=2, alpha=0.4, label="generated")
    if info.mode_centres is not None:
        ax.scatter(info.mode_centres[:, 0], info.mode_centres[:, 1], s=30, c="red", marker="x", label="modes")
    lim = float(abs(info.mode_centres).max()) * 1.5 if info.mode_centres is not None else None
    if lim:
        ax.set_xlim(-lim, lim), ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title(f"{module.config['variant']} on {info.name}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
