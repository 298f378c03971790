"""ganbench's own protocol: the base rules of ``Protocol`` (benchmark/protocols/base.py), for every variant and
data set registered, image-to-image translation included."""
from .base import Protocol

PROTOCOL = Protocol(
    name="ganbench",
    summary="a step is n_disc discriminator updates and one generator update on fresh latents; PyTorch batch norm",
    cite="Lucic et al. 2018 (the study's design: nets, spaces, budgets) with each variant's own paper for its loss",
    steps_count="generator updates",
    translation=True,
)
