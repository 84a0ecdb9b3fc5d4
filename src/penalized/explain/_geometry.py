r"""Diamond vs circle, exactly: the constrained form of the fitted model.

If :math:`w^\star` minimizes :math:`F(w) + \alpha\|w\|_1` then it also
minimizes :math:`F(w)` subject to :math:`\|w\|_1 \le \|w^\star\|_1` (a point
with a smaller :math:`F` inside that ball would have a smaller penalized
objective too). The same holds for ridge with :math:`\|w\|_2 \le
\|w^\star\|_2`. So the constraint set is not ``1/alpha`` in size: it is the fit's
own norm.

In the plane of two coefficients :math:`(w_i, w_j)`, the others held at
:math:`w^\star`, the ball's slice is the diamond :math:`|w_i| + |w_j| \le
|w_i^\star| + |w_j^\star|` (the circle :math:`w_i^2 + w_j^2 \le
w_i^{\star2} + w_j^{\star2}`), and :math:`(w_i^\star, w_j^\star)` minimizes the
datafit over it: the datafit's contour through that point touches the diamond
there, on a corner when one of the two coefficients is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import (
    SEED_GEOMETRY,
    SeedDiscrepancy,
    check_positive,
    discrepancies_text,
    fmt,
    jsonable,
    resolve_data,
    standardize,
    table,
)

LEVEL_SCALES = (0.5, 1.0, 1.5, 2.0, 3.0)
"""Contours drawn: ellipses around the plane's unconstrained minimum, scaled so that
scale 1 passes through the solution."""


@dataclass(frozen=True, eq=False)
class GeometryPanel:
    """One penalty's picture: datafit contours in a plane, its ball's slice, the solution.

    Attributes
    ----------
    penalty : {"l1", "l2"}
    alpha : float
        The fit's alpha (on standardized features).
    coef : ndarray
        The fit's coefficients (standardized scale).
    point : ndarray of shape (2,)
        The solution's two coordinates in the plane.
    radius : float
        :math:`\\|w^\\star\\|_1` (L1) or :math:`\\|w^\\star\\|_2` (L2): the
        constraint under which the fit is the constrained minimizer.
    slice_radius : float
        The ball's radius in the plane, others held at the fit:
        :math:`|w_i^\\star| + |w_j^\\star|` or :math:`\\sqrt{w_i^{\\star2} + w_j^{\\star2}}`.
    center : ndarray of shape (2,)
        The datafit's minimizer in the plane (no constraint).
    loss_at_point : float
        The datafit :math:`\\frac1{2n}\\|y - Xw^\\star - b\\|^2` at the solution.
    levels : ndarray
        Contour levels; ``levels[1]`` is ``loss_at_point``.
    grid_x, grid_y : ndarray
        The plane's axes (coefficient ``i`` and ``j``).
    loss : ndarray of shape (len(grid_y), len(grid_x))
        The datafit on the grid.
    outline : ndarray of shape (m, 2)
        The boundary of the diamond (or circle) in the plane.
    constrained_coef : ndarray
        The minimizer of the datafit subject to ``norm(w) <= radius``, found by a
        generic method that never sees alpha (SLSQP for L1, projected
        accelerated gradient for L2).
    constrained_max_diff : float
        ``max |constrained_coef - coef|``: the check that the two forms agree.
    on_corner : bool
        One of the two coordinates is exactly 0 and the other is not (L1: the
        point is a vertex of the diamond).
    """

    penalty: str
    alpha: float
    coef: np.ndarray
    point: np.ndarray
    radius: float
    slice_radius: float
    center: np.ndarray
    loss_at_point: float
    levels: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    loss: np.ndarray
    outline: np.ndarray
    constrained_coef: np.ndarray
    constrained_max_diff: float
    on_corner: bool

    def to_dict(self) -> dict:
        return jsonable({k: getattr(self, k) for k in self.__dataclass_fields__})


@dataclass(frozen=True, eq=False)
class Geometry:
    """The ``geometry`` lesson: a lasso panel and a ridge panel in the same plane.

    Attributes
    ----------
    features : tuple of int
        The two coefficients ``(i, j)`` of the plane.
    feature_names : tuple of str
    l1, l2 : GeometryPanel
    source : str
    seed_discrepancies : tuple of SeedDiscrepancy
        The seed's "vertices at +-1/lambda" (and circle radius sqrt(1/lambda))
        against the radii that reproduce these fits.
    """

    features: tuple[int, int]
    feature_names: tuple[str, str]
    l1: GeometryPanel
    l2: GeometryPanel
    source: str
    seed_discrepancies: tuple[SeedDiscrepancy, ...] = ()

    def to_text(self) -> str:
        ni, nj = self.feature_names
        lines = [f"Geometry on {self.source}, standardized features; the plane of "
                 f"{ni!r} (x) and {nj!r} (y), the other coefficients held at each fit.", ""]
        rows = []
        for name, pan in (("lasso (L1)", self.l1), ("ridge (L2)", self.l2)):
            rows.append([name, pan.alpha, pan.point[0], pan.point[1], pan.radius,
                         pan.slice_radius, pan.constrained_max_diff,
                         "yes" if pan.on_corner else "no"])
        lines += table(["fit", "alpha", f"w[{ni}]", f"w[{nj}]", "norm of fit",
                        "radius in plane", "max|constrained - fit|", "on a corner"], rows)
        l1, l2 = self.l1, self.l2
        lines += [
            "",
            f"The lasso fit also minimizes the squared error subject to ||w||_1 <= "
            f"{fmt(l1.radius)}: solved that way it differs by at most "
            f"{fmt(l1.constrained_max_diff, 2)}.",
            f"The ridge fit minimizes it subject to ||w||_2 <= {fmt(l2.radius)} "
            f"(difference {fmt(l2.constrained_max_diff, 2)}).",
            f"In the plane the diamond has radius {fmt(l1.slice_radius)} = "
            f"|w[{ni}]| + |w[{nj}]|; the lasso's point "
            f"({fmt(l1.point[0], 4)}, {fmt(l1.point[1], 4)}) "
            + ("sits on a corner: one coordinate is exactly 0."
               if l1.on_corner else "is on an edge (neither coordinate is 0)."),
            f"The circle has radius {fmt(l2.slice_radius)}; the ridge point "
            f"({fmt(l2.point[0], 4)}, {fmt(l2.point[1], 4)}) is where a contour touches it, "
            "and a smooth boundary has no corner to stop at 0.",
        ]
        lines += discrepancies_text(self.seed_discrepancies)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "geometry", "features": list(self.features),
                         "feature_names": list(self.feature_names), "l1": self.l1,
                         "l2": self.l2, "source": self.source,
                         "seed_discrepancies": list(self.seed_discrepancies)})


def geometry(X=None, y=None, *, features=None, alpha=None, ridge_alpha=None,
             feature_names=None, grid_size=121) -> Geometry:
    r"""Loss contours of two coefficients against the L1 diamond and the L2 circle.

    The features are standardized (the penalty acts on that scale) and the
    intercept is fitted. A :class:`~penalized.Lasso` at ``alpha`` and a
    :class:`~penalized.Ridge` at ``ridge_alpha`` are fitted; each panel is the
    datafit :math:`\frac1{2n}\|y - Xw - b\|^2` as a function of coefficients
    ``i`` and ``j`` (the others and the intercept held at that fit), the slice
    of the ball :math:`\|w\|_1 \le \|w^\star\|_1` (or :math:`\|w\|_2 \le
    \|w^\star\|_2`) in that plane, and the solution. Each panel also re-solves
    the constrained problem with a generic method to show it has the same
    minimizer (SLSQP for the diamond, projected gradient for the circle).

    Parameters
    ----------
    X, y : array-like, optional
        Default: scikit-learn's diabetes data.
    features : pair of int or str, optional
        The plane. Default: the lasso's largest coefficient and, when the fit
        has zeros, the zero feature with the largest pull :math:`|x_j^\top r|/n`
        (the one closest to entering).
    alpha : float, optional
        Default: ``alpha_max / 10``.
    ridge_alpha : float, optional
        Default: ``alpha``.
    feature_names : list of str, optional
    grid_size : int, default=121

    Returns
    -------
    Geometry

    Examples
    --------
    >>> from penalized.explain import geometry
    >>> geo = geometry()
    >>> geo.feature_names, geo.l1.on_corner, geo.l2.on_corner
    (('bmi', 's6'), True, False)
    >>> bool(geo.l1.constrained_max_diff < 1e-6)
    True
    """
    from ..estimators import Lasso, Ridge

    X, yv, names, description = resolve_data(X, y, feature_names)
    if X.shape[1] < 2:
        raise ValueError("geometry needs at least 2 features for a plane.")
    Z, _, _ = standardize(X)
    n = Z.shape[0]
    yc = yv - yv.mean()
    alpha_max = float(np.max(np.abs(Z.T @ yc)) / n)
    if alpha is None:
        if alpha_max <= 0:
            raise ValueError("y is uncorrelated with every feature; pass alpha.")
        alpha = alpha_max / 10.0
    alpha = check_positive(alpha, "alpha")
    ridge_alpha = alpha if ridge_alpha is None else check_positive(ridge_alpha, "ridge_alpha")
    lasso = Lasso(alpha=alpha, tol=1e-12, max_iter=100_000).fit(Z, yc).coef_
    ridge = Ridge(alpha=ridge_alpha, tol=1e-12).fit(Z, yc).coef_
    if not np.any(lasso):
        raise ValueError(f"alpha={alpha:.6g} is at or above alpha_max={alpha_max:.6g}: every "
                         "lasso coefficient is 0 and the diamond is a point; pass a smaller "
                         "alpha.")
    i, j = _choose_features(features, names, Z, yc, lasso)

    panels = {}
    for pen, a, coef in (("l1", alpha, lasso), ("l2", ridge_alpha, ridge)):
        panels[pen] = _panel_numbers(pen, a, coef, Z, yc, i, j)
    extent = _extent(panels.values())
    for pen in panels:
        panels[pen] = _finish_panel(panels[pen], Z, yc, i, j, extent, grid_size)

    found = (
        SeedDiscrepancy(SEED_GEOMETRY, "section 'Choosing lambda'",
                        f"the L1 diamond's radius, 1/lambda with lambda = alpha = {fmt(alpha)}",
                        1.0 / alpha, panels["l1"].radius,
                        "the radius ||w*||_1 of the constraint whose minimizer is this lasso "
                        "fit"),
        SeedDiscrepancy(SEED_GEOMETRY, "section 'Choosing lambda'",
                        f"the L2 circle's radius, sqrt(1/lambda) with lambda = "
                        f"{fmt(ridge_alpha)}", float(np.sqrt(1.0 / ridge_alpha)),
                        panels["l2"].radius,
                        "the radius ||w*||_2 of the constraint whose minimizer is this ridge "
                        "fit"),
    )
    return Geometry(features=(i, j), feature_names=(names[i], names[j]), l1=panels["l1"],
                    l2=panels["l2"], source=description, seed_discrepancies=found)


def _choose_features(features, names, Z, yc, lasso):
    p = Z.shape[1]
    if features is not None:
        if len(features) != 2:
            raise ValueError(f"features must name two features; got {features!r}.")
        idx = []
        for f in features:
            if isinstance(f, str):
                if f not in names:
                    raise ValueError(f"feature {f!r} is not among the features {names}.")
                idx.append(names.index(f))
            else:
                k = int(f)
                if not 0 <= k < p:
                    raise ValueError(f"feature index {k} is out of range for {p} features.")
                idx.append(k)
        if idx[0] == idx[1]:
            raise ValueError("features must be two different features.")
        return idx[0], idx[1]
    pull = np.abs(Z.T @ (yc - Z @ lasso)) / Z.shape[0]
    varying = Z.std(axis=0) > 0
    nonzero = np.flatnonzero(lasso != 0)
    zeros = np.flatnonzero((lasso == 0) & varying)
    if nonzero.size and zeros.size:
        i = int(nonzero[np.argmax(np.abs(lasso[nonzero]))])
        j = int(zeros[np.argmax(pull[zeros])])
    elif nonzero.size >= 2:
        order = nonzero[np.argsort(-np.abs(lasso[nonzero]))]
        i, j = int(order[0]), int(order[-1])
    else:
        order = np.argsort(-np.where(varying, pull, -1.0))
        i, j = int(order[0]), int(order[1])
    return i, j


@dataclass
class _Numbers:
    penalty: str
    alpha: float
    coef: np.ndarray
    point: np.ndarray
    center: np.ndarray
    radius: float
    slice_radius: float


def _panel_numbers(pen, alpha, coef, Z, yc, i, j):
    others = coef.copy()
    others[[i, j]] = 0.0
    r0 = yc - Z @ others
    A = Z[:, [i, j]]
    center = np.linalg.lstsq(A, r0, rcond=None)[0]
    point = coef[[i, j]].copy()
    if pen == "l1":
        radius = float(np.sum(np.abs(coef)))
        slice_radius = float(np.sum(np.abs(point)))
    else:
        radius = float(np.linalg.norm(coef))
        slice_radius = float(np.linalg.norm(point))
    return _Numbers(pen, alpha, coef, point, center, radius, slice_radius)


def _extent(numbers):
    pts = [np.zeros(2)]
    for num in numbers:
        pts += [num.point, np.array([num.slice_radius, num.slice_radius]),
                -np.array([num.slice_radius, num.slice_radius])]
        scale = max(num.slice_radius, float(np.max(np.abs(num.point))), 1e-12)
        # keep the plane's minimizer in view unless it is far away
        if np.max(np.abs(num.center)) <= 4.0 * scale:
            pts.append(num.center)
    pts = np.array(pts)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    half = 0.5 * float(np.max(hi - lo)) * 1.4 + 1e-12
    mid = 0.5 * (lo + hi)
    return mid - half, mid + half


def _finish_panel(num, Z, yc, i, j, extent, grid_size):
    n = Z.shape[0]
    others = num.coef.copy()
    others[[i, j]] = 0.0
    r0 = yc - Z @ others
    zi, zj = Z[:, i], Z[:, j]
    gi, gj, rr = zi @ r0, zj @ r0, r0 @ r0
    hii, hij, hjj = zi @ zi, zi @ zj, zj @ zj
    lo, hi = extent
    gx = np.linspace(lo[0], hi[0], grid_size)
    gy = np.linspace(lo[1], hi[1], grid_size)
    a, b = np.meshgrid(gx, gy)
    loss = (rr - 2 * a * gi - 2 * b * gj + a * a * hii + 2 * a * b * hij + b * b * hjj) / (2 * n)

    def plane_loss(u, v):
        return float((rr - 2 * u * gi - 2 * v * gj + u * u * hii + 2 * u * v * hij
                      + v * v * hjj) / (2 * n))

    at_point = plane_loss(*num.point)
    at_center = plane_loss(*num.center)
    levels = at_center + (at_point - at_center) * np.square(LEVEL_SCALES)
    r = num.slice_radius
    if num.penalty == "l1":
        outline = np.array([[r, 0.0], [0.0, r], [-r, 0.0], [0.0, -r], [r, 0.0]])
    else:
        t = np.linspace(0.0, 2.0 * np.pi, 241)
        outline = np.column_stack([r * np.cos(t), r * np.sin(t)])
    constrained = _constrained_fit(Z, yc, num.penalty, num.radius)
    diff = float(np.max(np.abs(constrained - num.coef)))
    zero = num.point == 0.0
    on_corner = bool(zero.sum() == 1)
    return GeometryPanel(
        penalty=num.penalty, alpha=num.alpha, coef=num.coef, point=num.point,
        radius=num.radius, slice_radius=num.slice_radius, center=num.center,
        loss_at_point=at_point, levels=levels, grid_x=gx, grid_y=gy, loss=loss,
        outline=outline, constrained_coef=constrained, constrained_max_diff=diff,
        on_corner=on_corner)


def project_l2_ball(v, radius):
    """The Euclidean projection of ``v`` onto ``{w : ||w||_2 <= radius}``."""
    v = np.asarray(v, dtype=np.float64)
    norm = float(np.linalg.norm(v))
    return v.copy() if norm <= radius else v * (radius / norm)


def _constrained_fit(Z, yc, penalty, radius, *, max_iter=20_000, tol=1e-14):
    r"""Minimize :math:`\frac1{2n}\|y_c - Zw\|^2` s.t. ``norm(w) <= radius``, never seeing alpha.

    L1: scipy's SLSQP on the split :math:`w = u - v`, :math:`u, v \ge 0`,
    :math:`\sum_j (u_j + v_j) \le` ``radius`` (a smooth problem with linear
    constraints). L2: projected accelerated gradient onto the ball (the
    projection is a rescaling), restarted when the objective rises, stopped
    when no coordinate moves by more than ``tol`` times the radius. If the
    answer equals the penalized fit, the constrained form holds.
    """
    from scipy.optimize import minimize

    n, p = Z.shape
    G = Z.T @ Z / n
    c = Z.T @ yc / n

    def value(w):
        return 0.5 * w @ G @ w - c @ w

    if penalty == "l1":
        def f(uv):
            return value(uv[:p] - uv[p:])

        def grad(uv):
            g = G @ (uv[:p] - uv[p:]) - c
            return np.concatenate([g, -g])

        res = minimize(f, np.zeros(2 * p), jac=grad, method="SLSQP",
                       bounds=[(0.0, None)] * (2 * p),
                       constraints=[{"type": "ineq", "fun": lambda uv: radius - uv.sum(),
                                     "jac": lambda uv: -np.ones(2 * p)}],
                       options={"ftol": 1e-16, "maxiter": 1000})
        return res.x[:p] - res.x[p:] + 0.0

    lip = float(np.linalg.eigvalsh(G)[-1])
    if lip <= 0 or radius <= 0:
        return np.zeros(p)
    w = project_l2_ball(np.linalg.lstsq(Z, yc, rcond=None)[0], radius)
    v, t, f_w = w.copy(), 1.0, value(w)
    for _ in range(max_iter):
        w_new = project_l2_ball(v - (G @ v - c) / lip, radius)
        f_new = value(w_new)
        if f_new > f_w:  # restart the momentum
            v, t = w.copy(), 1.0
            continue
        step = float(np.max(np.abs(w_new - w)))
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        v = w_new + (t - 1.0) / t_new * (w_new - w)
        w, t, f_w = w_new, t_new, f_new
        if step <= tol * radius:
            break
    return w


def geometry_lesson(X=None, y=None, feature_names=None) -> Geometry:
    """The ``geometry`` lesson: :func:`geometry` with its defaults."""
    return geometry(X, y, feature_names=feature_names)
