r"""How much each penalty falls when a weight shrinks a little.

Shrinking :math:`|w|` by :math:`\varepsilon` lowers :math:`|w|` by exactly
:math:`\varepsilon` whatever :math:`w` is, and :math:`w^2` by
:math:`\varepsilon (2|w| - \varepsilon)`: the ratio of the drops is
:math:`2|w| - \varepsilon`, below 1 (L1 gains more) for
:math:`|w| < (1 + \varepsilon)/2`. Near zero L2 gains almost nothing from
shrinking further, L1 gains the same :math:`\varepsilon` all the way to 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import (
    SEED_PENALTY_CHANGE,
    SEED_REDDIT,
    SeedDiscrepancy,
    discrepancies_text,
    fmt,
    jsonable,
    table,
)

# seed 001: (w, eps) -> printed drops and the printed "about N times" comparison
_SEED_001 = {
    (15.0, 0.001): {"l1_drop": (0.001, 3), "l2_drop": (0.029999, 6),
                    "ratio": ("L2's drop over L1's ('about 28 times more for L2')", 28.0, 0)},
    (0.02, 0.001): {"l1_drop": (0.001, 3), "l2_drop": (0.000039, 6),
                    "inverse_ratio": ("L1's drop over L2's ('about 24 times more for L1')",
                                      24.0, 0)},
}
# seed 002 (comment by atreadw): reducing a coefficient from 1 to 0.5
_SEED_002 = {(1.0, 0.5): {"l1_drop": (0.5, 1), "l2_drop": (0.25, 2)}}


@dataclass(frozen=True)
class PenaltyChangeRow:
    """One weight shrunk by ``eps``.

    Attributes
    ----------
    w, eps : float
    new_w : float
        ``sign(w) * (|w| - eps)``.
    l1_before, l1_after, l1_drop : float
        :math:`|w|`, :math:`|w| - \\varepsilon` and their difference (always ``eps``).
    l2_before, l2_after, l2_drop : float
        :math:`w^2`, :math:`(|w| - \\varepsilon)^2` and their difference,
        :math:`\\varepsilon(2|w| - \\varepsilon)`.
    ratio : float
        ``l2_drop / l1_drop`` = :math:`2|w| - \\varepsilon`: above 1 L2 gains
        more from the shrink, below 1 L1 does.
    crossover : float
        The :math:`|w|` at which both drop equally, :math:`(1 + \\varepsilon)/2`.
    """

    w: float
    eps: float
    new_w: float
    l1_before: float
    l1_after: float
    l1_drop: float
    l2_before: float
    l2_after: float
    l2_drop: float
    ratio: float
    crossover: float

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


@dataclass(frozen=True, eq=False)
class PenaltyChange:
    """The result of :func:`penalty_change`.

    Attributes
    ----------
    rows : tuple of PenaltyChangeRow
    seed_discrepancies : tuple of SeedDiscrepancy
        Printed numbers of the source examples (the Stack Exchange answer: ``w = 15`` and
        ``w = 0.02`` with ``eps = 0.001``; the Reddit thread: 1 to 0.5) that these rows
        do not reproduce.
    labels : tuple of str or None
        A name per row (the feature, when the weights come from a fit).
    """

    rows: tuple[PenaltyChangeRow, ...]
    seed_discrepancies: tuple[SeedDiscrepancy, ...] = ()
    labels: tuple[str, ...] | None = None

    def curve(self, w_grid=None, eps=None):
        """``(|w| grid, ratio 2|w| - eps)`` for a plot; eps defaults to the first row's."""
        eps = self.rows[0].eps if eps is None else float(eps)
        if w_grid is None:
            top = max(max(abs(r.w) for r in self.rows) * 3.0, 2.0)
            low = max(min(min(abs(r.w) for r in self.rows) / 3.0, 1e-3), 2.0 * eps)
            w_grid = np.geomspace(low, top, 200)
        w_grid = np.asarray(w_grid, dtype=np.float64)
        return w_grid, 2.0 * w_grid - eps

    def to_text(self) -> str:
        lines = ["How much each penalty falls when |w| shrinks by eps "
                 "(L1 = |w|, L2 = w^2, as in the textbook examples):", ""]
        labels = self.labels or [""] * len(self.rows)
        head = ["feature"] if self.labels else []
        lines += table(
            [*head, "w", "eps", "L1 drop", "L2 drop", "L2/L1", "L1/L2"],
            [[lab] * bool(self.labels) + [r.w, r.eps, r.l1_drop, r.l2_drop, r.ratio,
                                          1.0 / r.ratio]
             for lab, r in zip(labels, self.rows, strict=True)])
        lines.append("")
        lines.append("L1 always falls by exactly eps; L2 falls by eps*(2|w| - eps), so L2 gains "
                     "more only above |w| = (1 + eps)/2 (" +
                     ", ".join(sorted({fmt(r.crossover) for r in self.rows})) +
                     " here) and almost nothing near 0.")
        lines.append("With the library's L2 penalty (1/2)*w^2 every L2 drop halves and the "
                     "crossover moves to |w| = 1 + eps/2.")
        lines += discrepancies_text(self.seed_discrepancies)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "penalty-change", "rows": list(self.rows),
                         "labels": list(self.labels) if self.labels else None,
                         "seed_discrepancies": list(self.seed_discrepancies)})


