"""Training protocols by name. A protocol fixes what one training step is, each variant's defaults and search
spaces, the nets' initialisation and batch-norm constants, the loss forms, and the evaluation rules.
``ganbench`` is this project's own; ``lucic2018`` is the study's code (see ``lucic2018.py``); ``pacgan2018`` is
PacGAN's code for its 2-D experiments (see ``pacgan2018.py``). docs/protocol.md
sets them side by side, aspect by aspect."""
from __future__ import annotations

PROTOCOLS = {
    "ganbench": "a step is n_disc discriminator updates and one generator update on fresh latents; PyTorch batch norm",
    "lucic2018": "the study's code (compare_gan, Feb 2018): a step is one discriminator update; its defaults, "
                 "spaces, draws, losses, nets, TF batch-norm constants and FID rules",
    "pacgan2018": "PacGAN's code (2-D ring and grid): both players updated at once from one forward pass, a generator call "
                  "per pack copy, Blocks' batch norm and Adam, packed data drawn once, metrics after every epoch",
}
DEFAULT_PROTOCOL = "ganbench"
