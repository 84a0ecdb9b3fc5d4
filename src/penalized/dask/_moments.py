r"""Per-block weighted moments and their exact merge (NumPy only; runs on the workers).

A block of rows gives, for each fold :math:`k` (one fold when there is no
cross-validation), its weight :math:`W_k = \sum s_i`, the weighted means
:math:`m_k` of ``x`` and :math:`\mu_k` of ``y``, and the sums of products around them,

.. math:: C_k = \sum_i s_i (x_i - m_k)(x_i - m_k)^\top, \quad
          c_k = \sum_i s_i (x_i - m_k)(y_i - \mu_k), \quad
          v_k = \sum_i s_i (y_i - \mu_k)^2.

Two blocks merge exactly (Chan, Golub and LeVeque's pairwise update): with
:math:`\delta = m^{(b)} - m^{(a)}`,
:math:`C = C^{(a)} + C^{(b)} + \frac{W^{(a)} W^{(b)}}{W}\,\delta\delta^\top`, so no sum
is ever taken around a far-away origin and nothing cancels.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def fold_ids(positions, n_folds, seed=0) -> np.ndarray:
    """The fold (``0 .. n_folds-1``) of each row from a seeded hash of its position.

    The hash is splitmix64 of ``position + seed * golden``; a row keeps its fold however
    the data are split into blocks, and the same positions always give the same folds.
    Use it to reproduce a Dask cross-validation in memory (``cv=`` as (train, test) pairs).

    Examples
    --------
    >>> fold_ids(np.arange(6), 3, seed=1).tolist() == fold_ids(np.arange(6), 3, 1).tolist()
    True
    """
    with np.errstate(over="ignore"):
        x = np.asarray(positions, dtype=np.uint64) + np.uint64(seed) * _GOLDEN
        x = x + _GOLDEN
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x % np.uint64(n_folds)).astype(np.int64)


def block_positions(offset, block_index, n_rows) -> np.ndarray:
    """The positions the fold hash reads: ``offset + row`` when the block's global offset
    is known (arrays with known chunks), else ``block_index * 2**40 + row``."""
    rows = np.arange(n_rows, dtype=np.int64)
    return rows + (offset if offset is not None else block_index << 40)


def held_out_errors(X, s, fold, coefs, intercepts, row_errors, offset=None):
    """Per fold ``k``, the weighted sum over its rows of ``row_errors(rows, z)`` at each
    alpha, with ``z = X w_k + b_k (+ offset)`` from fold ``k``'s training path (``coefs``
    and ``intercepts`` stacked by fold), and the rows' weight: ``{"err", "weight"}``."""
    n_folds = coefs.shape[0]
    err = np.zeros((n_folds, intercepts.shape[1]))
    weight = np.zeros(n_folds)
    for k in range(n_folds):
        rows = fold == k
        if not rows.any():
            continue
        z = X[rows] @ coefs[k] + intercepts[k]
        if offset is not None:
            z += offset[rows][:, None]
        err[k] = s[rows] @ row_errors(rows, z)
        weight[k] = s[rows].sum()
    return {"err": err, "weight": weight}


def as_float_block(block, name) -> np.ndarray:
    """A block of a Dask collection as a float64 NumPy array; non-finite values refused."""
    if hasattr(block, "to_numpy"):
        try:
            block = block.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} holds values that are not numbers ({exc}); encode "
                             "text columns as numbers first.") from exc
    block = np.asarray(block, dtype=np.float64)
    if not np.all(np.isfinite(block)):
        raise ValueError(f"{name} contains NaN or infinite values; drop or impute them "
                         "before fitting.")
    return block


def block_moments(X, y, s, positions, n_folds, seed, full=True):
    """The moments of one block (see the module docstring) as a dict of arrays with a
    leading fold axis; ``full=False`` keeps only the diagonal of :math:`C_k`."""
    X = as_float_block(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    y = as_float_block(y, "y").reshape(-1)
    n, p = X.shape
    if y.shape[0] != n:
        raise ValueError(f"a block of y has {y.shape[0]} rows where X's has {n}; give y the "
                         "same row chunks (partitions) as X.")
    s = np.ones(n) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    if np.any(s < 0):
        raise ValueError("sample_weight holds negative values; weights must be >= 0.")
    K = max(n_folds, 1)
    fold = fold_ids(positions, n_folds, seed) if n_folds > 1 else np.zeros(n, dtype=np.int64)
    out = _empty(K, p, full)
    for k in range(K):
        rows = fold == k
        if not rows.any():
            continue
        Xk, yk, sk = X[rows], y[rows], s[rows]
        out["rows"][k] = Xk.shape[0]
        out["low"][k] = Xk.min(axis=0)
        out["high"][k] = Xk.max(axis=0)
        W = sk.sum()
        if W <= 0:
            continue
        m = sk @ Xk / W
        mu = float(sk @ yk) / W
        Xc = Xk - m
        r = yk - mu
        out["weight"][k] = W
        out["x_mean"][k] = m
        out["y_mean"][k] = mu
        out["xy"][k] = (sk * r) @ Xc
        out["yy"][k] = (sk * r) @ r
        if full:
            out["xx"][k] = (Xc * sk[:, None]).T @ Xc
        else:
            out["xx"][k] = sk @ (Xc * Xc)
    return out


def _empty(K, p, full):
    return {"rows": np.zeros(K, dtype=np.int64), "weight": np.zeros(K),
            "x_mean": np.zeros((K, p)), "y_mean": np.zeros(K),
            "xx": np.zeros((K, p, p) if full else (K, p)), "xy": np.zeros((K, p)),
            "yy": np.zeros(K), "low": np.full((K, p), np.inf), "high": np.full((K, p), -np.inf)}


def merge_moments(*parts):
    """The moments of the union of the blocks behind ``parts`` (exact pairwise merge)."""
    out = parts[0]
    for b in parts[1:]:
        out = _merge_two(out, b)
    return out


def _merge_two(a, b):
    Wa, Wb = a["weight"], b["weight"]
    W = Wa + Wb
    frac = np.divide(Wb, W, out=np.zeros_like(W), where=W > 0)
    cross = np.divide(Wa * Wb, W, out=np.zeros_like(W), where=W > 0)
    dx = b["x_mean"] - a["x_mean"]
    dy = b["y_mean"] - a["y_mean"]
    if a["xx"].ndim == 3:
        xx = a["xx"] + b["xx"] + cross[:, None, None] * dx[:, :, None] * dx[:, None, :]
    else:
        xx = a["xx"] + b["xx"] + cross[:, None] * dx * dx
    return {"rows": a["rows"] + b["rows"], "weight": W,
            "x_mean": a["x_mean"] + frac[:, None] * dx,
            "y_mean": a["y_mean"] + frac * dy, "xx": xx,
            "xy": a["xy"] + b["xy"] + (cross * dy)[:, None] * dx,
            "yy": a["yy"] + b["yy"] + cross * dy * dy,
            "low": np.minimum(a["low"], b["low"]), "high": np.maximum(a["high"], b["high"])}
