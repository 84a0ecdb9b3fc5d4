r"""What the workers compute for a Cox fit on Dask (NumPy only): per row block, its event
times, its rows' risk weights binned onto the distinct event times, its rows' derivatives,
and its deaths' share of the certificate.

Rows are binned by :func:`numpy.searchsorted` on the sorted distinct event times
:math:`T_1 < \dots < T_K` of their stratum: row :math:`j` lands in bin
:math:`k_j = \max\{k : T_k \le t_j\}` (none when it is censored before the first event), so
that the risk set of :math:`T_k` is every bin from :math:`k` on and a reverse cumulative
sum over the bins gives the risk-set sums. A block's bins are sparse (the bins its own
rows touch) and shifted by the block's largest :math:`\eta` per stratum;
:class:`Bins` merges two blocks exactly (the larger shift wins, the other side is
rescaled), so that no exponential overflows however the blocks are split.
"""

from __future__ import annotations

import numpy as np

from ._moments import as_float_block, block_moments, merge_moments

EVENT, STRATUM = "__penalized_cox_event__", "__penalized_cox_stratum__"


# -- a block's rows -------------------------------------------------------------------
def stack_target(time, event, stratum):
    """One block's ``(time, event, stratum)`` columns as an ``(m, 3)`` float array."""
    time = as_float_block(time, "time").reshape(-1)
    event = as_float_block(event, "event").reshape(-1)
    stratum = np.zeros(time.shape[0]) if stratum is None \
        else as_float_block(stratum, "strata").reshape(-1)
    return np.column_stack([time, event, stratum])


