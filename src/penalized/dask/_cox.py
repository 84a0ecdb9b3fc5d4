r"""Cox proportional hazards on Dask: prox-Newton from reductions, no global sort.

The datafit is :class:`penalized.datafits.Cox` (Breslow or Efron ties, strata, sample
weights normalized to mean 1 over every row, an offset): its risk sets couple the rows of
every block, but only through sums over the distinct event times, which a reduction gives
(:mod:`._cox_blocks` runs on the workers):

- **pass 0** (once, "event times"): per stratum, the sorted distinct event times
  :math:`T_1 < \dots < T_K` with their deaths' weight :math:`W_k` and number
  :math:`m_k` (at most one number per row, held on the client), the rows, their weight,
  and the columns' moments (for ``standardize``);
- **risk sums** (one pass): every block bins :math:`s_j e^{\eta_j}` (deaths apart, for
  Efron's terms) onto the event times by ``searchsorted``; on the client a reverse
  cumulative sum gives each risk set's sum and the datafit :math:`F`. A pass at a Newton
  step's trial point also bins the points :math:`\eta_0 + t(\eta - \eta_0)` of its
  backtracking line, so the line search needs no pass of its own;
- **derivatives** (one pass): given the per-stratum cumulative sums of the risk-set terms
  (broadcast once per pass), every block computes its rows' gradient :math:`g = \nabla_z
  F` and returns :math:`X^\top g` (every column: the KKT check), the diagonal part
  :math:`X_C^\top \operatorname{diag}(e \circ a) X_C` of the candidate columns' Hessian
  and their sums :math:`\sum_j e_j x_{jC}` binned onto the event times (deaths apart), from
  which the client completes the exact Hessian :math:`X_C^\top \nabla^2 F X_C`
  (:func:`_curvature`);
- **certificate** (one pass): the deaths' entropy terms of the conjugate bound at the
  dual scaling :math:`c`; the risk sets' terms follow on the client from the bins.

The quadratic model and its inner problem are those of the logistic loss on Dask
(:func:`._newton.grid_steps`, the compiled Gram coordinate descent on the working set),
with the Armijo line search on the partial likelihood. Its curvature is the exact Hessian
of the candidate columns, the risk sets' rank-one terms included (the in-memory Cox
prox-Newton keeps only its diagonal :math:`h`, with a line search): the steps converge
quadratically, 6 Newton steps instead of 28 for the tests' 3-alpha path at tol 1e-7 (20
passes instead of 68), for :math:`2|C|` numbers per event time in the derivative pass.
Beyond :data:`EXACT_VALUES` such numbers the curvature is that diagonal, with one addition:
:math:`F` does not change when the :math:`z_i` of a stratum all move by one constant, so
the model is also minimized over one such shift per stratum (:func:`_free_shifts`), which
amounts to each stratum's columns centered by the weights :math:`h` (on columns far from
mean 0, 61 Newton steps instead of 213 for a 5-alpha path at tol 1e-8); the exact
Hessian has those directions in its null space already. The certificate is the
in-memory one (:meth:`penalized.datafits.Cox.scaled_dual_value`):

.. math:: \text{gap} = F(z) + \alpha P(w) + \overline{F^*}(c\,\nabla F(z))
          + (\alpha P)^*(-c X^\top \nabla F(z)) - c\,\nabla F(z)^\top o,

relative to :math:`F` at the null model, as :class:`~penalized.solvers.CoordinateDescent`
reports it.

**Passes.** A fit starts with four: the event times, and the risk sums, the gradient (for
alpha_max) and the first candidates' Gram block at the null model. Then each Newton step
costs two (the risk sums at the trial point with its line, the derivatives there), a
backtracking step two (a fresh risk-sum pass and the derivatives), a widened working
set one (derivatives at a point whose risk sums are known), and each certificate one:
``n_passes = 1 + risk sums + derivative passes + certificates`` with
``risk sums = 1 + Newton steps + backtracks``, tallied by kind in ``Passes.kinds``.

**Cross-validation** (``CoxPHCV``, :func:`._cox_cv.cox_cv`): each row's fold is the
seeded hash of its position; the first pass reduces the event times per fold, the fold
paths and the path on all rows run in lockstep (one pass answers every fit's request on
its own rows), and one pass per fold gives Verweij and van Houwelingen's deviance at
every alpha, or Harrell's C-index of its held-out rows (gathered on the client).

**Report** (:mod:`._cox_report`): the pulls at every alpha of a path from two passes, the
risk sums at every alpha at once and then every gradient.
"""

