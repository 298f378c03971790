"""Lucic et al.'s convex-polygon data set (section 4): anti-aliased convex polygons drawn on a 28x28 canvas from fixed
seeds. The drawing lives here; the metrics that fit polygons to generated images are benchmark.metrics.polygons."""
from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import torch

from .base import Split

CANVAS = 28
def random_convex_polygons(n: int, k: int = 3, seed: int = 0, min_gap: float = math.radians(40)) -> np.ndarray:
    """(n, k, 2) vertices in pixel coordinates (x, y), counter-clockwise, convex by construction."""
    rng = np.random.default_rng(seed)
    min_gap = min(min_gap, math.pi / k)  # k gaps of at least min_gap must fit in a full turn
    gaps = min_gap + (2 * math.pi - k * min_gap) * rng.dirichlet(np.ones(k), size=n)
    angles = rng.uniform(0, 2 * math.pi, (n, 1)) + np.cumsum(gaps, axis=1)
    radius = rng.uniform(7, 12, (n, 1))
    centre = rng.uniform(radius + 1, CANVAS - 1 - radius, (n, 2))
    return np.stack([centre[:, :1] + radius * np.cos(angles), centre[:, 1:] + radius * np.sin(angles)], axis=-1)


def render(polygons: torch.Tensor | np.ndarray) -> torch.Tensor:
    """(n, k, 2) counter-clockwise vertices -> (n, 1, 28, 28) uint8 images, anti-aliased (see ``coverage``)."""
    v = torch.as_tensor(np.asarray(polygons), dtype=torch.float32)
    return (coverage(v, smooth=False) * 255).round().to(torch.uint8).unsqueeze(1)


def coverage(vertices: torch.Tensor, smooth: bool = False) -> torch.Tensor:
    """(n, k, 2) counter-clockwise vertices -> (n, 28, 28) in [0, 1]: the product over edges of a ramp of the
    signed distance s of each pixel centre to the edge line: clamp(s + 1/2, 0, 1), a box filter's coverage of a
    straight edge, or with ``smooth`` sigmoid(4 s), whose gradient reaches further (for fitting)."""
    grid = torch.arange(CANVAS, dtype=vertices.dtype, device=vertices.device) + 0.5
    py, px = torch.meshgrid(grid, grid, indexing="ij")
    a, b = vertices, vertices.roll(-1, dims=1)
    d = (b - a) / (b - a).norm(dim=-1, keepdim=True).clamp_min(1e-6)
    sd = d[..., 0, None, None] * (py - a[..., 1, None, None]) - d[..., 1, None, None] * (px - a[..., 0, None, None])
    return (torch.sigmoid(4 * sd) if smooth else (sd + 0.5).clamp(0, 1)).prod(dim=1)


@functools.lru_cache(maxsize=2)
def _triangles_split(split: str) -> torch.Tensor:
    n, seed = (20_000, 0) if split == "train" else (2_000, 1)
    return render(random_convex_polygons(n, k=3, seed=seed))


def _triangles(split: str, root: Path) -> Split:
    """Lucic et al.'s convex-polygon data set: anti-aliased triangles, generated (see below)."""
    return Split(tensor=_triangles_split(split))
