"""One LightningModule trains every variant: manual optimisation, n_disc critic steps per generator step,
loss and penalty taken by name from the variant registry. BEGAN and VAE change the step, so they subclass it."""
from __future__ import annotations

import itertools

import pytorch_lightning as pl
import torch

from . import losses
from .data import Split, as_float
from .nets import AutoencoderDiscriminator, build_discriminator, build_generator
from .penalties import PENALTIES, clip_weights
from .variants import VARIANTS


class Diverged(RuntimeError):
    """A loss became NaN or infinite."""


class RealBatches:
    """Real training batches, shuffled without replacement, epoch after epoch, from a seeded generator.
    In-memory data sits on the training device; a streamed data set goes through a DataLoader."""

    def __init__(self, split: Split, batch_size: int, seed: int, num_workers: int = 0):
        self.split, self.batch_size = split, batch_size
        self.generator = torch.Generator().manual_seed(seed)
        self.order, self.pos = None, 0
        self.num_workers, self._stream = num_workers, None

    def to(self, device: torch.device) -> "RealBatches":
        if self.split.tensor is not None:
            self.split.tensor = self.split.tensor.to(device)
        return self

    def next(self, device: torch.device) -> torch.Tensor:
        if self.split.tensor is None:
            if self._stream is None:
                loader = torch.utils.data.DataLoader(self.split.dataset, self.batch_size, shuffle=True, drop_last=True,
                                                     num_workers=self.num_workers, generator=self.generator,
                                                     persistent_workers=self.num_workers > 0)
                self._stream = itertools.chain.from_iterable(itertools.repeat(loader))
            return next(self._stream).to(device, non_blocking=True)
        n = len(self.split.tensor)
        if self.order is None or self.pos + self.batch_size > n:
            self.order, self.pos = torch.randperm(n, generator=self.generator).to(self.split.tensor.device), 0
        idx = self.order[self.pos : self.pos + self.batch_size]
        self.pos += self.batch_size
        return as_float(self.split.tensor[idx])

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": None if self.order is None else self.order.cpu(), "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.pos = state["pos"]
        self.order = None if state["order"] is None else state["order"].to(self.split.tensor.device if self.split.tensor is not None else "cpu")


class GANModule(pl.LightningModule):
    def __init__(self, config: dict, shape: tuple):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.config, self.shape = config, tuple(shape)
        self.variant = VARIANTS[config["variant"]]
        self.generator = build_generator(config["arch"], shape, config["z_dim"])
        self.discriminator = self.build_discriminator()
        self.real: RealBatches | None = None  # set by the trainer's caller
        self.generator_steps = 0  # training iterations done (Lightning's global_step counts optimizer steps)

    def build_discriminator(self):
        return build_discriminator(self.config["arch"], self.shape, 1, self.config["d_batch_norm"])

    prior = "uniform"  # the study's prior: z ~ U(-1, 1)^z_dim

    def sample_z(self, n: int) -> torch.Tensor:
        return torch.rand(n, self.config["z_dim"], device=self.device) * 2 - 1

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        was_training = self.generator.training
        self.generator.eval()
        x = self.generator(self.sample_z(n))
        self.generator.train(was_training)
        return x

    def configure_optimizers(self):
        c = self.config
        adam = lambda params: torch.optim.Adam(params, lr=c["lr"], betas=(c["beta1"], c["beta2"]))  # noqa: E731
        return adam(self.generator.parameters()), adam(self.discriminator.parameters())

    def on_fit_start(self) -> None:
        self.real.to(self.device)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["real_batches"] = self.real.state_dict()
        checkpoint["torch_rng"] = torch.get_rng_state()
        checkpoint["generator_steps"] = self.generator_steps

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self._resume_state = checkpoint

    def on_train_start(self) -> None:
        state = getattr(self, "_resume_state", None)
        if state is not None and "real_batches" in state:
            self.real.load_state_dict(state["real_batches"])
            torch.set_rng_state(state["torch_rng"])
            self.generator_steps = state["generator_steps"]

    def training_step(self, batch, batch_idx):
        logs = self.gan_step()
        self.generator_steps += 1
        values = torch.stack(list(logs.values())).detach()
        if not torch.isfinite(values).all():
            raise Diverged(f"non-finite loss at step {self.global_step}: " + ", ".join(f"{k}={v.item():.4g}" for k, v in logs.items()))
        self.log_dict({k: v.detach() for k, v in logs.items()}, prog_bar=True, on_step=True, on_epoch=False)

    # --- one generator update with n_disc discriminator updates before it ---------------------------------

    def discriminator_step(self, opt_d) -> tuple[torch.Tensor, torch.Tensor]:
        real = self.real.next(self.device)
        with torch.no_grad():
            fake = self.generator(self.sample_z(real.shape[0]))
        d_real, d_fake = self.discriminator(real), self.discriminator(fake)
        d_loss, _ = self.variant.loss(d_real, d_fake)
        penalty = PENALTIES[self.variant.penalty]
        if penalty is not None:
            d_loss = d_loss + self.config["penalty_weight"] * penalty(self.discriminator, real, fake)
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        opt_d.step()
        if self.variant.clip:
            clip_weights(self.discriminator, self.config["clip"])
        return d_loss, d_real.detach()

    def gan_step(self) -> dict:
        opt_g, opt_d = self.optimizers()
        n_d = self.config["n_disc"] - (1 if self.variant.single_step else 0)
        d_loss = None
        for _ in range(n_d):
            d_loss, d_real = self.discriminator_step(opt_d)
        if self.variant.single_step:
            return self.single_step(opt_g, opt_d)
        fake = self.generator(self.sample_z(self.config["batch_size"]))
        _, g_loss = self.variant.loss(d_real, self.discriminator(fake))
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()
        return {"d_loss": d_loss, "g_loss": g_loss}

    def single_step(self, opt_g, opt_d) -> dict:
        """f-GAN's Algorithm 1: both players' gradients at the same point, from one forward pass."""
        real = self.real.next(self.device)
        fake = self.generator(self.sample_z(real.shape[0]))
        d_loss, g_loss = self.variant.loss(self.discriminator(real), self.discriminator(fake))
        d_params, g_params = list(self.discriminator.parameters()), list(self.generator.parameters())
        d_grads = torch.autograd.grad(d_loss, d_params, retain_graph=True)
        g_grads = torch.autograd.grad(g_loss, g_params)
        for p, g in zip(d_params + g_params, d_grads + g_grads):
            p.grad = g
        opt_d.step()
        opt_g.step()
        return {"d_loss": d_loss, "g_loss": g_loss}


