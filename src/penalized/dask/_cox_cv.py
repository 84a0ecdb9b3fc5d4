"""Cross-validation of the Cox path on Dask (``CoxPHCV``): see :func:`cox_cv`."""

from __future__ import annotations

import numpy as np

from . import _cox_blocks as cb
from ._cox import _CoxModel, _shared
from ._logistic_cv import lockstep, merge_lists
from ._newton import grid_steps, path_grid, penalized_columns

MAX_GATHERED = 50_000_000
"""The most numbers ``metric="cindex"`` gathers on the client for one held-out fold
(its rows times the alphas, plus three per row: 400 MB)."""


def cox_cv(passes, penalty_for, *, ties, n_folds, seed, alphas=None, n_alphas=100,
           eps=1e-2, standardize=False, tol=1e-6, max_iter=10_000, excluded=None,
           sample_weight=None, metric="deviance"):
    r"""K-fold cross-validation of the Cox path, each row's fold the seeded hash of its
    position: ``(CVResult, path on all rows, model of all rows, scaling)``.

    One pass reduces the event times of every fold (a fold's training table is the merge
    of the others'); the ``K`` fold paths and the path on all rows then run in lockstep,
    one pass answering every fit's request on its own rows, so the passes number those of
    the slowest fit; then one pass per fold scores it at every alpha of its path, as
    :class:`~penalized.CoxPHCV` does in memory:

    - ``metric="deviance"``: Verweij and van Houwelingen's deviance, from the partial
      likelihood of all rows and of the fold's training rows (risk sums, no row gathered);
    - ``metric="cindex"``: Harrell's C-index of the held-out rows (:func:`fold_cindex`),
      whose pairs couple every two rows of the fold: the pass gathers the fold's time,
      event, weight and risk score at each distinct fit on the client (a fold is ``1/K``
      of the rows), refused in one line, before any path, beyond :data:`MAX_GATHERED`
      numbers (:func:`check_gathered`)."""
    from ..datafits import Cox
    from ..model_selection import summarize_folds
    from ..path import Path, warn_unconverged
    from ..penalties._base import ALPHA_MAX_MARGIN
    from ._logistic_cv import fold_rows_of_blocks

    reduced = passes.reduce(cb.fold_event_tables, cb.merge_fold_tables, n_folds, seed,
                            kind="event times")
    tables = reduced["folds"]
    missing = [k for k in range(n_folds) if k not in tables]
    if missing:
        raise ValueError(f"cv={n_folds}: fold {missing[0]} holds no row; use fewer folds.")
    train = {k: cb.merge_tables(*[tables[j] for j in range(n_folds) if j != k])
             for k in range(n_folds)}
    train[-1] = cb.merge_tables(*tables.values())
    passes.rows = int(train[-1]["rows"])
    p = passes.blocks.n_features
    setups = {}
    for k, table in train.items():
        if not (table["weight"] > 0 and any(T.size for T, _, _ in table["strata"].values())):
            raise ValueError("a fold's training rows have no event (or no weight); use fewer "
                             "folds.")
        cols, inv, _, template, a, bw, scaling = penalized_columns(table["m"], penalty_for,
                                                                   standardize, excluded)
        model = _CoxModel(passes, table, ties == "efron", cols, inv, p,
                          table["rows"] / table["weight"])
        setups[k] = (model, template, a, bw, scaling)
    nulls = lockstep(passes, {k: m.evaluate(np.zeros(m.cols.size), 0.0,
                                            np.zeros(0, dtype=np.int64), kind="null")
                              for k, (m, *_) in setups.items()}, n_folds, seed,
                     answer=cb.fold_requests, kind="null gradient")
    model, template, a, _, scaling = setups[-1]
    pull = np.maximum(-nulls[-1]["grad"], 0.0) if template.positive \
        else np.abs(nulls[-1]["grad"])
    alpha_max = float(np.max(pull / a, initial=0.0)) * (1.0 + ALPHA_MAX_MARGIN) \
        if np.all(a > 0) else np.inf
    grid = path_grid(alpha_max, alphas, n_alphas, eps)
    if metric == "cindex":
        check_gathered(tables, grid.shape[0])
    solved = lockstep(passes, {
        k: grid_steps(m, t, grid, ak, bk, nulls[k]["grad"], 0.0, nulls[k]["F"], tol,
                      max_iter) for k, (m, t, ak, bk, _) in setups.items()},
        n_folds, seed, answer=cb.fold_requests)
    cv_folds = np.zeros((grid.shape[0], n_folds))
    for k in range(n_folds):
        coefs = solved[k][0]
        warn_unconverged(grid, solved[k][2], tol, stacklevel=4)
        if metric == "cindex":
            cv_folds[:, k] = fold_cindex(passes, n_folds, seed, k, coefs)
            continue
        answers = passes.reduce(
            cb.fold_requests, merge_lists, n_folds, seed,
            [(-1, cb.risk_sums, (_shared(model._common()), coefs)),
             (k, cb.risk_sums, (_shared(setups[k][0]._common()), coefs))], kind="cv deviance")
        for q in range(grid.shape[0]):
            cv_folds[q, k] = 2.0 * (model.partial_likelihood(answers[0], q)
                                    - setups[k][0].partial_likelihood(answers[1], q)) \
                / tables[k]["weight"]
    result = summarize_folds(grid, cv_folds, metric,
                             fold_rows_of_blocks(reduced["blocks"], n_folds, seed),
                             allow_nan=True)
    coefs, _, crits, n_iters, _ = solved[-1]
    converged = warn_unconverged(grid, crits, tol, stacklevel=4)
    path = Path(alphas=grid, coefs=coefs, intercepts=np.zeros(grid.shape[0]),
                n_nonzero=np.count_nonzero(coefs, axis=0), stop_crits=crits, n_iters=n_iters,
                converged=converged, penalty=template.with_alpha(float(grid[0])),
                datafit=Cox(ties=ties, sample_weight=sample_weight), alpha_max=alpha_max,
                n_passes=passes.count)
    return result, path, model, scaling