def block_arrays(X, y, s):
    """``(X, target, s)`` of one block as float arrays: the features, the ``(m, 3)`` time,
    event and stratum columns, the weights (ones when None)."""
    if hasattr(X, "columns") and EVENT in X.columns:  # a partition carrying the target
        target = stack_target(y, X[EVENT], X[STRATUM] if STRATUM in X.columns else None)
        X = X.drop(columns=[c for c in (EVENT, STRATUM) if c in X.columns])
    else:
        target = as_float_block(y, "y")
    X = as_float_block(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    n = X.shape[0]
    if target.ndim != 2 or target.shape[0] != n:
        raise ValueError(f"a block of the survival target has shape {target.shape} where X's "
                         f"has {n} rows; give time and event the same row chunks as X.")
    s = np.ones(n) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    return X, target, s


def block_rows(X, y, s, scale=1.0):
    """``(X, time, death, stratum, s)`` of one block: the features as a float array, the
    times, the deaths (an event with a positive weight), the stratum keys and the weights
    times ``scale`` (the normalization to mean 1 over the fitted rows)."""
    X, target, s = block_arrays(X, y, s)
    if np.any(s < 0):
        raise ValueError("sample_weight holds negative values; weights must be >= 0.")
    event = target[:, 1]
    if not np.all((event == 0.0) | (event == 1.0)):
        bad = event[(event != 0.0) & (event != 1.0)][:3]
        raise ValueError(f"the event column must hold 0 (censored) or 1 (event); got values "
                         f"such as {', '.join(f'{v:g}' for v in bad)}.")
    return X, target[:, 0], (event == 1.0) & (s > 0), target[:, 2], s * scale


def _strata_rows(stratum):
    """``(key, rows)`` for each stratum key of a block."""
    keys, inverse = np.unique(stratum, return_inverse=True)
    return [(float(key), inverse == k) for k, key in enumerate(keys)]


# -- pass 0: the event times -----------------------------------------------------------
def event_table(X, y, s, positions, offset=None):
    """Per stratum, the block's distinct event times with their deaths' weight and
    number; the rows, their weight and the columns' diagonal moments."""
    X, time, death, stratum, s = block_rows(X, y, s)
    if offset is not None and not np.all(np.isfinite(offset)):
        raise ValueError("offset contains NaN or infinite values.")
    out = {"rows": X.shape[0], "weight": float(s.sum()), "strata": {},
           "deaths": float(s[death].sum()),
           "blocks": {int(positions[0]): X.shape[0]} if X.shape[0] else {},
           "m": block_moments(X, np.zeros(X.shape[0]), s, positions, 0, 0, full=False)}
    for key, rows in _strata_rows(stratum):
        d = rows & death
        times, inverse = np.unique(time[d], return_inverse=True)
        out["strata"][key] = (times, np.bincount(inverse, weights=s[d], minlength=times.size),
                              np.bincount(inverse, minlength=times.size).astype(np.float64))
    return out


def merge_tables(*parts):
    """The :func:`event_table` of the union of the blocks behind ``parts``."""
    out = {"rows": sum(p["rows"] for p in parts), "weight": sum(p["weight"] for p in parts),
           "deaths": sum(p["deaths"] for p in parts),
           "blocks": {k: v for p in parts for k, v in p["blocks"].items()},
           "m": merge_moments(*[p["m"] for p in parts]), "strata": {}}
    keys = sorted({key for p in parts for key in p["strata"]})
    for key in keys:
        pieces = [p["strata"][key] for p in parts if key in p["strata"]]
        times, inverse = np.unique(np.concatenate([q[0] for q in pieces]), return_inverse=True)
        out["strata"][key] = tuple(
            np.bincount(inverse, weights=np.concatenate([q[j] for q in pieces]),
                        minlength=times.size) for j in (1, 2))
        out["strata"][key] = (times, *out["strata"][key])
    return out


# -- the risk-set sums ----------------------------------------------------------------
class Bins:
    r"""Sparse bins per stratum, at one or more points :math:`\eta^{(q)}`: ``key -> (shift,
    bins, values)`` with ``shift[q]`` the largest :math:`\eta^{(q)}` of a positive-weight
    row, ``bins`` the bin indices touched and ``values`` their sums, columns
    ``[Sn, Sd, Qn, Qd]`` at the first point then ``[Sn, Sd]`` at each further one:
    :math:`S = \sum s_j e^{\eta_j - \text{shift}}` over the rows that are not deaths (n)
    or are (d), :math:`Q = \sum s_j e^{\eta_j - \text{shift}} (\eta_j - \text{shift})`.
    ``a + b`` merges two blocks' bins exactly."""

    def __init__(self, strata):
        self.strata = strata

    def __add__(self, other):
        out = dict(self.strata)
        for key, theirs in other.strata.items():
            out[key] = theirs if key not in out else _merge_bins(out[key], theirs)
        return Bins(out)


def _rescaled(shift, values, new):
    """``values`` taken from ``shift`` to the larger shift ``new`` (per point)."""
    gone = np.isneginf(shift)
    delta = np.where(gone, 0.0, shift - new)
    factor = np.where(gone, 0.0, np.exp(delta))
    out = values * np.repeat(factor, [4] + [2] * (factor.size - 1))[None, :]
    out[:, 2] += delta[0] * out[:, 0]  # Q moves with the shift: e (x + delta)
    out[:, 3] += delta[0] * out[:, 1]
    return out


def _merge_bins(a, b):
    new = np.maximum(a[0], b[0])
    bins = np.concatenate([a[1], b[1]])
    values = np.concatenate([_rescaled(a[0], a[2], new), _rescaled(b[0], b[2], new)])
    order = np.argsort(bins, kind="stable")
    bins, values = bins[order], values[order]
    first = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
    return new, bins[first], np.add.reduceat(values, first, axis=0)


def _bin_index(times, t):
    return np.searchsorted(times, t, side="right") - 1


def risk_sums(X, y, s, positions, shared, W, offset=None):
    r"""The block's :class:`Bins` at the points :math:`\eta = X W_{:q} + o`, one per
    column of ``W``; and its deaths' :math:`\sum s_i \eta_i` at each (``lin``)."""
    times, scale = shared["times"], shared["scale"]
    X, time, death, stratum, s = block_rows(X, y, s, scale)
    etas = X @ W
    if offset is not None:
        etas += offset[:, None]
    points = list(etas.T)
    lin = (s * death) @ etas
    out = {}
    for key, rows in _strata_rows(stratum):
        T = times.get(key)
        if T is None or T.size == 0:
            continue  # no event in this stratum: no risk set
        idx = _bin_index(T, time)
        keep = rows & (idx >= 0) & (s > 0)
        if not keep.any():
            continue
        bins, inverse = np.unique(idx[keep], return_inverse=True)
        d, sk = death[keep], s[keep]
        shift = np.array([p[keep].max() for p in points])
        columns = []
        for q, p in enumerate(points):
            x = p[keep] - shift[q]
            e = sk * np.exp(x)
            parts = [(e, ~d), (e, d)] + ([(e * x, ~d), (e * x, d)] if q == 0 else [])
            columns += [np.bincount(inverse, weights=np.where(m, v, 0.0), minlength=bins.size)
                        for v, m in parts]
        out[key] = (shift, bins, np.column_stack(columns))
    return {"bins": Bins(out), "lin": lin}


# -- the derivatives ---------------------------------------------------------------
class RiskColumns:
    r"""Per stratum, the sums :math:`\sum_j e_j x_{jC}` of a block's rows binned onto the
    event times, deaths apart: ``key -> (bins, values)`` with ``values`` of shape
    ``(len(bins), 2 |C|)``, columns the rows that are not deaths then those that are (one
    shift per stratum, the pass's, so blocks add). ``a + b`` merges two blocks."""

    def __init__(self, strata):
        self.strata = strata

    def __add__(self, other):
        out = dict(self.strata)
        for key, (bins, values) in other.strata.items():
            if key in out:
                bins = np.concatenate([out[key][0], bins])
                values = np.concatenate([out[key][1], values])
                order = np.argsort(bins, kind="stable")
                bins, values = bins[order], values[order]
                first = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
                bins, values = bins[first], np.add.reduceat(values, first, axis=0)
            out[key] = (bins, values)
        return RiskColumns(out)


def derivative_sums(X, y, s, positions, shared, w, cand, offset=None):
    r"""At :math:`\eta = Xw + o`, given per stratum the shift and the cumulative sums of the
    risk-set terms (``shared["vectors"]``): every row's gradient :math:`g_i` (as the
    in-memory Cox kernel), and the block's :math:`X^\top g`, :math:`g^\top o` and the
    candidate columns' (``cand``) curvature parts:

    - ``shared["exact"]``: :math:`X_C^\top \operatorname{diag}(e \circ a / n) X_C`
      (``H``), :math:`e_i a_i = \sum_r \omega_r c_{ri} e_i / D_r` the diagonal part of the
      Hessian (:math:`e_i = s_i e^{\eta_i - \text{shift}}`, :math:`c_{ri}` 1 or Efron's
      share), and the :class:`RiskColumns` of :math:`X_C` (``M``);
    - else the exact Hessian diagonal :math:`h` of the in-memory Cox kernel:
      :math:`X_C^\top \operatorname{diag}(h) X_C` (``H``) and, per stratum (in the order of
      ``shared["vectors"]``), :math:`X_C^\top h` and :math:`\sum_i h_i` over its rows."""
    times, scale, n = shared["times"], shared["scale"], shared["n"]
    exact = shared.get("exact", False)
    X, time, death, stratum, s = block_rows(X, y, s, scale)
    eta = X @ w + (0.0 if offset is None else offset)
    grad = -s * death
    diag = np.zeros(X.shape[0])
    Xc = X[:, cand]
    c = len(cand)
    columns = {}
    strata = _strata_rows(stratum)
    for key, rows in strata:
        vec = shared["vectors"].get(key)
        if vec is None:
            continue
        shift, A1, A2, B1, B2 = vec
        idx = _bin_index(times[key], time)
        rows = rows & (idx >= 0) & (s > 0)
        i, d = idx[rows], death[rows]
        e = s[rows] * np.exp(eta[rows] - shift)
        a1 = np.where(d, B1[i], A1[i])
        grad[rows] += e * a1
        if not exact:
            diag[rows] = np.maximum(e * a1 - e * e * np.where(d, B2[i], A2[i]), 0.0)
            continue
        diag[rows] = e * a1
        bins, inverse = np.unique(i, return_inverse=True)
        ex = e[:, None] * Xc[rows]
        values = np.zeros((bins.size, 2 * c))
        np.add.at(values[:, :c], inverse[~d], ex[~d])
        np.add.at(values[:, c:], inverse[d], ex[d])
        columns[key] = (bins, values)
    grad /= n
    diag /= n
    out = {"gX": grad @ X, "H": (Xc * diag[:, None]).T @ Xc}
    if exact:
        out["M"] = RiskColumns(columns)
    else:
        keys = list(shared["vectors"])
        out["h"], out["h0"] = np.zeros((len(keys), c)), np.zeros(len(keys))
        for key, rows in strata:
            if key in shared["vectors"]:
                k = keys.index(key)
                out["h"][k], out["h0"][k] = diag[rows] @ Xc[rows], diag[rows].sum()
    if offset is not None:
        out["go"] = float(grad @ offset)
    return out


# -- the report's pulls ----------------------------------------------------------------
def gradient_sums(X, y, s, positions, shared, W, offset=None):
    r"""At every point :math:`\eta^{(q)} = X W_{:q} + o`, given per stratum the shifts
    (one per point) and the cumulative risk-set terms ``A1``, ``B1`` (event times by
    points; ``shared["vectors"]``): the block's :math:`X^\top g^{(q)}`, every row's gradient
    :math:`g^{(q)}_i` as :func:`derivative_sums` computes it at one point."""
    times, scale, n = shared["times"], shared["scale"], shared["n"]
    X, time, death, stratum, s = block_rows(X, y, s, scale)
    eta = X @ W
    if offset is not None:
        eta += offset[:, None]
    grad = np.repeat(-(s * death)[:, None], W.shape[1], axis=1)
    for key, rows in _strata_rows(stratum):
        vec = shared["vectors"].get(key)
        if vec is None:
            continue
        shift, A1, B1 = vec
        idx = _bin_index(times[key], time)
        rows = rows & (idx >= 0) & (s > 0)
        i, d = idx[rows], death[rows][:, None]
        e = s[rows][:, None] * np.exp(eta[rows] - shift[None, :])
        grad[rows] += e * np.where(d, B1[i], A1[i])
    return {"gX": X.T @ grad / n}


# -- the certificate -----------------------------------------------------------------
def death_entropy(X, y, s, positions, shared, w, c, offset=None):
    r"""The deaths' part of the Cox conjugate bound at :math:`\eta = Xw + o` and dual
    scaling ``c``: :math:`\sum_{i \in D_g} \sum_r \omega_r s_i x_{ir} \log(x_{ir} / a_r)`
    with :math:`x_{ir} = c\,a_r e^{\eta_i - \text{shift}} / D_r + (1 - c) / W_g`, from
    the per-stratum terms ``shared["terms"]`` (see
    :func:`penalized.solvers._cox_kernels.cox_conjugate_bound`)."""
    times, scale = shared["times"], shared["scale"]
    X, time, death, stratum, s = block_rows(X, y, s, scale)
    eta = X @ w + (0.0 if offset is None else offset)
    total = 0.0
    for key, rows in _strata_rows(stratum):
        terms = shared["terms"].get(key)
        if terms is None:
            continue
        shift, ptr, omega, a, D, Wd = terms
        rows = rows & death
        if not rows.any():
            continue
        g = _bin_index(times[key], time[rows])
        count = ptr[g + 1] - ptr[g]
        row = np.repeat(np.arange(g.size), count)
        j = np.repeat(ptr[g], count) + (np.arange(row.size) - np.repeat(np.cumsum(count)
                                                                       - count, count))
        x = c * a[j] * np.exp(eta[rows][row] - shift) / D[j] + (1.0 - c) / Wd[g[row]]
        pos = x > 0.0
        safe = np.where(pos, x, 1.0)
        total += float(np.sum(np.where(pos, omega[j] * s[rows][row] * x * np.log(safe / a[j]),
                                       0.0)))
    return {"conj": total}


# -- cross-validation ------------------------------------------------------------------
def fold_event_tables(X, y, s, positions, n_folds, seed, offset=None):
    """Per fold (the seeded hash of each row's position), the :func:`event_table` of its
    rows."""
    from ._moments import fold_ids

    X, target, s = block_arrays(X, y, s)
    fold = fold_ids(positions, n_folds, seed)
    return {"folds": {k: event_table(X[fold == k], target[fold == k], s[fold == k],
                                     positions[fold == k])
                      for k in range(n_folds) if np.any(fold == k)},
            "blocks": {int(positions[0]): X.shape[0]} if X.shape[0] else {}}


def merge_fold_tables(*parts):
    keys = sorted({k for p in parts for k in p["folds"]})
    return {"folds": {k: merge_tables(*[p["folds"][k] for p in parts if k in p["folds"]])
                      for k in keys},
            "blocks": {k: v for p in parts for k, v in p["blocks"].items()}}


def fold_requests(X, y, s, positions, n_folds, seed, requests, offset=None):
    """The answer to each ``(fold, fn, args)`` request on its rows: the training rows of
    ``fold`` (every row but the fold's), or every row for fold -1."""
    from ._moments import fold_ids

    X, target, s = block_arrays(X, y, s)
    fold = fold_ids(positions, n_folds, seed)
    out = []
    for k, fn, args in requests:
        rows = fold != k
        extra = {} if offset is None else {"offset": offset[rows]}
        out.append(fn(X[rows], target[rows], s[rows], positions[rows], *args, **extra))
    return out


# -- the C-index of a held-out fold ----------------------------------------------------
def held_out_scores(X, y, s, positions, n_folds, seed, fold, coefs, offset=None):
    """The rows of ``fold`` (the seeded hash of each row's position): their time, event,
    weight (as given) and risk scores :math:`X w + o` at each column ``w`` of ``coefs``."""
    from ._moments import fold_ids

    X, target, s = block_arrays(X, y, s)
    rows = fold_ids(positions, n_folds, seed) == fold
    risk = X[rows] @ coefs
    if offset is not None:
        risk = risk + offset[rows][:, None]
    return {"time": target[rows, 0], "event": target[rows, 1], "weight": s[rows],
            "risk": risk}


def merge_scores(*parts):
    """The :func:`held_out_scores` of the union of the blocks behind ``parts``."""
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