class BEGANModule(GANModule):
    def __init__(self, config: dict, shape: tuple):
        super().__init__(config, shape)
        self.register_buffer("k", torch.zeros(()))

    def build_discriminator(self):
        return AutoencoderDiscriminator(self.config["arch"], self.shape, batch_norm=self.config["d_batch_norm"])

    def gan_step(self) -> dict:
        opt_g, opt_d = self.optimizers()
        c = self.config
        for _ in range(c["n_disc"]):
            real = self.real.next(self.device)
            fake = self.generator(self.sample_z(real.shape[0]))
            recon_real, recon_fake = self.discriminator(real), self.discriminator(fake.detach())
            d_loss, _ = losses.began(recon_real, recon_fake, self.k)
            opt_d.zero_grad(set_to_none=True)
            self.manual_backward(d_loss)
            opt_d.step()
        g_loss = self.discriminator(fake).mean()
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()
        with torch.no_grad():  # k stays a tensor on the device: no host sync per step
            balance = c["began_gamma"] * recon_real.mean() - recon_fake.mean()
            self.k.copy_((self.k + c["began_lambda"] * balance).clamp(0, 1))
        return {"d_loss": d_loss, "g_loss": g_loss, "k": self.k.clone(), "convergence": recon_real.mean().detach() + balance.abs()}


class VAEModule(GANModule):
    """The study's non-adversarial baseline: encoder = discriminator trunk with 2*z_dim outputs, decoder = generator.
    Images: Bernoulli likelihood on [0, 1] pixels; points: unit-variance Gaussian likelihood."""

    def build_discriminator(self):
        return build_discriminator(self.config["arch"], self.shape, 2 * self.config["z_dim"], self.config["d_batch_norm"])

    prior = "normal"

    def sample_z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.config["z_dim"], device=self.device)

    def configure_optimizers(self):
        c = self.config
        return torch.optim.Adam(self.parameters(), lr=c["lr"], betas=(c["beta1"], c["beta2"]))

    def gan_step(self) -> dict:
        opt = self.optimizers()
        x = self.real.next(self.device)
        mu, logvar = self.discriminator(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        x_hat = self.generator(z)
        if len(self.shape) == 3:
            recon = torch.nn.functional.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
        else:
            recon = 0.5 * ((x_hat - x) ** 2).sum() / len(x)
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum() / len(x)
        loss = recon + kl
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()
        return {"loss": loss, "recon": recon, "kl": kl}


MODULES = {"gan": GANModule, "began": BEGANModule, "vae": VAEModule}


def build_module(config: dict, shape: tuple) -> GANModule:
    return MODULES[VARIANTS[config["variant"]].kind](config, shape)
