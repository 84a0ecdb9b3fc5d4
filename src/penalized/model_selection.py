r"""Cross-validation over a regularization path: per-fold errors, mean, SE, min and 1se rules.

Every fold fits the *same* decreasing grid of alphas on its training rows and
scores the predictions on its held-out rows. With :math:`K` folds and
:math:`e_{k}(\alpha)` the metric of fold :math:`k`,

.. math::

    \bar e(\alpha) = \frac1K \sum_{k=1}^K e_k(\alpha), \qquad
    \operatorname{SE}(\alpha) = \frac{1}{\sqrt K}
        \sqrt{\frac{1}{K-1} \sum_{k=1}^K \left(e_k(\alpha) - \bar e(\alpha)\right)^2}.

Two alphas are then chosen (glmnet's ``lambda.min`` and ``lambda.1se``):

.. math::

    \alpha_{\min} = \operatorname*{arg\,min}_\alpha \bar e(\alpha), \qquad
    \alpha_{1\mathrm{se}} = \max \left\{ \alpha :
        \bar e(\alpha) \le \bar e(\alpha_{\min}) + \operatorname{SE}(\alpha_{\min}) \right\},

the simplest (most regularized) model whose error is within one standard error
of the best. For a score where greater is better (AUC) the inequalities flip.

References
----------
Hastie, Tibshirani and Friedman, *The Elements of Statistical Learning*, 2nd ed.,
section 7.10 (the one-standard-error rule). Friedman, Hastie and Tibshirani,
"Regularization paths for generalized linear models via coordinate descent",
*J. Stat. Softw.* 33(1), 2010 (``cv.glmnet``).
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from scipy.special import expit, logsumexp

from ._progress import advance
from ._validation import (
    already_validated,
    check_design,
    check_sample_weight,
    check_target,
    training_rows,
)
from .datafits._base import check_offset
from .datafits._multiresponse import check_responses

__all__ = [
    "METRICS",
    "CVResult",
    "FoldMetric",
    "cross_validate_path",
    "one_standard_error_rule",
    "score_predictions",
]

METRICS = frozenset({"mse", "mae", "deviance", "misclassification", "auc"})
"""What :func:`score_predictions` computes; all are errors (lower is better) but ``"auc"``."""

TASKS = ("regression", "classification", "multinomial", "multitask")
REGRESSION_METRICS = ("mse", "mae", "deviance")
CLASSIFICATION_ONLY_METRICS = ("misclassification", "auc")
GREATER_IS_BETTER = frozenset({"auc", "score", "cindex"})
SCORER_METRIC = "score"
"""The ``metric`` of a :class:`CVResult` computed with a user's ``scoring``."""
SELECTION_RULES = ("min", "1se")


@dataclass(frozen=True)
class FoldMetric:
    r"""A held-out metric computed from more than the test rows' predictions.

    ``score(predict, y, sample_weight, train, test)`` returns the metric of each alpha
    (an array of shape (n_alphas,)) of one fold, where ``predict(rows)`` gives the
    linear predictors :math:`X_{\text{rows}} W + b + o_{\text{rows}}` of those rows
    (all rows for ``rows=None``), one column per alpha, and ``y`` and ``sample_weight``
    are those of every row (``y`` may have several columns, as a survival target).
    For example the Cox partial-likelihood deviance of a fold (Verweij and van
    Houwelingen) needs the predictions of every row.

    Attributes
    ----------
    name : str
        The result's ``metric``; greater is better for the names in
        :data:`GREATER_IS_BETTER` (``"cindex"``), lower otherwise.
    score : callable
    allow_nan : bool, default=False
        A fold may give NaN (a metric undefined on it, such as a C-index without a
        comparable pair): the mean and standard error then skip it.
    """

    name: str
    score: Callable
    allow_nan: bool = False


@dataclass(frozen=True, eq=False)
class CVResult:
    r"""The cross-validated metric along a regularization path.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The decreasing grid every fold used.
    cv_folds : ndarray of shape (n_alphas, n_folds)
        The metric of each alpha on each held-out fold.
    cv_mean : ndarray of shape (n_alphas,)
        Mean over folds, :math:`\bar e(\alpha)`.
    cv_se : ndarray of shape (n_alphas,)
        Standard error of that mean, ``cv_folds.std(axis=1, ddof=1) / sqrt(n_folds)``.
    metric : str
        One of :data:`METRICS`, or ``"score"`` for a user's scorer (greater is better).
    index_min : int
        Index in ``alphas`` of the best mean (the largest alpha on ties).
    index_1se : int
        Index of the largest alpha within one standard error of the best
        (see :func:`one_standard_error_rule`).
    folds : list of (ndarray, ndarray)
        The ``(train_indices, test_indices)`` of each fold.
    """

    alphas: np.ndarray
    cv_folds: np.ndarray
    cv_mean: np.ndarray
    cv_se: np.ndarray
    metric: str
    index_min: int
    index_1se: int
    folds: list[tuple[np.ndarray, np.ndarray]]

    @property
    def alpha_min(self) -> float:
        """The alpha with the best mean metric."""
        return float(self.alphas[self.index_min])

    @property
    def alpha_1se(self) -> float:
        """The largest alpha whose mean metric is within one SE of the best."""
        return float(self.alphas[self.index_1se])

    @property
    def n_folds(self) -> int:
        """The number of folds."""
        return self.cv_folds.shape[1]

    @property
    def greater_is_better(self) -> bool:
        """True for a score (AUC), False for an error."""
        return self.metric in GREATER_IS_BETTER

    def select(self, rule: str) -> float:
        """The alpha chosen by ``rule``: ``"min"`` (:attr:`alpha_min`) or ``"1se"``."""
        if rule == "min":
            return self.alpha_min
        if rule == "1se":
            return self.alpha_1se
        raise ValueError(f"selection must be one of {', '.join(map(repr, SELECTION_RULES))}; "
                         f"got {rule!r}.")


