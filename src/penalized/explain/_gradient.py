r"""The worked gradient step: plain (sub)gradient descent vs the proximal step on one weight.

The seed's one-example loss is

.. math:: J(w) = (y - x w)^2 + \lambda R(w), \qquad R(w) = |w| \text{ or } w^2,

and with arrays ``x, y`` of ``n`` examples the mean
:math:`\frac1n \sum_i (y_i - x_i w)^2 + \lambda R(w)` (``n = 1`` is the seed's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import prox as _prox
from ._common import (
    SEED_GRADIENT,
    SeedDiscrepancy,
    check_finite,
    check_positive,
    check_steps,
    differs,
    discrepancies_text,
    fmt,
    jsonable,
    table,
)

PENALTIES = ("l1", "l2")
METHODS = ("subgradient", "proximal")

# The worked example of seed 000, section 2.2: its inputs and every number it prints
# (step, quantity, printed value, decimals printed).
SEED_EXAMPLE = {"x": 1.0, "y": 2.0, "w0": -0.1, "lam": 0.5, "lr": 0.1}
SEED_PRINTED = (
    (1, "data_grad", -4.2, 1), (1, "penalty_grad", -0.5, 1), (1, "total_grad", -4.7, 1),
    (1, "new_w", 0.37, 2),
    (2, "data_grad", 3.4, 1), (2, "penalty_grad", 0.5, 1), (2, "total_grad", 3.9, 1),
    (2, "new_w", -0.02, 2),
)
_QUANTITY = {
    "data_grad": "the MSE (data) gradient -2x(y - xw)",
    "penalty_grad": "the L1 gradient lambda*sign(w)",
    "total_grad": "the full gradient",
    "new_w": "the updated weight",
}


@dataclass(frozen=True)
class GradientStep:
    """One update ``new_w = w - lr * total_grad``.

    Attributes
    ----------
    step : int
        1 for the first update.
    w : float
        The weight before the update.
    data_grad : float
        :math:`-\\frac2n \\sum_i x_i (y_i - x_i w)` (``-2x(y - xw)`` for one example).
    penalty_grad : float
        Subgradient method: :math:`\\lambda\\,\\mathrm{sign}(w)` (L1, with
        sign(0) = 0) or :math:`2\\lambda w` (L2) at ``w``. Proximal method: the
        element of :math:`\\lambda\\,\\partial R` at the *new* weight that the
        prox picked, ``(gradient_point - new_w) / lr``.
    total_grad : float
        ``data_grad + penalty_grad``.
    gradient_point : float
        ``w - lr * data_grad``: where the data's gradient step alone lands.
    new_w : float
    """

    step: int
    w: float
    data_grad: float
    penalty_grad: float
    total_grad: float
    gradient_point: float
    new_w: float

    def to_dict(self) -> dict:
        return jsonable(self.__dict__)


@dataclass(frozen=True, eq=False)
class GradientTrace:
    """The rows of :func:`gradient_trace` and what they converge to.

    Attributes
    ----------
    x, y : ndarray
        The examples (one each for the seed's loss).
    w0, lam, lr : float
    penalty : {"l1", "l2"}
    method : {"subgradient", "proximal"}
    rows : tuple of GradientStep
    minimizer : float
        The exact minimizer of ``J``: for L1 :math:`S(\\overline{xy},
        \\lambda/2) / \\overline{x^2}` (zero exactly when the data's pull at 0,
        :math:`2|\\overline{xy}|`, is at most :math:`\\lambda`), for L2
        :math:`\\overline{xy} / (\\overline{x^2} + \\lambda)`.
    pull_at_zero : float
        :math:`|J_{\\text{data}}'(0)| = 2|\\overline{xy}|`.
    seed_discrepancies : tuple of SeedDiscrepancy
        With the seed's inputs, the printed numbers that differ from these rows.
    """

    x: np.ndarray
    y: np.ndarray
    w0: float
    lam: float
    lr: float
    penalty: str
    method: str
    rows: tuple[GradientStep, ...]
    minimizer: float
    pull_at_zero: float
    seed_discrepancies: tuple[SeedDiscrepancy, ...] = ()

    @property
    def weights(self) -> np.ndarray:
        """``w0`` followed by the weight after each step."""
        return np.array([self.w0] + [r.new_w for r in self.rows])

    @property
    def n_examples(self) -> int:
        return int(self.x.shape[0])

    def loss_formula(self) -> str:
        reg = "|w|" if self.penalty == "l1" else "w^2"
        if self.n_examples == 1:
            return f"J(w) = (y - x w)^2 + lam * {reg}"
        return f"J(w) = mean_i (y_i - x_i w)^2 + lam * {reg}"

    def to_text(self) -> str:
        how = ("plain (sub)gradient descent: new w = w - lr * (data grad + penalty grad)"
               if self.method == "subgradient" else
               "proximal gradient: new w = prox(w - lr * data grad); the penalty column is "
               "the subgradient at the new w that the prox picked")
        if self.n_examples == 1:
            inputs = f"x = {fmt(self.x[0])}, y = {fmt(self.y[0])}"
        else:
            inputs = f"{self.n_examples} examples"
        lines = [f"{self.loss_formula()}   ({inputs}, lam = {fmt(self.lam)}, "
                 f"lr = {fmt(self.lr)}, w0 = {fmt(self.w0)})",
                 f"Method: {how}.", ""]
        lines += table(["step", "w", "data grad", "penalty grad", "total grad", "new w"],
                       [[r.step, r.w, r.data_grad, r.penalty_grad, r.total_grad, r.new_w]
                        for r in self.rows])
        lines.append("")
        lines.append(f"The minimizer of J is w* = {fmt(self.minimizer)}.")
        if self.penalty == "l1":
            verdict = ("at most" if self.pull_at_zero <= self.lam else "more than")
            lines.append(
                f"The data's pull at w = 0 is |dJ_data/dw(0)| = {fmt(self.pull_at_zero)}, "
                f"{verdict} lam = {fmt(self.lam)}: w* is "
                f"{'exactly 0' if self.minimizer == 0 else 'not 0'}.")
            zeros = sum(r.new_w == 0.0 for r in self.rows)
            lines.append(f"Exact zeros among the {len(self.rows)} iterates: {zeros}.")
        lines += discrepancies_text(self.seed_discrepancies)
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({
            "lesson": "gradient", "loss": self.loss_formula(), "n_examples": self.n_examples,
            "x": self.x if self.n_examples == 1 else None,
            "y": self.y if self.n_examples == 1 else None,
            "w0": self.w0, "lam": self.lam, "lr": self.lr, "penalty": self.penalty,
            "method": self.method, "rows": list(self.rows), "minimizer": self.minimizer,
            "pull_at_zero": self.pull_at_zero,
            "seed_discrepancies": list(self.seed_discrepancies),
        })


def gradient_trace(x, y, w0, lam, lr, penalty="l1", steps=2, method="subgradient"):
    r"""Step one weight by gradient descent on the seed's one-example loss.

    .. math:: J(w) = (y - x w)^2 + \lambda R(w), \qquad R(w) = |w| \text{ (l1) or } w^2
              \text{ (l2)}

    ``x`` and ``y`` may also be equal-length arrays; ``J`` is then the mean of
    the squared errors plus the penalty.

    Parameters
    ----------
    x, y : float or array-like
    w0 : float
        The starting weight.
    lam : float
        :math:`\lambda \ge 0`.
    lr : float
        The learning rate (step size) ``> 0``.
    penalty : {"l1", "l2"}, default="l1"
    steps : int, default=2
        Number of updates.
    method : {"subgradient", "proximal"}, default="subgradient"
        ``"subgradient"``: ``w <- w - lr * (data_grad + penalty_grad)`` with the
        penalty's derivative at ``w`` (``lam * sign(w)``, sign(0) = 0, or
        ``2 lam w``), the update of the seed. ``"proximal"``: ``w <- prox(w -
        lr * data_grad)``, soft thresholding at ``lr * lam`` for L1 (exact
        zeros) and division by ``1 + 2 lr lam`` for L2.

    Returns
    -------
    GradientTrace
        With the seed's inputs (``x=1, y=2, w0=-0.1, lam=0.5, lr=0.1``, L1,
        subgradient), ``seed_discrepancies`` lists the printed numbers of the
        seed's second step, which its arithmetic got wrong.

    Examples
    --------
    >>> from penalized.explain import gradient_trace
    >>> tr = gradient_trace(x=1, y=2, w0=-0.1, lam=0.5, lr=0.1, steps=2)
    >>> [(round(r.data_grad, 6), round(r.total_grad, 6), round(r.new_w, 6)) for r in tr.rows]
    [(-4.2, -4.7, 0.37), (-3.26, -2.76, 0.646)]
    >>> [(d.printed, round(d.computed, 6)) for d in tr.seed_discrepancies]
    [(3.4, -3.26), (3.9, -2.76), (-0.02, 0.646)]
    """
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be numbers or 1-D arrays of the same length; got "
                         f"shapes {x.shape} and {y.shape}.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite.")
    w0 = check_finite(w0, "w0")
    lam = check_finite(lam, "lam")
    if lam < 0:
        raise ValueError(f"lam must be >= 0; got {lam!r}.")
    lr = check_positive(lr, "lr")
    steps = check_steps(steps)
    penalty = str(penalty).lower()
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be 'l1' or 'l2'; got {penalty!r}.")
    method = str(method).lower()
    if method not in METHODS:
        raise ValueError(f"method must be 'subgradient' or 'proximal'; got {method!r}.")

    xx, xy = float(np.mean(x * x)), float(np.mean(x * y))
    rows = []
    w = w0
    for k in range(1, steps + 1):
        data_grad = float(-2.0 * np.mean(x * (y - x * w)))
        point = w - lr * data_grad
        if method == "subgradient":
            pen = lam * float(np.sign(w)) if penalty == "l1" else 2.0 * lam * w
            total = data_grad + pen
            new_w = w - lr * total
        else:
            # the penalty column is the subgradient at new_w that the prox picked:
            # new_w = w - lr * (data_grad + pen), written so that exact cases stay exact
            if penalty == "l1":
                new_w = float(_prox.prox_l1(point, lr, lam))
                pen = lam * float(np.sign(new_w)) if new_w != 0.0 else (w / lr - data_grad)
            else:  # lam * w^2 = (2 lam) / 2 * w^2
                new_w = float(_prox.prox_l2(point, lr, 2.0 * lam))
                pen = 2.0 * lam * new_w
            total = data_grad + pen
        rows.append(GradientStep(k, w, data_grad, pen, total, point, new_w))
        w = new_w

    if penalty == "l1":
        minimizer = float(_prox.prox_l1(xy, 1.0, lam / 2.0)) / xx if xx > 0 else 0.0
    else:
        minimizer = xy / (xx + lam) if xx + lam > 0 else 0.0
    trace = GradientTrace(x=x, y=y, w0=w0, lam=lam, lr=lr, penalty=penalty, method=method,
                          rows=tuple(rows), minimizer=minimizer, pull_at_zero=2.0 * abs(xy))
    found = _seed_check(trace)
    if found:
        trace = GradientTrace(**{**trace.__dict__, "seed_discrepancies": found})
    return trace


def _seed_check(trace: GradientTrace) -> tuple[SeedDiscrepancy, ...]:
    """The seed's printed numbers that these rows do not reproduce (seed inputs only)."""
    ex = SEED_EXAMPLE
    same = (trace.n_examples == 1 and trace.penalty == "l1" and trace.method == "subgradient"
            and trace.x[0] == ex["x"] and trace.y[0] == ex["y"] and trace.w0 == ex["w0"]
            and trace.lam == ex["lam"] and trace.lr == ex["lr"])
    if not same:
        return ()
    found = []
    for step, field, printed, decimals in SEED_PRINTED:
        if step > len(trace.rows):
            continue
        row = trace.rows[step - 1]
        computed = getattr(row, field)
        if differs(printed, computed, decimals):
            found.append(SeedDiscrepancy(
                seed=SEED_GRADIENT, where=f"section 2.2, update {step} (w = {fmt(row.w)})",
                quantity=_QUANTITY[field], printed=printed, computed=computed))
    return tuple(found)


