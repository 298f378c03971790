"""The Lucic et al. convex-polygon data set (`triangles`) and its precision, recall and F1.

Data. A polygon's k vertices lie on a circle (centre and radius random, the circle inside the 28x28 canvas) at
sorted random angles, so the polygon is convex; neighbouring vertices are at least ``min_gap`` apart in angle, so
every interior angle of a triangle is at least 20 degrees (an inscribed angle is half the arc it faces). It is
drawn white on black, each pixel's value the product over edges of clamp(s + 1/2, 0, 1), s the signed distance
of the pixel centre to the edge: a one-pixel linear ramp across every edge, i.e. anti-aliased.

Distance to the polygon manifold, d(x). Threshold x at 0.5; take the convex hull of the foreground pixel
centres; drop hull vertices, smallest-area first (Visvalingam), until k remain; push every edge out by half a
pixel (pixel centres lie half a pixel inside the true edge); then move its vertices by Adam to fit the image
(150 steps, lr 0.05: half with a sigmoid ramp, half with the exact one); render it as above. d(x) is the RMSE in
[0, 1] pixel units between x and the rendering (1 when fewer than k hull vertices exist: an empty or degenerate
image). A clean polygon is within 0.001 of its fit; a blob, a square or two triangles are far.

Precision: the fraction of generated samples with d(G(z)) <= THRESHOLD.
Recall: for each held-out test polygon x, z* = argmin_z ||G(z) - x||^2 by Adam (lr 0.05, ``steps`` steps) from
``starts`` random starts in the prior (U(-1, 1), clamped to it after every step; N(0, 1) for the VAE), and x is
covered when the RMSE between G(z*) and x is <= THRESHOLD. F1 is their harmonic mean.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import torch
from tqdm import tqdm

from ganbench.benchmark.data import as_float, load_split
from ganbench.benchmark.data.polygons import coverage

# RMSE in [0, 1] pixel units. Measured on 500 test triangles: median 0.00025, max 0.00044; on 300 quadrilaterals:
# min 0.044, median 0.15; uniform noise: >= 0.5. The threshold sits between, with room for a generator's blur.
THRESHOLD = 0.025


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Andrew's monotone chain; counter-clockwise in (x, y), no collinear points."""
    pts = sorted(map(tuple, points))
    if len(pts) < 3:
        return np.array(pts, dtype=float)

    def half(seq: Iterable[Any]) -> Any:
        chain: list[Any] = []
        for p in seq:
            while len(chain) >= 2 and _cross(chain[-2], chain[-1], p) <= 0:
                chain.pop()
            chain.append(p)
        return chain[:-1]

    return np.array(half(pts) + half(reversed(pts)), dtype=float)


def _cross(o: Any, a: Any, b: Any) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _reduce(hull: np.ndarray, k: int) -> np.ndarray:
    """Drop the vertex whose triangle with its neighbours has the smallest area until k remain."""
    points = list(map(tuple, hull))
    while len(points) > k:
        n = len(points)
        areas = [abs(_cross(points[i - 1], points[i], points[(i + 1) % n])) for i in range(n)]
        points.pop(int(np.argmin(areas)))
    return np.array(points)


def _offset(poly: np.ndarray, by: float) -> np.ndarray:
    """Move every edge of a polygon, counter-clockwise in (x, y), outward by ``by``."""
    n = len(poly)
    lines = []
    for i in range(n):
        a, b = poly[i], poly[(i + 1) % n]
        d = (b - a) / max(np.linalg.norm(b - a), 1e-9)
        normal = np.array([d[1], -d[0]])  # outward for this orientation
        lines.append((a + by * normal, d))
    out = []
    for i in range(n):  # vertex i is where edge i-1 meets edge i
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        det = d1[0] * -d2[1] - d1[1] * -d2[0]
        if abs(det) < 1e-9:
            out.append(poly[i])
            continue
        t = ((p2 - p1)[0] * -d2[1] - (p2 - p1)[1] * -d2[0]) / det
        out.append(p1 + t * d1)
    return np.array(out)


def _initial_polygon(image: np.ndarray, k: int) -> np.ndarray | None:
    ys, xs = np.nonzero(image >= 0.5)
    hull = _convex_hull(np.stack([xs + 0.5, ys + 0.5], axis=1)) if len(xs) else np.empty((0, 2))
    if len(hull) < k:
        return None
    return _offset(_reduce(hull, k), 0.5)


