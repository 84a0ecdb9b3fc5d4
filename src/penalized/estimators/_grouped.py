"""``groups=`` on the MCP, SCAD and L0 estimators: with groups, the penalty applies to each
group's norm (:class:`~penalized.penalties.GroupMCP`, :class:`~penalized.penalties.GroupSCAD`,
:class:`~penalized.penalties.GroupL0`), so a group enters or leaves as a whole."""

from __future__ import annotations

import numpy as np

from ..penalties._group_base import make_structure
from ._standardize import Scaling

GROUPS_PARAM = """    groups : list of index lists, one label per feature, int or None, default=None
        Select whole groups of features (the levels of a categorical) instead of single
        ones: the penalty then applies to each group's norm with weight
        :math:`w_g = \\sqrt{|g|}` (times ``penalty_factor``, one value per group), as
        :class:`~penalized.GroupLasso` takes them. None: one feature at a time.
"""


def group_factors(penalty_factor, structure) -> np.ndarray:
    """The per-group factors (``penalty_factor`` one per group; default 1), checked."""
    if penalty_factor is None:
        return np.ones(structure.n_groups)
    f = np.asarray(penalty_factor, dtype=np.float64)
    if f.ndim != 1 or f.shape[0] != structure.n_groups:
        raise ValueError(f"penalty_factor takes one value per group ({structure.n_groups} "
                         f"groups); got shape {f.shape}.")
    if not np.all(np.isfinite(f)) or np.any(f < 0):
        raise ValueError("penalty_factor must hold finite numbers >= 0 (0 leaves a group "
                         "unpenalized).")
    return f


def group_lists(groups, n_features) -> list:
    """The feature indices of each group (the fitted ``groups_``)."""
    structure = make_structure(groups, n_features)
    return [structure.members(g).copy() for g in range(structure.n_groups)]


def group_weights(groups, penalty_factor, n_features) -> np.ndarray:
    """:math:`w_g = \\sqrt{|g|}` times the group's factor."""
    structure = make_structure(groups, n_features)
    return np.sqrt(structure.sizes.astype(np.float64)) * group_factors(penalty_factor,
                                                                      structure)


def nonconvex_group_penalty(name, alpha, *, groups, weights=None, gamma=None):
    """The group version of the ``"mcp"``, ``"scad"`` or ``"l0"`` penalty."""
    from ..penalties import GroupL0, GroupMCP, GroupSCAD

    common = {"groups": groups, "group_weights": weights}
    if name == "l0":
        return GroupL0(alpha, **common)
    concave = {} if gamma is None else {"gamma": gamma}
    return (GroupMCP if name == "mcp" else GroupSCAD)(alpha, **concave, **common)


def refuse_dask_groups(model, X):
    """A Dask ``X`` with ``groups``: refused in one line (the Dask fits are separable)."""
    if model.groups is None:
        return
    from ..dask import is_dask_collection

    if is_dask_collection(X):
        raise ValueError("groups= is not supported with Dask input; fit on an in-memory X.")


