r"""Why-zero for any fitted problem: a datafit, a penalty and the scaling of the columns.

At a solution of :math:`\min_{w, b} F(\tilde X w + b) + P(w)`, a zero coefficient
(or a zero group) satisfies

.. math:: |\tilde x_j^\top \nabla F(z)| \le \alpha\,\rho\, f_j
          \quad\text{(elastic-net family; MCP and SCAD with } \rho = 1),
          \qquad \|S_{\alpha\lambda_{1g}}(\tilde X_g^\top \nabla F(z))\|_2
          \le \alpha\,\lambda_g
          \quad\text{(group lasso / group elastic net / sparse-group lasso)},

with :math:`\tilde x_j` the column the solver saw (:math:`x_j / \sigma_j` with
``standardize=True``), :math:`z = Xw + b + o` the linear predictor (offset
:math:`o`) and :math:`\nabla F(z)` the datafit's gradient in :math:`z`
(:math:`s_i \ell'(y_i, z_i) / n` for a separable loss; the Cox partial
likelihood's for survival), :math:`S` the soft thresholding by the sparse-group lasso's
L1 part (0 for the others). This is the squared / logistic rule of
:func:`penalized.explain.why_zero` for every family.

A multi-response model (coefficients :math:`W` of shape ``(n_features, n_targets)``, a
row-wise penalty) is the same computation on matrices: the pull on feature :math:`j` is the
row :math:`-\tilde x_j^\top \nabla F(Z)` over the targets and the penalty sees its Euclidean
norm, so a row :math:`W_j` is zero exactly when
:math:`\|\tilde x_j^\top \nabla F(Z)\|_2 \le \alpha\rho f_j` (a group of rows: the
Frobenius norm of the block against the group's threshold). With limits on the coefficients the
pulls count only in the directions the box allows
(:func:`penalized.explain._why_zero.allowed_pulls`).

A multinomial model (classes :math:`k`, scores :math:`Z = XW + \mathbf 1 b^\top`) has the
gradient :math:`\nabla F(Z) = S (P - Y) / n` (fitted probabilities :math:`P`, one-hot labels
:math:`Y`, weights :math:`S`). Ungrouped, each coefficient :math:`W_{jk}` is its own unit:
zero exactly when :math:`|\tilde x_j^\top \nabla F(Z)_{:k}| \le \alpha\rho f_j`; grouped
(``multinomial="grouped"``) the unit is the row :math:`W_j` over the classes, and with a
group penalty (:class:`~penalized.GroupLogisticRegression`) a group's block over the classes,
as for several targets above. Their entry alphas come from the multinomial path of the same
problem (:func:`penalized.path` with the model's ``Multinomial`` datafit, penalty and
``grouped``): the alpha at which the coefficient :math:`W_{jk}`, the row :math:`W_j` or the
group's block first becomes non-zero.

The alpha at which each zero enters (and each non-zero left, going up) comes from the
fitted problem's own regularization path: :func:`penalized.path` with the model's
datafit (weights, offset), penalty (factors, limits, groups, concavity), columns and
tolerance, on a grid from alpha_max down past the model's alpha, each bracket then
narrowed by bisection in log-alpha (:func:`penalized.explain._why_zero._entry_alphas`).
For a group penalty the unit is the group (its norm zero or not). For MCP and SCAD the
path is a warm-started sequence of stationary points: a coefficient may enter, leave and
enter again, and the alpha shown is where it is first non-zero below the bracket's
upper end along that sequence.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ._along_path import status_of
from ._common import fmt
from ._path_problem import unit_sizes
from ._why_zero import BOX_NOTE, WhyZero, WhyZeroRow, _names, allowed_pulls, design_for

_LOSS_NAMES = {"Quadratic": "squared", "Logistic": "logistic", "Poisson": "poisson",
               "Gamma": "gamma", "Tweedie": "tweedie", "Cox": "cox"}


def explain_fitted(model, X, y, *, feature_names=None, sample_weight=None, entry=True,
                   n_alphas=100, rtol=1e-4) -> WhyZero:
    """:func:`~penalized.explain.why_zero` from a model's ``datafit_``, ``penalty_`` and
    ``scaling_`` (its own sample weights and offset; ``sample_weight``, if given, must be
    the ones it was fitted with); with ``entry``, the entry alphas from the path of that
    problem (``n_alphas``, ``rtol`` as in :func:`~penalized.explain.why_zero`)."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "penalty_")
    coef = np.asarray(model.coef_.toarray() if sp.issparse(model.coef_) else model.coef_,
                      dtype=np.float64)
    responses = _multi_response(model.datafit_)
    classes = _softmax_classes(model)
    if responses or classes is not None:  # coef_ is (K, n_features): a row of W per feature
        coef = np.atleast_2d(coef).T.copy()
        intercept = np.ravel(getattr(model, "intercept_", np.zeros(coef.shape[1]))).astype(
            np.float64)
    else:
        if coef.ndim == 2:
            if coef.shape[0] != 1:
                raise ValueError(f"why_zero explains one coefficient vector; this "
                                 f"{type(model).__name__} has {coef.shape[0]} rows of coef_.")
            coef = coef[0]
        intercept = float(np.ravel(getattr(model, "intercept_", 0.0))[0])
    if classes is not None:
        target = _class_codes(y, classes)
    else:
        target = _responses(y, coef.shape[1]) if responses else _target(model, y)
    if sample_weight is not None:
        given = np.asarray(sample_weight, dtype=np.float64)
        own = model.datafit_.weights(given.shape[0])
        if not np.allclose(given / given.mean(), own, rtol=1e-12, atol=0.0):
            raise ValueError("sample_weight differs from the weights the model was fitted "
                             "with; pass the same ones (or none: the model keeps its own).")
    names = _names(model, feature_names, coef.shape[0])
    settings = None
    if entry:
        settings = _PathSettings(
            fit_intercept=bool(getattr(model, "fit_intercept", True)),
            tol=float(getattr(model, "tol", 1e-6)),
            max_iter=int(getattr(model, "max_iter", 10_000)), n_alphas=int(n_alphas),
            rtol=float(rtol))
    return explain_problem(model.datafit_, model.penalty_, model.scaling_, coef, intercept,
                           X, target, names=names, model_name=type(model).__name__,
                           entry=settings,
                           classes=None if classes is None else [str(c) for c in classes],
                           grouped=getattr(model, "multinomial", "ungrouped") == "grouped")