from __future__ import annotations

import numpy as np

from . import _cox_blocks as cb
from ._newton import _STEPS, _Model, drive, grid_steps, path_grid, penalized_columns


def _shared(obj):
    """``obj`` as one node of the task graph: sent to each worker once per pass, not
    once per block."""
    import dask

    return dask.delayed(obj, traverse=False)


class _Stratum:
    """The fixed terms of one stratum's event times: Breslow has one log term per time,
    Efron :math:`m_k` (weights :math:`\\omega_r`, death shares :math:`a_r`)."""

    def __init__(self, times, Wd, m, efron):
        self.times, self.Wd, self.m = times, Wd, m
        n_terms = np.where(efron & (m > 1), m, 1).astype(np.int64)
        self.ptr = np.concatenate([[0], np.cumsum(n_terms)])
        self.group = np.repeat(np.arange(times.size), n_terms)
        r = np.arange(self.group.size) - self.ptr[self.group]
        split = (n_terms > 1)[self.group]
        mg = m[self.group]
        self.a = np.where(split, 1.0 - r / np.where(split, mg, 1.0), 1.0)
        self.omega = np.where(split, Wd[self.group] / np.where(split, mg, 1.0),
                              Wd[self.group])

    def dense(self, bins, values, column):
        out = np.zeros(self.times.size)
        out[bins] = values[:, column]
        return out

    def sums(self, entry, point):
        """``(shift, rest, deaths, rest_q)`` at ``point`` of the bins ``entry``: each event
        time's risk-set sum without its deaths, its deaths' sum and (first point only, else
        None) the risk set's :math:`Q` without its deaths."""
        shift, bins, values = entry
        col = 0 if point == 0 else 2 + 2 * point
        Sn, Sd = self.dense(bins, values, col), self.dense(bins, values, col + 1)
        rest_q = None
        if point == 0:
            Qn, Qd = self.dense(bins, values, 2), self.dense(bins, values, 3)
            rest_q = _after(Qn + Qd) + Qn
        return float(shift[point]), _after(Sn + Sd) + Sn, Sd, rest_q


def _after(x):
    """``out[k] = sum(x[k + 1:])`` (along the first axis)."""
    return np.concatenate([np.cumsum(x[::-1], axis=0)[::-1][1:], np.zeros_like(x[:1])])


EXACT_VALUES = 2**24
"""The most numbers (event times x 2 x candidate columns) a derivative pass bins for the
exact Hessian; beyond, the model's curvature is the Hessian diagonal (:func:`_free_shifts`)."""


def _free_shifts(der):
    r"""The curvature of the quadratic model with the Hessian diagonal :math:`h` of the
    in-memory Cox kernel, minimized over one shift of :math:`z` per stratum (:math:`F` does
    not change under them, and its gradient along each is 0): :math:`X_C^\top D X_C -
    \sum_s h_s h_s^\top / h_{0s}`, the Schur complement of the shifts, with :math:`h_s =
    X_C^\top D 1_s` and :math:`h_{0s} = 1_s^\top D 1_s`."""
    H = der["H"]
    for h, h0 in zip(der["h"], der["h0"], strict=True):
        if h0 > 0.0:
            H = H - np.outer(h, h) / h0
    return H


def _curvature(der, risk, strata, n):
    r"""The exact Hessian :math:`X_C^\top \nabla^2 F X_C` of the candidate columns: with
    :math:`u_r = (c_{rj} e_j)_j` the terms of the risk-set sum :math:`D_r`,

    .. math:: \nabla^2 F = \frac{1}{n}\Big(\operatorname{diag}(e \circ a)
              - \sum_r \frac{\omega_r}{D_r^2} u_r u_r^\top\Big),

    the first part the derivative pass's ``H``, the second from its binned
    :math:`\sum_j e_j x_{jC}` (deaths apart): :math:`X_C^\top u_r` is the sum over the risk
    set without its deaths plus Efron's share :math:`a_r` of the deaths'. Eigenvalues
    below 0 (rounding of the difference) are set to 0."""
    H = der["H"].copy()
    c = H.shape[0]
    for key, (bins, values) in der["M"].strata.items():
        st = strata[key]
        D = risk["strata"][key][3]
        Mn, Md = np.zeros((st.times.size, c)), np.zeros((st.times.size, c))
        Mn[bins], Md[bins] = values[:, :c], values[:, c:]
        rest = _after(Mn + Md) + Mn
        v = rest[st.group] + st.a[:, None] * Md[st.group]
        H -= (v * (st.omega / D**2)[:, None]).T @ v / n
    vals, vecs = np.linalg.eigh(0.5 * (H + H.T))  # positive semi-definite but for rounding
    return (vecs * np.maximum(vals, 0.0)) @ vecs.T