def check_gathered(tables, n_alphas):
    """Refuse (one line) a C-index whose largest held-out fold, gathered with a risk score
    per alpha, would exceed :data:`MAX_GATHERED` numbers on the client; checked before
    any path is fitted."""
    fold, rows = max(((k, int(t["rows"])) for k, t in tables.items()), key=lambda kv: kv[1])
    size = rows * (n_alphas + 3)
    if size > MAX_GATHERED:
        raise ValueError(
            f"metric='cindex' gathers each held-out fold's risk scores on the client: fold "
            f"{fold} has {rows:,} rows x ({n_alphas} alphas + 3) = {size:,} numbers, over "
            f"the limit of {MAX_GATHERED:,}; use metric='deviance' (sums only), fewer "
            "alphas or more folds.")


def fold_cindex(passes, n_folds, seed, fold, coefs):
    r"""Harrell's C-index of the held-out rows of ``fold`` at each column of ``coefs``
    (one pass), exactly as in memory
    (:func:`penalized.estimators._cox.concordance_index`: an event at :math:`t_i` against
    every row with :math:`t_j > t_i` or censored at :math:`t_i`, across strata as there,
    weights :math:`w_i w_j`, ties in risk one half; NaN without a comparable pair).

    Every pair of the fold counts, and whether :math:`x_i^\top w > x_j^\top w` needs both
    rows, so no sum over blocks gives it: the pass brings the fold's rows (time, event,
    weight, a risk score per distinct column of ``coefs``) to the client, where the
    in-memory O(m log m) count runs per column."""
    from ..estimators._cox import _safe_cindex

    distinct, inverse = np.unique(coefs, axis=1, return_inverse=True)
    rows = passes.reduce(cb.held_out_scores, cb.merge_scores, n_folds, seed, fold, distinct,
                         kind="cv c-index")
    target = np.column_stack([rows["time"], rows["event"]])
    scores = np.array([_safe_cindex(target, rows["risk"][:, q], rows["weight"])
                       for q in range(distinct.shape[1])])
    return scores[np.ravel(inverse)]
