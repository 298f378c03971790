"""PacGAN's training step (protocol ``pacgan2018``; benchmark/protocols/pacgan2018.py has the references).

One step is ALI's ``ali_algorithm`` (ali/algorithms.py): the discriminator's and the generator's gradients from
**one** forward pass on one batch, applied at once by Blocks' Adam. The generator is called once per pack copy
(PacGAN.compute_losses, bricks.py:62-67), so its batch norm sees batches of 100; the population statistics move at
rate 0.05 towards the mean of the m calls' statistics (pacgan_task.py:127-149). After each epoch the training
monitor runs its 50 batches, which move the population statistics again (pacgan_task.py:178-180, DataStreamMonitoring
with ``updates=bn_updates``), then the metrics are computed on 2,500 fixed latents with population statistics
(GraphLogger and MetricLogger, extensions.py) and logged into the run's curves.
"""
from __future__ import annotations

import torch

from ..metrics.modes import epoch_scores
from ..nets.layers import BlocksBatchNorm
from ..protocols import pacgan2018
from ..config import RunConfig
from .base import GANModule


class BlocksAdam(torch.optim.Optimizer):
    """Blocks' Adam (``pacgan2018.blocks_adam_``) as a torch optimiser, so Lightning saves and restores its state."""

    def __init__(self, params, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    pacgan2018.blocks_adam_(p, p.grad, self.state[p], group["lr"], *group["betas"], group["eps"])


class PacGANModule(GANModule):
    def __init__(self, config: RunConfig, shape: tuple):
        super().__init__(config, shape)
        self.mixture = None  # the data set's DatasetInfo, for the per-epoch metrics; set by train()

    @property
    def batch_norms(self) -> list[BlocksBatchNorm]:
        return [m for m in self.generator.modules() if isinstance(m, BlocksBatchNorm)]

    OPTIMISER = BlocksAdam

    def fake_packs(self, batch: int) -> torch.Tensor:
        """m generator calls of ``batch`` latents each; pack i holds sample i of every call, m consecutive rows (the
        layout ``nets.Packed`` reads)."""
        calls = [self.generator(self.sample_z(batch)) for _ in range(self.pack)]
        return torch.stack(calls, dim=1).reshape(batch * self.pack, -1)

    def on_train_start(self) -> None:
        super().on_train_start()
        if self.steps_done == 0:  # DataStreamMonitoring runs before the first epoch too (Blocks' default)
            self.monitor_batch_norm()

    def training_step(self, batch, batch_idx):
        logs = self.paper_step()
        self.steps_done += 1
        self._finish_step(logs)
        if self.steps_done % pacgan2018.epoch_steps(self.config.batch_size) == 0:
            self.end_of_epoch()

    def paper_step(self) -> dict:
        opt_g, opt_d = self.optimizers()
        real = self.real.next(self.device)  # (batch, m, D): batch packed examples
        batch = real.shape[0]
        fake = self.fake_packs(batch)
        preds = self.discriminator(torch.cat([real.reshape(batch * self.pack, -1), fake]))  # one pass, as get_predictions
        d_loss, g_loss = self.loss(preds[:batch], preds[batch:])  # the protocol's: bricks.py:69-72
        self.simultaneous_update(opt_d, opt_g, d_loss, g_loss)
        for bn in self.batch_norms:
            bn.update_population(pacgan2018.BN_RATE)
        return {"d_loss": d_loss, "g_loss": g_loss}

    @torch.no_grad()
    def monitor_batch_norm(self) -> None:
        """The training monitor's pass: MONITOR_EXAMPLES / batch batches of m generator calls, each moving the
        population statistics as a training step does, with no parameter changed."""
        batch = self.config.batch_size
        for _ in range(pacgan2018.MONITOR_EXAMPLES // batch):
            self.fake_packs(batch)
            for bn in self.batch_norms:
                bn.update_population(pacgan2018.BN_RATE)

    def end_of_epoch(self) -> None:
        self.monitor_batch_norm()
        if self.mixture is None:
            return
        row = {"epoch": self.steps_done // pacgan2018.epoch_steps(self.config.batch_size), **self.scores()}
        for logger in self.loggers:
            logger.log_metrics(row, step=self.steps_done)

    def scores(self) -> dict:
        """PacGAN's metrics on the fixed latents, the generator with its population statistics."""
        return epoch_scores(self.generator, self.config.z_dim, self.prior, self.device, self.mixture)
