"""The LightningModule that trains every classifier and critic variant: manual optimisation, loss and penalty taken
by name from the variant registry. Variants whose players' updates differ subclass it (see the package's modules).

A module provides the players: the nets, their optimisers, each player's update and loss, and the variant's own step
as its paper gives it (``variant_step``). What one training step is, the protocol's ``Step`` says
(benchmark/protocols): ganbench's runs the variant's own; the study's and PacGAN's are their code's."""
from __future__ import annotations

import copy
import functools
import math
from typing import Any, Callable, Iterator

import pytorch_lightning as pl
import torch

from .. import losses
from ..config import RunConfig
from ..data import DatasetInfo, Split, as_float
from ..nets import build_discriminator, build_generator
from ..penalties import PENALTIES, STUDY_PENALTIES, clip_weights, zero_centred_penalty
from ..protocols import get_protocol
from ..variants import get_variant

SHOW_EVERY = 10  # the progress display's losses: Lightning's log() costs about as much as a small net's step


def loss_for(config: RunConfig) -> Any:
    """The variant's (d_real, d_fake) -> (d_loss, g_loss) under the run's protocol and options."""
    variant = get_variant(config.variant)
    if variant.divergence:
        return losses.f_gan(variant.divergence, config.fgan_generator_loss or "paper")
    protocol = get_protocol(config.protocol)
    if variant.name in protocol.loss_overrides:
        return protocol.loss_overrides[variant.name]
    if variant.loss is None:
        return functools.partial(_own_loss, variant.name)
    if variant.loss_params:
        return functools.partial(variant.loss, **{k: config.params[k] for k in variant.loss_params})
    return variant.loss


def _own_loss(variant: str, *args: Any) -> None:
    raise TypeError(f"{variant}'s module computes its own losses; nothing asks for its (d_real, d_fake) loss")


class Diverged(RuntimeError):
    """A loss became NaN or infinite."""


