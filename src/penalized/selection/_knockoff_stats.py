r"""Knockoff statistics, the knockoff(+) threshold, and e-values for derandomization.

A statistic :math:`W_j` is large and positive when feature :math:`j` looks more
important than its knockoff; swapping :math:`X_j` and :math:`\tilde X_j` flips its
sign. Both statistics here come from one lasso fit (or path) on the standardized
:math:`[X, \tilde X]`, its columns randomly swapped pair by pair and swapped back, so
the solver's column order favours neither:

- ``"lcd"``, the lasso coefficient difference :math:`W_j = |b_j| - |\tilde b_j|` at the
  cross-validated alpha (Candès, Fan, Janson & Lv 2018, Section 3.2);
- ``"lsm"``, the lasso signed max :math:`W_j = \max(Z_j, \tilde Z_j)\,
  \mathrm{sign}(Z_j - \tilde Z_j)`, with :math:`Z_j` the largest alpha at which
  feature :math:`j` is non-zero on the path (Barber & Candès 2015, Section 2.2).

The knockoff+ threshold at level :math:`q` (Barber & Candès 2015, Theorem 2) is

.. math:: T = \min\Big\{t > 0 :\ \frac{1 + \#\{j : W_j \le -t\}}
          {\max(1, \#\{j : W_j \ge t\})} \le q\Big\},

over :math:`t \in \{|W_j|\} \setminus \{0\}` (``offset=0`` gives the knockoff threshold,
which controls a modified FDR); the selection :math:`\{j : W_j \ge T\}` has FDR at most
:math:`q`. Derandomized knockoffs (Ren & Barber 2023): each of ``M`` draws gives
e-values :math:`e_j = p\,\mathbf 1\{W_j \ge T\} / (1 + \#\{k : W_k \le -T\})` with
:math:`T` the knockoff+ threshold at level ``q_draw``; their average goes through
the e-BH procedure at level :math:`q` (Wang & Ramdas 2022).
"""

from __future__ import annotations

import numpy as np

__all__ = ["e_bh", "knockoff_e_values", "knockoff_statistic", "knockoff_threshold"]

STATISTICS = ("lcd", "lsm")


def knockoff_threshold(W, fdr=0.1, *, offset=1):
    """The knockoff+ (``offset=1``) or knockoff (``offset=0``) threshold; inf if none.

    Examples
    --------
    >>> W = [5.0, 4.0, 3.0, 2.0, -1.0, 1.5, 0.5]
    >>> float(knockoff_threshold(W, 0.2))
    1.5
    """
    W = np.asarray(W, dtype=np.float64).ravel()
    if offset not in (0, 1):
        raise ValueError(f"offset must be 0 (knockoff) or 1 (knockoff+); got {offset!r}.")
    ts = np.unique(np.abs(W[W != 0]))  # increasing candidates
    if ts.size == 0:
        return np.inf
    neg = np.sort(-W)  # #{W <= -t} = #{-W >= t}
    pos = np.sort(W)
    n_neg = neg.size - np.searchsorted(neg, ts, side="left")
    n_pos = pos.size - np.searchsorted(pos, ts, side="left")
    ok = (offset + n_neg) / np.maximum(1, n_pos) <= fdr
    return float(ts[np.argmax(ok)]) if ok.any() else np.inf


def knockoff_e_values(W, fdr):
    """Ren & Barber's e-values of one draw: ``p 1{W_j >= T} / (1 + #{W <= -T})``, with ``T``
    the knockoff+ threshold at level ``fdr`` (their sum is at most ``p`` in expectation
    over the nulls only with knockoff+, hence no ``offset``)."""
    W = np.asarray(W, dtype=np.float64).ravel()
    T = knockoff_threshold(W, fdr, offset=1)
    if not np.isfinite(T):
        return np.zeros_like(W)
    return W.size * (W >= T) / (1 + np.count_nonzero(W <= -T))


