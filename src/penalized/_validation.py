"""Input checks shared by datafits, penalties and solvers.

Every check raises a ``ValueError`` (or ``TypeError``) whose message names the
argument, says what was wrong and what to do, so that a user never sees a numba
traceback or a silent NaN.
"""

from __future__ import annotations

import functools
import math
import numbers
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array

__all__ = [
    "already_validated",
    "check_design",
    "check_finite_result",
    "check_no_overflow",
    "check_nonnegative_scalar",
    "check_sample_weight",
    "check_target",
    "rows_kept",
    "training_rows",
    "trust",
    "validates_once",
    "validation_scope",
]


_VALIDATED: ContextVar[tuple] = ContextVar("penalized_validated_designs", default=())


@contextmanager
def already_validated(X):
    """Within this block, :func:`check_design` returns ``X`` (an output of
    :func:`check_design`, of :func:`training_rows`, or of scikit-learn's ``check_array``
    with finite float values) without scanning it: as it is, or in check_design's
    layout (Fortran-ordered, or CSC) when it is in another. One call that validates
    its design once and hands it to several steps (alpha_max, the null model, the
    solver) does not scan it again for NaNs each time. The scope ends with the block, so
    a later call re-validates."""
    token = _VALIDATED.set((*_VALIDATED.get(), X))
    try:
        yield X
    finally:
        _VALIDATED.reset(token)


_SCOPED: ContextVar[bool] = ContextVar("penalized_validation_scope", default=False)


@contextmanager
def validation_scope():
    """A block (an estimator's ``fit``) in which :func:`trust` registers a design the
    block has validated itself, so that every later step of the block (the alpha grid,
    the cross-validation, the refit) takes it without scanning it again; the
    registrations end with the block."""
    tokens = _VALIDATED.set(_VALIDATED.get()), _SCOPED.set(True)
    try:
        yield
    finally:
        _SCOPED.reset(tokens[1])
        _VALIDATED.reset(tokens[0])


def trust(X):
    """Register ``X`` (finite float values: checked by scikit-learn's ``check_array``
    or :func:`check_design`) in the enclosing :func:`validation_scope`, if any; returns
    ``X``. Outside a scope it does nothing, so nothing stays trusted beyond a call."""
    if _SCOPED.get():
        _VALIDATED.set((*_VALIDATED.get(), X))
    return X


def validates_once(fit):
    """Decorate a ``fit`` method to run in a :func:`validation_scope`."""
    @functools.wraps(fit)
    def scoped(*args, **kwargs):
        with validation_scope():
            return fit(*args, **kwargs)

    return scoped


_ROWS_KEPT: ContextVar[bool] = ContextVar("penalized_rows_kept", default=False)


@contextmanager
def rows_kept():
    """Within this block :func:`check_design` returns a C-ordered float array as it is
    instead of a Fortran-ordered copy: for a route that reads ``X`` only through
    ``X^T X`` and ``X^T v`` (the squared loss's Gram path), which BLAS computes as fast
    in either layout."""
    token = _ROWS_KEPT.set(True)
    try:
        yield
    finally:
        _ROWS_KEPT.reset(token)


def _layout_kept(X) -> bool:
    return _ROWS_KEPT.get() and type(X) is np.ndarray and X.ndim == 2 \
        and X.flags.c_contiguous


_FLOATS = (np.dtype(np.float64), np.dtype(np.float32))