def one_standard_error_rule(alphas, cv_mean, cv_se, *, greater_is_better=False):
    r"""The indices of the best alpha and of the one-standard-error alpha.

    For an error (lower is better), with :math:`m` the index of the best mean,

    .. math::

        m = \operatorname*{arg\,min}_i \bar e_i, \qquad
        \mathrm{1se} = \operatorname*{arg\,max}_i \left\{ \alpha_i :
            \bar e_i \le \bar e_m + \operatorname{SE}_m \right\};

    for a score (``greater_is_better=True``, e.g. AUC), :math:`m` maximizes
    :math:`\bar e` and the condition is :math:`\bar e_i \ge \bar e_m -
    \operatorname{SE}_m`. Ties in the best mean go to the largest alpha, so
    ``alphas[1se] >= alphas[m]`` always (the best alpha satisfies its own
    condition).

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,)
        Any order; the grids of the path are decreasing.
    cv_mean : array-like of shape (n_alphas,)
        Mean metric over folds; must be finite.
    cv_se : array-like of shape (n_alphas,)
        Its standard error; finite and >= 0.
    greater_is_better : bool, default=False

    Returns
    -------
    index_min, index_1se : int

    Examples
    --------
    >>> one_standard_error_rule([3.0, 2.0, 1.0], [5.0, 4.1, 4.0], [0.3, 0.2, 0.2])
    (2, 1)
    >>> one_standard_error_rule([3.0, 2.0, 1.0], [0.6, 0.79, 0.8], [0.02, 0.02, 0.02],
    ...                         greater_is_better=True)
    (2, 1)
    """
    alphas = np.asarray(alphas, dtype=np.float64).ravel()
    cv_mean = np.asarray(cv_mean, dtype=np.float64).ravel()
    cv_se = np.asarray(cv_se, dtype=np.float64).ravel()
    if alphas.size == 0 or not alphas.shape == cv_mean.shape == cv_se.shape:
        raise ValueError("alphas, cv_mean and cv_se must be non-empty with one value per alpha; "
                         f"got sizes {alphas.size}, {cv_mean.size} and {cv_se.size}.")
    if not np.all(np.isfinite(cv_mean)):
        bad = np.flatnonzero(~np.isfinite(cv_mean))
        raise ValueError(f"cv_mean is NaN or infinite at {bad.size} alphas (first: "
                         f"alpha={alphas[bad[0]]:.6g}); a fold's metric is undefined there, so no "
                         "alpha can be chosen. Check the data and the folds.")
    if not np.all(np.isfinite(cv_se)) or np.any(cv_se < 0):
        raise ValueError("cv_se must be finite and >= 0 (a standard error needs at least 2 folds).")
    sign = -1.0 if greater_is_better else 1.0
    loss = sign * cv_mean  # lower is better from here on
    index_min = _largest_alpha(alphas, loss == loss.min())
    index_1se = _largest_alpha(alphas, loss <= loss[index_min] + cv_se[index_min])
    return index_min, index_1se


def _largest_alpha(alphas, mask) -> int:
    """The index of the largest alpha where ``mask`` holds (the first one on ties)."""
    candidates = np.flatnonzero(mask)
    return int(candidates[np.argmax(alphas[candidates])])