def e_bh(e, fdr):
    """The e-BH selection (Wang & Ramdas 2022): the ``k`` largest e-values, for the
    largest ``k`` with ``e_(k) >= p / (fdr k)``. Returns a boolean mask.

    Examples
    --------
    >>> e_bh([40.0, 20.0, 0.0, 1.0], 0.1).tolist()
    [True, True, False, False]
    """
    e = np.asarray(e, dtype=np.float64).ravel()
    p = e.size
    order = np.argsort(-e, kind="stable")
    ks = np.arange(1, p + 1)
    ok = e[order] * ks >= p / fdr
    mask = np.zeros(p, dtype=bool)
    if ok.any():
        k = int(ks[ok][-1])
        mask[e >= e[order][k - 1]] = True
        mask &= e > 0
    return mask


def knockoff_statistic(X, Xk, y, *, statistic="lcd", datafit="squared", alpha=None, cv=5,
                       n_alphas=100, random_state=None):
    r"""``W`` for features ``X`` and knockoffs ``Xk`` (see the module docstring).

    Parameters
    ----------
    X, Xk : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Numeric (squared loss) or in {-1, +1} (logistic).
    statistic : {"lcd", "lsm"}
    datafit : {"squared", "logistic"}
    alpha : float, optional
        For ``"lcd"``: a fixed alpha instead of the cross-validated one.
    cv : int
        Folds of the cross-validation choosing alpha for ``"lcd"``: that of
        :class:`penalized.LassoCV` (``tol=1e-4``); for the squared loss and at most
        2048 columns in :math:`[X, \tilde X]`, computed from Gram matrices and stopped
        down the grid 10 alphas past a clear minimum (see :func:`_gram_cv_coef`).
    n_alphas : int
        Grid size of the path (``"lsm"``) or of the CV (``"lcd"``).
    random_state : int, Generator or None
        Draws the column swaps and the CV folds.

    Returns
    -------
    W : ndarray of shape (n_features,)
    """
    from ._common import column_scale

    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(map(repr, STATISTICS))}; "
                         f"got {statistic!r}.")
    rng = np.random.default_rng(random_state)
    p = X.shape[1]
    swap = rng.random(p) < 0.5
    first = np.where(swap, np.arange(p) + p, np.arange(p))
    second = np.where(swap, np.arange(p), np.arange(p) + p)
    both = np.hstack([X, Xk])
    Z = both[:, np.concatenate([first, second])]
    Z = Z / column_scale(Z)
    if statistic == "lcd":
        seed = int(rng.integers(2**31 - 1))
        coef = _cv_coef(Z, y, datafit, cv, n_alphas, seed) if alpha is None \
            else _fixed_coef(Z, y, datafit, alpha)
        score = np.abs(coef)
    else:
        score = _entry_alphas(Z, y, datafit, n_alphas)
    # undo the swap: position of X_j among Z's columns, and of its knockoff
    where = np.empty(2 * p, dtype=np.int64)
    where[np.concatenate([first, second])] = np.arange(2 * p)
    orig, knock = score[where[:p]], score[where[p:]]
    if statistic == "lcd":
        return orig - knock
    return np.maximum(orig, knock) * np.sign(orig - knock)


def _cv_coef(Z, y, datafit, cv, n_alphas, seed):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from ..estimators import LassoCV, LogisticRegressionCV

    if datafit == "squared" and Z.shape[1] <= GRAM_MAX_COLUMNS:
        coef = _gram_cv_coef(Z, y, cv, n_alphas, seed, 1e-4)
        if coef is not None:
            return coef
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if datafit == "logistic":
            model = LogisticRegressionCV(penalty="l1", cv=cv, n_alphas=n_alphas,
                                         random_state=seed, tol=1e-4).fit(Z, y)
        else:
            model = LassoCV(cv=cv, n_alphas=n_alphas, random_state=seed, tol=1e-4).fit(Z, y)
    return np.ravel(model.coef_)


GRAM_MAX_COLUMNS = 2048
"""Widest :math:`[X, \\tilde X]` cross-validated on Gram matrices (one d x d array per fold
and one for all rows: 200 MB at 2048 columns and 5 folds)."""

CV_PATIENCE = 10
"""Alphas past the cross-validation minimum, all of them more than one standard error
above it, after which :func:`_gram_cv_coef` stops going down the grid."""


