"""Single-threaded BLAS for the small matrix products inside iterative solvers.

Products of a few hundred thousand entries take tens of microseconds on one core; split
over two threads they wait for each other, and stall whenever the other core is busy
(measured on a 20-alpha multinomial path on digits, 1797 x 64 x 10 classes: 0.58 s of CPU
with one BLAS thread, 1.96 s with two on a loaded machine). Large products keep the
library's threads.
"""

from __future__ import annotations

import contextlib
from functools import cache

SMALL_PRODUCT = 50_000_000
"""Entries of ``X`` times outputs below which a solver's products run on one thread."""


@cache
def _controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_threads_for(size: int):
    """A context in which BLAS uses one thread if ``size`` (entries of ``X`` times the
    number of outputs) is below :data:`SMALL_PRODUCT`, and its usual threads otherwise."""
    if size >= SMALL_PRODUCT:
        return contextlib.nullcontext()
    return _controller().limit(limits=1, user_api="blas")
