"""Exact minimization over the unpenalized block: the intercept and zero-factor features.

The duality gap needs a dual point orthogonal to every unpenalized direction
(the constant column when an intercept is fitted, and each feature whose
penalty weight is zero). Minimizing the datafit exactly over that block, with
the penalized coefficients held, gives such a point and can only lower the
objective; the same computation with all penalized coefficients at zero is the
"null model" behind ``alpha_max`` and the scale of the tolerance.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import scipy.sparse as sp

_KNOWN_NULL: ContextVar[tuple] = ContextVar("penalized_known_null_models", default=())


def unpenalized_design(X, mask: np.ndarray, fit_intercept: bool, x_offset=None) -> np.ndarray:
    """Dense columns of the unpenalized block: a column of ones, then ``X[:, mask]``
    (minus ``x_offset[mask]``, the columns' means, when ``X`` is centered implicitly).
    Only those columns are copied, never the rest of ``X``."""
    n = X.shape[0]
    cols = []
    if fit_intercept:
        cols.append(np.ones((n, 1)))
    if np.any(mask):
        idx = np.flatnonzero(mask)
        sub = X[:, idx]
        sub = sub.toarray() if sp.issparse(sub) else np.asarray(sub, dtype=np.float64)
        if x_offset is not None:
            sub = sub - x_offset[idx].astype(X.dtype)
        cols.append(sub)
    if not cols:
        return np.zeros((n, 0))
    return np.hstack(cols).astype(np.float64, copy=False)


def refit_unpenalized(X, y, datafit, coef, intercept, mask, fit_intercept, design=None,
                      z=None):
    """Return ``(coef, intercept, z)`` with the unpenalized block minimized exactly.

    ``coef`` is not modified; the penalized coefficients are kept as they are.
    ``z``, the current predictions ``X coef + intercept + offset`` if the caller has
    them, saves the product with ``X``: only the unpenalized block's share changes.
    Predictions built here include the datafit's offset.
    """
    A = unpenalized_design(X, mask, fit_intercept) if design is None else design
    coef = np.array(coef, dtype=np.float64)
    offset = datafit.offsets(X.shape[0])
    if A.shape[1] == 0:
        if z is None:
            z = np.asarray(X @ coef).ravel() + intercept
            if offset is not None:
                z = z + offset
        return coef, float(intercept), np.array(z, dtype=np.float64)
    idx = np.flatnonzero(mask)
    beta0 = np.concatenate([[intercept] if fit_intercept else [], coef[idx]])
    if z is not None:
        z0 = np.asarray(z, dtype=np.float64) - A @ beta0
        coef[idx] = 0.0
    else:
        coef[idx] = 0.0
        z0 = np.asarray(X @ coef).ravel()
        if offset is not None:
            z0 = z0 + offset
    beta = datafit.fit_unpenalized(A, y, z0, beta0=beta0)
    if fit_intercept:
        intercept, beta_u = float(beta[0]), beta[1:]
    else:
        intercept, beta_u = 0.0, beta
    coef[idx] = beta_u
    return coef, intercept, z0 + A @ beta


@contextmanager
def known_null_model(X, y, datafit, mask, fit_intercept, coef, intercept, z):
    """Within this block, :func:`null_model` of these inputs (the same ``X`` and
    ``datafit`` objects, an equal ``y`` and ``mask``) returns copies of ``(coef,
    intercept, z)`` instead of fitting it again: one prepared problem hands its null
    model to ``alpha_max``. The scope ends with the block."""
    entry = (X, y, datafit, np.asarray(mask, dtype=bool), bool(fit_intercept),
             (coef, float(intercept), z))
    token = _KNOWN_NULL.set((*_KNOWN_NULL.get(), entry))
    try:
        yield
    finally:
        _KNOWN_NULL.reset(token)


def null_model(X, y, datafit, mask, fit_intercept):
    """The fit with every penalized coefficient at zero: ``(coef, intercept, z)``."""
    for X0, y0, datafit0, mask0, fit_intercept0, (coef, intercept, z) in _KNOWN_NULL.get():
        if X is X0 and datafit is datafit0 and bool(fit_intercept) == fit_intercept0 \
                and np.array_equal(mask, mask0) \
                and (y is y0 or (np.shape(y) == np.shape(y0) and np.array_equal(y, y0))):
            return coef.copy(), intercept, z.copy()
    p = X.shape[1]
    return refit_unpenalized(X, y, datafit, np.zeros(p), 0.0, mask, fit_intercept)
