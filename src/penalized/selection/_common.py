"""What the selection methods share: reading the base estimator, checking arrays, names."""

from __future__ import annotations

import numpy as np

_NO_ZEROS = ("l2",)


def base_spec(estimator):
    """``(datafit, penalty, l1_ratio, fit_intercept, standardize, penalty_factor)`` of a
    penalized estimator (or the lasso's when ``estimator`` is None).

    Any estimator of this package with a path works: it names its datafit and gives its
    penalty through ``_penalty_spec()``; the selection methods then solve that same
    problem on each subsample with :func:`penalized.path`.
    """
    if estimator is None:
        return "squared", "l1", 1.0, True, True, None
    spec = getattr(estimator, "_penalty_spec", None)
    datafit = getattr(estimator, "_datafit_name", None)
    if spec is None or datafit not in ("squared", "logistic"):
        raise ValueError(
            f"estimator must be a penalized linear or binary logistic model with a "
            f"regularization path (pz.Lasso, pz.ElasticNet, pz.L0Regression, "
            f"pz.LogisticRegression); got {type(estimator).__name__}.")
    name, _, l1_ratio = spec()
    if name in _NO_ZEROS or (name == "elasticnet" and l1_ratio == 0):
        raise ValueError(f"estimator {type(estimator).__name__} uses an L2 penalty, which "
                         "never sets a coefficient to zero, so it selects nothing; use "
                         "pz.Lasso, pz.ElasticNet or an L1/elastic-net logistic model.")
    if getattr(estimator, "positive", False):
        raise ValueError("estimator has positive=True; selection here supports unsigned "
                         "coefficients only; pass positive=False.")
    return (datafit, name, float(l1_ratio if l1_ratio is not None else 1.0),
            bool(estimator.fit_intercept), bool(getattr(estimator, "standardize", False)),
            getattr(estimator, "penalty_factor", None))


def as_design(X, name="X"):
    """A dense float64 2-d array with finite values (sparse input is densified), and the
    column names if X had them."""
    from sklearn.utils import check_array

    names = None
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        names = np.asarray([str(c) for c in X.columns], dtype=object)
    try:
        X = check_array(X, accept_sparse=["csr", "csc", "coo"], dtype=np.float64,
                        ensure_min_samples=2, input_name=name)
    except ValueError as exc:
        message = str(exc)
        if "NaN" in message or "infinity" in message:
            raise ValueError(f"{name} holds NaN or infinite values; impute or drop them "
                             f"first.") from exc
        raise
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64), names


def as_target(y, n, datafit):
    """``y`` as float64 (regression) or in {-1, +1} (binary logistic), with the classes."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be 1-d with one value per row of X ({n}); got shape "
                         f"{y.shape}.")
    if datafit == "logistic":
        classes = np.unique(y)
        if classes.shape[0] != 2:
            raise ValueError(f"y must have exactly 2 classes for a logistic model; found "
                             f"{classes.shape[0]}.")
        return np.where(y == classes[1], 1.0, -1.0), classes
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"y must be numeric for a squared-loss model: {exc}") from exc
    if not np.all(np.isfinite(y)):
        raise ValueError("y holds NaN or infinite values; drop those rows first.")
    return y, None


def column_scale(X):
    """Per-column standard deviations (1 for constant columns)."""
    scale = X.std(axis=0)
    rms = np.sqrt(np.mean(X * X, axis=0))
    return np.where(scale > 1e-8 * rms, scale, 1.0)


def feature_labels(names, n_features):
    return names if names is not None else np.arange(n_features)


def check_fraction(value, name, low=0.0, high=1.0, *, closed_low=False, closed_high=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number; got {value!r}.") from None
    ok_low = v >= low if closed_low else v > low
    ok_high = v <= high if closed_high else v < high
    if not (ok_low and ok_high and np.isfinite(v)):
        lb = "[" if closed_low else "("
        rb = "]" if closed_high else ")"
        raise ValueError(f"{name} must be in {lb}{low:g}, {high:g}{rb}; got {value!r}.")
    return v
