"""Layer conventions of a protocol: how weights are initialised and what batch norm computes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


class TFBatchNorm(nn.Module):
    running_mean: torch.Tensor  # buffers
    running_var: torch.Tensor
    """tf.contrib.layers.batch_norm as the study called it (compare_gan ops.py:59-68: decay 0.999, epsilon 1e-3,
    scale=True, fused=False): moving averages of the *biased* batch variance with weight 0.001 per call.
    PyTorch's BatchNorm keeps the unbiased variance with momentum 0.1 and eps 1e-5, which gives other
    eval-mode statistics, and so other samples at evaluation."""

    def __init__(self, n: int, decay: float = 0.999, eps: float = 1e-3) -> None:
        super().__init__()
        self.decay, self.eps = decay, eps
        self.weight, self.bias = nn.Parameter(torch.ones(n)), nn.Parameter(torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        axes = [0] if x.dim() == 2 else [0, 2, 3]
        if self.training:
            mean, var = x.mean(axes), x.var(axes, unbiased=False)
            with torch.no_grad():
                self.running_mean.lerp_(mean, 1 - self.decay)
                self.running_var.lerp_(var, 1 - self.decay)
        else:
            mean, var = self.running_mean, self.running_var
        shape = (1, -1) + (1,) * (x.dim() - 2)
        scale = self.weight / torch.sqrt(var + self.eps)
        return (x - mean.view(shape)) * scale.view(shape) + self.bias.view(shape)


class BlocksBatchNorm(nn.Module):
    population_mean: torch.Tensor  # buffers
    population_stdev: torch.Tensor
    """blocks.bricks.bn.BatchNormalization as PacGAN's generator uses it (pacgan_task.py:45-57, 124-149). Training:
    the batch's mean and stdev = sqrt(biased variance + 1e-4); each call's statistics are kept in ``calls`` for the
    training step, which moves the *population* mean and stdev towards their mean over the step's calls (PacGAN's
    ``bn_updates``, ``update_population``). Evaluation: the population statistics. Scale 1 and shift 0 at start."""

    def __init__(self, n: int, eps: float = 1e-4) -> None:
        super().__init__()
        self.eps = eps
        self.weight, self.bias = nn.Parameter(torch.ones(n)), nn.Parameter(torch.zeros(n))
        self.register_buffer("population_mean", torch.zeros(n))
        self.register_buffer("population_stdev", torch.ones(n))
        self.calls: list[tuple[torch.Tensor, torch.Tensor]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = x.mean(0)
            stdev = torch.sqrt(x.sub(mean).square().mean(0) + self.eps)
            self.calls.append((mean.detach(), stdev.detach()))
        else:
            mean, stdev = self.population_mean, self.population_stdev
        return (x - mean) / stdev * self.weight + self.bias

    @torch.no_grad()
    def update_population(self, rate: float) -> None:
        """population <- rate * (mean of the calls' statistics) + (1 - rate) * population; forgets the calls."""
        if self.calls:
            means, stdevs = zip(*self.calls)
            self.population_mean.lerp_(torch.stack(means).mean(0), rate)
            self.population_stdev.lerp_(torch.stack(stdevs).mean(0), rate)
        self.calls = []


def torch_batch_norm(n: int, dims: int) -> nn.Module:
    return nn.BatchNorm1d(n) if dims == 1 else nn.BatchNorm2d(n)


def tf_batch_norm(n: int, dims: int) -> nn.Module:
    return TFBatchNorm(n)


def init_normal(module: nn.Module) -> None:
    """N(0, 0.02) weights as in DCGAN and compare_gan, zero biases; batch-norm scales N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def init_tf_study(module: nn.Module) -> None:
    """compare_gan ops.py: conv2d truncated_normal(0.02) (TF truncates at 2 std), linear and deconv2d
    random_normal(0.02), zero biases; batch-norm scale 1, offset 0 (TF's initialisers)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.trunc_normal_(m.weight, 0.0, 0.02, -0.04, 0.04)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (TFBatchNorm, nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def blocks_batch_norm(n: int, dims: int) -> nn.Module:
    return BlocksBatchNorm(n)


def init_blocks(module: nn.Module) -> None:
    """PacGAN's bricks: IsotropicGaussian(0.02) weights, Constant(0) biases (pacgan_task.py:61-92); batch-norm scale
    1 and shift 0 (Blocks' defaults, kept by BlocksBatchNorm)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


@dataclass(frozen=True)
class Style:
    """A protocol's layer conventions: ``batch_norm(n, dims)`` and an initialiser of a whole net."""
    batch_norm: Callable[[int, int], nn.Module]
    init: Callable[[nn.Module], None]


STYLES = {"ganbench": Style(torch_batch_norm, init_normal), "lucic2018": Style(tf_batch_norm, init_tf_study),
          "pacgan2018": Style(blocks_batch_norm, init_blocks)}


def maybe(on: bool, layer: Callable[[], nn.Module]) -> nn.Module:
    return layer() if on else nn.Identity()