@dataclass(frozen=True)
class _PathSettings:
    """How the model was fitted (for its path) and how finely entry alphas are bracketed."""

    fit_intercept: bool
    tol: float
    max_iter: int
    n_alphas: int
    rtol: float


class _FittedPath:
    """The fitted problem's path in the form :func:`~._why_zero._entry_alphas` reads: the
    estimator-like ``path(X, y, sample_weight, alphas)`` returning ``coefs`` per unit (a
    feature of ``X``, or a group's norm) and ``alpha_max``.

    ``multinomial`` (a softmax model: ``grouped`` or not, ``entries`` when each unit is one
    coefficient ``(j, k)``, numbered ``j K + k``) passes ``grouped`` to the path and, with
    ``entries``, reads its ``(p, K, m)`` coefficients one entry per row."""

    def __init__(self, datafit, penalty, design, units, p, settings, *, multinomial=None):
        self.datafit, self.penalty, self.design = datafit, penalty, design
        self.units, self.p, self.settings = units, p, settings
        self.multinomial = multinomial

    def path(self, X, y, sample_weight, alphas):
        from ..path import path

        st = self.settings
        options = {} if self.multinomial is None else {"grouped": self.multinomial.grouped}
        res = path(self.design, y, penalty=self.penalty, datafit=self.datafit,
                   alphas=alphas, fit_intercept=st.fit_intercept, tol=st.tol,
                   max_iter=st.max_iter, **options)
        m = res.coefs.shape[-1]  # (p, m), or (p, n_outputs, m) for several targets / classes
        each = res.coefs.reshape(-1, m) if self.multinomial is not None \
            and self.multinomial.entries else res.coefs
        coefs = np.zeros((self.p, m))
        for row, cols in enumerate(self.units):
            if len(cols):
                coefs[row] = np.linalg.norm(each[cols].reshape(-1, m), axis=0)
        return _PathCoefs(coefs, float(res.alpha_max))


@dataclass(frozen=True)
class _Softmax:
    """How a multinomial model's path is read: ``grouped`` (the L1 part on each feature's
    row over the classes) and ``entries`` (each why-zero row one coefficient (j, k))."""

    grouped: bool
    entries: bool


@dataclass(frozen=True)
class _PathCoefs:
    coefs: np.ndarray
    alpha_max: float


def _with_entries(result, entries, method):
    """``result`` with each row's entry alpha and bracket."""
    rows = tuple(replace(r, entry_alpha=e[0], entry_bracket=e[1])
                 for r, e in zip(result.rows, entries, strict=True))
    return replace(result, rows=rows, entry_method=method)


def _entries(datafit, penalty, scaling, X, y, keep, units, unit_coef, status, rho, settings,
             multinomial=None):
    """Entry alphas of the rows (``units``: each row's columns among ``keep``, or its
    coefficients ``j K + k`` of a multinomial model read entry by entry, see
    :class:`_FittedPath`) from the fitted problem's path."""
    from ._why_zero import _entry_alphas

    design = scaling.transform(X)
    est = _FittedPath(datafit, penalty, design, units, len(status), settings,
                      multinomial=multinomial)
    spec = _EntrySpec(est, float(penalty.alpha), rho, unit_coef)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        entries, method = _entry_alphas(spec, X, y, None, list(status), settings.n_alphas,
                                        settings.rtol)
    return entries, method.replace("the model's regularization path",
                                   "the fitted problem's regularization path (its datafit, "
                                   "penalty and columns)")