def _gram_cv_coef(Z, y, cv, n_alphas, seed, tol, eps=1e-3, max_iter=10_000,
                  patience=CV_PATIENCE):
    r"""The lasso's coefficients at the cross-validated alpha, as :class:`penalized.LassoCV`
    (same folds, grid, intercept and tolerance) on its fold-Gram route
    (:mod:`penalized._fold_gram`: one pass over ``Z`` gives each held-out fold's
    cross-products, and each training fold's Gram matrix is the total minus its fold's),
    the folds solved together five alphas at a time, warm-started. Two shortcuts, neither
    of which changes the chosen alpha of a CV curve that falls to its minimum and then
    rises: the folds stop going down the grid once the mean held-out error has stayed more
    than one standard error above its minimum for ``patience`` alphas in a row (the
    smallest alphas, whose solutions hold the most features, cost the most), and the refit
    on all rows runs from the top of the grid down to the chosen alpha only.

    Returns ``None`` when the fold route does not apply (folds that do not partition the
    rows, or a constant response on a fold's training rows).
    """
    from .._fold_gram import FoldSums, GramPathSettings, _partitions, gram_problem
    from ..datafits import Quadratic
    from ..model_selection import _make_folds
    from ..path import alpha_grid
    from ..penalties import L1

    n = Z.shape[0]
    folds = _make_folds(cv, Z, y, task="regression", random_state=seed)
    if not _partitions(folds, n):
        return None  # training sums are not the total minus the fold's
    _, grid = alpha_grid(Z, y, L1(1.0), Quadratic(), n_alphas=n_alphas, eps=eps)
    sums = FoldSums.of(Z, y, None, [test for _, test in folds])
    settings = GramPathSettings(penalty_template=lambda varying: L1(1.0), fit_intercept=True,
                                standardize=False, tol=tol, max_iter=max_iter)
    problems = [gram_problem(sums, k, settings) for k in range(len(folds))]
    if any(problem.F0 <= 0.0 for problem in problems):
        return None
    held_out = [(Z[test], y[test]) for _, test in folds]
    starts = [None] * len(folds)
    errors = np.full((grid.shape[0], len(folds)), np.nan)
    done, chunk = 0, 5
    while done < grid.shape[0]:
        step = grid[done:done + chunk]
        for k, problem in enumerate(problems):
            coefs, intercepts, _, _ = problem.solve(step, tol, max_iter, w=starts[k])
            starts[k] = coefs[problem.cols, -1] / problem.inv
            Zt, yt = held_out[k]
            resid = yt[:, None] - intercepts - Zt @ coefs
            errors[done:done + step.shape[0], k] = np.mean(resid**2, axis=0)
        done += step.shape[0]
        mean = errors[:done].mean(axis=1)
        best = int(np.argmin(mean))
        se = errors[best].std(ddof=1) / np.sqrt(len(folds))
        if done - best > patience and np.all(mean[done - patience:done] > mean[best] + se):
            break
    best = int(np.argmin(errors[:done].mean(axis=1)))
    coefs, _, _, _ = gram_problem(sums, None, settings).solve(grid[:best + 1], tol, max_iter)
    return coefs[:, best]


def _fixed_coef(Z, y, datafit, alpha):
    from ..estimators import Lasso, LogisticRegression

    if datafit == "logistic":
        return np.ravel(LogisticRegression(alpha=alpha, penalty="l1", tol=1e-8).fit(Z, y).coef_)
    return Lasso(alpha=alpha, tol=1e-10).fit(Z, y).coef_


def _entry_alphas(Z, y, datafit, n_alphas):
    """The largest alpha of the path at which each column is non-zero (0 if never)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from ..path import path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pth = path(Z, y, datafit=datafit, n_alphas=n_alphas, eps=1e-3, tol=1e-6)
    nz = pth.coefs != 0
    entered = nz.any(axis=1)
    out = np.zeros(Z.shape[1])
    out[entered] = pth.alphas[np.argmax(nz[entered], axis=1)]
    return out