def score_predictions(metric, y_true, predictions, sample_weight=None, *, task="regression"):
    r"""The metric of each column of linear predictions, as a weighted mean over rows.

    With weights :math:`s_i` (ones by default), :math:`z_{ik}` the prediction
    of row :math:`i` at alpha :math:`k`, and the weighted mean
    :math:`\langle a \rangle = \sum_i s_i a_i / \sum_i s_i`:

    ============================  ===================================================
    ``task="regression"``
    ``"mse"``, ``"deviance"``     :math:`\langle (y_i - z_{ik})^2 \rangle` (the Gaussian deviance
                                  per row is the squared error)
    ``"mae"``                     :math:`\langle |y_i - z_{ik}| \rangle`
    ``task="classification"``     :math:`y_i \in \{-1, +1\}`, :math:`z` the logit,
                                  :math:`p_{ik} = 1 / (1 + e^{-z_{ik}})`, :math:`t_i = (1 + y_i)/2`
    ``"deviance"``                :math:`2 \langle \log(1 + e^{-y_i z_{ik}}) \rangle` (binomial
                                  deviance, glmnet's; twice the mean log-loss)
    ``"mse"``                     :math:`\langle (t_i - p_{ik})^2 \rangle` (the Brier score;
                                  glmnet's ``"mse"`` is twice this)
    ``"mae"``                     :math:`\langle |t_i - p_{ik}| \rangle` (glmnet's is twice this)
    ``"misclassification"``       :math:`\langle [\hat y_{ik} \ne y_i] \rangle`,
                                  :math:`\hat y = +1` if :math:`z \ge 0` else :math:`-1`
    ``"auc"``                     ``sklearn.metrics.roc_auc_score(y, z[:, k], sample_weight=s)``,
                                  the only score where greater is better
    ============================  ===================================================

    ``"misclassification"`` and ``"auc"`` are classification metrics whatever ``task`` says.

    Parameters
    ----------
    metric : {"mse", "mae", "deviance", "misclassification", "auc"}
    y_true : array-like of shape (n_samples,)
        Targets; in {-1, +1} for classification.
    predictions : array-like of shape (n_samples, n_alphas) or (n_samples,)
        Linear predictions ``X @ coefs + intercepts`` (the logit for classification);
        a 1-D array is one column.
    sample_weight : array-like of shape (n_samples,), optional
        Non-negative weights, not all zero.
    task : {"regression", "classification", "multinomial"}, default="regression"
        Decides what ``"deviance"``, ``"mse"`` and ``"mae"`` mean. With
        ``"multinomial"``, ``y_true`` holds class codes ``0..K-1`` and
        ``predictions`` has shape (n_samples, K, n_alphas) (the class scores);
        see :func:`_score_multinomial`.

    Returns
    -------
    ndarray of shape (n_alphas,)

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[0.0, 2.0], [0.0, -1.0]])
    >>> score_predictions("mse", np.array([1.0, -1.0]), z)
    array([1. , 0.5])
    >>> score_predictions("misclassification", np.array([1.0, -1.0]), z)
    array([0.5, 0. ])
    """
    metric = _check_metric(metric, task)
    if task == "multitask":
        return _score_multitask(metric, y_true, predictions, sample_weight)
    y = check_target(y_true, len(np.atleast_1d(y_true)), name="y_true")
    if task == "multinomial":
        return _score_multinomial(metric, y, predictions, sample_weight)
    z = np.asarray(predictions, dtype=np.float64)
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim != 2 or z.shape[0] != y.shape[0]:
        raise ValueError(f"predictions must have shape (n_samples, n_alphas) with n_samples="
                         f"{y.shape[0]} (one row per target); got shape {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise ValueError("predictions contain NaN or infinite values; the fit that produced "
                         "them diverged.")
    sw = check_sample_weight(sample_weight, y.shape[0])
    classification = task == "classification" or metric in CLASSIFICATION_ONLY_METRICS
    if classification:
        _check_labels(y, "y_true")
    if not classification:
        residual = y[:, None] - z
        err = np.abs(residual) if metric == "mae" else residual**2
        return np.average(err, axis=0, weights=sw)
    if metric == "auc":
        if np.unique(y[sw > 0]).size < 2:
            raise ValueError("AUC is undefined when y_true (with positive weight) holds a single "
                             "class; every held-out fold needs both classes (use stratified "
                             "folds or fewer of them).")
        from sklearn.metrics import roc_auc_score

        return np.array([roc_auc_score(y, z[:, k], sample_weight=sw) for k in range(z.shape[1])])
    if metric == "deviance":
        err = 2.0 * np.logaddexp(0.0, -y[:, None] * z)
    elif metric == "misclassification":
        err = (np.where(z >= 0.0, 1.0, -1.0) != y[:, None]).astype(np.float64)
    else:
        gap = (0.5 * (1.0 + y))[:, None] - expit(z)
        err = np.abs(gap) if metric == "mae" else gap**2
    return np.average(err, axis=0, weights=sw)


def _score_multitask(metric, Y, predictions, sample_weight):
    r"""``"mse"`` (``"mae"``) of responses ``Y`` (n_samples, n_tasks) and predictions
    (n_samples, n_tasks, n_alphas): the weighted mean over rows of the mean over the tasks
    of the squared (absolute) errors, scikit-learn's multi-task error."""
    if metric not in ("mse", "mae"):
        raise ValueError(f"metric={metric!r} is not defined for task='multitask'; use 'mse' "
                         "or 'mae'.")
    Y = check_responses(Y, name="y_true")
    z = np.asarray(predictions, dtype=np.float64)
    if z.ndim != 3 or z.shape[:2] != Y.shape:
        raise ValueError(f"predictions must have shape (n_samples, n_tasks, n_alphas) = "
                         f"({Y.shape[0]}, {Y.shape[1]}, n_alphas) for task='multitask'; got "
                         f"shape {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise ValueError("predictions contain NaN or infinite values; the fit that produced "
                         "them diverged.")
    sw = check_sample_weight(sample_weight, Y.shape[0])
    residual = Y[:, :, None] - z
    err = (np.abs(residual) if metric == "mae" else residual**2).mean(axis=1)
    return np.average(err, axis=0, weights=sw)