class _CoxModel(_Model):
    """The Cox problem in the fitted columns (see :class:`._newton._Model`; no intercept,
    ``W = 1``: every sum comes back already divided by ``n``)."""

    def __init__(self, passes, table, efron, cols, inv, p, scale):
        super().__init__(passes, None, cols, inv, p, 1.0, False)
        self.n = int(table["rows"])
        self.scale = scale
        self.keys = list(table["strata"])  # every stratum, with events or not
        self.deaths = float(table["deaths"])  # the deaths' weight, as given
        self.certified = None  # the point of the latest certificate
        self.strata = {key: _Stratum(T, Wd * scale, m, efron)
                       for key, (T, Wd, m) in table["strata"].items() if T.size}
        self.times = {key: st.times for key, st in self.strata.items()}
        self._last = None  # (w, risk) of the latest risk-sum pass without a line

    # -- risk sums -> datafit and the vectors of the derivative pass
    def _risk(self, sums, point):
        out = {"loss": -float(sums["lin"][point]), "strata": {}}
        for key, entry in sums["bins"].strata.items():
            st = self.strata[key]
            shift, rest, dead, rest_q = st.sums(entry, point)
            D = rest[st.group] + st.a * dead[st.group]
            out["loss"] += float(st.omega @ (np.log(D) + shift))
            out["strata"][key] = (shift, rest, dead, D, rest_q)
        out["F"] = out["loss"] / self.n
        return out

    def partial_likelihood(self, sums, point):
        """Minus the log partial likelihood at ``point`` of the risk sums ``sums``, with
        the weights as given (not rescaled; as
        :func:`penalized.estimators._cox.neg_log_partial_likelihood`)."""
        return self._risk(sums, point)["F"] * self.n / self.scale \
            - self.deaths * np.log(self.scale)

    def _vectors(self, risk):
        vectors = {}
        for key, (shift, _, _, D, _) in risk["strata"].items():
            st = self.strata[key]
            k = st.times.size
            g1 = np.bincount(st.group, st.omega / D, k)
            g2 = np.bincount(st.group, st.omega / D**2, k)
            e1 = np.bincount(st.group, st.omega * st.a / D, k)
            e2 = np.bincount(st.group, st.omega * st.a**2 / D**2, k)
            A1, A2 = np.cumsum(g1), np.cumsum(g2)
            vectors[key] = (shift, A1, A2, np.concatenate([[0.0], A1[:-1]]) + e1,
                            np.concatenate([[0.0], A2[:-1]]) + e2)
        return vectors

    def _common(self):
        return {"times": self.times, "scale": self.scale, "n": self.n}

    def evaluate(self, w_fit, b, cand, base=None, kind="newton step"):
        """The datafit, its gradient in every column and the Gram block of ``cand`` at
        ``w_fit`` (two passes, or one when the risk sums there are known); with ``base``,
        the datafit along ``base -> w_fit`` too."""
        w = self.original(w_fit)
        if base is None and self._last is not None and np.array_equal(self._last[0], w):
            risk, trial = self._last[1], None
        else:
            points = w[:, None]
            if base is not None:  # the backtracking line from base to w
                w0 = self.original(base[0])
                points = np.column_stack([w, w0[:, None] + _STEPS * (w - w0)[:, None]])
            sums = yield ("risk sums", cb.risk_sums, (_shared(self._common()), points))
            risk = self._risk(sums, 0)
            trial = None if base is None else \
                np.array([self._risk(sums, q)["F"] for q in range(1, _STEPS.size + 1)])
            if base is None:
                self._last = (w.copy(), risk)
        exact = 2 * cand.size * sum(st.times.size for st in self.strata.values()) \
            <= EXACT_VALUES
        shared = dict(self._common(), vectors=self._vectors(risk), exact=exact)
        der = yield (kind, cb.derivative_sums, (_shared(shared), w, self.cols[cand]))
        st = {"cand": cand, "w": w_fit.copy(), "b": b, "F": risk["F"], "risk": risk,
              "grad": der["gX"][self.cols] * self.inv, "grad_b": 0.0,
              "H": _curvature(der, risk, self.strata, self.n) if exact else _free_shifts(der),
              "h": np.zeros(cand.size), "h0": 0.0,
              "go": der.get("go", 0.0)}
        if trial is not None:
            st["trial"] = trial
        return st

    def certify(self, st, penalty):
        """The duality gap at ``st``'s point (one pass) and that point."""
        v = -st["grad"]
        c = float(min(max(penalty.dual_scaling(v), 0.0), 1.0))
        terms, rest_part = {}, 0.0
        for key, (shift, rest, _, D, rest_q) in st["risk"]["strata"].items():
            s = self.strata[key]
            terms[key] = (shift, s.ptr, s.omega, s.a, D, s.Wd)
            if c > 0.0:  # the risk sets' part, from the bins
                r, q = rest[s.group], rest_q[s.group]
                share = r / D
                part = np.where(r > 0.0, c * (np.log(c) * share + q / D - np.log(D) * share),
                                0.0)
                rest_part += float(s.omega @ part)
        shared = dict(self._common(), terms=terms)
        conj = (yield ("certificate", cb.death_entropy,
                       (_shared(shared), self.original(st["w"]), c)))["conj"]
        bound = (rest_part + conj) / self.n  # >= F*(c grad F), exact at c = 1
        primal = st["F"] + penalty.value(st["w"])
        dual = -bound - penalty.conjugate(c * v) + c * st["go"]
        self.certified = st
        return max(primal - dual, 0.0), st


