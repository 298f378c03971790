"""PacGAN's players (protocol ``pacgan2018``, whose step, ``PacGANStep``, drives them; benchmark/protocols/pacgan2018.py
has the references): Blocks' Adam, a generator called once per pack copy (PacGAN.compute_losses, bricks.py:62-67), so
its batch norm sees batches of 100, Blocks' batch-norm population statistics, and the metrics on 2,500 fixed latents
with population statistics (GraphLogger and MetricLogger, extensions.py).
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from ..metrics.modes import epoch_scores
from ..nets.layers import BlocksBatchNorm
from ..protocols import pacgan2018
from .base import GANModule


class BlocksAdam(torch.optim.Optimizer):
    """Blocks' Adam (``pacgan2018.blocks_adam_``) as a torch optimiser, so Lightning saves and restores its state."""

    def __init__(self, params: Any, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> None:  # type: ignore[override]  # no closure: Blocks' Adam takes none
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    beta1, beta2 = group["betas"]
                    pacgan2018.blocks_adam_(p, p.grad, self.state[p], group["lr"], beta1, beta2, group["eps"])


class PacGANModule(GANModule):
    @property
    def batch_norms(self) -> list[BlocksBatchNorm]:
        return [m for m in self.generator.modules() if isinstance(m, BlocksBatchNorm)]

    OPTIMISER = BlocksAdam

    def fake_packs(self, batch: int) -> torch.Tensor:
        """m generator calls of ``batch`` latents each; pack i holds sample i of every call, m consecutive rows (the
        layout ``nets.Packed`` reads)."""
        calls = [self.generator(self.sample_z(batch)) for _ in range(self.pack)]
        return torch.stack(calls, dim=1).reshape(batch * self.pack, -1)

    def scores(self) -> dict[str, Any]:
        """PacGAN's metrics on the fixed latents, the generator with its population statistics."""
        assert self.data_info is not None, "set by train()"
        return epoch_scores(self.generator, self.config.z_dim, self.prior, self.device, self.data_info)
