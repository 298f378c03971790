"""pix2pix's training step (Isola et al. 2017, section 3.3): one discriminator update, then one generator update on
the same pair batch, Adam for both; the L1-only ablation has no discriminator. Images are scaled to [-1, 1] for the
nets (their tanh output) and back to [0, 1] for everything else."""
from __future__ import annotations

from typing import Any

import torch

from ..conditional.nets import Translator, patch_discriminator
from ..data import get_dataset
from ..losses.translation import adversarial, conditional, l1_weight_of, pix2pix_discriminator_loss, pix2pix_generator_loss
from ..config import TranslationConfig
from .base import GANModule


class Pix2PixModule(GANModule):
    def __init__(self, config: TranslationConfig, shape: tuple[int, ...]) -> None:
        self.input_shape = get_dataset(config.dataset).paired_input_shape
        # GANModule reads a GAN's settings; a TranslationConfig holds the ones it reads (its ClassVar constants: no
        # packing, one generator, no EMA), and the rest are read only by methods this class replaces
        super().__init__(config, shape)  # type: ignore[arg-type]
        self.l1_weight = l1_weight_of(config.loss, config.l1_weight)

    def build_generator(self) -> torch.nn.Module:
        return Translator(self.input_shape[0], self.shape[0], self.shape[-1], self.config.ngf, skips=self.config.generator == "unet")

    def build_discriminator(self) -> torch.nn.Module | None:  # type: ignore[override]  # None: L1 alone, no adversary
        if not adversarial(self.config.loss):
            return None
        channels = self.shape[0] + (self.input_shape[0] if conditional(self.config.loss) else 0)
        return patch_discriminator(channels, self.config.patch, self.shape[-1], self.config.ngf)

    def configure_optimizers(self) -> Any:
        players = [self.generator] + ([self.discriminator] if self.discriminator is not None else [])
        return [self.optimiser(p.parameters()) for p in players]

    def judge(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """D's patch logits for image y translated from x: the cGAN sees both stacked (eq. 1), the GAN y alone (eq. 2)."""
        return self.discriminator(torch.cat([x, y], 1) if conditional(self.config.loss) else y)

    def variant_step(self) -> dict[str, Any]:
        opts = self.optimizers()
        opt_g, opt_d = (opts[0], opts[1]) if isinstance(opts, list) else (opts, None)
        logs = {}
        for _ in range(self.config.n_disc if opt_d is not None else 1):
            x, y = (t * 2 - 1 for t in self.real.next_pair(self.device))
            if opt_d is None:
                break
            with torch.no_grad():
                fake = self.generator(x)
            d_loss = pix2pix_discriminator_loss(self.judge(x, y), self.judge(x, fake))
            self.update_discriminator(opt_d, d_loss)
            logs["d_loss"] = d_loss
        fake = self.generator(x)
        g_loss = pix2pix_generator_loss(self.judge(x, fake) if opt_d is not None else None, fake, y, self.l1_weight)
        self.update_generator(opt_g, g_loss)
        return {**logs, "g_loss": g_loss, "l1": (fake.detach() - y).abs().mean() / 2}  # l1 on the [0, 1] scale

    @torch.no_grad()
    def sample(self, n: int) -> torch.Tensor:
        """The translations of the first ``n`` held-out inputs, in [0, 1], with dropout drawn from the current random
        state (``ganbench sample --seed``)."""
        from ..conditional.metrics import BATCH, held_out_pairs

        inputs = held_out_pairs(self.config.dataset, n, self.config.data_root)[0]
        was_training = self.generator.training
        self.generator.train()  # as the paper tests: dropout on, batch statistics
        out = torch.cat([(self.generator(inputs[i:i + BATCH].to(self.device) * 2 - 1) + 1) / 2 for i in range(0, len(inputs), BATCH)])
        self.generator.train(was_training)
        return out.clamp(0, 1)

    @torch.no_grad()
    def translate(self, inputs: torch.Tensor) -> torch.Tensor:
        from ..conditional.metrics import translate

        return translate(self.generator, inputs, str(self.device))