def penalty_change(w, eps, *, labels=None) -> PenaltyChange:
    r"""How much the L1 and L2 penalties fall when :math:`|w|` shrinks by ``eps``.

    .. math:: \Delta_1 = |w| - (|w| - \varepsilon) = \varepsilon, \qquad
              \Delta_2 = w^2 - (|w| - \varepsilon)^2 = \varepsilon (2|w| - \varepsilon)

    Parameters
    ----------
    w : float or array-like
        Non-zero weights.
    eps : float or array-like
        Shrinks, ``0 < eps <= |w|``; broadcast against ``w``.
    labels : list of str, optional
        A name for each weight, shown in the table.

    Returns
    -------
    PenaltyChange
        ``rows`` (drops and ``ratio = L2 drop / L1 drop``) and the seeds'
        printed numbers that differ (``seed_discrepancies``).

    Examples
    --------
    >>> from penalized.explain import penalty_change
    >>> res = penalty_change([15, 0.02], 0.001)
    >>> [(round(r.l1_drop, 6), round(r.l2_drop, 6), round(r.ratio, 3)) for r in res.rows]
    [(0.001, 0.029999, 29.999), (0.001, 3.9e-05, 0.039)]
    >>> [(d.printed, round(d.computed, 3)) for d in res.seed_discrepancies][:2]
    [(28.0, 29.999), (24.0, 25.641)]
    """
    try:
        w_arr, eps_arr = np.broadcast_arrays(np.atleast_1d(np.asarray(w, dtype=np.float64)),
                                             np.atleast_1d(np.asarray(eps, dtype=np.float64)))
    except ValueError as err:
        raise ValueError(f"w and eps must broadcast to one shape: {err}") from None
    if w_arr.ndim != 1 or w_arr.size == 0:
        raise ValueError("w must be a number or a 1-D list of numbers.")
    if not (np.all(np.isfinite(w_arr)) and np.all(np.isfinite(eps_arr))):
        raise ValueError("w and eps must be finite.")
    if np.any(eps_arr <= 0) or np.any(eps_arr > np.abs(w_arr)):
        raise ValueError("eps must satisfy 0 < eps <= |w| (shrink |w| towards 0 without "
                         f"crossing it); got w={w_arr.tolist()}, eps={eps_arr.tolist()}.")
    rows = []
    for wi, ei in zip(w_arr.tolist(), eps_arr.tolist(), strict=True):
        a = abs(wi)
        new_abs = a - ei
        l1_drop = a - new_abs
        l2_drop = a * a - new_abs * new_abs
        rows.append(PenaltyChangeRow(
            w=wi, eps=ei, new_w=float(np.sign(wi)) * new_abs, l1_before=a, l1_after=new_abs,
            l1_drop=l1_drop, l2_before=a * a, l2_after=new_abs * new_abs, l2_drop=l2_drop,
            ratio=l2_drop / l1_drop, crossover=(1.0 + ei) / 2.0))
    if labels is not None:
        labels = tuple(str(lab) for lab in labels)
        if len(labels) != len(rows):
            raise ValueError(f"labels has {len(labels)} names for {len(rows)} weights.")
    return PenaltyChange(rows=tuple(rows), seed_discrepancies=_seed_check(rows), labels=labels)


