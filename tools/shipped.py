"""Generated pages document ganbench as shipped: the same wherever they are built, whatever plugin is installed
there, and whatever loss or protocol a command or a test registered earlier in the process (the registries grow by
all three)."""
from __future__ import annotations

import contextlib
import functools

from ganbench.benchmark import protocols, variants


@contextlib.contextmanager
def _only_built_in(registry: dict, names: frozenset):
    saved = dict(registry)
    registry.clear()
    registry.update({k: v for k, v in saved.items() if k in names})
    try:
        yield
    finally:
        registry.clear()
        registry.update(saved)


def shipped(page):
    """``page`` run with only ganbench's own variants and protocols registered."""
    @functools.wraps(page)
    def make(*args, **kwargs):
        with _only_built_in(variants.VARIANTS, variants.BUILT_IN), _only_built_in(protocols.PROTOCOLS, protocols.BUILT_IN):
            return page(*args, **kwargs)
    return make