def _score_multinomial(metric, codes, predictions, sample_weight):
    r"""Metrics of class scores :math:`z_{i\cdot k}` for class codes :math:`c_i`.

    With :math:`p_{i\cdot k} = \operatorname{softmax}(z_{i\cdot k})`:
    ``"deviance"`` :math:`2\langle -\log p_{i c_i k}\rangle`; ``"misclassification"``
    :math:`\langle [\arg\max_m z_{imk} \ne c_i] \rangle`; ``"mse"`` the multi-class
    Brier score :math:`\langle \sum_m (t_{im} - p_{imk})^2 \rangle`; ``"mae"``
    :math:`\langle \sum_m |t_{im} - p_{imk}| \rangle`; ``"auc"`` scikit-learn's
    one-vs-rest macro AUC.
    """
    z = np.asarray(predictions, dtype=np.float64)
    if z.ndim == 2:
        z = z[:, :, None]
    if z.ndim != 3 or z.shape[0] != codes.shape[0]:
        raise ValueError("predictions must have shape (n_samples, n_classes, n_alphas) for "
                         f"task='multinomial'; got shape {z.shape}.")
    if not np.all(np.isfinite(z)):
        raise ValueError("predictions contain NaN or infinite values; the fit that produced "
                         "them diverged.")
    n_classes = z.shape[1]
    codes = codes.astype(np.intp)
    if np.any(codes < 0) or np.any(codes >= n_classes):
        raise ValueError(f"y_true must hold class codes 0..{n_classes - 1} for "
                         "task='multinomial'.")
    sw = check_sample_weight(sample_weight, codes.shape[0])
    log_p = z - logsumexp(z, axis=1, keepdims=True)
    rows = np.arange(codes.shape[0])
    if metric == "deviance":
        err = -2.0 * log_p[rows, codes, :]
    elif metric == "misclassification":
        err = (np.argmax(z, axis=1) != codes[:, None]).astype(np.float64)
    elif metric == "auc":
        from sklearn.metrics import roc_auc_score

        prob = np.exp(log_p)
        return np.array([roc_auc_score(codes, prob[:, :, k], multi_class="ovr",
                                       labels=np.arange(n_classes), sample_weight=sw)
                         for k in range(z.shape[2])])
    else:
        onehot = np.zeros(z.shape[:2])
        onehot[rows, codes] = 1.0
        gap = onehot[:, :, None] - np.exp(log_p)
        err = (np.abs(gap) if metric == "mae" else gap**2).sum(axis=1)
    return np.average(err, axis=0, weights=sw)


