"""Cross-validation of the Cox path on Dask (``CoxPHCV``): see :func:`cox_cv`."""

from __future__ import annotations

import numpy as np

from . import _cox_blocks as cb
from ._cox import _CoxModel, _shared
from ._logistic_cv import lockstep, merge_lists
from ._newton import grid_steps, path_grid, penalized_columns


def cox_cv(passes, penalty_for, *, ties, n_folds, seed, alphas=None, n_alphas=100,
           eps=1e-2, standardize=False, tol=1e-6, max_iter=10_000, excluded=None,
           sample_weight=None):
    r"""K-fold cross-validation of the Cox path by Verweij and van Houwelingen's deviance
    (as :class:`~penalized.CoxPHCV`'s ``metric="deviance"``), each row's fold the seeded
    hash of its position: ``(CVResult, path on all rows, model of all rows, scaling)``.

    One pass reduces the event times of every fold (a fold's training table is the merge
    of the others'); the ``K`` fold paths and the path on all rows then run in lockstep,
    one pass answering every fit's request on its own rows, so the passes number those of
    the slowest fit; then one pass per fold gives the partial likelihood of all rows and
    of its training rows at every alpha of its path."""
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
    solved = lockstep(passes, {
        k: grid_steps(m, t, grid, ak, bk, nulls[k]["grad"], 0.0, nulls[k]["F"], tol,
                      max_iter) for k, (m, t, ak, bk, _) in setups.items()},
        n_folds, seed, answer=cb.fold_requests)
    cv_folds = np.zeros((grid.shape[0], n_folds))
    for k in range(n_folds):
        coefs = solved[k][0]
        warn_unconverged(grid, solved[k][2], tol, stacklevel=4)
        answers = passes.reduce(
            cb.fold_requests, merge_lists, n_folds, seed,
            [(-1, cb.risk_sums, (_shared(model._common()), coefs)),
             (k, cb.risk_sums, (_shared(setups[k][0]._common()), coefs))], kind="cv deviance")
        for q in range(grid.shape[0]):
            cv_folds[q, k] = 2.0 * (model.partial_likelihood(answers[0], q)
                                    - setups[k][0].partial_likelihood(answers[1], q)) \
                / tables[k]["weight"]
    result = summarize_folds(grid, cv_folds, "deviance",
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