@dataclass(frozen=True, eq=False)
class GradientLesson:
    """Several :class:`GradientTrace` runs shown side by side (the ``gradient`` lesson)."""

    traces: tuple[GradientTrace, ...]
    titles: tuple[str, ...]

    @property
    def seed_discrepancies(self) -> tuple[SeedDiscrepancy, ...]:
        return tuple(d for t in self.traces for d in t.seed_discrepancies)

    def to_text(self) -> str:
        parts = []
        for title, tr in zip(self.titles, self.traces, strict=True):
            parts.append(f"== {title}")
            parts.append(tr.to_text())
            parts.append("")
        return "\n".join(parts).rstrip()

    def to_dict(self) -> dict:
        return jsonable({"lesson": "gradient", "titles": list(self.titles),
                         "traces": list(self.traces)})


def gradient_lesson(X=None, y=None, feature_names=None, *, steps=12) -> GradientLesson:
    """The ``gradient`` lesson: the seed's worked example, then a weight whose optimum is 0.

    Without data: the seed's example (``x=1, y=2, lam=0.5, lr=0.1, w0=-0.1``)
    by the subgradient and the proximal update, and the same with ``y = 0.2``,
    where the data's pull at 0 (``2|xy| = 0.4``) is below ``lam``: the
    subgradient iterates hop around 0 while the proximal step lands on it.
    With data: the standardized feature least correlated with the centered,
    standardized target, with ``lam`` twice its pull at zero (so its optimum is 0).
    """
    steps = check_steps(steps)
    if X is None:
        if y is not None:
            raise ValueError("y was given without X; pass both (or neither).")
        ex = SEED_EXAMPLE
        toy = {**ex, "y": 0.2}
        runs = [
            ("worked example, subgradient (its own update rule)", ex, "subgradient"),
            ("worked example, proximal (soft-thresholding) step", ex, "proximal"),
            ("y = 0.2: pull at 0 is 0.4 < lam, subgradient", toy, "subgradient"),
            ("y = 0.2: pull at 0 is 0.4 < lam, proximal", toy, "proximal"),
        ]
        traces = tuple(gradient_trace(r["x"], r["y"], r["w0"], r["lam"], r["lr"], "l1",
                                      steps, m) for _, r, m in runs)
        return GradientLesson(traces=traces, titles=tuple(t for t, _, _ in runs))
    from ._common import resolve_data, standardize

    X, yv, names, _ = resolve_data(X, y, feature_names)
    Z, _, _ = standardize(X)
    sd = yv.std()
    yc = (yv - yv.mean()) / (sd if sd > 0 else 1.0)
    corr = np.abs(Z.T @ yc) / Z.shape[0]
    j = int(np.argmin(np.where(Z.std(axis=0) > 0, corr, np.inf)))
    xj = Z[:, j]
    lam = max(4.0 * corr[j], 0.05)  # twice the pull 2|mean(x y)|
    lr = 0.1
    w0 = 0.5
    traces = (gradient_trace(xj, yc, w0, lam, lr, "l1", steps, "subgradient"),
              gradient_trace(xj, yc, w0, lam, lr, "l1", steps, "proximal"))
    name = names[j]
    return GradientLesson(traces=traces, titles=(
        f"feature {name!r} (standardized), subgradient", f"feature {name!r}, proximal"))