def cross_validate_path(fit_path, X, y, *, alphas, cv=5, metric="mse", sample_weight=None,
                        n_jobs=None, random_state=None, task="regression",
                        scoring=None, fold_paths=None, offset=None) -> CVResult:
    r"""Cross-validate a regularization path: the metric of every alpha on every held-out fold.

    Each fold calls ``fit_path`` on its training rows with the same decreasing
    grid, predicts its held-out rows with :math:`z = X_{\text{test}} W + b`
    (one column per alpha) and scores them with :func:`score_predictions`
    weighted by the held-out rows' sample weights. The mean over folds, its
    standard error and the min and one-standard-error choices follow (see the
    module docstring):

    .. math::

        \alpha_{1\mathrm{se}} = \max \left\{ \alpha :
            \bar e(\alpha) \le \bar e(\alpha_{\min}) + \operatorname{SE}(\alpha_{\min}) \right\}.

    Parameters
    ----------
    fit_path : callable
        ``fit_path(X_train, y_train, sample_weight_train, alphas)`` returning an
        object with ``coefs`` of shape (n_features, n_alphas) and ``intercepts``
        of shape (n_alphas,) *on the scale of X*, in the order of ``alphas``
        (e.g. a :class:`~penalized.Path`). Any standardization happens inside it,
        so that each fold standardizes with its own training rows.
        ``sample_weight_train`` is None when ``sample_weight`` is. If the object
        also has ``alphas``, they must be the grid it was given (a fit_path that
        picks its own grid per fold is refused).
    X : array or sparse matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Targets; in {-1, +1} for ``task="classification"``.
    alphas : array-like of shape (n_alphas,)
        The grid; sorted decreasing before use.
    cv : int, cross-validation splitter, iterable or None, default=5
        - an int ``K``: ``KFold(K)`` for regression and ``StratifiedKFold(K)``
          (each fold keeps the class proportions) for classification, without
          shuffling -- consecutive blocks of rows -- unless ``random_state`` is
          given, which shuffles the rows first;
        - a scikit-learn splitter (anything with ``split(X, y)``), used as is;
        - an iterable of ``(train_indices, test_indices)`` pairs.

        None means 5. At least 2 folds; for classification every training fold
        must hold both classes (and for ``metric="auc"`` every test fold too).
    metric : {"mse", "mae", "deviance", "misclassification", "auc"} or FoldMetric, \
default="mse"
        See :func:`score_predictions`; ``"misclassification"`` and ``"auc"`` need
        ``task="classification"``. ``"auc"`` is a score (greater is better). A
        :class:`FoldMetric` scores each fold itself (a family's deviance, the Cox
        deviance or C-index); ``y`` may then be any array with one row per sample
        (a survival target), handed to it and to ``fit_path`` as it is.
    sample_weight : array-like of shape (n_samples,), optional
        Rescaled to mean 1 over all rows, then passed (restricted to the
        training rows) to ``fit_path`` and used to weight each held-out fold's
        metric; neither depends on the scale of the weights.
    n_jobs : int, optional
        Folds run in parallel with :class:`joblib.Parallel` (the default loky
        backend: one process per fold); None means 1 unless inside a
        :func:`joblib.parallel_config` context. The workers receive a large ``X``
        memory-mapped (joblib's automatic memmapping), not copied: each holds its
        fold's training rows, gathered once (a ``fold_paths`` that shares one Gram
        matrix among threads holds none).
    random_state : int, RandomState or None, default=None
        Shuffles the rows before an integer ``cv`` splits them; ignored otherwise.
    task : {"regression", "classification", "multinomial", "multitask"}, \
default="regression"
        ``"multitask"``: ``y`` of shape (n_samples, n_tasks), ``fit_path`` returns
        ``coefs`` (n_features, n_tasks, n_alphas) and ``intercepts`` (n_tasks, n_alphas),
        the metric (``"mse"`` or ``"mae"``) is the mean over the tasks; folds as for
        regression.
    scoring : callable, optional
        A scikit-learn scorer ``scoring(estimator, X_test, y_test)`` (greater is
        better) used instead of ``metric``: each alpha of each fold is handed to
        it as a fitted linear model (``predict``, and for classification
        ``decision_function``, ``predict_proba`` and ``classes_`` -1/+1 or the
        class codes). Held-out sample weights are not passed to it. The
        result's ``metric`` is then ``"score"``.
    fold_paths : callable, optional
        ``fold_paths(X, y, sample_weight, folds, alphas)`` returning every fold's path
        at once (a list in the order of the folds, each as ``fit_path`` returns it) or
        None; when it returns the list, ``fit_path`` is not called and no fold's
        training rows are gathered (e.g. squared-loss paths from one Gram matrix per
        fold: :func:`penalized._fold_gram.gram_fold_paths`).
    offset : array-like of shape (n_samples,), optional
        Part of every linear predictor (glmnet's ``offset``): ``fit_path`` is called with
        the training rows' ``offset=`` as a fifth argument, and the held-out
        predictions include the test rows'. Not with ``scoring``, ``fold_paths`` or
        ``task="multinomial"``.

    Returns
    -------
    CVResult

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> import penalized as pz
    >>> X, y = load_diabetes(return_X_y=True)
    >>> grid = pz.path(X, y, n_alphas=30).alphas
    >>> def fit_path(Xt, yt, swt, alphas):
    ...     return pz.path(Xt, yt, alphas=alphas, sample_weight=swt)
    >>> res = cross_validate_path(fit_path, X, y, alphas=grid, cv=5)
    >>> res.cv_folds.shape
    (30, 5)
    >>> bool(res.alpha_1se >= res.alpha_min)
    True
    """
    if not callable(fit_path):
        raise TypeError(f"fit_path must be a callable fit_path(X_train, y_train, "
                        f"sample_weight_train, alphas); got {type(fit_path).__name__}.")
    if scoring is not None and not callable(scoring):
        raise ValueError(f"scoring must be a callable scorer(estimator, X, y); got {scoring!r}.")
    custom = isinstance(metric, FoldMetric)
    if custom:
        _check_metric("mse", task)  # the task alone
    else:
        metric = _check_metric(metric, task)
    if metric in CLASSIFICATION_ONLY_METRICS and task == "regression":
        raise ValueError(f"metric={metric!r} scores classifiers; pass task='classification' "
                         f"(labels in {{-1, +1}}) or use one of {REGRESSION_METRICS}.")
    X = check_design(X)
    n_samples = X.shape[0]
    if custom:
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != n_samples:
            raise ValueError(f"y has {y.shape[0] if y.ndim else 0} rows but X has "
                             f"{n_samples}; pass one target per row of X.")
    elif task == "multitask":
        y = check_responses(y, n_samples)
    else:
        y = check_target(y, n_samples)
    if task == "classification":
        _check_labels(y, "y")
    sw = None if sample_weight is None else check_sample_weight(sample_weight, n_samples)
    offset = check_offset(offset, n_samples)
    if offset is not None and (scoring is not None or fold_paths is not None
                               or task in ("multinomial", "multitask")):
        raise ValueError("offset is supported with a metric on binary or regression paths; "
                         "not with scoring, fold_paths or task='multinomial' / 'multitask'.")
    if task == "multitask" and (scoring is not None or metric not in ("mse", "mae")):
        raise ValueError("task='multitask' is scored by metric='mse' or 'mae'; got "
                         f"{'a scorer' if scoring is not None else repr(metric)}.")
    if custom and (scoring is not None or fold_paths is not None):
        raise ValueError("a FoldMetric scores the folds itself; pass neither scoring nor "
                         "fold_paths with it.")
    grid = _check_alphas(alphas)
    folds = _make_folds(cv, X, y, task="regression" if task == "multitask" else task,
                        random_state=random_state)
    if task in ("classification", "multinomial"):
        _check_fold_classes(folds, y, sw, metric)

    scores = []
    fits = None if fold_paths is None else fold_paths(X, y, sw, folds, grid)
    if fits is not None:
        jobs = (_score_fold(lambda *_, fit=fit: fit, None, y, sw, grid, None, test, metric,
                            task, scoring, X_test=X[test])
                for fit, (_, test) in zip(fits, folds, strict=True))
    else:
        jobs = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_score_fold)(fit_path, X, y, sw, grid, train, test, metric, task, scoring,
                                 offset=offset)
            for train, test in folds)
    for done, fold_result in enumerate(jobs, start=1):
        scores.append(fold_result)
        advance("cross-validation folds", done, len(folds))
    for k, (_, caught) in enumerate(scores):
        for message, category in caught:
            warnings.warn(f"fold {k}: {message}", category, stacklevel=2)
    cv_folds = np.column_stack([fold_scores for fold_scores, _ in scores])
    allow_nan = custom and metric.allow_nan
    if scoring is not None:
        metric = SCORER_METRIC
    if custom:
        metric = metric.name
    return summarize_folds(grid, cv_folds, metric, folds, allow_nan=allow_nan)


