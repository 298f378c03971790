"""Ctrl-C and SIGTERM, turned into one exception raised where the work is.

Not KeyboardInterrupt: Lightning catches that inside ``fit`` and exits with status 1 and no message. ``Interrupted``
is a BaseException of ganbench's own, so Lightning tears the trainer down and lets it through, ``except Exception``
in a sweep's trial does not record it as the trial's failure (the trial stays running and is retried on resume),
and the command line says in one line what was kept, with exit status 128 + the signal (130, 143)."""
from __future__ import annotations

from typing import Any, Iterator

import contextlib
import signal
import threading


class Interrupted(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM raise Interrupted in the main thread (elsewhere: a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupted(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        raise Interrupted(signum)

    old = {s: signal.signal(s, raise_interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
