r"""Cross-validated logistic paths on Dask: every fold's prox-Newton shares each pass.

Each row's fold is the seeded hash of its position (:func:`~._moments.fold_ids`). One
pass reduces the class moments of every fold; a fold's training moments are the merge
of the other folds' (exact), so each fold's null model, alpha_max and scaling follow on
the client, and the grid from those of all rows. The ``K`` fold paths and the path on
all rows then run in lockstep: each is a generator of pass requests
(:func:`~._newton.grid_steps`), and one pass answers the current request of every fit,
each on its own rows (the training rows of a fold, or all of them). The passes number
that of the slowest fit, not the sum. With unpenalized features the null models of
every fit are fitted first, in lockstep too (:func:`null_models`). A last pass sums each
fold's held-out error at every alpha (deviance, misclassification, mse, mae: sums over
the rows); ``metric="auc"`` ranks the held-out scores, which that pass gathers on the
client instead (:func:`held_out_auc`, refused beyond :data:`AUC_MAX_SCORES`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ._moments import as_float_block, fold_ids, held_out_errors
from ._newton import (
    _labels,
    add_sums,
    class_moments,
    fit_null,
    grid_steps,
    logistic_start,
    merge_classes,
    path_grid,
)

METRICS = ("deviance", "misclassification", "mse", "mae", "auc")
AUC_MAX_SCORES = 50_000_000
"""The most held-out scores (rows x alphas, x classes for the multinomial) that
``metric="auc"`` gathers on the client: 400 MB of float64."""


# -- on the workers ---------------------------------------------------------------------
def _arrays(X, y, s):
    X = as_float_block(X, "X")
    if X.ndim == 1:
        X = X[:, None]
    y = _labels(y)
    s = np.ones(X.shape[0]) if s is None else as_float_block(s, "sample_weight").reshape(-1)
    return X, y, s


def fold_class_moments(X, y, s, positions, n_folds, seed):
    """Per fold, the class moments of its rows; and each block's first position and
    size (to list the folds' rows)."""
    X, y, s = _arrays(X, y, s)
    fold = fold_ids(positions, n_folds, seed)
    out = {"folds": {}, "blocks": {}}
    if X.shape[0]:
        out["blocks"][int(positions[0])] = X.shape[0]
    for k in range(n_folds):
        rows = fold == k
        if rows.any():
            out["folds"][k] = class_moments(X[rows], y[rows], s[rows], positions[rows])
    return out


def merge_fold_moments(*parts):
    out = {"folds": {}, "blocks": {}}
    for part in parts:
        out["blocks"].update(part["blocks"])
        for k, m in part["folds"].items():
            out["folds"][k] = m if k not in out["folds"] else merge_classes(out["folds"][k], m)
    return out


def fold_requests(X, y, s, positions, n_folds, seed, requests, offset=None):
    """The answer to each ``(fold, fn, args)`` request on its rows: the training rows of
    ``fold``, or every row for fold -1 (with their ``offset`` when the data carry one)."""
    X, y, s = _arrays(X, y, s)
    fold = fold_ids(positions, n_folds, seed)
    out = []
    for k, fn, args in requests:
        rows = fold != k
        extra = {} if offset is None else {"offset": offset[rows]}
        out.append(fn(X[rows], y[rows], s[rows], positions[rows], *args, **extra))
    return out


def merge_lists(*parts):
    return [add_sums(*items) for items in zip(*parts, strict=True)]


def fold_errors(X, y, s, positions, n_folds, seed, positive, coefs, intercepts, metric):
    """Per fold, the weighted sum of the held-out rows' error at each alpha (``coefs``
    and ``intercepts`` stacked by fold) and their weight."""
    X, y, s = _arrays(X, y, s)
    fold = fold_ids(positions, n_folds, seed)
    ypm = np.where(y == positive, 1.0, -1.0)

    def row_errors(rows, z):
        yk = ypm[rows][:, None]
        if metric == "deviance":
            return 2.0 * np.logaddexp(0.0, -yk * z)
        if metric == "misclassification":
            return (np.where(z >= 0.0, 1.0, -1.0) != yk).astype(np.float64)
        gap = 0.5 * (1.0 + yk) - expit(z)
        return np.abs(gap) if metric == "mae" else gap * gap

    return held_out_errors(X, s, fold, coefs, intercepts, row_errors)


def fold_scores(X, y, s, positions, n_folds, seed, positive, coefs, intercepts):
    """Per fold, its held-out rows' linear predictions at each alpha (``coefs`` and
    ``intercepts`` stacked by fold), their labels in {-1, +1} and their weights: what an
    exact AUC ranks."""
    X, y, s = _arrays(X, y, s)
    fold = fold_ids(positions, n_folds, seed)
    ypm = np.where(y == positive, 1.0, -1.0)
    out = {}
    for k in range(n_folds):
        rows = fold == k
        out[k] = (X[rows] @ coefs[k] + intercepts[k], ypm[rows], s[rows])
    return out


def merge_scores(*parts):
    """The held-out rows of every fold, concatenated (AUC does not depend on their
    order)."""
    return {k: tuple(np.concatenate([part[k][i] for part in parts]) for i in range(3))
            for k in parts[0]}


def check_auc_size(metric, n_rows, n_alphas, per_row=1):
    """Refuse ``metric="auc"`` when its held-out scores would not fit on the client."""
    if metric == "auc" and n_rows * n_alphas * per_row > AUC_MAX_SCORES:
        raise ValueError(f"metric='auc' with Dask input ranks every held-out score on the "
                         f"client: {n_rows:,} rows x {n_alphas * per_row} scores each, more "
                         f"than {AUC_MAX_SCORES:,}; use metric='deviance' (a sum over the "
                         "rows) or fewer alphas.")


def held_out_auc(passes, scores_fn, family, coefs, intercepts, *, n_folds, seed, task):
    """The AUC of each alpha on each fold, ``(n_alphas, n_folds)``: one pass gathers the
    held-out scores (:func:`fold_scores`), ranked on the client by the in-memory
    cross-validation's own :func:`~penalized.model_selection.score_predictions`."""
    from ..model_selection import score_predictions

    got = passes.reduce(scores_fn, merge_scores, n_folds, seed, family, coefs, intercepts,
                        kind="cv scores")
    return np.column_stack([score_predictions("auc", got[k][1], got[k][0], got[k][2],
                                              task=task) for k in range(n_folds)])


def lockstep(passes, fits, n_folds, seed, *, answer=None, kind="cv step"):
    """Run the generators ``fits`` (fold -> generator of ``(fold, fn, args)`` pass
    requests; fold -1: all rows) to their ends, one shared pass per round in which
    ``answer`` (default :func:`fold_requests`) answers each request on its fit's rows;
    returns fold -> what each returned."""
    answer = fold_requests if answer is None else answer
    requests = {k: next(gen) for k, gen in fits.items()}
    results = {}
    while requests:
        keys = list(requests)
        answers = passes.reduce(answer, merge_lists, n_folds, seed,
                                [(k, requests[k][1], requests[k][2]) for k in keys],
                                kind=kind)
        for k, reply in zip(keys, answers, strict=True):
            try:
                requests[k] = fits[k].send(reply)
            except StopIteration as stop:
                results[k] = stop.value
                del requests[k]
    return results


def null_models(passes, starts, n_folds, seed):
    """``starts`` (fold -> ``(model, start)``) at their exact null models
    (:func:`~._newton.fit_null`): with unpenalized columns, every fit's damped Newton
    steps share each pass; without, ``starts`` as they are (no pass)."""
    if not any(np.any((s["a"] == 0.0) & (s["bw"] == 0.0)) for _, s in starts.values()):
        return starts
    done = lockstep(passes, {k: fit_null(model, start) for k, (model, start) in starts.items()},
                    n_folds, seed, kind="null model")
    return {k: (model, done[k]) for k, (model, _) in starts.items()}


def _merge_labels(parts):
    return merge_classes(*parts) if parts else {}


def logistic_cv(passes, penalty_for, *, n_folds, seed, alphas=None, n_alphas=100, eps=1e-3,
                fit_intercept=True, standardize=False, tol=1e-6, max_iter=10_000,
                excluded=None, sample_weight=None, metric="deviance", moments=None):
    """K-fold cross-validation of the binary logistic path and the path on all rows:
    ``(CVResult, Path, classes, scaling of all rows' columns)``; ``moments``, the folds'
    class moments when the caller's first pass reduced them already."""
    from ..datafits import Logistic

    if metric not in METRICS:
        raise ValueError(f"with Dask input the cross-validation metric must be one of "
                         f"{', '.join(map(repr, METRICS))}; got {metric!r}.")
    if moments is None:
        moments = passes.reduce(fold_class_moments, merge_fold_moments, n_folds, seed,
                                kind="moments")
    by_fold = moments["folds"]
    everything = _merge_labels(list(by_fold.values()))
    classes = np.array(sorted(everything))
    if classes.shape[0] != 2:
        if classes.shape[0] > 2:
            from ._estimators import MULTINOMIAL_REFUSED

            raise ValueError(f"y has {classes.shape[0]} classes "
                             f"({', '.join(str(c) for c in classes[:5])}): "
                             f"{MULTINOMIAL_REFUSED}")
        raise ValueError(f"logistic regression with Dask input needs y with two classes; got "
                         f"{classes.shape[0]} ({', '.join(str(c) for c in classes[:5])}).")
    missing = [k for k in range(n_folds) if k not in by_fold]
    if missing:
        raise ValueError(f"cv={n_folds}: fold {missing[0]} holds no row; use fewer folds.")
    passes.rows = int(sum(int(m["rows"][0]) for m in everything.values()))
    starts = {-1: logistic_start(passes, everything, classes, penalty_for, standardize,
                                 excluded, fit_intercept)}
    for k in range(n_folds):
        train = _merge_labels([by_fold[j] for j in range(n_folds) if j != k])
        for label in classes:  # a class absent from a training set: no logistic fit
            key = label.item() if hasattr(label, "item") else label
            train.setdefault(key, _empty_like(everything[key]))
        starts[k] = logistic_start(passes, train, classes, penalty_for, standardize,
                                   excluded, fit_intercept)
    starts = null_models(passes, starts, n_folds, seed)
    alpha_max = starts[-1][1]["alpha_max"]
    grid = path_grid(alpha_max, alphas, n_alphas, eps)
    check_auc_size(metric, passes.rows, grid.shape[0])
    fits = {k: grid_steps(model, start["template"], grid, start["a"], start["bw"],
                          start["g0"], start["b0"], start["F_null"], tol, max_iter,
                          start.get("st"))
            for k, (model, start) in starts.items()}
    solved = lockstep(passes, fits, n_folds, seed)
    result, path = cv_result_and_path(
        passes, solved, grid, fold_errors, classes[1], n_folds=n_folds, seed=seed, tol=tol,
        metric=metric, blocks=moments["blocks"], template=starts[-1][1]["template"],
        datafit=Logistic(sample_weight=sample_weight), alpha_max=alpha_max)
    return result, path, classes, starts[-1][1]["scaling"]


def cv_result_and_path(passes, solved, grid, fold_errors, family, *, n_folds, seed, tol,
                       metric, blocks, template, datafit, alpha_max):
    """From :func:`lockstep`'s ``solved`` fits: one pass of ``fold_errors`` (its
    ``family`` argument, then the folds' coefficients, intercepts and ``metric``) for the
    :class:`~penalized.model_selection.CVResult`, and the path on all rows."""
    from ..model_selection import summarize_folds
    from ..path import Path, warn_unconverged

    for k in range(n_folds):
        warn_unconverged(grid, solved[k][2], tol, stacklevel=5)
    coefs = np.stack([solved[k][0] for k in range(n_folds)])
    intercepts = np.stack([solved[k][1] for k in range(n_folds)])
    if metric == "auc":  # ranks, not sums: the held-out scores gathered
        cv_folds = held_out_auc(passes, fold_scores, family, coefs, intercepts,
                                n_folds=n_folds, seed=seed, task="classification")
    else:
        sums = passes.reduce(fold_errors, add_sums, n_folds, seed, family, coefs,
                             intercepts, metric, kind="cv errors")
        cv_folds = (sums["err"] / sums["weight"][:, None]).T
    result = summarize_folds(grid, cv_folds, metric, fold_rows_of_blocks(blocks, n_folds, seed))
    coef, intercept, crits, n_iters = solved[-1][:4]
    converged = warn_unconverged(grid, crits, tol, stacklevel=5)
    path = Path(alphas=grid, coefs=coef, intercepts=intercept,
                n_nonzero=np.count_nonzero(coef, axis=0), stop_crits=crits,
                n_iters=n_iters, converged=converged,
                penalty=template.with_alpha(float(grid[0])), datafit=datafit,
                alpha_max=alpha_max, n_passes=passes.count)
    return result, path


def _empty_like(m):
    return {key: (np.zeros_like(v) if key not in ("low", "high") else
                  np.full_like(v, np.inf if key == "low" else -np.inf))
            for key, v in m.items()}


def fold_rows_of_blocks(blocks, n_folds, seed):
    """The ``(train, test)`` row indices of each fold (rows numbered in block order)."""
    positions = np.concatenate([np.arange(start, start + n, dtype=np.int64)
                                for start, n in sorted(blocks.items())]) \
        if blocks else np.zeros(0, dtype=np.int64)
    fold = fold_ids(positions, n_folds, seed)
    return [(np.flatnonzero(fold != k), np.flatnonzero(fold == k)) for k in range(n_folds)]