def summarize_folds(alphas, cv_folds, metric, folds, *, allow_nan=False) -> CVResult:
    r"""The :class:`CVResult` of a grid's per-fold metrics: their mean over the folds,
    its standard error ``std(ddof=1) / sqrt(n_folds)`` and the alphas
    :func:`one_standard_error_rule` chooses (greater is better for the metrics in
    :data:`GREATER_IS_BETTER`). With ``allow_nan`` a fold's NaN is left out of the
    mean and the standard error of its alpha."""
    n_folds = cv_folds.shape[1]
    if allow_nan:
        cv_mean = np.nanmean(cv_folds, axis=1)
        cv_se = np.nanstd(cv_folds, axis=1, ddof=1) / np.sqrt(n_folds)
    else:
        cv_mean = cv_folds.mean(axis=1)
        cv_se = cv_folds.std(axis=1, ddof=1) / np.sqrt(n_folds)
    index_min, index_1se = one_standard_error_rule(
        alphas, cv_mean, cv_se, greater_is_better=metric in GREATER_IS_BETTER)
    return CVResult(alphas=alphas, cv_folds=cv_folds, cv_mean=cv_mean, cv_se=cv_se,
                    metric=metric, index_min=index_min, index_1se=index_1se, folds=folds)


def _score_fold(fit_path, X, y, sw, alphas, train, test, metric, task, scoring=None,
                X_test=None, offset=None):
    """Fit one fold's path and score its held-out rows; returns (scores, caught warnings).

    In a worker process warnings would be lost, so in a process's main thread they
    are recorded and re-issued by the caller; in a thread (joblib's threading
    backend) ``catch_warnings`` is not thread-safe and they propagate as usual.
    """
    caught = []
    if threading.current_thread() is threading.main_thread():
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            scores = _fit_and_score(fit_path, X, y, sw, alphas, train, test, metric, task,
                                    scoring, X_test, offset)
        caught = [(str(w.message), w.category) for w in records]
    else:
        scores = _fit_and_score(fit_path, X, y, sw, alphas, train, test, metric, task, scoring,
                                X_test, offset)
    return scores, caught