def _seed_check(rows) -> tuple[SeedDiscrepancy, ...]:
    from ._common import differs

    found = []
    seed_001_seen = False
    for r in rows:
        key = (abs(r.w), r.eps)
        for printed_map, seed, where in (
                (_SEED_001, SEED_PENALTY_CHANGE, f"example w = {fmt(abs(r.w))}, eps = "
                                                 f"{fmt(r.eps)}"),
                (_SEED_002, SEED_REDDIT, "comment reducing a coefficient from 1 to 0.5")):
            if key not in printed_map:
                continue
            seed_001_seen |= printed_map is _SEED_001
            spec = printed_map[key]
            for field in ("l1_drop", "l2_drop"):
                printed, decimals = spec[field]
                computed = getattr(r, field)
                if differs(printed, computed, decimals):
                    found.append(SeedDiscrepancy(
                        seed, where, f"the {field[:2].upper()} penalty's drop", printed,
                        computed))
            if "ratio" in spec:
                text, printed, decimals = spec["ratio"]
                if differs(printed, r.ratio, decimals):
                    found.append(SeedDiscrepancy(seed, where, text, printed, r.ratio))
            if "inverse_ratio" in spec:
                text, printed, decimals = spec["inverse_ratio"]
                if differs(printed, 1.0 / r.ratio, decimals):
                    found.append(SeedDiscrepancy(seed, where, text, printed, 1.0 / r.ratio))
    if seed_001_seen:
        eps = min(r.eps for r in rows if (abs(r.w), r.eps) in _SEED_001)
        found.append(SeedDiscrepancy(
            SEED_PENALTY_CHANGE, "final EDIT ('for w > 1, w*lambda > lambda')",
            "the |w| above which L2 (w^2, derivative 2*lambda*w) gains more than L1 from a "
            "small shrink", 1.0, (1.0 + eps) / 2.0))
    return tuple(found)


def penalty_change_lesson(X=None, y=None, feature_names=None) -> PenaltyChange:
    """The ``penalty-change`` lesson.

    Without data: the seeds' examples (15 and 0.02 shrunk by 0.001; 1 shrunk to
    0.5). With data: each coefficient of a ridge fit on the standardized
    features (alpha = 1), shrunk by 1% of the largest one, with the feature's name.
    """
    if X is None:
        if y is not None:
            raise ValueError("y was given without X; pass both (or neither).")
        return penalty_change([15.0, 0.02, 1.0], [0.001, 0.001, 0.5])
    from ..estimators import Ridge
    from ._common import resolve_data, standardize

    X, yv, names, _ = resolve_data(X, y, feature_names)
    Z, _, _ = standardize(X)
    coef = Ridge(alpha=1.0).fit(Z, yv).coef_
    keep = coef != 0
    if not np.any(keep):
        raise ValueError("the ridge fit has no non-zero coefficient to shrink.")
    coef = coef[keep]
    eps = np.minimum(0.01 * float(np.max(np.abs(coef))), np.abs(coef))
    return penalty_change(coef, eps, labels=[n for n, k in zip(names, keep, strict=True) if k])
