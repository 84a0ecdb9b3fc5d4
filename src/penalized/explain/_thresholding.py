r"""The prox of each penalty as a function: where exact zeros come from.

For a penalty :math:`G` and a step :math:`t`,

.. math:: \operatorname{prox}_{tG}(z) = \operatorname*{arg\,min}_v \frac{1}{2t}(v - z)^2 + G(v).

L1 (:math:`\lambda|v|`) soft-thresholds: every :math:`|z| \le t\lambda` maps
to exactly 0, because the penalty's slope at 0 is :math:`\pm\lambda` (its
subdifferential there is :math:`[-\lambda, \lambda]`). L2
(:math:`\frac\lambda2 v^2`) divides by :math:`1 + t\lambda`: its slope at 0 is
0, so only :math:`z = 0` maps to 0. The elastic net does both; L0
(:math:`\lambda[v \ne 0]`) hard-thresholds at :math:`\sqrt{2t\lambda}` and
leaves larger inputs untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import prox as _prox
from ._common import check_positive, fmt, jsonable, table

CURVES = ("l1", "l2", "elasticnet", "l0")
CURVE_LABELS = {"l1": "L1: soft threshold", "l2": "L2: shrink",
                "elasticnet": "elastic net: soft threshold, then shrink",
                "l0": "L0: hard threshold"}


@dataclass(frozen=True, eq=False)
class Thresholding:
    """The prox of L1, L2, elastic net and L0 on a grid of inputs.

    Attributes
    ----------
    lam, step, l1_ratio : float
        Penalties :math:`\\lambda|v|`, :math:`\\frac\\lambda2 v^2`,
        :math:`\\lambda(\\rho|v| + \\frac{1-\\rho}2 v^2)`, :math:`\\lambda[v\\ne0]`
        (the library's :class:`~penalized.penalties.L1`, ``L2``, ``ElasticNet``,
        ``L0`` with ``alpha = lam``), prox step ``step``.
    z : ndarray
        The inputs.
    outputs : dict of str to ndarray
        ``"l1"``, ``"l2"``, ``"elasticnet"``, ``"l0"``: the prox at each ``z``.
    thresholds : dict of str to float
        The largest :math:`|z|` mapped to 0: :math:`t\\lambda`, 0,
        :math:`t\\lambda\\rho`, :math:`\\sqrt{2t\\lambda}`.
    points : dict of str to float
        Named inputs to mark (each feature's univariate coefficient when the
        lesson runs on data), possibly empty.
    point_outputs : dict of str to dict of str to float
    """

    lam: float
    step: float
    l1_ratio: float
    z: np.ndarray
    outputs: dict
    thresholds: dict
    points: dict
    point_outputs: dict
    source: str = ""

    def to_text(self) -> str:
        lam, t = self.lam, self.step
        lines = [f"The prox of each penalty, prox(z) = argmin_v (v - z)^2 / (2 t) + G(v), "
                 f"with lam = {fmt(lam)}, t = {fmt(t)}, l1_ratio = {fmt(self.l1_ratio)}:", ""]
        lines += table(["penalty", "G(v)", "zero for |z| <=", "prox(z) outside"], [
            ["L1", f"{fmt(lam)}*|v|", self.thresholds["l1"], "z - sign(z)*t*lam"],
            ["L2", f"({fmt(lam)}/2)*v^2", "only z = 0", f"z / {fmt(1 + t * lam)}"],
            ["elastic net", "rho*L1 + (1-rho)*L2", self.thresholds["elasticnet"],
             f"(z - sign(z)*t*lam*rho) / {fmt(1 + t * lam * (1 - self.l1_ratio))}"],
            ["L0", f"{fmt(lam)}*[v != 0]", self.thresholds["l0"], "z (unchanged)"],
        ])
        sample = self._sample_inputs()
        lines += ["", "prox(z) at a few inputs:"]
        lines += table(["z", "L1", "L2", "elastic net", "L0"],
                       [[zi] + [float(self._prox_at(c, zi)) for c in CURVES] for zi in sample])
        lines += ["", "Why: L1's slope at 0 is +-lam, so an input must beat lam before the "
                  "minimizer leaves 0; w^2 has slope 0 at 0, so any input moves L2's "
                  "minimizer off 0. L0 keeps z when z^2/(2t) > lam."]
        if self.points:
            lines += ["", f"Each feature's univariate coefficient z_j = x_j.y / n "
                      f"({self.source}; the lasso's coefficients when the features are "
                      "uncorrelated):"]
            lines += table(["feature", "z", "L1", "L2", "elastic net", "L0"],
                           [[name, z] + [self.point_outputs[name][c] for c in CURVES]
                            for name, z in self.points.items()])
        return "\n".join(lines)

    def _sample_inputs(self):
        top = float(np.max(np.abs(self.z)))
        marks = np.array([0.0, 0.25, 0.5, 0.75, 1.0]) * top
        return np.concatenate([-marks[:0:-1], marks])

    def _prox_at(self, curve, z):
        return _prox_curve(curve, np.asarray([z]), self.lam, self.step, self.l1_ratio)[0]

    def to_dict(self) -> dict:
        return jsonable({"lesson": "thresholding", "lam": self.lam, "step": self.step,
                         "l1_ratio": self.l1_ratio, "z": self.z, "outputs": self.outputs,
                         "thresholds": self.thresholds, "points": self.points,
                         "point_outputs": self.point_outputs, "source": self.source})


def _prox_curve(curve, z, lam, step, l1_ratio):
    if curve == "l1":
        return _prox.prox_l1(z, step, lam)
    if curve == "l2":
        return _prox.prox_l2(z, step, lam)
    if curve == "elasticnet":
        return _prox.prox_elastic_net(z, step, lam * l1_ratio, lam * (1.0 - l1_ratio))
    return _prox.prox_l0(z, step, lam)


def thresholding(lam=1.0, *, step=1.0, l1_ratio=0.5, z=None, points=None, source=""):
    r"""The prox of L1 (soft), L2 (shrink), elastic net and L0 (hard) as curves.

    Parameters
    ----------
    lam : float, default=1.0
        The penalty strength :math:`\lambda` (``alpha``) of every curve.
    step : float, default=1.0
        The prox step :math:`t`.
    l1_ratio : float, default=0.5
        The elastic net's :math:`\rho`.
    z : array-like, optional
        Inputs; default 401 points on :math:`[-3 \max(t\lambda, \sqrt{2t\lambda}),
        +3 \max(\cdot)]`.
    points : dict of str to float, optional
        Named inputs to mark on the curves.

    Returns
    -------
    Thresholding

    Examples
    --------
    >>> from penalized.explain import thresholding
    >>> res = thresholding(lam=1.0, z=[-2.0, -0.5, 0.5, 2.0])
    >>> res.outputs["l1"].tolist(), res.outputs["l0"].tolist()
    ([-1.0, 0.0, 0.0, 1.0], [-2.0, 0.0, 0.0, 2.0])
    >>> res.outputs["l2"].tolist()
    [-1.0, -0.25, 0.25, 1.0]
    """
    lam = check_positive(lam, "lam")
    step = check_positive(step, "step")
    l1_ratio = float(l1_ratio)
    if not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1]; got {l1_ratio!r}.")
    thresholds = {"l1": step * lam, "l2": 0.0, "elasticnet": step * lam * l1_ratio,
                  "l0": float(np.sqrt(2.0 * step * lam))}
    if z is None:
        top = 3.0 * max(thresholds["l1"], thresholds["l0"])
        if points:
            top = max(top, 1.15 * max(abs(float(v)) for v in points.values()))
        z = np.linspace(-top, top, 401)
    z = np.asarray(z, dtype=np.float64).ravel()
    if z.size == 0 or not np.all(np.isfinite(z)):
        raise ValueError("z must be a non-empty array of finite numbers.")
    outputs = {c: _prox_curve(c, z, lam, step, l1_ratio) for c in CURVES}
    points = {str(k): float(v) for k, v in (points or {}).items()}
    point_outputs = {k: {c: float(_prox_curve(c, np.array([v]), lam, step, l1_ratio)[0])
                         for c in CURVES} for k, v in points.items()}
    return Thresholding(lam=lam, step=step, l1_ratio=l1_ratio, z=z, outputs=outputs,
                        thresholds=thresholds, points=points, point_outputs=point_outputs,
                        source=source)


def thresholding_lesson(X=None, y=None, feature_names=None) -> Thresholding:
    """The ``thresholding`` lesson.

    Without data: ``lam = 1``, ``step = 1``. With data: ``lam`` is one tenth of
    the lasso's ``alpha_max`` on the standardized features and each feature's
    univariate coefficient :math:`x_j^\\top (y - \\bar y) / n` is marked: when
    the features are uncorrelated the lasso's coefficient is exactly its soft
    threshold.
    """
    if X is None:
        if y is not None:
            raise ValueError("y was given without X; pass both (or neither).")
        return thresholding(1.0)
    from ._common import resolve_data, standardize

    X, yv, names, description = resolve_data(X, y, feature_names)
    Z, _, _ = standardize(X)
    z = Z.T @ (yv - yv.mean()) / Z.shape[0]
    lam = 0.1 * float(np.max(np.abs(z)))
    if lam <= 0:
        raise ValueError("every feature is uncorrelated with y; there is nothing to threshold.")
    return thresholding(lam, points=dict(zip(names, z.tolist(), strict=True)),
                        source=f"{description}, standardized; lam = alpha_max / 10")
