"""Training protocols by name: a registry of ``Protocol`` objects (base.py), one file each. ``ganbench`` is this
project's own; ``lucic2018`` is the study's code (see ``lucic2018.py``); ``pacgan2018`` is PacGAN's code for its 2-D
experiments (see ``pacgan2018.py``). docs/protocol.md sets them side by side, aspect by aspect. A new protocol is a
file holding one ``Protocol`` and a line below, or a call of ``register`` (a plugin's, or a test's)."""
from __future__ import annotations

from ..schema import REGISTRIES, ConfigError, did_you_mean
from . import ganbench, lucic2018, pacgan2018
from .base import Protocol, Step, VariantStep

PROTOCOLS: dict[str, Protocol] = {}
DEFAULT_PROTOCOL = ganbench.PROTOCOL.name


def register(protocol: Protocol) -> Protocol:
    PROTOCOLS[protocol.name] = protocol
    return protocol


register(ganbench.PROTOCOL)
register(lucic2018.PROTOCOL)
register(pacgan2018.PROTOCOL)
REGISTRIES["protocol"] = lambda: PROTOCOLS  # read when asked: a test may swap the registry
BUILT_IN = frozenset(PROTOCOLS)  # ganbench's own; a plugin's or a test's register() adds to the registry


def get_protocol(name: str | Protocol) -> Protocol:
    if isinstance(name, Protocol):
        return name
    if name not in PROTOCOLS:
        raise ConfigError(f"protocol: unknown '{name}'{did_you_mean(name, PROTOCOLS)}; known are {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]


__all__ = ["BUILT_IN", "DEFAULT_PROTOCOL", "PROTOCOLS", "Protocol", "Step", "VariantStep", "get_protocol", "register"]
