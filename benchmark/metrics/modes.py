"""Mode collapse as PacGAN measures it (Lin et al. 2018, after VEEGAN, Srivastava et al. 2017), and a score for
2-D mixtures that a noise cloud cannot win.

2-D mixtures (ring8, grid25), on 2,500 generated samples (PacGAN's ``num_log_figure_sample``): each sample goes
to its nearest mode; it is *high quality* when it lies within 3 standard deviations of that mode (PacGAN
extensions.py MetricLogger, ``dis_thre=3``). A mode is *covered* when at least one high-quality sample falls on it
(``numpy.nonzero(detail_of_coverage)``). The *reverse KL* is KL(p || uniform) of the histogram p of high-quality
samples over modes (the generated distribution first, as PacGAN's stacked-MNIST code computes it); inf when no
sample is high quality.

The reverse KL sees only the high-quality samples: a noise cloud with a few lucky hits on every mode gets a
uniform histogram and a KL near 0, better than a clean collapse. The sweep objective for mixtures is therefore
``mixture_mismatch``: an exact optimal transport between 2,500 generated and 2,500 real samples (an optimal
one-to-one assignment) under the cost min(|x - y| / 3 std, 1), the Wasserstein-1 distance for that truncated
metric. It reads as the share of generated mass that cannot be moved onto the data within 3 standard deviations:
near 0 for a tight fit of every mode, about 1 - k/K for a tight collapse onto k of K modes, near 1 for noise, so
tight < collapse < noise. The plain W1 (``mixture_w1``, on the first 1,000 pairs) is reported too; it ranks a noise cloud near the ring
above a collapse onto two of its modes, which is why it is not the objective.

Stacked MNIST: every sample counts, its mode (one of 1,000 digit triples) read by the lenet-mnist classifier on each
channel; covered and KL by the same rules, over 26,000 samples as in PacGAN's code (``num_test_sample``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import math

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from .lenet import WEIGHTS, LeNet

if TYPE_CHECKING:  # annotations only
    from ..data import DatasetInfo

MIXTURE_SAMPLES = 2_500  # PacGAN: num_log_figure_sample
STACKED_MNIST_SAMPLES = 26_000  # PacGAN: num_test_sample
HIGH_QUALITY_STDS = 3.0
REAL_REFERENCE_SEED = 2018
PLAIN_W1_SAMPLES = 1_000  # mixture_w1 only; the objective (mixture_mismatch) uses all samples


def mode_histogram_metrics(counts: np.ndarray) -> dict[str, Any]:
    modes = len(counts)
    covered = int((counts > 0).sum())
    hq = counts.sum()
    if hq == 0:
        kl = math.inf
    else:
        p = counts / hq
        nz = p > 0
        kl = float((p[nz] * np.log(p[nz] * modes)).sum())
    return {"modes_covered": covered, "modes_total": modes, "mode_kl": kl}


def mixture_modes(samples: torch.Tensor, centres: np.ndarray, std: float) -> dict[str, Any]:
    x = samples.detach().double().cpu()
    c = torch.as_tensor(centres, dtype=torch.float64)
    dist, nearest = torch.cdist(x, c).min(dim=1)
    high_quality = dist < HIGH_QUALITY_STDS * std
    counts = np.bincount(nearest[high_quality].numpy(), minlength=len(c))
    return {**mode_histogram_metrics(counts), "high_quality_fraction": float(high_quality.double().mean())}


def wasserstein1(a: torch.Tensor, b: torch.Tensor, cap: float | None = None) -> float:
    """Exact W1 between two equal-size point sets: the mean cost of an optimal one-to-one assignment. ``cap``:
    under the truncated metric min(|x - y| / cap, 1) instead of |x - y|."""

    cost = cdist(a.detach().double().cpu().numpy(), b.detach().double().cpu().numpy())
    if cap is None:
        # Between equal uniform weights the optimal plan is a permutation (Birkhoff), so the network simplex's value
        # is the assignment's; it takes ~0.3 s where the assignment solver takes ~2 s on a collapsed generator.
        import ot  # here: POT imports scikit-learn, seconds a process that never scores a mixture need not pay

        weights = np.full(len(a), 1.0 / len(a))
        value, log = ot.emd2(weights, weights, cost, numItermax=10**8, log=True)
        if log["warning"] is None:
            return float(value)
        rows, cols = linear_sum_assignment(cost)  # the simplex stopped short: the assignment solver is exact too
        return float(cost[rows, cols].mean())
    # Truncated: every pair costs 1 except pairs closer than cap, so the optimum is n minus a maximum-weight matching
    # on those pairs (weight 1 - d / cap), and that matching is the sum of the maximum matchings of the connected
    # components of the graph of such pairs (a pair across two components gains nothing). Solving each component alone
    # is exact; it avoids the all-ties matrix of a poor generator, on which the assignment solver takes minutes, and
    # splits a good fit of a mixture into a block per mode (2,500 points on the ring: ~0.13 s against 0.44-0.7 s,
    # tests/perf/cpu_step_overheads.py).
    gain = np.maximum(1.0 - cost / cap, 0.0)  # np.clip takes ten times as long here
    return float(1.0 - max_matching_by_components(gain) / len(a))


def max_matching_by_components(gain: np.ndarray) -> float:
    """The weight of a maximum-weight matching of rows to columns (not every row need be matched) under the
    non-negative weights ``gain``, solved on each connected component of its positive entries."""
    from scipy.sparse import bmat, csr_matrix
    from scipy.sparse.csgraph import connected_components

    edges = csr_matrix(gain > 0)
    n_rows = gain.shape[0]
    _, label = connected_components(bmat([[None, edges], [edges.T, None]]), directed=False)
    row_label, col_label = label[:n_rows], label[n_rows:]
    total = 0.0
    for component in np.unique(row_label[edges.getnnz(axis=1) > 0]):
        block = gain[np.ix_(np.flatnonzero(row_label == component), np.flatnonzero(col_label == component))]
        r, c = linear_sum_assignment(block, maximize=True)
        total += block[r, c].sum()
    return float(total)


def mixture_reference(centres: np.ndarray, std: float, n: int = MIXTURE_SAMPLES) -> torch.Tensor:
    """n real samples of the mixture, the same for every trial (a fixed seed, modes drawn uniformly)."""
    g = torch.Generator().manual_seed(REAL_REFERENCE_SEED)
    labels = torch.randint(len(centres), (n,), generator=g)
    return torch.as_tensor(centres, dtype=torch.float64)[labels] + std * torch.randn(n, centres.shape[1], generator=g, dtype=torch.float64)


def mixture_metrics(samples: torch.Tensor, info: DatasetInfo) -> dict[str, Any]:
    """Modes, high quality, reverse KL and the W1 objective of generated samples of a 2-D mixture data set."""
    assert info.mode_centres is not None, f"{info.name} has no modes to count"
    finite = torch.isfinite(samples).all(dim=1)
    if not bool(finite.all()):
        return {"modes_covered": 0, "modes_total": len(info.mode_centres), "mode_kl": math.inf,
                "high_quality_fraction": 0.0, "mixture_w1": math.inf, "mixture_mismatch": 1.0}
    reference = mixture_reference(info.mode_centres, info.mode_std, len(samples))
    n = PLAIN_W1_SAMPLES  # the plain W1 on the first 1,000 pairs: the exact assignment of all 2,500 takes ~10 s for a collapsed generator
    return {**mixture_modes(samples, info.mode_centres, info.mode_std), "mixture_w1": wasserstein1(samples[:n], reference[:n]),
            "mixture_mismatch": wasserstein1(samples, reference, cap=HIGH_QUALITY_STDS * info.mode_std)}


def stacked_mnist_modes(images: torch.Tensor, batch: int = 1000) -> dict[str, Any]:
    """Stacked MNIST: each of the 3 channels read by the lenet-mnist classifier; the mode is the digit triple."""

    net = LeNet()
    net.load_state_dict({k: v.float() for k, v in torch.load(WEIGHTS, map_location="cpu", weights_only=True).items()})
    net.eval()
    x = images.float().div(255) if images.dtype == torch.uint8 else images.float().clamp(0, 1)
    with torch.no_grad():
        digits = torch.cat([net(b.reshape(-1, 1, 28, 28).cpu())[1].argmax(1).view(-1, 3) for b in x.split(batch)])
    modes = digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]
    return mode_histogram_metrics(np.bincount(modes.numpy(), minlength=1000))


EPOCH_METRICS = ("modes_covered", "high_quality_fraction", "mode_kl")  # PacGAN's MetricLogger, logged after each epoch


def epoch_scores(generator: torch.nn.Module, z_dim: int, prior: str, device: str | torch.device, info: DatasetInfo) -> dict[str, Any]:
    """PacGAN's metrics of a generator on the fixed latents (eval mode: population statistics). Not the two W1s:
    their assignments cost more than an epoch of a small net, and only the run's end reports them."""
    from .latents import fixed_samples

    assert info.mode_centres is not None, f"{info.name} has no modes to count"
    m = mixture_modes(fixed_samples(generator, z_dim, MIXTURE_SAMPLES, prior, device), info.mode_centres, info.mode_std)
    return {k: m[k] for k in EPOCH_METRICS}
