"""The convex-polygon data set and its precision/recall; stacked-MNIST modes by the digit classifier."""
import numpy as np
import pytest
import torch

from ganbench.benchmark.data import load_split
from ganbench.benchmark.metrics.dataset_metrics import dataset_metrics
from ganbench.benchmark.metrics.modes import stacked_mnist_modes
from ganbench.benchmark.data.polygons import random_convex_polygons, render
from ganbench.benchmark.metrics.polygons import THRESHOLD, distance_to_polygons, invert


@pytest.mark.parametrize("k", [3, 4, 6])
def test_polygons_are_convex_with_k_vertices(k):
    polys = random_convex_polygons(500, k, seed=k)
    assert polys.shape == (500, k, 2)
    edges = np.roll(polys, -1, axis=1) - polys
    turn = edges[..., 0] * np.roll(edges, -1, axis=1)[..., 1] - edges[..., 1] * np.roll(edges, -1, axis=1)[..., 0]
    assert (turn > 1e-6).all()  # every corner turns the same way: convex, and no vertex is degenerate
    assert polys.min() >= 0 and polys.max() <= 28
    images = render(polys)
    assert images.shape == (500, 1, 28, 28) and images.dtype == torch.uint8
    area = 0.5 * np.abs(turn.sum(1) * 0 + (polys[..., 0] * np.roll(polys[..., 1], -1, 1) - np.roll(polys[..., 0], -1, 1) * polys[..., 1]).sum(1))
    assert np.allclose(images.float().sum((1, 2, 3)).numpy() / 255, area, rtol=0.1)  # the picture holds the polygon's area


def test_triangles_data_set():
    train, test = load_split("triangles", "train"), load_split("triangles", "test")
    assert train.tensor.shape == (20_000, 1, 28, 28) and len(test) == 2_000
    assert not torch.equal(train.tensor[:2000], test.tensor)


@pytest.mark.slow
def test_polygon_distance_separates_triangles_from_other_shapes():
    real = load_split("triangles", "test").tensor[:300]
    quads = render(random_convex_polygons(300, 4, seed=9))
    assert (distance_to_polygons(real) <= THRESHOLD).mean() >= 0.98
    assert (distance_to_polygons(quads) <= THRESHOLD).mean() <= 0.02
    assert (distance_to_polygons(torch.rand(50, 1, 28, 28)) <= THRESHOLD).mean() == 0
    assert (distance_to_polygons(torch.zeros(5, 1, 28, 28)) == 1).all()  # nothing to fit


def test_inversion_recovers_z_of_a_known_generator():
    torch.manual_seed(0)
    generator = torch.nn.Linear(8, 784)  # full column rank: G(z) = A z + b has a unique inverse
    z_true = torch.rand(20, 8) * 1.6 - 0.8
    with torch.no_grad():
        targets = generator(z_true)
    z, rmse = invert(generator, targets, 8, starts=3, steps=400)
    assert torch.allclose(z, z_true, atol=1e-2)
    assert rmse.max() < 1e-3


class Memorizer(torch.nn.Module):
    """A generator that returns real triangles (precision 1) and cannot be inverted onto new ones."""

    def __init__(self, images):
        super().__init__()
        self.images = images

    def forward(self, z):
        idx = ((z[:, 0] + 1) / 2 * (len(self.images) - 1)).round().long().clamp(0, len(self.images) - 1)
        return self.images[idx] + 0 * z.sum(1).view(-1, 1, 1, 1)  # differentiable in z, flat: inversion finds nothing


@pytest.mark.slow
def test_polygon_precision_recall_of_generators():
    train = load_split("triangles", "train").tensor[:500].float() / 255
    r = dataset_metrics(Memorizer(train), 4, "triangles", n_fake=200)
    assert r["polygon_precision"] >= 0.98 and r["polygon_recall"] == 0 and r["polygon_f1"] == 0
    assert r["polygon_n_fake"] == 200 and r["polygon_threshold"] == THRESHOLD
    noise = torch.nn.Sequential(torch.nn.Linear(4, 784), torch.nn.Sigmoid(), torch.nn.Unflatten(1, (1, 28, 28)))
    assert dataset_metrics(noise, 4, "triangles", n_fake=100)["polygon_precision"] == 0


@pytest.mark.slow
def test_stacked_mnist_modes_by_classifier():
    real = load_split("stacked_mnist", "test").tensor
    r = stacked_mnist_modes(real)
    assert r["modes_total"] == 1000 and r["modes_covered"] >= 950 and r["mode_kl"] < 0.3
    one = stacked_mnist_modes(real[:1].expand(500, -1, -1, -1))
    assert one["modes_covered"] == 1 and one["mode_kl"] == pytest.approx(np.log(1000))
