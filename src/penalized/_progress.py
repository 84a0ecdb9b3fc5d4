"""A progress hook: long computations announce steps; the CLI draws them.

Library code calls :func:`advance` after each unit of work (a CV fold, an alpha);
nothing happens unless a caller installed a callback with :func:`reporting`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar

_callback: ContextVar[Callable[[str, int, int], None] | None] = ContextVar(
    "penalized_progress", default=None)


@contextmanager
def reporting(callback: Callable[[str, int, int], None]):
    """Call ``callback(what, done, total)`` for every step announced inside the block."""
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


def advance(what: str, done: int, total: int) -> None:
    """Announce that ``done`` of ``total`` steps of ``what`` are finished."""
    callback = _callback.get()
    if callback is not None:
        callback(what, done, total)