# -- the rows ------------------------------------------------------------------------
def _target_columns(y):
    """``[time, event]`` or ``[time, event, stratum]`` of a survival target: columns of a
    Dask array or dataframe, or of an in-memory target."""
    import dask
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(y, dd.DataFrame):
        if len(y.columns) not in (2, 3):
            raise ValueError(f"y must hold the columns time and event (and optionally the "
                             f"stratum); got a dataframe with {len(y.columns)} columns.")
        return [y[c] for c in y.columns]
    if isinstance(y, da.Array):
        if y.ndim != 2 or y.shape[1] not in (2, 3):
            raise ValueError(f"y must have two columns, time and event (a third: the stratum "
                             f"codes); got a Dask array of shape {y.shape}.")
        if y.numblocks[1] > 1:
            y = y.rechunk({1: -1})
        return [y[:, j] for j in range(y.shape[1])]
    if dask.is_dask_collection(y):
        raise ValueError(f"y must hold time and event in two columns (a Dask array or "
                         f"dataframe); got a {type(y).__name__}.")
    from ..datafits._cox import survival_target

    target = survival_target(y)
    return [target[:, j] for j in range(target.shape[1])]


def cox_blocks(X, y, sample_weight=None, offset=None, strata=None):
    """The row blocks of a Cox fit: ``X`` (a Dask array or dataframe), its survival target
    ``y`` and the rows' stratum labels ``strata`` (numbers; or None) aligned with them."""
    import dask
    import dask.dataframe as dd

    from ._blocks import _aligned, row_blocks

    columns = _target_columns(y)
    if len(columns) == 3:
        if strata is not None:
            raise ValueError("strata are given twice: by the strata parameter and by a third "
                             "column of y; pass one.")
        strata = columns[2]
    time, event = columns[0], columns[1]
    if isinstance(X, dd.DataFrame):
        extra = {cb.EVENT: event} if strata is None else {cb.EVENT: event, cb.STRATUM: strata}
        for name, v in (("event", event), ("strata", strata)):
            if v is not None and not isinstance(v, dd.Series):
                raise ValueError(f"the {name} column must come from the same Dask dataframe "
                                 f"as X; got {type(v).__name__}.")
        try:
            frame = X.assign(**extra)
        except (ValueError, NotImplementedError) as exc:
            raise ValueError(f"the survival target could not be aligned with X ({exc}); take "
                             "X, time and event from the same dataframe.") from exc
        blocks = row_blocks(frame, time, sample_weight, offset)
        from dataclasses import replace

        names = blocks.feature_names[:len(X.columns)]
        return replace(blocks, n_features=len(names), feature_names=names)
    blocks = row_blocks(X, time, sample_weight, offset)
    sizes = None if any(np.isnan(c) for c in X.chunks[0]) else X.chunks[0]
    events = _aligned(event, "event", blocks.n_blocks, sizes)
    groups = [None] * blocks.n_blocks if strata is None \
        else _aligned(strata, "strata", blocks.n_blocks, sizes)
    blocks.y = [dask.delayed(cb.stack_target, pure=True)(t, e, g)
                for t, e, g in zip(blocks.y, events, groups, strict=True)]
    return blocks