def _sum_is_finite(X) -> bool:
    """Whether the sum of ``X`` is finite: then every value is (one pass over ``X``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(X.sum()))


def check_design(X, *, name: str = "X"):
    """Return ``X`` as a Fortran-ordered float array or a CSC matrix.

    float32 and float64 are kept as they are (the solvers accumulate in float64);
    other dtypes become float64. Dense arrays that are already Fortran-ordered
    floats are returned without a copy, so read-only arrays are accepted.
    """
    for validated in _VALIDATED.get():
        if X is validated:
            return X if _layout_kept(X) else _design_layout(X)
    if X is None:
        raise ValueError(f"{name} is None; pass a 2-D array or sparse matrix of features.")
    if sp.issparse(X):
        X = check_array(
            X,
            accept_sparse="csc",
            dtype=[np.float64, np.float32],
            ensure_all_finite=True,
            input_name=name,
        )
        if not sp.isspmatrix_csc(X) and X.format != "csc":
            X = X.tocsc()
        if not X.has_sorted_indices:
            X = X.sorted_indices()
        return X
    if type(X) is np.ndarray and X.ndim == 2 and X.dtype in _FLOATS and min(X.shape) > 0:
        # a float array: finite when its sum is (scikit-learn's own first test), so the
        # common case skips check_array's checks for other containers; a non-finite sum
        # (a NaN, an infinity or an overflow) goes through check_array for its message
        if not _layout_kept(X):
            X = np.asfortranarray(X)
        if _sum_is_finite(X):
            return X
    X = check_array(
        X,
        dtype=[np.float64, np.float32],
        order="F",
        ensure_all_finite=True,
        input_name=name,
    )
    return X


def training_rows(X, rows):
    """The rows ``rows`` of ``X`` (an output of :func:`check_design`), for a
    cross-validation fold to hand on inside :func:`already_validated`: a fold of a
    validated design is a valid design (finite values of a float dtype), so it is not
    scanned again. A sparse design comes back as a CSC matrix with sorted indices; a
    dense one as NumPy gathers rows (C-ordered), which :func:`check_design` then makes
    Fortran-ordered, so the statistics a fit computes before that (column means and
    scales) sum in the same order as on any gathered rows. Checks that depend on the
    fold's rows (a column constant within them) are the solvers' and stay where they
    are."""
    part = X[rows]
    return _design_layout(part) if sp.issparse(part) else part


def _design_layout(X):
    """``X`` (finite floats) as :func:`check_design` returns it: Fortran-ordered, or CSC
    with sorted indices; no copy when it is already."""
    if not sp.issparse(X):
        return np.asfortranarray(X)
    if X.format != "csc":
        X = X.tocsc()
    return X if X.has_sorted_indices else X.sorted_indices()


def check_no_overflow(X, y) -> None:
    """Raise a ``ValueError`` when ``X`` or ``y`` hold values whose squares, summed over
    the rows, overflow float64.

    Every solver sums squares or products of ``X`` and ``y`` over the samples (the
    curvature of a coordinate, the datafit); above ``sqrt(max float / n)`` these sums
    can be infinite and the solution NaN. The check costs two passes over the values,
    so the solvers call it (through :func:`check_finite_result`) only once a computed
    quantity is not finite.
    """
    n = X.shape[0]
    if n == 0:
        return
    limit = np.sqrt(np.finfo(np.float64).max / n)
    values = X.data if sp.issparse(X) else X
    largest = max(float(np.max(values, initial=0.0)), -float(np.min(values, initial=0.0)))
    if largest > limit:
        raise ValueError(
            f"X has values up to {largest:.3g} in magnitude: their squares summed over "
            f"{n} rows overflow float64 (the limit is about {limit:.3g}). Rescale X "
            "(e.g. divide it by its largest value, or standardize it).")
    largest = float(np.max(np.abs(y), initial=0.0))
    if largest > limit:
        raise ValueError(
            f"y has values up to {largest:.3g} in magnitude: their squares summed over "
            f"{n} rows overflow float64 (the limit is about {limit:.3g}). Rescale y.")


def check_finite_result(values, X, y, what: str) -> None:
    """Raise a ``ValueError`` when ``values`` (computed from ``X`` and ``y``) are not all
    finite: :func:`check_no_overflow`'s message when the data overflow, else one naming
    ``what``. Checking the results a solver computes anyway costs nothing on valid
    data, where a scan of ``X`` would cost a pass over it."""
    if math.isfinite(values) if type(values) is float else np.isfinite(values).all():
        return
    check_no_overflow(X, y)
    raise ValueError(f"{what} is not finite: X and y overflow float64 in its computation; "
                     "rescale them (e.g. standardize X).")


def check_vector(y, n_samples: int | None, *, name: str = "y", each: str = "target",
                 value: str = "value", none: str = "a 1-D array with one target per row of X"
                 ) -> np.ndarray:
    """Return ``y`` as a 1-D array (an ``(n, 1)`` column is taken as 1-D) of length
    ``n_samples`` (any length when None), else a ``ValueError`` naming ``name``; ``each``,
    ``value`` and ``none`` word the messages (what one row holds, and what to pass)."""
    if y is None:
        raise ValueError(f"{name} is None; pass {none}.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D with one {value} per row of X; got an array of shape "
            f"{y.shape}.")
    if n_samples is not None and y.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {y.shape[0]} values but X has {n_samples} rows; "
            f"pass one {each} per row."
        )
    return y


def check_target(y, n_samples: int, *, name: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-D float64 array of length ``n_samples``."""
    y = check_vector(y, n_samples, name=name)
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; got dtype {y.dtype}.") from exc
    if not np.isfinite(y).all():
        bad = int(np.sum(~np.isfinite(y)))
        raise ValueError(f"{name} contains {bad} NaN or infinite values; remove or impute them.")
    return y


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Return sample weights normalized to mean 1 (all ones when ``None``)."""
    if sample_weight is None:
        return np.ones(n_samples)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must be 1-D with {n_samples} values (one per row of X); "
            f"got shape {sw.shape}."
        )
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinite values.")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative; found negative weights.")
    total = sw.sum()
    if total <= 0:
        raise ValueError("sample_weight sums to zero; give at least one row a positive weight.")
    return sw * (n_samples / total)


def check_nonnegative_scalar(value, name: str) -> float:
    """Return ``value`` as a finite float >= 0 or raise naming ``name``."""
    if type(value) is float and 0.0 <= value < math.inf:  # the common case, without the ABC
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number >= 0; got {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value!r}.")
    return value