class RealBatches:
    """Real training batches (pairs of inputs and targets for a paired data set), shuffled without replacement, epoch after epoch, from a seeded generator.
    In-memory data sits on the training device; a streamed data set (CelebA) goes through a DataLoader over the
    same seeded order. Either way the state is (generator, this epoch's order, position), so a resumed run reads the
    batches an uninterrupted one would."""

    def __init__(self, split: Split, batch_size: int, seed: int, num_workers: int = 0) -> None:
        self.split, self.batch_size = split, batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order: torch.Tensor | None = None
        self.pos = 0
        self.num_workers = num_workers
        self._stream: Iterator[Any] | None = None

    def to(self, device: torch.device | str) -> "RealBatches":
        if self.split.tensor is not None:
            self.split.tensor = self.split.tensor.to(device)
        if self.split.inputs is not None:
            self.split.inputs = self.split.inputs.to(device)
        return self

    def _new_epoch_if_due(self, n: int, device: torch.device | str) -> torch.Tensor:
        if self.order is None or self.pos + self.batch_size > n:  # drop_last: a short final batch is skipped
            self.order, self.pos, self._stream = torch.randperm(n, generator=self.generator).to(device), 0, None
        return self.order

    def next(self, device: torch.device | str) -> torch.Tensor:
        """The next batch of samples."""
        batch = self._take(device)
        assert isinstance(batch, torch.Tensor), "a paired data set's batches are pairs: next_pair()"
        return batch

    def next_pair(self, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch of a paired data set: (inputs, targets)."""
        batch = self._take(device)
        assert isinstance(batch, tuple), "not a paired data set: next()"
        return batch

    def _take(self, device: torch.device | str) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        split = self.split
        if split.tensor is None:
            assert split.dataset is not None
            n = len(split)
            order = self._new_epoch_if_due(n, "cpu")
            if self._stream is None:  # this epoch's remaining batches, from the position reached
                batches = [order[i : i + self.batch_size].tolist() for i in range(self.pos, n - self.batch_size + 1, self.batch_size)]
                self._stream = iter(torch.utils.data.DataLoader(split.dataset, batch_sampler=batches, num_workers=self.num_workers))
            self.pos += self.batch_size
            batch = next(self._stream)
            if isinstance(batch, (list, tuple)):  # a paired data set: (inputs, targets)
                inputs, targets = batch
                return inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)
            return batch.to(device, non_blocking=True)
        order = self._new_epoch_if_due(len(split.tensor), split.tensor.device)
        idx = order[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        if split.inputs is not None:  # a paired data set: (inputs, targets)
            return as_float(split.inputs[idx]), as_float(split.tensor[idx])
        return as_float(split.tensor[idx])

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "order": None if self.order is None else self.order.cpu(), "pos": self.pos}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.pos, self._stream = state["pos"], None
        self.order = None if state["order"] is None else state["order"].to(self.split.tensor.device if self.split.tensor is not None else "cpu")


class GANModule(pl.LightningModule):
    generator: torch.nn.Module
    discriminator: torch.nn.Module  # None for a variant without one (GMMN, pix2pix by L1 alone), whose steps never ask
    generator_ema: torch.nn.Module | None
    _last_g_loss: torch.Tensor | None
    real: RealBatches  # the real batches, set by whoever trains or steps the module (train(), speed.py)
    data_info: DatasetInfo | None = None  # the data set trained on, where a step scores it itself (PacGAN's epochs); set by train()
    OPTIMISER: Callable[..., torch.optim.Optimizer] = torch.optim.Adam  # every player's, on the run's lr and betas (PacGAN's protocol: Blocks' Adam)

    def __init__(self, config: RunConfig, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.save_hyperparameters({"config": config.to_dict(), "shape": list(shape)})  # plain values: a checkpoint stays loadable without ganbench's classes
        self.automatic_optimization = False
        self.config, self.shape = config, tuple(shape)
        self.protocol = get_protocol(config.protocol)
        self.variant = get_variant(config.variant)
        self.pack = config.pack  # PacGAN: D judges packs of this many samples; batches hold batch_size packs
        self.loss = loss_for(config)
        self.penalty = (STUDY_PENALTIES if self.protocol.study_penalties else PENALTIES)[self.variant.penalty]
        self.generator = self.build_generator()
        self.discriminator = self.build_discriminator()
        # the generator whose weights are scored, sampled and kept: an exponential moving average of the trained one
        # (StyleGAN2-ADA's training_loop.py), or the trained one itself
        self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False) if config.ema_nimg else None
        self.gamma_scale = 1.0  # R3GAN's cosine schedule of the R1/R2 weights (1 without one)
        # training steps done as the protocol counts them (Lightning's global_step counts optimizer steps), and
        # the updates of each player
        self.steps_done, self.d_updates, self.g_updates = 0, 0, 0
        self._last_g_loss = None
        self.last_losses: dict[str, Any] = {}  # the latest step's losses: the run's final ones, read by train()
        self.log_every = 0  # curves: losses to the trainer's loggers every this many steps (0: none), set by train()
        self.show_losses = True  # the progress display's losses; train() turns them off when nothing is displayed
        # (Lightning's log_dict is ~5-15% of a small net's CPU run: tests/perf/cpu_step_overheads.py)

    def build_generator(self) -> torch.nn.Module:
        return build_generator(self.config.arch, self.shape, self.config.z_dim, self.protocol.style,
                               generators=self.config.generators)

    def build_discriminator(self) -> torch.nn.Module:
        outputs = self.config.params.get("features", 1)  # McGan's and Cramér GAN's critics output features, others a number
        return build_discriminator(self.config.arch, self.shape, outputs, self.config.d_batch_norm, self.protocol.style,
                                   pack=self.pack, spectral_norm=self.config.spectral_norm)

    @property
    def prior(self) -> str:
        return self.config.prior  # the study's: z ~ U(-1, 1)^z_dim (uniform); PacGAN's: N(0, I) (normal)

    def sample_z(self, n: int) -> torch.Tensor:
        if self.prior == "normal":
            return torch.randn(n, self.config.z_dim, device=self.device)
        return torch.rand(n, self.config.z_dim, device=self.device) * 2 - 1

    @property
    def scored_generator(self) -> Any:
        """The generator that metrics, samples and exports use: the EMA one where the run keeps one."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        generator = self.scored_generator
        was_training = generator.training
        generator.eval()
        x = generator(self.sample_z(n))
        generator.train(was_training)
        return x

    # --- schedules of the optimiser and the averaged generator -------------------------------------------------

    def apply_schedule(self) -> None:
        """R3GAN's cosine schedule (training_loop.py cosine_decay_with_warmup, no warm-up), over the run's steps in
        place of its 20M images: lr from its value to a quarter (2e-4 to 5e-5), the R1/R2 weights to a tenth, beta2
        to 0.99 (from 0.9 in its presets)."""
        if not self.config.cosine_decay:
            return
        done = 1 - 0.5 * (1 + math.cos(math.pi * min(self.steps_done / self.config.steps, 1.0)))
        self.gamma_scale = 1 + done * (0.1 - 1)
        for opt in self.optimizers():
            for group in opt.param_groups:
                group["lr"] = self.config.lr * (1 + done * (0.25 - 1))
                group["betas"] = (group["betas"][0], self.config.beta2 + done * (0.99 - self.config.beta2))

    @torch.no_grad()
    def update_ema(self) -> None:
        """StyleGAN2-ADA's update (training_loop.py): half-life ema_nimg images, at most ema_rampup times the images
        seen before this update; beta = 0.5 ** (batch / half-life); buffers copied."""
        assert self.generator_ema is not None
        batch = self.config.batch_size * self.pack
        half_life = self.config.ema_nimg
        if self.config.ema_rampup:
            half_life = min(half_life, (self.g_updates - 1) * batch * self.config.ema_rampup)
        beta = 0.5 ** (batch / max(half_life, 1e-8))
        for p_ema, p in zip(self.generator_ema.parameters(), self.generator.parameters()):
            p_ema.copy_(p.lerp(p_ema, beta))
        for b_ema, b in zip(self.generator_ema.buffers(), self.generator.buffers()):
            b_ema.copy_(b)

    def optimiser(self, params: Any) -> Any:
        return self.OPTIMISER(params, lr=self.config.lr, betas=(self.config.beta1, self.config.beta2))

    def configure_optimizers(self) -> Any:
        return self.optimiser(self.generator.parameters()), self.optimiser(self.discriminator.parameters())

    def outside_trainer(self) -> "GANModule":
        """Steps without a Lightning Trainer (``speed.py``'s timing, tests that drive one step): the players'
        optimisers made here and a plain backward. Lightning's ``optimizers()`` and ``manual_backward`` need a
        trainer; these two overrides below are the only place ganbench steps around it."""
        self._own_optimisers = self.configure_optimizers()
        return self

    _own_optimisers = None

    def optimizers(self, use_pl_optimizer: bool = True) -> Any:
        return self._own_optimisers if self._own_optimisers is not None else super().optimizers(use_pl_optimizer)

    def manual_backward(self, loss: torch.Tensor, *args: Any, **kwargs: Any) -> None:
        if self._own_optimisers is not None:
            loss.backward(*args, **kwargs)
        else:
            super().manual_backward(loss, *args, **kwargs)

    def on_fit_start(self) -> None:
        self.real.to(self.device)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["real_batches"] = self.real.state_dict()
        checkpoint["torch_rng"] = torch.get_rng_state()
        if torch.cuda.is_available():  # latents and penalty interpolation come from the CUDA generator on a GPU
            checkpoint["cuda_rng"] = torch.cuda.get_rng_state_all()
        checkpoint["counts"] = {"steps": self.steps_done, "d_updates": self.d_updates, "g_updates": self.g_updates}
        checkpoint["last_g_loss"] = self._last_g_loss

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._resume_state = checkpoint

    @staticmethod
    def check_resume_state(checkpoint: dict[str, Any]) -> None:
        """What on_train_start reads back of what on_save_checkpoint wrote, checked before training resumes from it:
        ValueError naming the first entry missing or of another kind."""
        batches, counts = checkpoint.get("real_batches"), checkpoint.get("counts")
        if not (isinstance(batches, dict) and isinstance(batches.get("generator"), torch.Tensor) and isinstance(batches.get("pos"), int)
                and (batches.get("order") is None or isinstance(batches["order"], torch.Tensor))):
            raise ValueError("real_batches: missing, or not the data order on_save_checkpoint writes")
        if not isinstance(checkpoint.get("torch_rng"), torch.Tensor):
            raise ValueError("torch_rng: missing, or not a random generator's state")
        if not (isinstance(counts, dict) and all(type(counts.get(k)) is int and counts[k] >= 0 for k in ("steps", "d_updates", "g_updates"))):
            raise ValueError("counts: missing, or not the step and update counts on_save_checkpoint writes")

    def on_train_start(self) -> None:
        state = getattr(self, "_resume_state", None)
        if state is not None and "real_batches" in state:
            self.real.load_state_dict(state["real_batches"])
            torch.set_rng_state(state["torch_rng"])
            if "cuda_rng" in state and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state["cuda_rng"])
            counts = state["counts"]
            self.steps_done, self.d_updates, self.g_updates = counts["steps"], counts["d_updates"], counts["g_updates"]
            self._last_g_loss = state.get("last_g_loss")
        self.protocol.step.start(self)  # after the state is read back: the step sees where training resumes

    def training_step(self, batch: Any, batch_idx: int) -> None:
        self.apply_schedule()
        logs = self.protocol.step.run(self)  # what a step is, the protocol says (protocols/base.py, Step)
        self.steps_done += 1
        self._finish_step(logs)
        self.protocol.step.after(self)

    def _finish_step(self, logs: dict[str, Any]) -> None:
        """Refuse a non-finite loss; move the averaged generator; show the losses every SHOW_EVERY steps, and log
        them every log_every steps."""
        values = torch.stack([v for v in logs.values() if v is not None]).detach()
        if not torch.isfinite(values).all():
            raise Diverged(f"non-finite loss at step {self.steps_done}: " + ", ".join(f"{k}={v.item():.4g}" for k, v in logs.items() if v is not None))
        if self.generator_ema is not None:
            self.update_ema()
        self.last_losses = {k: v.detach() for k, v in logs.items() if v is not None}
        if self.show_losses and (self.steps_done % SHOW_EVERY == 0 or self.steps_done == 1):
            self.log_dict(self.last_losses, prog_bar=True, on_step=True, on_epoch=False, logger=False)
        if self.log_every and (self.steps_done % self.log_every == 0 or self.steps_done == 1):
            row = {k: float(v) for k, v in self.last_losses.items()}
            for logger in self.loggers:  # keyed by the protocol's step, not Lightning's optimizer steps
                logger.log_metrics(row, step=self.steps_done)

    # --- the players' updates ---------------------------------------------------------------------------------

    def _optimiser_step(self, opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()

    def update_discriminator(self, opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        """One optimiser step of the discriminator on its loss (every module's, so the update counts agree)."""
        self._optimiser_step(opt, loss)
        self.d_updates += 1

    def update_generator(self, opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
        self._optimiser_step(opt, loss)
        self.g_updates += 1

    def discriminator_update(self, opt_d: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            fake = self.generator(z)
        r1, r2 = self.config.r1_gamma * self.gamma_scale, self.config.r2_gamma * self.gamma_scale
        if r1:  # the penalties differentiate the loss's own forward pass (R3GAN's Trainer.py)
            real = real.detach().requires_grad_(True)
        if r2:
            fake = fake.requires_grad_(True)
        d_real, d_fake = self.discriminator(real), self.discriminator(fake)
        d_loss, _ = self.loss(d_real, d_fake)
        if self.penalty is not None:
            d_loss = d_loss + self.config.penalty_weight * self.penalty(self.discriminator, real, fake)
        if r1:
            d_loss = d_loss + r1 / 2 * zero_centred_penalty(d_real, real)
        if r2:
            d_loss = d_loss + r2 / 2 * zero_centred_penalty(d_fake, fake)
        self.update_discriminator(opt_d, d_loss)
        if self.variant.clip:
            clip_weights(self.discriminator, self.config.clip)
        return d_loss, d_real.detach()

    def generator_update(self, opt_g: torch.optim.Optimizer, d_real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        _, g_loss = self.loss(d_real, self.discriminator(self.generator(z)))
        self.update_generator(opt_g, g_loss)
        return g_loss

    # --- the variant's own step (ganbench's protocol): n_disc discriminator updates, then one generator update --

    def variant_step(self) -> dict[str, Any]:
        opt_g, opt_d = self.optimizers()
        n_d = self.config.n_disc - (1 if self.variant.single_step else 0)
        d_loss = None
        for _ in range(n_d):
            real = self.real.next(self.device)
            d_loss, d_real = self.discriminator_update(opt_d, real, self.sample_z(real.shape[0]))
        if self.variant.single_step:
            return self.single_step(opt_g, opt_d)
        if self.variant.generator_sees_real:  # the updated discriminator on a real batch of its own (losses.relativistic)
            with torch.no_grad():
                d_real = self.discriminator(self.real.next(self.device))
        g_loss = self.generator_update(opt_g, d_real, self.sample_z(self.config.batch_size * self.pack))
        return {"d_loss": d_loss, "g_loss": g_loss}

    def single_step(self, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer) -> dict[str, Any]:
        """f-GAN's Algorithm 1: both players' gradients at the same point, from one forward pass."""
        real = self.real.next(self.device)
        fake = self.generator(self.sample_z(real.shape[0]))
        d_loss, g_loss = self.loss(self.discriminator(real), self.discriminator(fake))
        self.simultaneous_update(opt_d, opt_g, d_loss, g_loss)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def simultaneous_update(self, opt_d: torch.optim.Optimizer, opt_g: torch.optim.Optimizer, d_loss: torch.Tensor, g_loss: torch.Tensor) -> None:
        """Both players' gradients at the same parameters, from one forward pass, then both applied (f-GAN's
        Algorithm 1, ALI's ali_algorithm)."""
        d_params, g_params = list(self.discriminator.parameters()), list(self.generator.parameters())
        d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
        g_grads = torch.autograd.grad(g_loss, g_params)
        for p, g in zip(d_params + g_params, d_grads + g_grads):
            p.grad = g
        opt_d.step()
        opt_g.step()
        self.d_updates, self.g_updates = self.d_updates + 1, self.g_updates + 1