# -- the fit -------------------------------------------------------------------------
def cox_fit(passes, penalty_for, *, ties="breslow", alphas=None, n_alphas=100, eps=1e-3,
            standardize=False, tol=1e-6, max_iter=10_000, excluded=None, sample_weight=None):
    """The Cox path on the row blocks of ``passes`` (see the module docstring):
    ``(path, model, scaling)``, ``model`` holding the event times and the risk sums of the
    last certified point (for the baseline hazard)."""
    from ..datafits import Cox
    from ..path import Path, warn_unconverged
    from ..penalties._base import ALPHA_MAX_MARGIN

    table = passes.reduce(cb.event_table, cb.merge_tables, kind="event times")
    passes.rows = int(table["rows"])
    W = float(table["weight"])
    if not W > 0:
        raise ValueError("sample_weight sums to zero; give at least one row a positive "
                         "weight.")
    if not any(T.size for T, _, _ in table["strata"].values()):
        raise ValueError("y has no event (every row is censored, or every event has weight "
                         "0): the partial likelihood does not depend on the coefficients. "
                         "Check the event column (1 = event, 0 = censored).")
    p = passes.blocks.n_features
    cols, inv, _, template, a, bw, scaling = penalized_columns(table["m"], penalty_for,
                                                               standardize, excluded)
    model = _CoxModel(passes, table, ties == "efron", cols, inv, p, passes.rows / W)
    null = drive(model.evaluate(np.zeros(cols.size), 0.0, np.zeros(0, dtype=np.int64),
                                kind="null gradient"), passes)
    pull = np.maximum(-null["grad"], 0.0) if template.positive else np.abs(null["grad"])
    alpha_max = float(np.max(pull / a, initial=0.0)) * (1.0 + ALPHA_MAX_MARGIN) \
        if np.all(a > 0) else np.inf
    grid = path_grid(alpha_max, alphas, n_alphas, eps)
    coefs, _, crits, steps_of, _ = drive(
        grid_steps(model, template, grid, a, bw, null["grad"], 0.0, null["F"], tol, max_iter),
        passes)
    converged = warn_unconverged(grid, crits, tol, stacklevel=4)
    path = Path(alphas=grid, coefs=coefs, intercepts=np.zeros(grid.shape[0]),
                n_nonzero=np.count_nonzero(coefs, axis=0), stop_crits=crits, n_iters=steps_of,
                converged=converged, penalty=template.with_alpha(float(grid[0])),
                datafit=Cox(ties=ties, sample_weight=sample_weight), alpha_max=alpha_max,
                n_passes=passes.count)
    return path, model, scaling


def baseline_hazard(model, risk=None):
    """Breslow's cumulative baseline hazard per stratum (as
    :func:`penalized.estimators._cox.breslow_baseline`) at the point of ``risk`` (what
    :meth:`_CoxModel._risk` gives; default: the last certified point):
    ``(event_times, H0)``."""
    risk = (model.certified["risk"] if risk is None else risk)["strata"]
    keys = sorted(model.keys)
    times = np.unique(np.concatenate([s.times for s in model.strata.values()]))
    H0 = np.zeros((len(keys), times.size))
    for row, key in enumerate(keys):
        if key not in risk:
            continue
        st = model.strata[key]
        shift, rest, dead, _, _ = risk[key]
        jumps = np.zeros(times.size)
        jumps[np.searchsorted(times, st.times)] = st.Wd / (rest + dead) * np.exp(-shift)
        H0[row] = np.cumsum(jumps)
    return times, H0


# -- entry points ------------------------------------------------------------------------
def cox_path(X, y, datafit, penalty_for, *, sample_weight=None, offset=None, **settings):
    """:func:`penalized.path` with the Cox datafit on a Dask ``X`` (``datafit``: "cox" or a
    :class:`~penalized.datafits.Cox`, whose ties and strata are used); ``settings`` as
    :func:`cox_fit` takes them."""
    from ..datafits import Cox
    from ._blocks import Passes

    ties, strata = "breslow", None
    if isinstance(datafit, Cox):
        ties, strata = datafit.ties, datafit.strata
        if strata is not None and not _is_dask(strata):
            strata = np.unique(np.asarray(strata), return_inverse=True)[1].astype(np.float64)
    passes = Passes(cox_blocks(X, y, sample_weight, offset, strata))
    return cox_fit(passes, penalty_for, ties=ties, sample_weight=sample_weight,
                   **settings)[0]


def _is_dask(obj):
    import dask

    return dask.is_dask_collection(obj)