def fit_polygons(images: np.ndarray, k: int, steps: int = 150) -> list[np.ndarray | None]:
    """The k-gon that best explains each [0, 1] image (n, 28, 28): initialised from the thresholded image's
    convex hull, then its vertices moved by Adam to minimise the squared error of a soft rendering."""
    init = [_initial_polygon(im, k) for im in images]
    ok = [i for i, p in enumerate(init) if p is not None]
    out: list[np.ndarray | None] = [None] * len(images)
    if not ok:
        return out
    v = torch.tensor(np.stack([p for p in init if p is not None]), dtype=torch.float32, requires_grad=True)
    target = torch.as_tensor(images[ok], dtype=torch.float32)
    opt = torch.optim.Adam([v], lr=0.05)
    for step in range(steps):
        loss = ((coverage(v, smooth=step < steps // 2) - target) ** 2).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    for i, poly in zip(ok, v.detach().numpy().astype(float)):
        out[i] = poly
    return out


def distance_to_polygons(images: torch.Tensor, k: int = 3) -> np.ndarray:
    """d(x) for (n, 1, 28, 28) images, floats in [0, 1] or uint8: RMSE to the rendering of the fitted k-gon."""
    x = images.float().div(255) if images.dtype == torch.uint8 else images.float().clamp(0, 1)
    x = x[:, 0].cpu()
    fits = fit_polygons(x.numpy(), k)
    out = np.ones(len(x))
    ok = [i for i, p in enumerate(fits) if p is not None]
    if ok:
        rendered = coverage(torch.tensor(np.stack([p for p in fits if p is not None]), dtype=torch.float32))
        out[ok] = ((rendered - x[ok]) ** 2).mean(dim=(1, 2)).sqrt().double().numpy()
    return out


def invert(generator: torch.nn.Module, targets: torch.Tensor, z_dim: int, prior: str = "uniform", starts: int = 5, steps: int = 300,
           lr: float = 0.05, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """z* = argmin ||G(z) - x||^2 per target, best of ``starts`` Adam runs. Returns (z*, per-target RMSE)."""
    device = targets.device
    n = len(targets)
    g = torch.Generator(device="cpu").manual_seed(seed)
    z0 = torch.rand(starts * n, z_dim, generator=g) * 2 - 1 if prior == "uniform" else torch.randn(starts * n, z_dim, generator=g)
    z = z0.to(device).requires_grad_(True)
    x = targets.flatten(1).repeat(starts, 1)
    opt = torch.optim.Adam([z], lr=lr)
    was_training = generator.training
    generator.eval()
    params = [p.requires_grad for p in generator.parameters()]
    generator.requires_grad_(False)
    try:
        for _ in tqdm(range(steps), desc=f"inverting G on {n} polygons", disable=None, leave=False):
            loss = ((generator(z).flatten(1) - x) ** 2).mean(dim=1)
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
            if prior == "uniform":
                with torch.no_grad():
                    z.clamp_(-1, 1)
        with torch.no_grad():
            rmse = ((generator(z).flatten(1) - x) ** 2).mean(dim=1).sqrt().view(starts, n)
    finally:
        generator.train(was_training)
        for p, r in zip(generator.parameters(), params):
            p.requires_grad_(r)
    best = rmse.argmin(dim=0)
    z_best = z.detach().view(starts, n, z_dim)[best, torch.arange(n, device=device)]
    return z_best, rmse[best, torch.arange(n, device=device)]


def polygon_precision_recall(generator: torch.nn.Module, fake: torch.Tensor, z_dim: int, k: int = 3, prior: str = "uniform",
                             n_recall: int = 200, device: str = "cpu") -> dict[str, Any]:
    """Precision of the samples ``fake`` and recall of ``generator`` on held-out k-gons, F1, and the sample sizes
    and threshold they used."""

    precision = float((distance_to_polygons(fake, k) <= THRESHOLD).mean())
    test = as_float(load_split("triangles", "test").held[:n_recall]).to(device)
    _, rmse = invert(generator, test, z_dim, prior)
    recall = float((rmse <= THRESHOLD).float().mean())
    f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return {"polygon_precision": precision, "polygon_recall": recall, "polygon_f1": f1,
            "polygon_n_fake": len(fake), "polygon_n_recall": len(test), "polygon_threshold": THRESHOLD}