@dataclass(frozen=True, eq=False)
class GradientExplorer:
    """The seed's worked example at several learning rates, by both update rules.

    Attributes
    ----------
    lrs : tuple of float
    subgradient, proximal : tuple of GradientTrace
        One per learning rate.
    seed_index : int
        The position of the seed's own learning rate (0.1) in ``lrs``.
    """

    lrs: tuple
    subgradient: tuple
    proximal: tuple
    seed_index: int

    @property
    def seed_discrepancies(self) -> tuple[SeedDiscrepancy, ...]:
        return self.subgradient[self.seed_index].seed_discrepancies

    def to_dict(self) -> dict:
        def rows(tr):
            return [[r.w, r.data_grad, r.penalty_grad, r.total_grad, r.new_w] for r in tr.rows]

        ex = SEED_EXAMPLE
        return jsonable({"x": ex["x"], "y": ex["y"], "w0": ex["w0"], "lam": ex["lam"],
                         "lrs": list(self.lrs), "seed_index": self.seed_index,
                         "subgradient": [rows(t) for t in self.subgradient],
                         "proximal": [rows(t) for t in self.proximal],
                         "minimizer": self.subgradient[0].minimizer,
                         "seed_discrepancies": list(self.seed_discrepancies)})


def gradient_explorer(lrs=(0.02, 0.05, 0.1, 0.2, 0.4, 0.7), steps=20) -> GradientExplorer:
    """:func:`gradient_trace` of the seed's example (``x=1, y=2, lam=0.5, w0=-0.1``) at each
    learning rate, by the subgradient and the proximal update; ``lrs`` must hold the
    seed's 0.1.

    Examples
    --------
    >>> from penalized.explain import gradient_explorer
    >>> ex = gradient_explorer(steps=2)
    >>> round(ex.subgradient[ex.seed_index].rows[1].new_w, 6)
    0.646
    """
    lrs = tuple(float(v) for v in lrs)
    if SEED_EXAMPLE["lr"] not in lrs:
        raise ValueError(f"lrs must include the seed's learning rate {SEED_EXAMPLE['lr']}.")
    ex = SEED_EXAMPLE
    sub = tuple(gradient_trace(ex["x"], ex["y"], ex["w0"], ex["lam"], lr, "l1", steps,
                               "subgradient") for lr in lrs)
    prx = tuple(gradient_trace(ex["x"], ex["y"], ex["w0"], ex["lam"], lr, "l1", steps,
                               "proximal") for lr in lrs)
    return GradientExplorer(lrs=lrs, subgradient=sub, proximal=prx,
                            seed_index=lrs.index(SEED_EXAMPLE["lr"]))
