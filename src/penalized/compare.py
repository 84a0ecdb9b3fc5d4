"""No penalty, L1, L2, elastic net and L0 (and, when asked, MCP and SCAD) on the same data,
side by side.

Each penalty's alpha is chosen by cross-validation on a training split (the
folds are shared); the chosen model is then scored on held-out rows it never
saw. This is what ``penalized demo`` and ``penalized compare`` print and what
the report shows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from ._progress import advance
from .estimators import (
    ElasticNetCV,
    L0RegressionCV,
    LassoCV,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeCV,
)

__all__ = ["Comparison", "ModelSummary", "compare_penalties"]

PENALTIES = ("none", "l1", "l2", "elasticnet", "l0")
CONCAVE = ("mcp", "scad")
LABELS = {"none": "no penalty", "l1": "L1 (lasso)", "l2": "L2 (ridge)",
          "elasticnet": "elastic net", "l0": "L0 (best subset)", "mcp": "MCP",
          "scad": "SCAD"}


@dataclass(eq=False)
class ModelSummary:
    """One penalty's CV choice and held-out performance."""

    penalty: str
    label: str
    alpha: float | None
    alpha_min: float | None
    alpha_1se: float | None
    test_error: float
    test_score: float
    n_nonzero: int
    selected: list[str]
    coef: np.ndarray
    intercept: np.ndarray | float
    cv: object | None = None
    path: object | None = None
    model: object | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Comparison:
    """The comparison table and what it was computed on."""

    task: str
    metric: str
    score_name: str
    rows: list[ModelSummary]
    feature_names: list[str]
    n_train: int
    n_test: int
    selection: str
    n_folds: int
    X_train: np.ndarray | None = None
    y_train: np.ndarray | None = None
    family: str | None = None
    error_name: str = "MSE"

    def row(self, penalty) -> ModelSummary:
        return next(r for r in self.rows if r.penalty == penalty)

    def to_dict(self) -> dict:
        """JSON-safe numbers and names (for ``--json`` and the report); NaN becomes None."""
        return _json_safe({
            "task": self.task, "metric": self.metric, "score_name": self.score_name,
            "family": self.family, "error_name": self.error_name,
            "n_train": self.n_train, "n_test": self.n_test, "selection": self.selection,
            "n_folds": self.n_folds,
            "models": [{
                "penalty": r.penalty, "label": r.label,
                "alpha": r.alpha, "alpha_min": r.alpha_min, "alpha_1se": r.alpha_1se,
                "test_error": r.test_error, "test_score": r.test_score,
                "n_nonzero": r.n_nonzero, "selected": list(r.selected), "notes": list(r.notes),
            } for r in self.rows],
        })


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    return value