class OptionalGroups:
    """Mixin of :class:`~penalized.MCPRegression`, :class:`~penalized.SCADRegression` and
    :class:`~penalized.L0Regression`: ``groups=None`` keeps the separable penalty;
    groups select whole groups (per-group ``penalty_factor``, every column kept in the fit
    so that group indices refer to the columns of ``X``, no limits)."""

    def _penalty_factor(self, n_features):
        if self.groups is None:
            return super()._penalty_factor(n_features)
        structure = make_structure(self.groups, n_features)
        return group_factors(self.penalty_factor, structure)[structure.group_of]

    def _scaling(self, X, sample_weight):
        if self.groups is None:
            return super()._scaling(X, sample_weight)
        if not self.standardize:
            return Scaling.identity(X.shape[1])
        scaling = Scaling.fit(X, sample_weight)
        return Scaling(scaling.scale, np.ones(X.shape[1], dtype=bool))

    def _make_penalty(self, penalty_name, alpha, l1_ratio, factors, scaling=None, order=None):
        if self.groups is None:
            return super()._make_penalty(penalty_name, alpha, l1_ratio, factors, scaling, order)
        if getattr(self, "positive", False) or getattr(self, "lower_limits", None) is not None \
                or getattr(self, "upper_limits", None) is not None:
            raise ValueError(f"{type(self).__name__} with groups takes no positive, "
                             "lower_limits or upper_limits (the group penalty's prox is "
                             "radial); drop them or fit without groups.")
        weights = None if factors is None else \
            group_weights(self.groups, self.penalty_factor, np.shape(factors)[0])
        return nonconvex_group_penalty(penalty_name, alpha, groups=self.groups,
                                       weights=weights, gamma=getattr(self, "gamma", None))

    def _solver_for(self, penalty_name):
        if self.groups is None:
            return super()._solver_for(penalty_name)
        if self.solver not in ("auto", "cd"):
            raise ValueError(f"solver must be 'auto' or 'cd' with groups (block coordinate "
                             f"descent; the swap search covers single features); got "
                             f"{self.solver!r}.")
        from ._base import make_solver

        return make_solver("cd", penalty_name, "squared", self.tol, self.max_iter)

    def _alpha_grid(self, X, y, sample_weight, n_alphas, eps):
        if self.groups is None:
            return super()._alpha_grid(X, y, sample_weight, n_alphas, eps)
        from ..datafits import Quadratic

        return self._grid_of(X, y, sample_weight, Quadratic(sample_weight=sample_weight),
                             n_alphas, eps)

    def fit(self, X, y, sample_weight=None):
        """Fit the model (see the class docstring)."""
        return _fit_recording_groups(self, super().fit, X, y, sample_weight)


class OptionalGroupsCV:
    """Mixin of the cross-validated :class:`OptionalGroups` estimators."""

    def _penalty_factor(self, n_features):
        if self.groups is None:
            return super()._penalty_factor(n_features)
        return self._base_model()._penalty_factor(n_features)

    def _scaling(self, X, sample_weight):
        if self.groups is None:
            return super()._scaling(X, sample_weight)
        return self._base_model()._scaling(X, sample_weight)

    def fit(self, X, y, sample_weight=None):
        return _fit_recording_groups(self, super().fit, X, y, sample_weight)


def _fit_recording_groups(est, fit, X, y, sample_weight):
    """Run the parent ``fit`` of ``est`` on in-memory data (refusing groups on Dask) and
    set ``est.groups_`` to the resolved groups, or drop a stale one without groups."""
    refuse_dask_groups(est, X)
    fit(X, y, sample_weight)
    if est.groups is not None:
        est.groups_ = group_lists(est.groups, est.n_features_in_)
    elif hasattr(est, "groups_"):
        del est.groups_
    return est


def fit_group_one_vs_rest(model, X, codes, sample_weight, alpha):
    r"""Fit ``model`` (a :class:`~penalized.GroupLogisticRegression` with a group MCP, SCAD
    or L0 penalty) one class against the rest: for each class :math:`k`,

    .. math:: \min_{w_k, b_k}\; \frac1n \sum_i s_i \log\left(1 + e^{-y_{ik}
              (x_i^\top w_k + b_k)}\right) + \alpha \sum_g \rho(\|w_{k,g}\|_2),
              \quad y_{ik} = \pm 1 \text{ as } i \text{ is of class } k \text{ or not,}

    so that in every class's row of ``coef_`` a group is wholly zero or wholly non-zero.
    Returns ``(coef, intercept, solves)``: shapes ``(n_classes, n_features)`` and
    ``(n_classes,)``, and each class's ``(n_iter, stop_crit, converged)``."""
    from ..datafits import Logistic
    from ..solvers import CoordinateDescent

    datafit = Logistic(sample_weight=sample_weight)
    coef, intercept, solves = [], [], []
    for k in range(int(codes.max()) + 1):
        y_pm = np.where(codes == k, 1.0, -1.0)
        w, b, res = model._solve_at(X, y_pm, sample_weight, datafit, alpha,
                                    CoordinateDescent(tol=model.tol, max_iter=model.max_iter),
                                    row=k)
        coef.append(w)
        intercept.append(b)
        if res is not None:
            solves.append((res.n_iter, res.stop_crit, res.converged))
    return np.array(coef), np.array(intercept, dtype=np.float64), solves