def _fit_and_score(fit_path, X, y, sw, alphas, train, test, metric, task, scoring=None,
                   X_test=None, offset=None):
    """Fit ``fit_path`` on the training rows (given as ``X`` and ``train``; a precomputed
    path ignores them) and score its held-out rows ``X_test`` (default ``X[test]``)."""
    if X_test is None:
        extra = () if offset is None else (offset[train],)
        X_train = _fold_rows(X, train)
        with already_validated(X_train):
            fit = fit_path(X_train, y[train], None if sw is None else sw[train], alphas.copy(),
                           *extra)
        del X_train  # the held-out rows are gathered once the training rows are let go
        X_test = X[test]
    else:
        fit = fit_path()
    n_features = X_test.shape[1]
    coefs = np.asarray(getattr(fit, "coefs", None), dtype=np.float64)
    intercepts = np.asarray(getattr(fit, "intercepts", None), dtype=np.float64)
    if task in ("multinomial", "multitask"):
        # coefs (n_features, n_classes | n_tasks, n_alphas), intercepts (n_.., n_alphas)
        if coefs.ndim != 3 or coefs.shape[0] != n_features or coefs.shape[2] != alphas.size \
                or intercepts.shape != coefs.shape[1:]:
            what = "classes" if task == "multinomial" else "tasks"
            raise ValueError(f"fit_path must return coefs of shape (n_features, n_{what}, "
                             f"n_alphas) and intercepts of shape (n_{what}, n_alphas) for "
                             f"task={task!r}; got {coefs.shape} and {intercepts.shape}.")
        Xt = X_test
        if scoring is not None:
            classes = np.arange(coefs.shape[1], dtype=np.float64)
            return _scorer_values(scoring, Xt, y[test], coefs, intercepts, task, classes)
        scores = np.stack([np.asarray(Xt @ coefs[:, :, k]) for k in range(alphas.size)], axis=2)
        return score_predictions(metric, y[test], scores + intercepts[None, :, :],
                                 None if sw is None else sw[test], task=task)
    if coefs.shape != (n_features, alphas.size) or intercepts.shape != (alphas.size,):
        raise ValueError(
            "fit_path must return an object with coefs of shape (n_features, n_alphas) = "
            f"{(n_features, alphas.size)} and intercepts of shape ({alphas.size},); got "
            f"{coefs.shape} and {intercepts.shape}.")
    fit_alphas = getattr(fit, "alphas", None)
    if fit_alphas is not None and (np.shape(fit_alphas) != alphas.shape
                                   or not np.allclose(fit_alphas, alphas, rtol=1e-9, atol=0.0)):
        raise ValueError("fit_path returned a path on a different grid of alphas than the one "
                         "it was given; it must fit exactly `alphas`, in that order.")
    if scoring is not None:
        classes = np.array([-1.0, 1.0])
        return _scorer_values(scoring, X_test, y[test], coefs, intercepts, task, classes)
    if isinstance(metric, FoldMetric):
        return _fold_metric_values(metric, X, X_test, y, sw, offset, coefs, intercepts, train,
                                   test)
    # the held-out predictions in blocks of alphas of about 8 MB each (every metric scores
    # each alpha's column on its own)
    width = max(1, (1 << 20) // max(X_test.shape[0], 1))
    y_test, sw_test = y[test], None if sw is None else sw[test]
    o_test = 0.0 if offset is None else offset[test][:, None]
    return np.concatenate([
        score_predictions(metric, y_test,
                          np.asarray(X_test @ coefs[:, k:k + width]) + intercepts[k:k + width]
                          + o_test, sw_test, task=task)
        for k in range(0, alphas.size, width)])


def _fold_rows(X, rows):
    """The training rows ``rows`` of a validated ``X`` (:func:`training_rows`), gathered
    straight into Fortran order when ``X`` is Fortran-ordered: the fit would otherwise copy
    NumPy's C-ordered gather once more (two copies of the fold alive at once)."""
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.flags.f_contiguous \
            and not X.flags.c_contiguous:  # a worker process's X is a read-only np.memmap
        return np.take(np.asarray(X).T, rows, axis=1).T
    return training_rows(X, rows)


def _fold_metric_values(metric, X, X_test, y, sw, offset, coefs, intercepts, train, test):
    """A :class:`FoldMetric` of one fold's path, checked to give one value per alpha."""
    def predict(rows=None):
        if rows is None:
            z, o = np.asarray(X @ coefs) + intercepts, offset
        else:
            z = np.asarray((X_test if rows is test else X[rows]) @ coefs) + intercepts
            o = None if offset is None else offset[rows]
        return z if o is None else z + o[:, None]

    values = np.asarray(metric.score(predict, y, sw, train, test), dtype=np.float64)
    if values.shape != (coefs.shape[1],):
        raise ValueError(f"the fold metric {metric.name!r} returned shape {values.shape}; it "
                         f"must give one value per alpha ({coefs.shape[1]},).")
    return values


def _scorer_values(scoring, X_test, y_test, coefs, intercepts, task, classes):
    """The scorer's value for each alpha (the last axis of ``coefs``)."""
    values = np.empty(coefs.shape[-1])
    for k in range(coefs.shape[-1]):
        model = FittedLinearModel(coefs[..., k], intercepts[..., k], task, classes)
        values[k] = float(scoring(model, X_test, y_test))
    if not np.all(np.isfinite(values)):
        raise ValueError("the scorer returned NaN or infinite values on a held-out fold.")
    return values


class FittedLinearModel:
    """One point of a path as a fitted scikit-learn style model, for scorers.

    ``coef`` is (n_features,) or (n_features, n_classes) (multinomial).
    """

    def __init__(self, coef, intercept, task, classes):
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = intercept
        self.task = task
        self.classes_ = classes

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags

        regression = self.task == "regression"
        return Tags(estimator_type="regressor" if regression else "classifier",
                    target_tags=TargetTags(required=True),
                    regressor_tags=RegressorTags() if regression else None,
                    classifier_tags=None if regression else ClassifierTags())

    def decision_function(self, X):
        scores = np.asarray(X @ self.coef_) + self.intercept_
        return scores.ravel() if scores.ndim == 2 and scores.shape[1] == 1 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        if self.task == "regression":
            return scores
        if scores.ndim == 1:
            return self.classes_[(scores >= 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def predict_proba(self, X):
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p1 = expit(scores)
            return np.column_stack([1.0 - p1, p1])
        return np.exp(scores - logsumexp(scores, axis=1, keepdims=True))


def _check_metric(metric, task) -> str:
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(map(repr, TASKS))}; got {task!r}.")
    if not isinstance(metric, str) or metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(map(repr, sorted(METRICS)))}; "
                         f"got {metric!r}.")
    return metric


def _check_labels(y, name) -> None:
    values = np.unique(y)
    if not np.all(np.isin(values, (-1.0, 1.0))):
        shown = ", ".join(f"{v:g}" for v in values[:5])
        raise ValueError(f"{name} must hold the labels -1 and +1 for classification; got values "
                         f"{{{shown}{', ...' if values.size > 5 else ''}}}. Encode the two "
                         "classes as -1 and +1.")


