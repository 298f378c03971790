"""The study's InfoGAN-style layout (``infogan``) at a quarter of its widths: G FC 256, deconv 32 and 16; D conv 16
and 32, FC 256. Several times cheaper a step (tests/perf/nets_and_metrics.py measures it), so that `make demo` trains
digits that can be read on two CPU cores. For quick runs, not for comparisons with the study's numbers."""
from __future__ import annotations

import functools

from . import infogan


def check(shape: tuple[int, ...]) -> str | None:
    problem = infogan.check(shape)
    return problem.replace("'infogan'", "'conv_small'") if problem else None


generator = functools.partial(infogan.generator, fc=256, channels=(32, 16))
discriminator = functools.partial(infogan.discriminator, channels=(16, 32), fc=256)