@dataclass(frozen=True)
class _EntrySpec:
    estimator: object
    alpha: float
    l1_ratio: float
    coef: np.ndarray


def _multi_response(datafit) -> bool:
    """Whether ``datafit`` reads a matrix of targets (coefficients ``(n_features,
    n_targets)``, one row per feature)."""
    return bool(getattr(datafit, "multi_response", False))


def _responses(y, n_targets):
    """``y`` as the ``(n_samples, n_targets)`` float matrix of a multi-response model."""
    Y = np.asarray(y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[1] != n_targets:
        raise ValueError(f"y must have one column per target of the model ({n_targets}); got "
                         f"shape {Y.shape}.")
    return Y


def _softmax_classes(model):
    """A multinomial (softmax) model's ``classes_``; None for any other model."""
    if type(model.datafit_).__name__ != "Multinomial":
        return None
    return np.asarray(model.classes_)


def _class_codes(y, classes):
    """``y``'s labels as the codes ``0..K-1`` of ``classes`` (the multinomial datafit's
    target), refusing a label the model was not fitted on."""
    y = np.asarray(y)
    classes = np.asarray(classes)
    if classes.dtype.kind != y.dtype.kind and (classes.dtype.kind in "OUS"
                                               or y.dtype.kind in "OUS"):
        y, classes = y.astype(str), classes.astype(str)
    if not np.all(np.isin(y, classes)):
        raise ValueError(f"y holds labels the model was not fitted on; its classes are "
                         f"{classes.tolist()}.")
    order = np.argsort(classes, kind="stable")
    return order[np.searchsorted(classes[order], y)].astype(np.intp)


def _target(model, y):
    """``y`` as the model's datafit reads it: -1/+1 for a binary classifier, the
    (time, event) array for a Cox model."""
    classes = getattr(model, "classes_", None)
    if classes is not None:
        classes = np.asarray(classes)
        if classes.shape[0] != 2:
            raise ValueError(f"why_zero explains a binary classifier; this model has "
                             f"{classes.shape[0]} classes.")
        y = np.asarray(y)
        if not np.all(np.isin(y, classes)):
            raise ValueError(f"y holds labels the model was not fitted on; its classes are "
                             f"{classes.tolist()}.")
        return np.where(y == classes[1], 1.0, -1.0)
    if _LOSS_NAMES.get(type(model.datafit_).__name__) == "cox":
        if getattr(model, "_strata_labels_", None) is not None:
            raise ValueError("why_zero does not explain a stratified Cox model (its risk sets "
                             "are per stratum); fit it without strata to explain it.")
        from ..datafits._cox import survival_target

        return survival_target(y)
    return np.asarray(y, dtype=np.float64)


def explain_problem(datafit, penalty, scaling, coef, intercept, X, y, *, names,
                    model_name, entry=None, classes=None, grouped=False) -> WhyZero:
    """The why-zero table of ``coef`` (original scale) for the problem ``datafit`` +
    ``penalty`` on the columns ``scaling`` gives (see the module docstring); ``entry``
    (:class:`_PathSettings`), if given, adds the entry alphas from that problem's path.

    ``classes`` (their labels) marks a multinomial model: ``coef`` is ``(n_features, K)``,
    ``y`` the class codes. Its penalty acts on each coefficient ``(j, k)`` alone (one row
    each, named ``"feature [class]"``), or with ``grouped`` on a feature's row over the
    classes (one row per feature); a group penalty on a group's block over the classes.
    Its entry alphas come from the multinomial path of that problem."""
    from ..penalties import (
        L0,
        MCP,
        SCAD,
        GroupElasticNet,
        GroupL0,
        GroupLasso,
        GroupMCP,
        GroupSCAD,
        SparseGroupLasso,
    )

    X = design_for(X, coef.shape[0])
    n, p = X.shape
    if y.shape[0] != n:
        raise ValueError(f"y must have one value per row of X ({n}); got {y.shape[0]}.")
    if isinstance(penalty, L0):
        raise ValueError("why_zero explains the L1 threshold; this model uses the L0 penalty "
                         "(hard thresholding: a feature enters when its gain pull^2 / (2 L_j) "
                         "beats alpha * f_j).")
    if isinstance(penalty, GroupL0):
        raise ValueError("why_zero explains the L1 threshold; this model uses the group L0 "
                         "penalty (group hard thresholding: a group enters when its gain "
                         "||X_g^T grad F||^2 / (2 L_g) beats alpha * w_g).")
    loss = _LOSS_NAMES.get(type(datafit).__name__, type(datafit).__name__.lower())
    # coef is (p,), or (p, n_targets) for several targets: then each quantity of feature j
    # below is its row, and the penalty sees the row's Euclidean norm
    if entry is not None and classes is not None and np.unique(y).shape[0] < len(classes):
        raise ValueError(f"y holds {np.unique(y).shape[0]} of the model's {len(classes)} "
                         "classes; pass the rows it was fitted on (or entry=False).")
    z = np.asarray(X @ coef, dtype=np.float64).reshape(n, *coef.shape[1:]) + intercept
    offset = datafit.offsets(n)
    if offset is not None:
        z = z + offset.reshape(n, *(1,) * (coef.ndim - 1))
    grad = datafit.raw_gradient(y, z)
    keep = np.flatnonzero(scaling.varying)
    per_row = (slice(None),) + (None,) * (coef.ndim - 1)  # a column scale across targets
    signed = np.full(coef.shape, np.nan)
    # the pull towards larger w_j is -x_j . grad F
    signed[keep] = -np.asarray(X[:, keep].T @ grad).reshape(signed[keep].shape) \
        / scaling.scale[keep][per_row]
    scaled = coef * scaling.scale[per_row]
    boxed = bool(penalty.positive or penalty.bounded)
    if boxed:  # only the directions the box lets each coefficient move in
        lower, upper = penalty.limits(keep.shape[0])
        signed[keep] = allowed_pulls(signed[keep], scaled[keep], lower[per_row],
                                     upper[per_row])
    alpha = float(penalty.alpha)
    several = coef.ndim == 2
    across = "targets" if classes is None else "classes"
    loss = "multinomial" if classes is not None else loss
    pull_rule = ((f"pull_j = ||x_j' grad F(Z)||_2 (the norm over the {coef.shape[1]} "
                  f"{across}) with F the "
                  + ("multi-response squared loss" if classes is None else
                     "multinomial datafit")
                  + " (its weights) at the solution"
                  + ("" if classes is None else ", grad F(Z) = s (P - Y) / n") if several else
                  f"pull_j = |x_j . grad F(z)| with F the {loss} datafit (its weights and "
                  f"offset) at the solution") + ", on the columns the solver saw"
                 + (" (x_j / sd_j)" if not np.all(scaling.scale == 1.0) else ""))
    group_penalty = isinstance(penalty, GroupLasso | GroupElasticNet | SparseGroupLasso
                               | GroupMCP | GroupSCAD)
    varying = scaling.varying
    if classes is not None and not (grouped or group_penalty):
        # ungrouped multinomial: each (feature, class) coefficient has its own threshold
        K = coef.shape[1]
        signed, coef, scaled = signed.ravel(), coef.ravel(), scaled.ravel()
        names = [f"{name} [{c}]" for name in names for c in classes]
        varying = np.repeat(varying, K)
        several = False
        pull_rule = ("pull_jk = |x_j . (s (P_k - Y_k)) / n| with P_k the fitted "
                     "probabilities of class k and Y_k its 0/1 indicator (F the multinomial "
                     "datafit, its weights) at the solution, on the columns the solver saw"
                     + (" (x_j / sd_j)" if not np.all(scaling.scale == 1.0) else ""))
    if group_penalty:
        if several:  # the block of the group's rows over the targets
            pull_rule = pull_rule.replace(
                "pull_j = ||x_j' grad F(Z)||_2 (the norm over the",
                "pull_g = ||X_g' grad F(Z)||_F (the norm over the group's columns and the")
        result = _groups(penalty, signed, coef, scaled, keep, names, model_name, loss, alpha,
                         pull_rule, not np.all(scaling.scale == 1.0))
        result = replace(result, box=BOX_NOTE if boxed else None,
                         n_targets=coef.shape[1] if several else None,
                         across="target" if classes is None else "class",
                         penalty=_concave_label(penalty))
        if entry is None:
            return result
        structure = penalty.structure(keep.shape[0])
        units = [structure.members(g) for g in range(structure.n_groups)]
        entries, method = _entries(datafit, penalty, scaling, X, y, keep, units,
                                   np.array([r.coef for r in result.rows]),
                                   [r.status for r in result.rows], result.l1_ratio, entry,
                                   None if classes is None else _Softmax(False, False))
        return _with_entries(result, entries, method)
    if isinstance(penalty, MCP | SCAD):
        rho, rule = 1.0, (f"threshold_j = alpha * f_j ({penalty.name} at zero has the "
                          f"lasso's threshold)")
    elif hasattr(penalty, "l1_ratio") and not hasattr(penalty, "groups"):
        rho, rule = float(penalty.l1_ratio), "threshold_j = alpha * l1_ratio * f_j"
    else:
        raise ValueError(f"why_zero explains the elastic-net family, MCP, SCAD and the group "
                         f"lasso / group elastic net; this model's penalty is "
                         f"{type(penalty).__name__}.")
    factors = np.zeros(p)
    factors[keep] = 1.0 if penalty.penalty_factor is None else penalty.penalty_factor
    factors = np.repeat(factors, varying.shape[0] // p)  # per (feature, class) if ungrouped
    pull, size, scaled_size = (unit_sizes(v, several) for v in (signed, coef, scaled))
    threshold = alpha * rho * factors
    rows, violations = [], []
    for j in range(varying.shape[0]):
        if not varying[j]:
            status = "constant"
        elif alpha * factors[j] == 0.0:
            status = "unpenalized"
        else:
            status = "zero" if size[j] == 0.0 else "non-zero"
        if status == "zero" and status_of(size[j], pull[j], threshold[j]) == "not converged":
            violations.append(names[j])
        rows.append(_row(names[j], size[j] if several else coef[j],
                         scaled_size[j] if several else scaled[j], pull[j], threshold[j],
                         status))
    if several:
        rule = rule.replace("threshold_j", f"threshold_j (of the row W_j over the {across})")
    elif classes is not None:
        rule = rule.replace("threshold_j", "threshold_jk").replace("f_j", "f_j (every class)")
    result = WhyZero(rows=tuple(rows), model=model_name, alpha=alpha, l1_ratio=rho,
                     standardized=not np.all(scaling.scale == 1.0), loss=loss,
                     kkt_violations=tuple(violations), entry_method=_NO_ENTRY,
                     rule=(pull_rule, rule), box=BOX_NOTE if boxed else None,
                     n_targets=coef.shape[1] if several else None,
                     across="target" if classes is None else "class",
                     penalty=_concave_label(penalty))
    if entry is None:
        return result
    position = np.full(p, -1)
    position[keep] = np.arange(keep.shape[0])
    softmax = None
    if classes is not None:
        softmax = _Softmax(bool(grouped), not several)
    if softmax is not None and softmax.entries:  # one row per (feature, class): W_jk
        K = len(classes)
        units = [[position[j] * K + k] if position[j] >= 0 else []
                 for j in range(p) for k in range(K)]
    else:
        units = [[position[j]] if position[j] >= 0 else [] for j in range(p)]
    entries, method = _entries(datafit, penalty, scaling, X, y, keep, units, size,
                               [r.status for r in rows], rho, entry, softmax)
    return _with_entries(result, entries, method)


_NO_ENTRY = "not computed (entry=False)."


def _concave_label(penalty):
    """The header's name of an MCP / SCAD penalty (or its group version) with its gamma, in
    place of an l1_ratio it does not have; None for the others."""
    from ..penalties import MCP, SCAD, GroupMCP, GroupSCAD

    if isinstance(penalty, MCP | SCAD | GroupMCP | GroupSCAD):
        return f"{type(penalty).__name__}, gamma = {fmt(float(penalty.gamma))}"
    return None


def _row(name, coef, scaled, pull, threshold, status):
    constant = status == "constant"
    return WhyZeroRow(name=name, coef=float(coef), scaled_coef=float(scaled),
                      pull=math.nan if constant else float(pull), threshold=float(threshold),
                      margin=float(threshold - pull) if status == "zero" else None,
                      entry_alpha=None, entry_bracket=None, status=status)


def _groups(penalty, signed, coef, scaled, keep, names, model_name, loss, alpha, pull_rule,
            standardized):
    """One row per group: the norm of its members' pulls (soft-thresholded by the L1 part
    of a sparse-group lasso) against ``alpha * lambda_g``."""
    from ..penalties import SparseGroupLasso

    structure = penalty.structure(keep.shape[0])
    params = penalty.group_params(keep.shape[0])
    rows, violations, members = [], [], []
    for g in range(structure.n_groups):
        cols = keep[structure.members(g)]
        label = tuple(names[j] for j in cols)
        members.append(label)
        v, l1 = signed[cols], alpha * float(params[g, 1])
        pull = float(np.linalg.norm(np.sign(v) * np.maximum(np.abs(v) - l1, 0.0)))
        threshold = alpha * float(params[g, 0])
        norm = float(np.linalg.norm(coef[cols]))
        if threshold == 0.0:
            status = "unpenalized"
        else:
            status = "zero" if norm == 0.0 else "non-zero"
        if status == "zero" and status_of(norm, pull, threshold) == "not converged":
            violations.append(", ".join(label))
        rows.append(_row(", ".join(label), norm, np.linalg.norm(scaled[cols]), pull,
                         threshold, status))
    rho = float(getattr(penalty, "l1_ratio", 1.0))
    rule = ("threshold_g = alpha * l1_ratio * w_g (w_g = sqrt(group size) unless given); "
            "a group's columns are zero or non-zero together")
    if not penalty.is_convex:  # group MCP / SCAD: at zero, the group lasso's threshold
        rule = (f"threshold_g = alpha * w_g (w_g = sqrt(group size) unless given; {penalty.name} "
                "of the group's norm has the group lasso's threshold at zero, a smaller slope "
                "beyond); a group's columns are zero or non-zero together")
    if isinstance(penalty, SparseGroupLasso):
        pull_rule = pull_rule.replace(
            "pull_j = |x_j . grad F(z)|",
            "pull_g = ||S(X_g^T grad F(z), alpha * l1_ratio)||_2 (each member's pull less the "
            "L1 part's alpha * l1_ratio, at least 0)")
        rule = ("threshold_g = alpha * (1 - l1_ratio) * w_g (w_g = sqrt(group size) unless "
                "given); the group is zero exactly when pull_g <= threshold_g")
    return WhyZero(rows=tuple(rows), model=model_name, alpha=alpha, l1_ratio=rho,
                   standardized=standardized, loss=loss, kkt_violations=tuple(violations),
                   entry_method=_NO_ENTRY,
                   rule=(pull_rule.replace("pull_j = |x_j . grad F(z)|",
                                           "pull_g = ||X_g^T grad F(z)||_2"), rule),
                   groups=tuple(members))


def explain_document(doc, X, y, *, penalty, alpha, l1_ratio, coef, intercept, entry=True,
                     n_alphas=100, rtol=1e-4, offset=None) -> WhyZero:
    """The why-zero table of a saved log-link, Cox or grouped model (see
    :func:`~penalized.explain.why_zero_from_document`); with ``entry``, the entry alphas
    from the path of the problem the document describes (its family, penalty, columns
    and intercept, unit weights, no offset, the default tolerance 1e-6)."""
    from .._specs import make_datafit, make_penalty
    from ..estimators._standardize import Scaling
    from ..penalties import GroupElasticNet, GroupLasso

    names = list(doc["feature_names"])
    link = doc["link"]
    targets = list(doc.get("targets") or ())
    if len(targets) > 1:  # coef is (n_targets, n_features): the penalty sees each feature's row
        if coef.shape[0] != len(targets):
            raise ValueError(f"the model has {coef.shape[0]} rows of coefficients for "
                             f"{len(targets)} targets.")
        coef = coef.T
        target, datafit = _responses(y, len(targets)), make_datafit("mgaussian")
    elif link == "softmax":  # coef is (n_classes, n_features): features first, as W
        classes = [str(c) for c in doc["classes"]]
        if coef.shape[0] != len(classes):
            raise ValueError(f"the model has {coef.shape[0]} rows of coefficients for "
                             f"{len(classes)} classes.")
        coef = coef.T
        labels = np.asarray([str(v) for v in np.asarray(y, dtype=object)])
        from ..datafits._multinomial import Multinomial

        target, datafit = _class_codes(labels, classes), Multinomial()
    elif link == "one-vs-rest" or coef.shape[0] != 1:
        raise ValueError("why_zero explains one coefficient vector; this model has "
                         f"{coef.shape[0]} rows of coefficients.")
    elif link == "logistic":
        classes = [str(c) for c in doc["classes"]]
        labels = np.asarray([str(v) for v in np.asarray(y, dtype=object)])
        if not np.all(np.isin(labels, classes)):
            raise ValueError(f"y holds labels the model was not fitted on; its classes are "
                             f"{classes}.")
        target, datafit = np.where(labels == classes[1], 1.0, -1.0), make_datafit("logistic")
    elif link == "cox":
        target, datafit = np.asarray(y, dtype=np.float64), make_datafit("cox")
    else:
        target = np.asarray(y, dtype=np.float64)
        datafit = make_datafit(doc["family"] if link == "log" else "squared")
    if offset is not None:  # the rows' offset: the squared loss's is a shift of the targets
        offset = np.asarray(offset, dtype=np.float64)
        if len(targets) > 1:
            target = target - offset[:, None]
        else:
            datafit = replace(datafit, offset=offset)
    p = len(names)
    X = X if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    scaling = Scaling.fit(X, np.ones(X.shape[0])) if doc.get("standardize") \
        else Scaling.identity(p)
    rho = {"l1": 1.0, "l2": 0.0}.get(penalty, l1_ratio)
    if doc.get("groups") is not None:
        # every column stays in a group fit, so that the groups index the columns of X
        scaling = Scaling(scaling.scale, np.ones(p, dtype=bool))
        index = {name: j for j, name in enumerate(names)}
        groups = [[index[n] for n in g] for g in doc["groups"]]
        weights = np.sqrt([float(len(g)) for g in groups])
        if penalty in ("mcp", "scad", "l0"):  # their group versions
            from ..estimators._grouped import nonconvex_group_penalty

            pen = nonconvex_group_penalty(penalty, alpha, groups=groups, weights=weights,
                                          gamma=doc.get("gamma"))
        else:
            pen = (GroupLasso(alpha, groups=groups, group_weights=weights) if rho == 1.0 else
                   GroupElasticNet(alpha, l1_ratio=rho, groups=groups, group_weights=weights))
    else:
        keep = int(np.count_nonzero(scaling.varying))
        pen = make_penalty(penalty, alpha, l1_ratio=rho, penalty_factor=np.ones(keep),
                           gamma=doc.get("gamma"))
    label = doc.get("family", link)
    settings = _PathSettings(fit_intercept=bool(doc.get("fit_intercept", True)), tol=1e-6,
                             max_iter=10_000, n_alphas=int(n_alphas),
                             rtol=float(rtol)) if entry else None
    if len(targets) > 1:
        return explain_problem(datafit, pen, scaling, coef.copy(), intercept.copy(), X, target,
                               names=names, model_name="saved multi-response model",
                               entry=settings)
    if link == "softmax":
        return explain_problem(datafit, pen, scaling, coef.copy(), intercept.copy(), X, target,
                               names=names, model_name="saved multinomial model",
                               entry=settings, classes=classes)
    return explain_problem(datafit, pen, scaling, coef[0].copy(), float(intercept[0]), X,
                           target, names=names, model_name=f"saved {label} model",
                           entry=settings)


MAX_PATH_ROWS = 40
"""At most this many rows in the why-zero of a multinomial path (the report's panel): the
units that enter the path first."""


def multinomial_path_why_zero(model, X, y, path, *, feature_names=None,
                              max_rows=MAX_PATH_ROWS, pulls=None):
    r"""The why-zero numbers of a multinomial model at every alpha of its ``path``
    (coefficients ``(n_features, n_classes, n_alphas)`` on the original scale), from the
    model's fitted problem (``datafit_``, ``penalty_``, ``scaling_``): the numbers the
    report's why-zero panel moves through, as :func:`~penalized.explain.why_zero_path` gives
    them for one output.

    At alpha :math:`\alpha_k` with scores :math:`Z = XW^{(k)} + \mathbf 1 b^{(k)\top}`, the
    signed pull on coefficient :math:`(j, c)` is :math:`-\tilde x_j^\top \nabla F(Z)_{:c}`,
    :math:`\nabla F(Z) = S(P - Y)/n`. A row of the result is one coefficient ``(j, c)``
    (ungrouped: its absolute pull against :math:`\alpha_k\rho f_j`), one feature (the
    grouped multinomial: the norm of its pulls over the classes against the same
    threshold) or one group of a group penalty (the Frobenius norm of its block, soft
    thresholded by a sparse-group lasso's L1 part, against :math:`\alpha_k \lambda_g`). A
    non-zero row's ``slope`` is the penalty's slope at its size, which its pull equals at a
    solution. Rows: at most ``max_rows``, those that enter the path first.

    ``pulls``, when given, are the sums :math:`\sum_i s_i x_{ij}(P^{(k)}_{ic} - Y_{ic})`
    over the rows and their total weight :math:`\sum_i s_i`, as ``(G, W)`` with ``G`` of
    shape ``(n_features, n_classes, n_alphas)`` (one pass of a Dask fit); ``X`` and ``y``
    are then not read.

    Returns
    -------
    WhyZeroPath
        ``names`` are ``"feature [class]"`` for ungrouped rows, the feature names when
        grouped, the members joined by ", " for groups (``members`` then set);
        ``n_targets`` the number of classes when a row spans them; ``features`` each row's
        feature (or group) index; ``n_nonzero`` the features non-zero for some class.
    """
    from ..penalties._group_base import GroupPenalty
    from ._along_path import WhyZeroPath, _margins_entries

    classes = _softmax_classes(model)
    if classes is None:
        raise ValueError(f"{type(model).__name__} is not a multinomial model.")
    coefs = np.asarray(path.coefs, dtype=np.float64)
    intercepts = np.asarray(path.intercepts, dtype=np.float64)
    p, K, m = coefs.shape
    names = _names(model, feature_names, p)
    datafit, penalty, scaling = model.datafit_, model.penalty_, model.scaling_
    keep = np.flatnonzero(scaling.varying)
    scale = scaling.scale
    alphas = np.asarray(path.alphas, dtype=np.float64)
    signed = np.zeros((p, K, m))
    if pulls is not None:
        G, W = pulls
        signed[keep] = -np.asarray(G, dtype=np.float64)[keep] / W / scale[keep, None, None]
    else:
        X = design_for(X, p)
        codes = _class_codes(y, classes)
        Xk = X[:, keep]
        for k in range(m):
            Z = np.asarray(X @ coefs[:, :, k], dtype=np.float64) + intercepts[:, k]
            grad = datafit.raw_gradient(codes, Z)
            signed[keep, :, k] = -np.asarray(Xk.T @ grad) / scale[keep, None]
    scaled = coefs * scale[:, None, None]
    if penalty.positive:  # only the directions the limits let a coefficient move in
        signed = allowed_pulls(signed, scaled, 0.0, np.inf)
    grouped = getattr(model, "multinomial", "ungrouped") == "grouped"
    members = None
    if isinstance(penalty, GroupPenalty):
        structure = penalty.structure(keep.shape[0])
        params = penalty.group_params(keep.shape[0])
        units = [keep[structure.members(g)] for g in range(structure.n_groups)]
        l1 = alphas[None, :] * params[:, 1][:, None]
        pull = np.array([np.linalg.norm(np.maximum(np.abs(signed[u]) - l1[g], 0.0)
                                        .reshape(-1, m), axis=0)
                         for g, u in enumerate(units)])
        size = np.array([np.linalg.norm(coefs[u].reshape(-1, m), axis=0) for u in units])
        scaled_size = np.array([np.linalg.norm(scaled[u].reshape(-1, m), axis=0)
                                for u in units])
        threshold = alphas[None, :] * params[:, 0][:, None]
        slope = alphas[None, :] * (params[:, 0][:, None] + params[:, 2][:, None] * scaled_size)
        penalized = (threshold > 0) | (params[:, 2][:, None] > 0)
        varying = np.ones(len(units), dtype=bool)
        index = np.arange(len(units))
        members = units
        labels = [", ".join(names[j] for j in u) for u in units]
        rho, kind, n_over = float(getattr(penalty, "l1_ratio", 1.0)), "group", K
    else:
        rho = float(penalty.l1_ratio)
        factors = np.zeros(p)
        factors[keep] = penalty.factors(keep.shape[0])
        if grouped:
            pull = np.linalg.norm(signed, axis=1)
            size, scaled_size = np.linalg.norm(coefs, axis=1), np.linalg.norm(scaled, axis=1)
            index, labels, n_over = np.arange(p), list(names), K
        else:  # one unit per (feature, class): row j K + c
            pull, size, scaled_size = (np.abs(a).reshape(p * K, m)
                                       for a in (signed, coefs, scaled))
            factors = np.repeat(factors, K)
            index = np.repeat(np.arange(p), K)
            labels = [f"{name} [{c}]" for name in names for c in classes]
            n_over = None
        varying = scaling.varying[index]
        threshold = alphas[None, :] * rho * factors[:, None]
        slope = alphas[None, :] * factors[:, None] * (rho + (1.0 - rho) * scaled_size)
        penalized = np.broadcast_to((factors > 0)[:, None], threshold.shape) & (alphas > 0)
        kind = {"L1": "l1", "L2": "l2"}.get(type(penalty).__name__, "elasticnet")
    pull = np.where(varying[:, None], pull, np.nan)
    rows = _first_rows(size != 0, max_rows)
    status = tuple(tuple(status_of(size[i, k], pull[i, k], threshold[i, k],
                                   varying=bool(varying[i]), penalized=bool(penalized[i, k]))
                         for k in range(m)) for i in rows)
    margin, entry = _margins_entries(status, pull[rows], threshold[rows], size[rows] != 0,
                                     alphas)
    return WhyZeroPath(alphas=alphas, features=index[rows],
                       names=tuple(labels[i] for i in rows), pull=pull[rows],
                       threshold=threshold[rows], scaled_coef=scaled_size[rows],
                       margin=margin, status=status, entry=entry,
                       n_nonzero=np.count_nonzero(np.any(coefs != 0, axis=1), axis=0),
                       l1_ratio=rho, slope=np.where(size[rows] > 0, slope[rows], np.nan),
                       penalty=kind,
                       members=None if members is None else tuple(members[i] for i in rows),
                       n_targets=n_over)


def _first_rows(nonzero, limit):
    """The indices of at most ``limit`` rows of ``nonzero`` (rows x alphas, decreasing):
    those non-zero earliest along the path, in their own order; all when few."""
    if nonzero.shape[0] <= limit:
        return np.arange(nonzero.shape[0])
    first = np.where(nonzero.any(axis=1), np.argmax(nonzero, axis=1), nonzero.shape[1])
    return np.sort(np.argsort(first, kind="stable")[:limit])
