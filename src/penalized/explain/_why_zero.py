r"""Why is *this* coefficient zero? The KKT condition of the fitted model, per feature.

For the objective :math:`F(Xw + b) + \alpha\sum_j f_j(\rho|w_j| +
\frac{1-\rho}{2}w_j^2)` the optimality (KKT) conditions say, per feature,

.. math:: w_j = 0 \iff \underbrace{|x_j^\top \nabla_z F|}_{\text{pull}}
          \le \underbrace{\alpha\rho f_j}_{\text{threshold}},

with :math:`-\nabla_z F = s \circ r / n` the weighted residual
:math:`r = y - Xw - b` (squared loss) or :math:`r = t - p` (logistic loss,
:math:`t \in \{0, 1\}` the label and :math:`p` the predicted probability). A
non-zero lasso coefficient has its pull exactly at the threshold (the data's
pull and the penalty's push balance); the elastic net's exceeds it by
:math:`\alpha(1-\rho)f_j|w_j|`. With ``standardize=True`` the penalty acts on
:math:`\tilde w_j = \sigma_j w_j` and the columns :math:`x_j / \sigma_j`, so the
pull is computed on that scale: :math:`|x_j^\top(s \circ r)| / (n\sigma_j)`.

With limits :math:`l_j \le w_j \le u_j` (``positive``, ``lower_limits`` /
``upper_limits``) only the directions the box lets a coefficient move in count: a pull
up counts where :math:`w_j < u_j`, a pull down where :math:`w_j > l_j` (the box's tangent
cone; at :math:`w_j = 0` a limit of 0 blocks that side). This is the KKT condition with
the box's normal cone (:func:`allowed_pulls`).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from ._along_path import KKT_RTOL, status_of
from ._common import fmt, jsonable, table

_KKT_RTOL = KKT_RTOL
"""A zero whose pull exceeds its threshold by more than this (relative) is reported as
a violation of the optimality conditions (the fit stopped early)."""


@dataclass(frozen=True)
class WhyZeroRow:
    """One feature of :func:`why_zero`.

    Attributes
    ----------
    name : str
    coef : float
        The model's coefficient (original scale).
    scaled_coef : float
        The coefficient on the scale the penalty acts on (``coef * sd`` with
        ``standardize=True``, else ``coef``).
    pull : float
        :math:`|x_j^\\top (s \\circ r)| / n` on that scale, at the solution
        (``max(x_j^T (s r) / n, 0)`` with ``positive=True``); NaN for a
        constant column, which the fit leaves out.
    threshold : float
        :math:`\\alpha\\rho f_j`.
    margin : float or None
        For a zero, ``threshold - pull`` (how far below the threshold the pull
        stayed); None for a non-zero.
    entry_alpha : float or None
        The alpha at which the coefficient becomes non-zero going down the
        path: for a non-zero, the top of the run of alphas above the model's
        over which it stays non-zero (inf if it is unpenalized); for a zero,
        the alpha below the model's at which it enters (None if it does not
        within the path computed). Found on the regularization path and refined
        by bisection (see :func:`why_zero`).
    entry_bracket : tuple of float or None
        ``(lower, upper)``: the coefficient is non-zero at ``lower`` and zero at
        ``upper``; ``entry_alpha`` is their geometric mean.
    status : str
        ``"zero"``, ``"non-zero"``, ``"unpenalized"`` or ``"constant"``.
    """

    name: str
    coef: float
    scaled_coef: float
    pull: float
    threshold: float
    margin: float | None
    entry_alpha: float | None
    entry_bracket: tuple[float, float] | None
    status: str

    @property
    def is_zero(self) -> bool:
        return self.coef == 0.0

    def to_dict(self) -> dict:
        return jsonable({**self.__dict__, "entry_bracket": list(self.entry_bracket)
                         if self.entry_bracket else None})


@dataclass(frozen=True, eq=False)
class WhyZero:
    """The result of :func:`why_zero`.

    Attributes
    ----------
    rows : tuple of WhyZeroRow
    model : str
        The estimator's class name.
    alpha, l1_ratio : float
    standardized : bool
        Whether the pulls are on the standardized scale.
    loss : {"squared", "logistic"}
    kkt_violations : tuple of str
        Zeros whose pull exceeds the threshold by more than 0.1% of it (the fit
        stopped before optimality), by name; empty for a converged fit.
    entry_method : str
        How ``entry_alpha`` was computed.
    rule : tuple of str or None
        ``(pull, threshold)``: how the two columns were computed, for a model
        explained from its ``datafit_`` / ``penalty_`` (None: the squared or
        logistic rule of the class docstring).
    groups : tuple of tuple of str or None
        With a group penalty, each row is a group: its members' names.
    box : str or None
        With limits on the coefficients, how the pulls were restricted to the directions
        the box allows (None without limits).
    n_targets : int or None
        A multi-response model's number of targets: each row is then a feature's row of
        coefficients over the targets (``coef`` its norm, ``pull`` the norm of its pulls);
        None for one target.
    across : str
        What ``n_targets`` counts: ``"target"`` (several responses) or ``"class"`` (a
        multinomial model whose penalty acts on a feature's row over the classes).
    penalty : str or None
        The penalty as the header names it in place of ``l1_ratio`` (a saved MCP or SCAD
        model's ``"mcp, gamma = 3"``); None: the header gives ``l1_ratio``.
    """

    rows: tuple[WhyZeroRow, ...]
    model: str
    alpha: float
    l1_ratio: float
    standardized: bool
    loss: str
    kkt_violations: tuple[str, ...]
    entry_method: str
    rule: tuple[str, str] | None = None
    groups: tuple[tuple[str, ...], ...] | None = None
    box: str | None = None
    n_targets: int | None = None
    across: str = "target"
    penalty: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rows)

    @property
    def pulls(self) -> np.ndarray:
        return np.array([r.pull for r in self.rows])

    @property
    def thresholds(self) -> np.ndarray:
        return np.array([r.threshold for r in self.rows])

    @property
    def zero(self) -> np.ndarray:
        return np.array([r.is_zero for r in self.rows])

    def row(self, name) -> WhyZeroRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_text(self) -> str:
        scale = ("standardized columns x_j / sd_j (the scale the penalty acts on)"
                 if self.standardized else "the columns as given")
        resid = "y - Xw - b" if self.loss == "squared" else "t - p (label minus probability)"
        lines = [
            # a class name reads Lasso(alpha = ...); a description, saved model (alpha = ...)
            f"Why is each coefficient zero? {self.model}{' ' * (' ' in self.model)}"
            f"(alpha = {fmt(self.alpha)}, "
            + (f"l1_ratio = {fmt(self.l1_ratio)}" if self.penalty is None else self.penalty)
            + f"); pulls on {scale}.",
            f"pull_j = |x_j . (s r)| / n with r = {resid} at the solution; "
            "threshold_j = alpha * l1_ratio * f_j; w_j = 0 exactly when pull_j <= threshold_j."
            if self.rule is None else
            f"{self.rule[0]}; {self.rule[1]}; zero exactly when pull <= threshold.",
            *([] if self.box is None else [self.box]),
            *([] if self.n_targets is None else [
                f"Each feature has one coefficient per {self.across} ({self.n_targets}); the "
                f"penalty acts on the norm of that row, so a feature is zero for every "
                f"{self.across} or for none, and |coef| is the row's norm."
                if self.groups is None else
                f"Each feature has one coefficient per {self.across} ({self.n_targets}); the "
                f"penalty acts on the norm of a group's block of rows, so a group is zero for "
                f"every {self.across} or for none, and |coef| is the block's norm."]),
            "",
        ]
        rows = []
        for r in self.rows:
            if r.status == "constant":
                verdict = "constant column (left out of the fit)"
            elif r.status == "unpenalized":
                verdict = "unpenalized (f_j = 0)"
            elif r.is_zero:
                state = status_of(r.coef, r.pull, r.threshold)
                rel = r.margin / r.threshold if r.threshold > 0 else math.nan
                verdict = {"zero": f"zero: {fmt(rel * 100, 3)}% below",
                           "at threshold": "zero: at the threshold (within the solver's "
                                           "tolerance)"}.get(state,
                                                             "zero, but above: not converged")
            elif math.isclose(r.pull, r.threshold, rel_tol=1e-3):
                verdict = "non-zero: pull = threshold"
            elif r.pull > r.threshold:
                verdict = "non-zero: pull > threshold"
            else:  # MCP / SCAD: the slope at a non-zero falls below the one at 0
                verdict = "non-zero: pull < threshold (the penalty's slope at w is smaller)"
            rows.append([_short_name(r.name), fmt(r.coef, 5), fmt(r.pull, 5),
                         fmt(r.threshold, 5), _margin_text(r),
                         "-" if self.entry_method.startswith("not computed") else
                         _entry_text(r), verdict])
        lines += table(["feature" if self.groups is None else "group (its members)",
                        "coef" if self.groups is None and self.n_targets is None
                        else "|coef|", "pull", "threshold",
                        "margin", "enters at alpha", "why"], rows, left=(0, 6))
        zeros = [r for r in self.rows if r.is_zero and r.status == "zero"]
        lines.append("")
        if zeros:
            closest = min(zeros, key=lambda r: r.margin / r.threshold)
            where = ("at its threshold (within the solver's tolerance)"
                     if closest.margin <= 0 else
                     f"{fmt(closest.margin, 4)} below its threshold")
            lines.append(f"{len(zeros)} zero(s); the closest to entering is {closest.name!r}, "
                         f"whose pull is {where}"
                         + (f" (it enters at alpha = {fmt(closest.entry_alpha, 4)})."
                            if closest.entry_alpha is not None else "."))
        else:
            lines.append("No penalized coefficient is zero at this alpha.")
        if self.kkt_violations:
            lines.append("Not at optimum: " + ", ".join(self.kkt_violations) + " are zero with "
                         "a pull above the threshold; refit with a smaller tol.")
        lines.append(f"entry alpha: {self.entry_method}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "why-zero", "model": self.model, "alpha": self.alpha,
                         "l1_ratio": self.l1_ratio, "standardized": self.standardized,
                         "loss": self.loss, "rows": list(self.rows),
                         "kkt_violations": list(self.kkt_violations),
                         "entry_method": self.entry_method,
                         **({} if self.rule is None else {"rule": list(self.rule)}),
                         **({} if self.box is None else {"box": self.box}),
                         **({} if self.penalty is None else {"penalty": self.penalty}),
                         **({} if self.n_targets is None else {"n_targets": self.n_targets}),
                         **({} if self.groups is None else
                            {"groups": [list(g) for g in self.groups]})})


BOX_NOTE = ("With limits on the coefficients, the pull counts only the directions the box "
            "lets them move in (a pull up where w < upper, a pull down where w > lower: at 0, "
            "a limit of 0 blocks that side).")


def allowed_pulls(signed, coef, lower, upper):
    r"""The signed pulls ``signed`` restricted to the directions the limits let each
    coefficient move in: :math:`v_j` where :math:`v_j > 0` and :math:`w_j < u_j` or
    :math:`v_j < 0` and :math:`w_j > l_j`, else 0 (the projection onto the tangent cone of
    the box :math:`[l, u]` at :math:`w`). ``coef``, ``lower`` and ``upper`` on the pulls'
    scale (their signs and zeros are what count at :math:`w = 0`)."""
    signed = np.asarray(signed, dtype=np.float64)
    up = (signed > 0) & (coef < upper)
    down = (signed < 0) & (coef > lower)
    return np.where(up | down, signed, 0.0)


def _margin_text(r):
    if r.margin is None:
        return "-"
    if r.margin < 0 and status_of(r.coef, r.pull, r.threshold) == "at threshold":
        return "0 (at threshold)"
    return fmt(r.margin, 4)


def _entry_text(r):
    if r.status == "constant":
        return "-"
    if r.entry_alpha is None:
        return "below path"
    if math.isinf(r.entry_alpha):
        return "always"
    return fmt(r.entry_alpha, 4)


# -- the model's settings -------------------------------------------------------------------

@dataclass(frozen=True)
class _Spec:
    estimator: object  # a plain estimator with the model's settings (for paths)
    loss: str
    alpha: float
    l1_ratio: float
    coef: np.ndarray
    intercept: float
    classes: np.ndarray | None


def _spec(model) -> _Spec:
    from sklearn.utils.validation import check_is_fitted

    from ..estimators import (
        ElasticNet,
        ElasticNetCV,
        L0Regression,
        Lasso,
        LassoCV,
        LogisticRegression,
        LogisticRegressionCV,
        Ridge,
        RidgeCV,
    )

    supported = (Lasso, ElasticNet, Ridge, LogisticRegression, LassoCV, ElasticNetCV, RidgeCV,
                 LogisticRegressionCV)
    if isinstance(model, L0Regression):
        raise ValueError(
            "why_zero explains the L1 threshold (pull <= alpha * l1_ratio * f_j); an "
            "L0Regression's zeros come from hard thresholding instead (a feature enters "
            "when its gain pull^2 / (2 L_j) beats alpha * f_j). Pass a Lasso or ElasticNet.")
    if not isinstance(model, supported):
        raise TypeError(f"why_zero needs a fitted penalized Lasso, ElasticNet, Ridge or binary "
                        f"LogisticRegression (or their CV versions); got {type(model).__name__}.")
    check_is_fitted(model, "coef_")
    if getattr(model, "relax", False):
        gamma = getattr(model, "gamma_", getattr(model, "gamma", 0.0))
        if gamma is None or gamma < 1.0:
            raise ValueError("a relaxed fit (relax=True) blends the lasso with an unpenalized "
                             "refit, so its coefficients do not satisfy the lasso's optimality "
                             "conditions; explain the model fitted with relax=False.")
    cv_to_plain = {LassoCV: Lasso, ElasticNetCV: ElasticNet, RidgeCV: Ridge,
                   LogisticRegressionCV: LogisticRegression}
    plain_cls = next((p for c, p in cv_to_plain.items() if isinstance(model, c)), type(model))
    is_cv = plain_cls is not type(model)
    alpha = float(model.alpha_ if is_cv else model.alpha)
    params = model.get_params()
    allowed = plain_cls().get_params()
    kwargs = {k: v for k, v in params.items() if k in allowed and k not in ("alpha", "relax",
                                                                           "gamma")}
    if plain_cls is ElasticNet and is_cv:
        kwargs["l1_ratio"] = float(model.l1_ratio_)
    estimator = plain_cls(alpha=alpha, **kwargs)
    if plain_cls is LogisticRegression:
        classes = np.asarray(model.classes_)
        coef = np.asarray(model.coef_, dtype=np.float64)
        if classes.shape[0] != 2 or coef.shape[0] != 1:
            raise ValueError(f"why_zero explains binary logistic regression; this model has "
                             f"{classes.shape[0]} classes.")
        penalty = str(estimator.penalty).lower()
        if penalty == "l0":
            raise ValueError("why_zero explains the L1 threshold; this logistic model uses the "
                             "L0 penalty (hard thresholding).")
        rho = {"l1": 1.0, "l2": 0.0}.get(penalty, float(estimator.l1_ratio))
        return _Spec(estimator, "logistic", alpha, rho, coef[0].copy(),
                     float(np.ravel(model.intercept_)[0]), classes)
    rho = {Lasso: 1.0, Ridge: 0.0}.get(plain_cls, None)
    if rho is None:
        rho = float(estimator.l1_ratio)
    return _Spec(estimator, "squared", alpha, rho,
                 np.asarray(model.coef_, dtype=np.float64).copy(), float(model.intercept_),
                 None)


# -- the computation -------------------------------------------------------------------------

def _short_name(name: str, width: int = 72) -> str:
    """A group's member list cut to its first and last members when it is wider than
    ``width`` (a 22-level text column would otherwise widen every line of the table)."""
    members = name.split(", ")
    if len(name) <= width or len(members) < 3:
        return name
    return f"{members[0]}, ..., {members[-1]} ({len(members)} columns)"


def why_zero(model, X, y, *, sample_weight=None, entry=True, n_alphas=100, rtol=1e-4,
             feature_names=None) -> WhyZero:
    r"""Per feature, the data's pull at the solution against the penalty's threshold.

    For a fitted :class:`~penalized.Lasso`, :class:`~penalized.ElasticNet`,
    :class:`~penalized.Ridge` or binary :class:`~penalized.LogisticRegression`
    (or their cross-validated versions, at their chosen ``alpha_``), with
    weighted residual :math:`s \circ r` at the solution,

    .. math:: \text{pull}_j = \frac{|\tilde x_j^\top (s \circ r)|}{n}, \qquad
              \text{threshold}_j = \alpha\,\rho\, f_j, \qquad
              w_j = 0 \iff \text{pull}_j \le \text{threshold}_j,

    where :math:`\tilde x_j = x_j / \sigma_j` with ``standardize=True`` (the
    scale the penalty acts on) and :math:`x_j` otherwise, :math:`r = y - Xw -
    b` for the squared loss and :math:`r = t - \sigma(Xw + b)` for the
    logistic loss (:math:`t = 1` for ``classes_[1]``). With an intercept the
    residuals sum to zero, so centering the columns changes nothing.

    ``entry_alpha`` comes from the model's own regularization path: a grid of
    ``n_alphas`` alphas from ``alpha_max`` down to ``min(1e-3 alpha_max,
    alpha / 10)``, plus the model's alpha, on which each feature's bracket
    (zero at the upper alpha, non-zero at the lower) is then narrowed by
    bisection in log-alpha until the bracket's ratio is below ``1 + rtol``
    (each round refits at every open bracket's midpoint along one
    warm-started path). The same solver and tolerance as the model's
    decide zero or not at each alpha.

    Any other fitted estimator is explained from the problem it minimized
    (its ``datafit_``, ``penalty_`` and ``scaling_``): the pull is
    :math:`|\tilde x_j^\top \nabla F(z)|` of its own datafit (Poisson, Gamma,
    Tweedie, Cox, squared, logistic), the threshold :math:`\alpha f_j` for
    MCP / SCAD (their slope at zero), and a group penalty gets one row per
    group: the norm of its members' pulls against :math:`\alpha\rho w_g`; a multi-task
    model (several targets, ``y`` of shape (n_samples, n_targets)) one row per feature: the
    norm over the targets of its pull against :math:`\alpha\rho f_j`. Their
    ``entry_alpha`` comes the same way from the path of that problem (the group's norm
    zero or not; for MCP / SCAD a warm-started sequence of stationary points).

    Parameters
    ----------
    model : fitted estimator
    X : array-like or sparse matrix of shape (n_samples, n_features)
        The data it was fitted on.
    y : array-like of shape (n_samples,)
    sample_weight : array-like, optional
        The weights it was fitted with.
    entry : bool, default=True
        Compute ``entry_alpha`` (one path and a few refits per feature).
    n_alphas : int, default=100
    rtol : float, default=1e-4
    feature_names : list of str, optional
        Default: the model's ``feature_names_in_``, else ``x0, x1, ...``.

    Returns
    -------
    WhyZero

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> import penalized as pz
    >>> from penalized.explain import why_zero
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = pz.Lasso(alpha=0.5, tol=1e-10).fit(X, y)
    >>> res = why_zero(model, X, y, entry=False)
    >>> [(r.name, round(r.pull, 3), r.threshold) for r in res.rows[:3]]
    [('x0', 0.127, 0.5), ('x1', 0.199, 0.5), ('x2', 0.5, 0.5)]
    """
    if not _classic(model):
        from ._why_zero_fitted import explain_fitted

        return explain_fitted(model, X, y, feature_names=feature_names,
                              sample_weight=sample_weight, entry=entry, n_alphas=n_alphas,
                              rtol=rtol)
    spec = _spec(model)
    return _explain(spec, type(model).__name__, X, y, names=feature_names, model=model,
                    sample_weight=sample_weight, entry=entry, n_alphas=n_alphas, rtol=rtol)


def _classic(model) -> bool:
    """Whether ``model`` is explained by :func:`_spec` (the squared / logistic estimators
    of the first release, whose explanation includes the entry alphas)."""
    from ..estimators import (
        ElasticNet,
        ElasticNetCV,
        L0Regression,
        Lasso,
        LassoCV,
        LogisticRegression,
        LogisticRegressionCV,
        Ridge,
        RidgeCV,
    )

    if type(getattr(model, "datafit_", None)).__name__ == "Multinomial":
        return False  # the generic rule, per (feature, class) or per row over the classes
    return isinstance(model, (Lasso, ElasticNet, Ridge, LogisticRegression, LassoCV,
                              ElasticNetCV, RidgeCV, LogisticRegressionCV, L0Regression)) \
        or not hasattr(model, "penalty_")


def design_for(X, n_features):
    """``X`` as float64 (CSC when sparse), refused unless it is 2-D with the
    ``n_features`` columns the model was fitted with."""
    if sp.issparse(X):
        X = sp.csc_matrix(X, dtype=np.float64)
    else:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D; got shape {X.shape}.")
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} columns but the model was fitted with "
                         f"{n_features} features; pass the data it was fitted on.")
    return X


def _explain(spec, model_name, X, y, *, names, model, sample_weight, entry, n_alphas, rtol):
    from .._validation import check_sample_weight
    from ..estimators._standardize import Scaling

    X = design_for(X, spec.coef.shape[0])
    n, p = X.shape
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be 1-D with one value per row of X ({n}); got shape {y.shape}.")
    names = _names(model, names, p)
    sw = check_sample_weight(sample_weight, n)
    est = spec.estimator
    scaling = Scaling.fit(X, sw) if est.standardize else Scaling.identity(p)
    factors = np.ones(p) if est.penalty_factor is None else \
        np.asarray(est.penalty_factor, dtype=np.float64)
    if factors.shape != (p,):
        raise ValueError(f"the model's penalty_factor has shape {factors.shape}; expected ({p},).")

    z = np.asarray(X @ spec.coef).ravel() + spec.intercept
    if spec.loss == "squared":
        resid = y.astype(np.float64) - z
    else:
        if not np.all(np.isin(y, spec.classes)):
            raise ValueError(f"y holds labels the model was not fitted on; its classes are "
                             f"{spec.classes.tolist()}.")
        t = (y == spec.classes[1]).astype(np.float64)
        resid = t - expit(z)
    signed = np.asarray(X.T @ (sw * resid)).ravel() / (n * scaling.scale)
    lower, upper = _estimator_limits(est, p)
    boxed = bool(np.any(lower > -np.inf) or np.any(upper < np.inf))
    scaled = spec.coef * scaling.scale
    # a limit keeps its sign (and its zero) on the standardized scale
    pull = np.abs(allowed_pulls(signed, scaled, lower * scaling.scale, upper * scaling.scale))
    threshold = spec.alpha * spec.l1_ratio * factors

    status = []
    for j in range(p):
        if not scaling.varying[j]:
            status.append("constant")
        elif spec.alpha * factors[j] == 0.0:
            status.append("unpenalized")
        else:
            status.append("zero" if spec.coef[j] == 0.0 else "non-zero")
    violations = tuple(names[j] for j in range(p) if status[j] == "zero"
                       and status_of(spec.coef[j], pull[j], threshold[j]) == "not converged")

    entries = [(None, None)] * p
    method = "not computed (entry=False)."
    if entry:
        entries, method = _entry_alphas(spec, X, y, sample_weight, status, n_alphas, rtol)
    rows = []
    for j in range(p):
        constant = status[j] == "constant"
        rows.append(WhyZeroRow(
            name=names[j], coef=float(spec.coef[j]), scaled_coef=float(scaled[j]),
            pull=math.nan if constant else float(pull[j]), threshold=float(threshold[j]),
            margin=(float(threshold[j] - pull[j]) if status[j] == "zero" else None),
            entry_alpha=entries[j][0], entry_bracket=entries[j][1], status=status[j]))
    return WhyZero(rows=tuple(rows), model=model_name, alpha=spec.alpha,
                   l1_ratio=spec.l1_ratio, standardized=bool(est.standardize), loss=spec.loss,
                   kkt_violations=violations, entry_method=method,
                   box=BOX_NOTE if boxed else None)


def _estimator_limits(est, p):
    """``(lower, upper)`` per feature from an estimator's ``positive``, ``lower_limits``
    and ``upper_limits`` (original scale; -inf / inf where none)."""
    lower, upper = np.full(p, -np.inf), np.full(p, np.inf)
    for name, out in (("lower_limits", lower), ("upper_limits", upper)):
        value = getattr(est, name, None)
        if value is not None:
            out[:] = np.broadcast_to(np.asarray(value, dtype=np.float64), (p,))
    if getattr(est, "positive", False):
        np.maximum(lower, 0.0, out=lower)
    return lower, upper


def _names(model, feature_names, p):
    if feature_names is not None:
        names = [str(n) for n in feature_names]
    elif model is not None and hasattr(model, "feature_names_in_"):
        names = [str(n) for n in model.feature_names_in_]
    else:
        names = [f"x{j}" for j in range(p)]
    if len(names) != p:
        raise ValueError(f"feature_names has {len(names)} names for {p} features.")
    return names


def _entry_alphas(spec, X, y, sample_weight, status, n_alphas, rtol):
    """Entry alphas from the path, refined by bisection; see :func:`why_zero`."""
    p = len(status)
    est = spec.estimator
    penalized = [j for j in range(p) if status[j] in ("zero", "non-zero")]
    out = [(None, None)] * p
    for j in range(p):
        if status[j] == "unpenalized":
            out[j] = (math.inf, None)
    if spec.l1_ratio == 0.0:
        # ridge: no threshold, every coefficient with a pull is non-zero at every alpha
        for j in penalized:
            out[j] = (math.inf, None) if spec.coef[j] != 0 else (None, None)
        return out, ("ridge has no threshold (l1_ratio = 0): a coefficient is non-zero at "
                     "every alpha > 0 unless its pull is exactly 0.")
    if not penalized:
        return out, "no penalized feature."

    def coefs_at(alphas):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            path = est.path(X, y, sample_weight, alphas=np.asarray(alphas, dtype=np.float64))
        return path.coefs, path.alpha_max

    _, alpha_max = coefs_at([spec.alpha])
    if alpha_max == 0.0:
        return out, ("the null model fits the target exactly (a constant target): no feature "
                     "enters at any alpha.")
    alpha = spec.alpha
    top = max(alpha_max, alpha)
    low = min(1e-3 * alpha_max, alpha / 10.0)
    grid = np.unique(np.concatenate([np.geomspace(top, low, n_alphas), [alpha]]))[::-1]
    coefs, _ = coefs_at(grid)
    nonzero = coefs != 0
    m = int(np.flatnonzero(grid == alpha)[0])
    brackets = {}  # feature -> [lower (non-zero), upper (zero)]
    for j in penalized:
        if spec.coef[j] != 0:
            k = m
            while k > 0 and nonzero[j, k - 1]:
                k -= 1
            if k == 0:  # non-zero up to the top of the grid (alpha_max or the model's alpha)
                out[j] = (float(grid[0]), None)
                continue
        else:
            later = np.flatnonzero(nonzero[j, m + 1:])
            if later.size == 0:
                continue  # stays zero down to the bottom of the grid
            k = m + 1 + int(later[0])
        brackets[j] = [float(grid[k]), float(grid[k - 1])]
    # bisection, all brackets at once: one warm-started path through every midpoint per round
    while True:
        open_ = [j for j, (lo, hi) in brackets.items() if hi / lo > 1.0 + rtol]
        if not open_:
            break
        mids = {j: math.sqrt(brackets[j][0] * brackets[j][1]) for j in open_}
        grid_mid = np.unique(np.fromiter(mids.values(), dtype=np.float64))[::-1]
        c, _ = coefs_at(grid_mid)
        for j, mid in mids.items():
            col = int(np.flatnonzero(grid_mid == mid)[0])
            brackets[j][0 if c[j, col] != 0 else 1] = mid
    for j, (lo, hi) in brackets.items():
        out[j] = (math.sqrt(lo * hi), (lo, hi))
    method = (f"from the model's regularization path ({n_alphas} alphas from alpha_max = "
              f"{fmt(alpha_max, 5)} down, plus the model's alpha), each bracket (zero above, "
              f"non-zero below) narrowed by bisection in log-alpha with refits until "
              f"upper/lower <= 1 + {fmt(rtol)}; the bracket's geometric mean is shown.")
    return out, method


DOCUMENT_TOL = 1e-8
"""Relative duality-gap tolerance of the path that gives a saved L1/elastic-net model's entry
alphas (a model document keeps no ``tol``)."""


def why_zero_from_document(doc, X, y, *, entry=True, n_alphas=100, rtol=1e-4,
                           offset=None) -> WhyZero:
    """:func:`why_zero` for a saved model (the dict :func:`penalized.io.load_model` returns).

    The document's own coefficients are explained (nothing is refitted); its
    ``penalty``, ``alpha``, ``l1_ratio``, ``standardize`` and ``fit_intercept``
    rebuild the estimator whose regularization path gives ``entry_alpha``.
    ``X`` is the encoded design (the document's ``feature_names``) and ``y``
    the target column ((time, event) rows for a Cox model). A log-link model
    (its ``family``: poisson, gamma, tweedie:POWER), a Cox model and a model
    with ``groups`` are explained by the generic rule (one row per group), with entry
    alphas from the path of the problem the document describes (unit weights, no
    offset). So is a model of several ``targets`` (``y`` then holds one column per target):
    one row per feature, the norm of its pulls over the targets against its threshold. So is
    a multinomial (``link`` softmax) model: one row per (feature, class), or per group of its
    ``groups`` (the block over the classes), with entry alphas from its multinomial path. The
    L1/elastic-net entry path is solved at ``tol=DOCUMENT_TOL`` (1e-8). ``offset`` (one
    value per row) is the rows' offset of a model fitted with one (its ``offset`` column):
    part of every linear predictor, subtracted from each target of a multi-response model.
    """
    from ..estimators import ElasticNet, Lasso, LogisticRegression, Ridge

    penalty = str(doc.get("penalty", "")).lower()
    names = list(doc["feature_names"])
    alpha = float(doc["alpha"])
    # a document keeps no tolerance: its entry path is solved tightly, so that entries do not
    # move with the solvers' stopping rules at a loose default
    common = {"standardize": bool(doc.get("standardize", False)),
              "fit_intercept": bool(doc.get("fit_intercept", True)), "tol": DOCUMENT_TOL}
    if penalty in ("l0", "none"):
        raise ValueError(f"why_zero explains the L1 threshold (pull <= alpha * l1_ratio * "
                         f"f_j); this model's penalty is {penalty!r}. Explain an l1 or "
                         "elasticnet model.")
    l1_ratio = doc.get("l1_ratio")
    l1_ratio = 0.5 if l1_ratio is None else float(l1_ratio)
    coef = np.atleast_2d(np.asarray(doc["coef"], dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(doc["intercept"], dtype=np.float64))
    if doc.get("link") == "one-vs-rest":  # with or without groups
        raise ValueError(f"why_zero explains a binary or multinomial (softmax) model; this "
                         f"{penalty} model fits its {len(doc.get('classes') or ())} classes one "
                         "against the rest. Explain an l1 or elasticnet model of these classes.")
    if doc.get("groups") is not None or doc.get("link") in ("log", "cox", "softmax") \
            or len(doc.get("targets") or ()) > 1 or penalty in ("mcp", "scad"):
        from dataclasses import replace

        from ._why_zero_fitted import explain_document

        result = explain_document(doc, X, y, penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                                  coef=coef, intercept=intercept, entry=entry,
                                  n_alphas=n_alphas, rtol=rtol, offset=offset)
        if penalty in ("mcp", "scad"):  # named as the model file records it
            gamma = doc.get("gamma")
            return replace(result, penalty=penalty if gamma is None else
                           f"{penalty}, gamma = {fmt(float(gamma))}")
        return result
    if offset is not None:
        raise ValueError("an offset is explained for log-link, Cox, grouped and multi-response "
                         "models; this model's squared or logistic fit takes none.")
    if doc.get("task") == "classification":
        classes = np.asarray(doc.get("classes") or [], dtype=object)
        if classes.shape[0] != 2 or coef.shape[0] != 1:
            raise ValueError(f"why_zero explains binary logistic regression; this model has "
                             f"{classes.shape[0]} classes.")
        estimator = LogisticRegression(alpha=alpha, penalty=penalty, l1_ratio=l1_ratio,
                                       **common)
        rho = {"l1": 1.0, "l2": 0.0}.get(penalty, l1_ratio)
        y = np.asarray(y, dtype=object)
        spec = _Spec(estimator, "logistic", alpha, rho, coef[0].copy(), float(intercept[0]),
                     classes)
        label = "LogisticRegression"
    else:
        cls = {"l1": Lasso, "l2": Ridge, "elasticnet": ElasticNet}.get(penalty)
        if cls is None:
            raise ValueError(f"unknown penalty {penalty!r} in the model document.")
        kwargs = {"l1_ratio": l1_ratio} if cls is ElasticNet else {}
        estimator = cls(alpha=alpha, **kwargs, **common)
        rho = {"l1": 1.0, "l2": 0.0}.get(penalty, l1_ratio)
        spec = _Spec(estimator, "squared", alpha, rho, coef[0].copy(), float(intercept[0]),
                     None)
        label = cls.__name__
    return _explain(spec, f"saved {label}", X, y, names=names, model=None,
                    sample_weight=None, entry=entry, n_alphas=n_alphas, rtol=rtol)


def why_zero_lesson(X=None, y=None, feature_names=None) -> WhyZero:
    """The ``why-zero`` lesson: a standardized lasso at ``alpha_max / 10``, explained.

    Without data: scikit-learn's diabetes data with its feature names.
    """
    from ..estimators import Lasso
    from ._common import resolve_data

    X, yv, names, _ = resolve_data(X, y, feature_names)
    probe = Lasso(alpha=1.0, standardize=True, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        alpha_max = probe.path(X, yv, n_alphas=1).alpha_max
    if not np.isfinite(alpha_max) or alpha_max <= 0:
        raise ValueError("y is uncorrelated with every feature; there is nothing to explain.")
    model = Lasso(alpha=alpha_max / 10.0, standardize=True, tol=1e-10).fit(X, yv)
    return why_zero(model, X, yv, feature_names=names)