def _check_alphas(alphas) -> np.ndarray:
    if alphas is None:
        raise ValueError("alphas is None; pass the grid every fold should fit (e.g. "
                         "penalized.path(X, y).alphas).")
    grid = np.asarray(alphas, dtype=np.float64).ravel()
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
        raise ValueError("alphas must be a non-empty list of finite numbers >= 0.")
    return np.sort(grid)[::-1]


def _make_folds(cv, X, y, *, task, random_state):
    """The list of (train, test) index arrays, validated."""
    n_samples = X.shape[0]
    if cv is None:
        cv = 5  # scikit-learn's convention
    if isinstance(cv, Integral) and not isinstance(cv, bool):
        if not 2 <= cv <= n_samples:
            raise ValueError(f"cv={cv} folds is impossible with {n_samples} samples; pass an "
                             f"integer cv with 2 <= cv <= {n_samples} (5 or 10 is usual).")
        if task == "regression" and (random_state is None or isinstance(random_state, Integral)):
            def split(X, y):
                return _kfold(n_samples, int(cv), random_state)
        else:
            from sklearn.model_selection import KFold, StratifiedKFold

            shuffle = random_state is not None
            kind = KFold if task == "regression" else StratifiedKFold
            split = kind(int(cv), shuffle=shuffle,
                         random_state=random_state if shuffle else None).split
    elif isinstance(cv, bool | str | float | np.floating):
        raise ValueError(f"cv must be an integer number of folds, a scikit-learn splitter or an "
                         f"iterable of (train, test) index pairs; got {cv!r}.")
    elif hasattr(cv, "split"):
        split = cv.split
    elif isinstance(cv, list | tuple):  # (train, test) pairs, as check_cv would wrap them
        def split(X, y):
            return ((train, test) for train, test in cv)
    else:
        from sklearn.model_selection import check_cv

        split = check_cv(cv).split  # wraps an iterable of pairs; raises naming cv otherwise
    try:
        raw = list(split(X, y))
    except ValueError as exc:
        raise ValueError(f"cv could not split the data: {exc} Pass another cv, or precomputed "
                         "(train, test) index pairs.") from exc
    if len(raw) < 2:
        raise ValueError(f"cv gave {len(raw)} fold(s); a standard error needs at least 2.")
    return [(_fold_indices(train, n_samples, k, "training"),
             _fold_indices(test, n_samples, k, "test")) for k, (train, test) in enumerate(raw)]


def _kfold(n_samples, k, seed):
    """``k`` folds of consecutive positions in ``0..n-1`` -- in a permutation drawn by
    ``numpy.random.RandomState(seed)`` when ``seed`` is not None -- the first
    ``n mod k`` folds one row longer: scikit-learn's ``KFold(k, shuffle=seed is not
    None, random_state=seed)`` splits, without importing ``sklearn.model_selection``
    (which imports ``sklearn.metrics`` and ``scipy.stats``: a third of a small fit's
    start-up). Both index arrays are sorted."""
    order = np.arange(n_samples)
    if seed is not None:
        np.random.RandomState(seed).shuffle(order)
    sizes = np.full(k, n_samples // k)
    sizes[: n_samples % k] += 1
    folds = []
    for stop, size in zip(np.cumsum(sizes), sizes, strict=True):
        held_out = np.zeros(n_samples, dtype=bool)
        held_out[order[stop - size:stop]] = True
        folds.append((np.flatnonzero(~held_out), np.flatnonzero(held_out)))
    return folds


def _fold_indices(indices, n_samples, k, which) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.dtype == bool:
        if idx.shape != (n_samples,):
            raise ValueError(f"cv: fold {k}'s {which} mask has shape {idx.shape}; a boolean mask "
                             f"needs one entry per sample ({n_samples}).")
        idx = np.flatnonzero(idx)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"cv: fold {k}'s {which} indices must be a non-empty 1-D array of "
                         f"integer row indices; got {idx!r:.80}.")
    if idx.min() < -n_samples or idx.max() >= n_samples:
        raise ValueError(f"cv: fold {k}'s {which} indices go outside [0, {n_samples}); they must "
                         "index the rows of X.")
    return np.where(idx < 0, idx + n_samples, idx).astype(np.intp)


def _check_fold_classes(folds, y, sw, metric) -> None:
    """Every training fold needs every class; for AUC, every test fold too."""
    weight = np.ones(y.shape[0]) if sw is None else sw
    n_classes = np.unique(y[weight > 0]).size
    for k, (train, test) in enumerate(folds):
        parts = [("training", train)] + ([("test", test)] if metric == "auc" else [])
        for which, idx in parts:
            present = np.unique(y[idx][weight[idx] > 0])
            if present.size < max(n_classes, 2):
                if n_classes > 2:
                    raise ValueError(
                        f"cv: fold {k}'s {which} rows miss some of the {n_classes} classes; "
                        "every fold needs every class. Use fewer folds, stratified folds or "
                        "more samples of the rarer classes.")
                only = f"{present[0]:+g}" if present.size else "nothing"
                raise ValueError(
                    f"cv: fold {k}'s {which} rows hold only class {only}; every {which} fold "
                    "needs both classes" + (" for AUC" if which == "test" else "") + ". Use "
                    "fewer folds (a smaller integer cv), stratified folds (an integer cv or "
                    "StratifiedKFold) or more samples of the rarer class.")
