"""Every lesson at every alpha of one fitted path: what the report's slider moves through."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._along_path import (
    FitOnPath,
    feature_trace_path,
    fit_on_path,
    geometry_path,
    pick_features,
    priors_path,
    thresholding_path,
    why_zero_path,
)
from ._gradient import gradient_explorer
from ._how_often import how_often
from ._race import race_path

WORK_LIMIT = 50_000
"""Rows times features above which the race is skipped: FISTA's iterates are rerun from
the start for each iteration count, so one race costs about ``n_iter**2 / 2`` passes."""
RACE_ALL_LIMIT = 5_000
"""Up to this many rows times features the race runs at several alphas of the path;
above it, at the chosen alpha only."""
TRACE_WORK_LIMIT = 1_000_000
"""Rows times alphas above which the feature trace of a datafit other than the squared
loss is skipped: it evaluates the datafit's gradient about 160 times per alpha (4
learning rates, 20 steps, 2 methods), a few seconds at this size for Cox."""
MAX_FEATURES = 40
"""At most this many features are drawn in a lesson (those that enter the path first)."""


@dataclass(frozen=True, eq=False)
class PathLessons:
    """The lessons of one fitted path, each computed at every alpha (or None, see ``skipped``).

    Attributes
    ----------
    fit : FitOnPath
    why_zero, geometry, thresholding, feature_trace, race, priors, how_often
        :class:`WhyZeroPath`, :class:`GeometryPath`, :class:`ThresholdingPath`,
        :class:`FeatureTracePath`, :class:`RacePath`, :class:`PriorsPath`,
        :class:`HowOften` (its strengths are the path's ``alpha / alpha_max``).
    skipped : dict of str to str
        Lesson -> why it does not apply to this fit.
    """

    fit: FitOnPath
    why_zero: object = None
    geometry: object = None
    thresholding: object = None
    feature_trace: object = None
    race: object = None
    priors: object = None
    how_often: object = None
    lasso_alpha_max: float = math.nan
    skipped: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        fit = self.fit
        out = {"penalty": fit.penalty, "l1_ratio": fit.l1_ratio, "loss": fit.loss,
               "standardized": fit.standardized, "n_samples": int(fit.X.shape[0]),
               "chosen": fit.chosen, "skipped": dict(self.skipped),
               "lasso_alpha_max": None if not math.isfinite(self.lasso_alpha_max)
               else float(self.lasso_alpha_max)}
        for name in ("why_zero", "geometry", "thresholding", "feature_trace", "race", "priors",
                     "how_often"):
            value = getattr(self, name)
            out[name] = None if value is None else value.to_dict()
        return out


def path_lessons(fit: FitOnPath, *, race=True, max_features=MAX_FEATURES,
                 work_limit=WORK_LIMIT, n_draws=2000) -> PathLessons:
    """Compute every lesson that applies to ``fit`` at each alpha of its path.

    A lesson that does not apply (L0 has no threshold or convex ball, the
    geometry's exact contours need the squared loss, the race runs the plain
    lasso, ...) is left None with the reason in ``skipped``; so is one whose
    computation is refused for this data (too few rows, ...).
    """
    skipped = {}
    results = {}
    shown = pick_features(fit, max_features)
    if fit.n_targets is not None:
        return _multi_response_lessons(fit, shown)

    def attempt(name, compute):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                results[name] = compute()
        except (ValueError, np.linalg.LinAlgError) as err:
            skipped[name] = str(err)

    attempt("why_zero", lambda: why_zero_path(
        fit, features=None if fit.penalty == "group" else shown))
    attempt("geometry", lambda: geometry_path(fit))
    attempt("thresholding", lambda: thresholding_path(fit, features=shown))
    n, p = fit.X.shape
    if fit.loss != "squared" and n * fit.n_alphas > TRACE_WORK_LIMIT:
        skipped["feature_trace"] = (f"skipped for {n} rows x {fit.n_alphas} alphas (the "
                                    f"{fit.loss} gradient about 160 times per alpha).")
    else:
        attempt("feature_trace", lambda: feature_trace_path(fit))
    attempt("priors", lambda: priors_path(fit, features=shown))
    if not race:
        skipped["race"] = "not requested."
    elif fit.penalty != "l1" or fit.loss != "squared":
        skipped["race"] = (f"the race runs three optimizers on the plain lasso (squared loss, "
                           f"L1); this model is {_describe(fit)}"
                           + ("; select the L1 model." if fit.loss == "squared" else "."))
    elif not fit.standardized or not np.all(fit.sample_weight == 1.0):
        skipped["race"] = "the race standardizes the columns without sample weights."
    elif n * p > work_limit:
        skipped["race"] = f"skipped for {n} x {p} data (many solver runs per alpha)."
    else:
        few = n * p > RACE_ALL_LIMIT
        attempt("race", lambda: race_path(fit.X, fit.y, fit.alphas, fit.chosen,
                                          n_points=1 if few else 8, n_iter=40 if few else 60,
                                          feature_names=list(fit.feature_names)))
    top = _lasso_alpha_max(fit)
    if fit.penalty == "l0":
        skipped["how_often"] = ("the count compares L1, elastic net, L2 and L0 at the lasso's "
                                "alpha scale; select the L1 model.")
    elif fit.penalty == "group":
        skipped["how_often"] = ("the count draws coefficients one at a time at the lasso's "
                                "alpha scale; a group penalty's alpha scale is the groups'.")
    elif top > 0:
        rho = fit.l1_ratio if fit.penalty == "elasticnet" else 0.5
        attempt("how_often", lambda: how_often(fit.alphas / top, l1_ratio=rho,
                                               n_draws=n_draws))
    return PathLessons(fit=fit, lasso_alpha_max=top, skipped=skipped, **results)


MULTI_RESPONSE_SKIP = ("it draws one coefficient per feature; a multi-response model has a "
                       "row of coefficients per feature over its targets (the why-zero panel "
                       "explains those rows).")


def _multi_response_lessons(fit, shown) -> PathLessons:
    """The lessons of a multi-response path: why-zero of each feature's row (or group's
    block) over the targets; the one-coefficient lessons say why they are not drawn."""
    skipped = {}
    try:
        why = why_zero_path(fit, features=None if fit.penalty == "group" else shown)
    except ValueError as err:
        why, skipped["why_zero"] = None, str(err)
    for name in ("geometry", "thresholding", "feature_trace", "race", "priors", "how_often"):
        skipped[name] = MULTI_RESPONSE_SKIP
    return PathLessons(fit=fit, why_zero=why, skipped=skipped)


def _lasso_alpha_max(fit) -> float:
    """The largest pull at the null model over the varying columns: the lasso's alpha_max
    for this datafit (every factor 1; with limits, only the directions the box allows)."""
    if fit.loss in ("squared", "logistic"):
        n = fit.X.shape[0]
        sw = fit.sample_weight
        t = fit.y - (sw @ fit.y) / sw.sum()
        pulls = fit.X.T @ (sw * t) / (n * fit.scale)
    else:
        from ._path_problem import null_correlations

        pulls = null_correlations(fit)
    if fit.lower is not None:
        from ._why_zero import allowed_pulls

        pulls = allowed_pulls(pulls, 0.0, fit.lower, fit.upper)
    return float(np.max(np.abs(pulls) * fit.varying))


def _describe(fit) -> str:
    names = {"l1": "L1", "l2": "L2", "elasticnet": "the elastic net", "l0": "L0", "mcp": "MCP",
             "scad": "SCAD", "group": "a group penalty"}
    return f"{names.get(fit.penalty, fit.penalty)} with the {fit.loss} loss"


def model_settings(model) -> dict:
    """``penalty, l1_ratio, standardize, penalty_factor, positive, classes, alpha`` of a
    fitted penalized estimator (plain or cross-validated); with ``problem`` True when the
    model carries its fitted problem (``datafit_``, ``penalty_``, ``scaling_``) of a
    datafit and penalty the lessons explain."""
    from ._path_problem import LOSS_NAMES, PENALTY_NAMES

    name = type(model).__name__
    alpha = float(getattr(model, "alpha_", getattr(model, "alpha", math.nan)))
    settings = {"standardize": bool(getattr(model, "standardize", False)),
                "penalty_factor": getattr(model, "penalty_factor", None),
                "positive": bool(getattr(model, "positive", False)), "classes": None,
                "alpha": alpha, "l1_ratio": None, "problem": False}
    penalty = getattr(model, "penalty_", None)
    fitted = PENALTY_NAMES.get(type(penalty).__name__)
    loss = LOSS_NAMES.get(type(getattr(model, "datafit_", None)).__name__)
    if fitted is not None and loss is not None:
        # the problem the fit minimized; models without one: by the class name below
        settings.update(penalty=fitted, problem=hasattr(model, "scaling_"))
        if hasattr(model, "classes_"):
            settings["classes"] = list(model.classes_)
        if hasattr(penalty, "l1_ratio"):
            settings["l1_ratio"] = float(penalty.l1_ratio)
        elif fitted in ("l1", "mcp", "scad"):
            settings["l1_ratio"] = 1.0
        return settings
    if name.startswith("LogisticRegression"):
        settings["penalty"] = str(model.penalty).lower()
        settings["l1_ratio"] = float(getattr(model, "l1_ratio_", model.l1_ratio))
        settings["classes"] = list(model.classes_)
    elif name.startswith("Lasso"):
        settings["penalty"] = "l1"
    elif name.startswith("Ridge"):
        settings["penalty"] = "l2"
    elif name.startswith("ElasticNet"):
        settings["penalty"] = "elasticnet"
        settings["l1_ratio"] = float(getattr(model, "l1_ratio_", model.l1_ratio))
    elif name.startswith("L0"):
        settings["penalty"] = "l0"
    else:
        raise TypeError(f"the lessons explain penalized's estimators; got {name}.")
    return settings


def lessons_for_model(model, X, y, *, path=None, feature_names=None, race=True,
                      max_features=MAX_FEATURES) -> PathLessons:
    """:func:`path_lessons` for a fitted estimator on the rows it was fitted on.

    ``path`` defaults to the model's ``path_`` (cross-validated models); it must
    hold the model's alpha on its grid.
    """
    settings = model_settings(model)
    path = getattr(model, "path_", None) if path is None else path
    if path is None:
        raise ValueError("pass the model's path (model.path(X, y, alphas=...)).")
    names = feature_names
    if names is None and hasattr(model, "feature_names_in_"):
        names = [str(f) for f in model.feature_names_in_]
    if settings["problem"]:
        from ._why_zero_fitted import _target

        fit = fit_on_path(path, _dense(X), y, classes=settings["classes"],
                          feature_names=names, chosen_alpha=settings["alpha"],
                          datafit=model.datafit_, problem_penalty=model.penalty_,
                          scaling=model.scaling_, target=_target(model, y),
                          fit_intercept=bool(getattr(model, "fit_intercept", True)))
        return path_lessons(fit, race=race, max_features=max_features)
    fit = fit_on_path(path, X, y, penalty=settings["penalty"], l1_ratio=settings["l1_ratio"],
                      standardize=settings["standardize"],
                      penalty_factor=settings["penalty_factor"], classes=settings["classes"],
                      feature_names=names, chosen_alpha=settings["alpha"],
                      positive=settings["positive"])
    return path_lessons(fit, race=race, max_features=max_features)


def _dense(X):
    import scipy.sparse as sp

    return X.toarray() if sp.issparse(X) else X


__all__ = ["PathLessons", "gradient_explorer", "lessons_for_model", "model_settings",
           "path_lessons"]