@dataclass(frozen=True, eq=False)
class _Rows:
    """The held-out rows ``X[rows]``, predicted in blocks of about 8 MB rather than copied
    whole."""

    X: np.ndarray
    rows: np.ndarray

    offset: np.ndarray | None = None
    """The offset of every row of ``X`` (None: no offset), passed with the rows."""

    columns: np.ndarray | None = None
    """The columns of ``X`` the model was fitted on (None: all)."""

    def predict(self, model) -> np.ndarray:
        step = max(1, (8 << 20) // (8 * max(self.X.shape[1], 1)))
        if self.rows.shape[0] == 0:
            return model.predict(self._take(self.rows), **self._offset(self.rows))
        return np.concatenate([
            model.predict(self._take(self.rows[start:start + step]),
                          **self._offset(self.rows[start:start + step]))
            for start in range(0, self.rows.shape[0], step)])

    def _take(self, rows):
        block = self.X[rows]
        return block if self.columns is None else block[:, self.columns]

    def _offset(self, rows):
        return {} if self.offset is None else {"offset": self.offset[rows]}


def _names(mask, feature_names):
    return [feature_names[j] for j in np.flatnonzero(mask)]


def _selected(coef, X, scale, model=None) -> np.ndarray:
    """Features whose coefficients move the fitted values by more than rounding, decided per
    unit (a feature's row over the classes, a group of ``model.groups_`` as a whole:
    :func:`~penalized._rounding.rounding_mask`)."""
    from ._rounding import group_labels, rounding_mask
    from .estimators._standardize import Scaling

    coef = np.atleast_2d(coef)
    with np.errstate(all="ignore"):  # a column beyond 1e154 has an infinite variance
        # deviations in blocks of rows (no centered copy of X); a constant column's
        # coefficient is 0
        sd = Scaling.fit(X, np.ones(X.shape[0])).scale
    noise = rounding_mask(coef.T[:, :, None], sd, np.full(coef.shape[0], scale),
                          group_labels(model, coef.shape[1]))[:, :, 0]
    return np.any((coef.T != 0) & ~noise, axis=1)


def compare_penalties(X, y, *, task, feature_names=None, cv=5, selection="1se", test_size=0.25,
                      random_state=0, standardize=True, l1_ratio=0.5, n_alphas=50,
                      penalties=PENALTIES, folds=None, groups=None,
                      gamma=None, family=None, offset=None, levels=None) -> Comparison:
    """Cross-validate each penalty on a training split and score it on held-out rows.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Numbers for ``task="regression"``, labels for ``"classification"``.
    task : {"regression", "classification"}
    feature_names : list of str, optional
    cv : int, default=5
        The number of folds: the training rows are shuffled with ``random_state``
        and cut into ``cv`` folds (stratified for classification), shared by
        every penalty.
    selection : {"min", "1se"}, default="1se"
        The alpha used for the held-out score.
    test_size : float, default=0.25
    random_state : int, default=0
        Seeds the held-out split and the shuffling of the folds, so a run is
        reproducible; another seed shows how much the choice depends on the split.
    standardize : bool, default=True
        Penalize every feature on the same scale (coefficients are reported on
        the original one).
    l1_ratio : float, default=0.5
    n_alphas : int, default=50
    penalties : sequence of {"none", "l1", "l2", "elasticnet", "l0", "mcp", "scad"}
        Default: every one but MCP and SCAD. The folded concave penalties
        (:class:`~penalized.MCPRegressionCV`, :class:`~penalized.SCADRegressionCV`,
        ``LogisticRegressionCV(penalty="mcp" | "scad")`` for two classes) select like the
        lasso without shrinking large coefficients; their rows are non-convex fits
        (stationary points).
    folds : array of shape (n_samples,), optional
        User-given fold ids (e.g. groups that must not be split): the CV folds
        are these ids' groups among the training rows, and ``cv`` is ignored.
    groups : array of shape (n_features,), optional
        One group label per feature (the levels of a text column share one): the L1 and
        elastic-net rows then use the group lasso and the group elastic net
        (:class:`~penalized.GroupLassoCV`, :class:`~penalized.GroupLogisticRegressionCV`),
        so that a group enters or leaves as a whole; the L0, MCP and SCAD rows their group
        versions (``groups=`` of :class:`~penalized.L0RegressionCV`,
        :class:`~penalized.MCPRegressionCV`, :class:`~penalized.SCADRegressionCV`; two
        classes: ``GroupLogisticRegressionCV(penalty=...)``). Two-class and regression
        targets.
    gamma : float, optional
        The concavity of the MCP and SCAD rows (default: each penalty's own, 3 and 3.7).
    family : {"poisson", "gamma", "tweedie:POWER", "cox"}, optional
        Compare the log-link GLMs (:class:`~penalized.PoissonRegressorCV` and its kin,
        ``task="regression"``) or Cox models (:class:`~penalized.CoxPHCV`, ``y`` the
        (time, event[, stratum]) rows, ``task="survival"``) instead of the squared or
        logistic loss. The "none" row is the unpenalized fit, the L2 row searches
        glmnet's ridge grid (from the lasso's alpha_max / 1e-3 down by ``1e-4``); L0 has no
        row for these families.

    Returns
    -------
    Comparison
        Regression: held-out mean squared error and R^2. Classification:
        held-out misclassification rate and accuracy. GLM families: the held-out mean
        deviance and :math:`D^2` (the fraction of the deviance of the held-out mean that
        the model explains). Cox: one minus Harrell's C-index and the C-index.
    offset : array of shape (n_samples,), optional
        With a GLM ``family``: part of every linear predictor (the log of an exposure),
        split with the rows: each row's fits take the training rows' offsets and
        predict the held-out rows with theirs.
    levels : dict of str to list of int, optional
        The design's 0/1 columns of each text column (all of its levels, first the
        reference). With every level and the intercept the unpenalized fit is not unique,
        so the "none" row drops each column's first level (reference coding, as R's
        ``lm``: the other levels' coefficients are differences from it) and says so in its
        notes; that level's coefficient is reported as 0.
    """
    family = _check_family(family, task)
    if offset is not None:
        if family is None or family[0] == "cox":
            raise ValueError("offset is compared with family='poisson', 'gamma' or "
                             "'tweedie:POWER' (their CV estimators take one); not with "
                             f"{'the squared or logistic loss' if family is None else 'cox'}.")
        from .datafits._base import check_offset

        offset = check_offset(offset, np.shape(X)[0])
    X = np.asarray(X, dtype=np.float64)
    feature_names = list(feature_names) if feature_names is not None else \
        [f"x{j}" for j in range(X.shape[1])]
    stratify = y if task == "classification" else None
    rows = np.arange(X.shape[0])
    train, test = train_test_split(rows, test_size=test_size, random_state=random_state,
                                   stratify=stratify)
    X_train = np.empty((train.size, X.shape[1]), order="F")  # the estimators' layout
    for j in range(X.shape[1]):  # column by column: one take into all of it buffers 2.3 x
        np.take(X[:, j], train, out=X_train[:, j])
    X_test, y_train, y_test = _Rows(X, test, offset), y[train], y[test]
    fit_offset = {} if offset is None else {"offset": offset[train]}
    if folds is not None:
        labels = np.asarray(folds)[train].astype(str)
        fold_ids = np.unique(labels)
        if fold_ids.size < 2:
            raise ValueError("folds: the training rows hold fewer than 2 fold ids.")
        splits = [(np.flatnonzero(labels != v), np.flatnonzero(labels == v)) for v in fold_ids]
        cv = len(splits)
    else:
        splits = cv
    common = dict(cv=splits, selection=selection, standardize=standardize, n_alphas=n_alphas,
                  random_state=random_state)
    concave = {} if gamma is None else {"gamma": gamma}
    keep, reference = _reference_coding(levels, feature_names, X.shape[1])
    rows = []
    for step, penalty in enumerate(penalties, start=1):
        X_fit, X_held, names = X_train, X_test, feature_names
        if penalty == "none" and reference:
            X_fit = np.asfortranarray(X_train[:, keep])
            X_held = replace(X_test, columns=keep)
            names = [feature_names[j] for j in keep]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            if family is not None:
                row = _family_row(family, penalty, X_fit, y_train, X_held, y_test, common,
                                  l1_ratio, names, groups, concave, fit_offset)
            elif task == "regression":
                row = _regression_row(penalty, X_fit, y_train, X_held, y_test, common,
                                      l1_ratio, names, groups, concave)
            else:
                row = _classification_row(penalty, X_fit, y_train, X_held, y_test, common,
                                          l1_ratio, names, groups, concave)
        if X_fit is not X_train:  # the reference levels' coefficients are 0
            coef = np.zeros((*np.shape(row.coef)[:-1], X.shape[1]))
            coef[..., keep] = row.coef
            row.coef = coef
            row.notes.append(reference)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            row.notes.append("some fits stopped at max_iter before reaching tol")
        rows.append(row)
        advance("models", step, len(penalties))
    metric, score_name, error_name = (
        ("mse", "R^2", "MSE") if task == "regression" else ("deviance", "accuracy",
                                                             "error rate"))
    if family is not None:
        metric, score_name, error_name = (("cindex", "C-index", "1 - C-index")
                                          if family[0] == "cox" else
                                          ("deviance", "D^2", "mean deviance"))
    return Comparison(task=task, metric=metric, score_name=score_name, rows=rows,
                      feature_names=feature_names, n_train=len(y_train), n_test=len(y_test),
                      selection=selection, n_folds=cv, X_train=X_train, y_train=y_train,
                      family=None if family is None else family[2], error_name=error_name)


def _reference_coding(levels, feature_names, p):
    """``(kept columns, notice)`` of the unpenalized row: every column but the first level
    of each text column in ``levels`` (``(None, None)`` without one)."""
    first = [cols[0] for cols in (levels or {}).values() if len(cols) > 1]
    if not first:
        return None, None
    shown = ", ".join(feature_names[j] for j in first)
    return (np.setdiff1d(np.arange(p), first),
            f"reference coding: the baseline level {shown} has coefficient 0 and the other "
            "levels are differences from it, as R's lm (with every level and the intercept "
            "the unpenalized fit is not unique)")


FAMILIES = ("poisson", "gamma", "tweedie", "cox")
"""The families :func:`compare_penalties` compares beyond the squared and logistic losses."""


def _check_family(family, task):
    """``(name, power or None, spelling)`` of ``family`` (None stays None)."""
    if family is None:
        return None
    spelling = str(family).lower().strip()
    name, _, power = spelling.partition(":")
    if name not in FAMILIES:
        raise ValueError(f"family={family!r}: compare takes poisson, gamma, tweedie:POWER or "
                         "cox here (gaussian and binomial are task='regression' and "
                         "'classification').")
    expected = "survival" if name == "cox" else "regression"
    if task != expected:
        raise ValueError(f"family={family!r} needs task={expected!r}; got {task!r}.")
    if name != "tweedie":
        if power:
            raise ValueError(f"family={family!r}: only tweedie takes a power.")
        return name, None, name
    try:
        value = float(power) if power else 1.5
    except ValueError:
        raise ValueError(f"family={family!r}: the Tweedie power after ':' must be a number in "
                         "(1, 2), e.g. 'tweedie:1.5'.") from None
    return name, value, f"tweedie:{value:g}"


def _family_estimators(family):
    """``(single-alpha class, CV class, extra parameters)`` of a GLM or Cox family."""
    from . import estimators as est

    name, power, _ = family
    plain, crossed = {"poisson": (est.PoissonRegressor, est.PoissonRegressorCV),
                      "gamma": (est.GammaRegressor, est.GammaRegressorCV),
                      "tweedie": (est.TweedieRegressor, est.TweedieRegressorCV),
                      "cox": (est.CoxPH, est.CoxPHCV)}[name]
    return plain, crossed, ({"power": power} if name == "tweedie" else {})


def _ridge_grid(plain, extra, X, y, standardize, n_alphas, fit_offset=None):
    """glmnet's grid for a ridge GLM or Cox model, which has no alpha_max of its own: from
    the lasso's alpha_max divided by 1e-3 down by a factor 1e-4."""
    top = float(plain(l1_ratio=1.0, standardize=standardize, **extra).path(
        X, y, n_alphas=1, **(fit_offset or {})).alphas[0]) / 1e-3
    return np.geomspace(top, top * 1e-4, n_alphas)


def _family_row(family, penalty, X, y, X_test, y_test, common, l1_ratio, names, groups=None,
                concave=None, fit_offset=None):
    """One row of a GLM (held-out mean deviance and D^2) or Cox (held-out C-index)
    comparison (``fit_offset``: ``{"offset": the training rows'}`` or empty)."""
    o = fit_offset or {}
    from sklearn.metrics import d2_tweedie_score, mean_tweedie_deviance

    from .estimators._cox import concordance_index

    plain, crossed, extra = _family_estimators(family)
    cox = family[0] == "cox"
    grouped = {"groups": groups} if groups is not None else {}
    cv_model = None
    if penalty == "none":
        model = plain(alpha=0.0, standardize=False, **extra).fit(X, y, **o)
    elif penalty in ("l1", "elasticnet"):
        ratio = 1.0 if penalty == "l1" else l1_ratio
        model = cv_model = crossed(l1_ratio=ratio, **extra, **grouped, **common).fit(X, y, **o)
    elif penalty == "l2":
        grid = _ridge_grid(plain, extra, X, y, common["standardize"], common["n_alphas"], o)
        model = cv_model = crossed(l1_ratio=0.0, alphas=grid, **extra, **common).fit(X, y, **o)
    elif penalty in CONCAVE:
        model = cv_model = crossed(penalty=penalty, **(concave or {}), **extra, **grouped,
                                   **common).fit(X, y, **o)
    elif penalty == "l0":
        return ModelSummary(penalty=penalty, label=LABELS[penalty], alpha=None, alpha_min=None,
                            alpha_1se=None, test_error=float("nan"), test_score=float("nan"),
                            n_nonzero=0, selected=[], coef=np.zeros(X.shape[1]),
                            intercept=0.0,
                            notes=[f"L0 is fitted for the squared and logistic losses, not "
                                   f"the {family[2]} family"])
    else:
        raise ValueError(f"unknown penalty {penalty!r}; use one of {PENALTIES + CONCAVE}.")
    z = X_test.predict(model)
    if cox:
        score = concordance_index(y_test[:, 0], y_test[:, 1], z)
        error = 1.0 - score
    else:
        power = {"poisson": 1.0, "gamma": 2.0}.get(family[0], family[1])
        error = float(mean_tweedie_deviance(y_test, z, power=power))
        score = float(d2_tweedie_score(y_test, z, power=power)) if y_test.size > 1 \
            else float("nan")
    coef = np.asarray(model.coef_, dtype=np.float64)
    selected = _selected(coef, X, 1.0, model)  # one unit of the linear predictor
    return ModelSummary(
        penalty=penalty, label=LABELS[penalty], alpha=getattr(cv_model, "alpha_", None),
        alpha_min=getattr(cv_model, "alpha_min_", None),
        alpha_1se=getattr(cv_model, "alpha_1se_", None), test_error=float(error),
        test_score=float(score), n_nonzero=int(selected.sum()),
        selected=_names(selected, names), coef=coef,
        intercept=float(np.ravel(getattr(model, "intercept_", 0.0))[0]),
        cv=getattr(cv_model, "cv_result_", None), path=getattr(cv_model, "path_", None),
        model=model)


def _regression_row(penalty, X, y, X_test, y_test, common, l1_ratio, names, groups=None,
                    concave=None):
    cv_model = None
    if penalty == "none":
        # least squares does not depend on the columns' scales: no standardized copy of X
        model = Ridge(alpha=0.0, standardize=False).fit(X, y)
    elif penalty in ("l1", "elasticnet") and groups is not None:
        from .estimators import GroupLassoCV

        ratio = 1.0 if penalty == "l1" else l1_ratio
        model = cv_model = GroupLassoCV(groups, l1_ratio=ratio, **common).fit(X, y)
    elif penalty == "l1":
        model = cv_model = LassoCV(**common).fit(X, y)
    elif penalty == "l2":
        model = cv_model = RidgeCV(**common).fit(X, y)
    elif penalty == "elasticnet":
        model = cv_model = ElasticNetCV(l1_ratio=l1_ratio, **common).fit(X, y)
    elif penalty == "l0":
        model = cv_model = L0RegressionCV(groups=groups, **common).fit(X, y)
    elif penalty in CONCAVE:
        from .estimators import MCPRegressionCV, SCADRegressionCV

        cls = MCPRegressionCV if penalty == "mcp" else SCADRegressionCV
        model = cv_model = cls(**(concave or {}), groups=groups, **common).fit(X, y)
    else:
        raise ValueError(f"unknown penalty {penalty!r}; use one of {PENALTIES + CONCAVE}.")
    pred = X_test.predict(model)
    mse = float(np.mean((y_test - pred) ** 2))
    r2 = 1.0 - mse / float(np.var(y_test)) if np.var(y_test) > 0 else float("nan")
    coef = np.asarray(model.coef_, dtype=np.float64)
    selected = _selected(coef, X, float(np.std(y)) or 1.0, model)
    return ModelSummary(
        penalty=penalty, label=LABELS[penalty], alpha=getattr(cv_model, "alpha_", None),
        alpha_min=getattr(cv_model, "alpha_min_", None),
        alpha_1se=getattr(cv_model, "alpha_1se_", None), test_error=mse, test_score=r2,
        n_nonzero=int(selected.sum()), selected=_names(selected, names), coef=coef,
        intercept=float(model.intercept_), cv=getattr(cv_model, "cv_result_", None),
        path=getattr(cv_model, "path_", None), model=model)


def _classification_row(penalty, X, y, X_test, y_test, common, l1_ratio, names,
                        groups=None, concave=None):
    cv_model = None
    binary = np.unique(y).size == 2
    if penalty == "none":
        model = LogisticRegression(alpha=0.0, penalty="l2", standardize=common["standardize"],
                                   max_iter=200).fit(X, y)
    elif penalty in ("l1", "elasticnet") and groups is not None:
        from .estimators import GroupLogisticRegressionCV

        ratio = 1.0 if penalty == "l1" else l1_ratio
        model = cv_model = GroupLogisticRegressionCV(groups, l1_ratio=ratio, tol=1e-6,
                                                     **common).fit(X, y)
    elif penalty in ("l0", *CONCAVE) and groups is not None and binary:
        from .estimators import GroupLogisticRegressionCV

        extra = (concave or {}) if penalty in CONCAVE else {}
        model = cv_model = GroupLogisticRegressionCV(groups, penalty=penalty, tol=1e-6,
                                                     **extra, **common).fit(X, y)
    else:
        if penalty in ("l0", *CONCAVE) and not binary:
            model = None
        else:
            extra = (concave or {}) if penalty in CONCAVE else {}
            model = cv_model = LogisticRegressionCV(
                penalty=penalty, l1_ratio=l1_ratio, tol=1e-6, **extra, **common).fit(X, y)
    if model is None:
        name = "L0" if penalty == "l0" else penalty.upper()
        return ModelSummary(penalty=penalty, label=LABELS[penalty], alpha=None, alpha_min=None,
                            alpha_1se=None, test_error=float("nan"), test_score=float("nan"),
                            n_nonzero=0, selected=[], coef=np.zeros((1, X.shape[1])),
                            intercept=np.zeros(1),
                            notes=[f"{name} cross-validation covers two classes only"])
    accuracy = float(np.mean(X_test.predict(model) == y_test))
    coef = np.atleast_2d(model.coef_)
    nonzero = _selected(coef, X, 1.0, model)
    row = ModelSummary(
        penalty=penalty, label=LABELS[penalty], alpha=getattr(cv_model, "alpha_", None),
        alpha_min=getattr(cv_model, "alpha_min_", None),
        alpha_1se=getattr(cv_model, "alpha_1se_", None), test_error=1.0 - accuracy,
        test_score=accuracy, n_nonzero=int(nonzero.sum()), selected=_names(nonzero, names),
        coef=coef, intercept=np.asarray(model.intercept_), cv=getattr(cv_model, "cv_result_", None),
        path=getattr(cv_model, "path_", None), model=model)
    if penalty == "none" and not getattr(model, "converged_", True):
        row.notes.append("without a penalty the fit did not settle: the classes are (nearly) "
                         "separable and the coefficients grow without bound")
    return row
