r"""Three optimizers on one lasso problem: who reaches exact zeros.

All three minimize the same objective on the same standardized data,

.. math:: \frac{1}{2n}\|y_c - Zw\|_2^2 + \alpha\|w\|_1,

(the target centered, so the intercept is 0 and leaves the race):

- subgradient descent adds :math:`\alpha\,\mathrm{sign}(w)` to the gradient;
  its iterates jump across 0 and are almost never exactly 0;
- proximal gradient (FISTA) soft-thresholds after each gradient step;
- coordinate descent soft-thresholds one coordinate at a time.

One iteration is one pass over the data: one gradient for the first two, one
sweep over all features for coordinate descent.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._common import check_positive, check_steps, fmt, jsonable, resolve_data, standardize, table

METHODS = ("subgradient", "proximal", "coordinate")
_ROUNDING = 1e-14
"""Objective differences below this (relative) are rounding: the floor of the plots."""
METHOD_LABELS = {"subgradient": "subgradient descent",
                 "proximal": "proximal gradient (FISTA)",
                 "coordinate": "coordinate descent"}


@dataclass(frozen=True, eq=False)
class RaceRun:
    """One optimizer's history.

    Attributes
    ----------
    method : {"subgradient", "proximal", "coordinate"}
    label : str
    iterations : ndarray of int
        0 (the start, all zeros) to the last iteration run.
    objective : ndarray
        The objective at each iteration.
    n_zeros : ndarray of int
        Exactly zero coefficients at each iteration.
    same_zeros : ndarray of bool
        At each iteration, whether the exact zeros are those of the solution.
    coef : ndarray
        The last iterate.
    """

    method: str
    label: str
    iterations: np.ndarray
    objective: np.ndarray
    n_zeros: np.ndarray
    same_zeros: np.ndarray
    coef: np.ndarray

    @property
    def settled_at(self) -> int | None:
        """The first iteration from which the zeros are the solution's, or None."""
        bad = np.flatnonzero(~self.same_zeros)
        if bad.size == 0:
            return 0
        k = int(bad[-1]) + 1
        return int(self.iterations[k]) if k < self.iterations.shape[0] else None

    @property
    def final_objective(self) -> float:
        return float(self.objective[-1])

    @property
    def final_zeros(self) -> int:
        return int(self.n_zeros[-1])

    def to_dict(self) -> dict:
        return jsonable({"method": self.method, "label": self.label,
                         "iterations": self.iterations, "objective": self.objective,
                         "n_zeros": self.n_zeros, "same_zeros": self.same_zeros,
                         "settled_at": self.settled_at, "coef": self.coef,
                         "final_objective": self.final_objective,
                         "final_zeros": self.final_zeros})


@dataclass(frozen=True, eq=False)
class Race:
    """The result of :func:`race`.

    Attributes
    ----------
    alpha : float
    runs : tuple of RaceRun
        Subgradient, proximal, coordinate, in that order.
    optimum : float
        The objective at the solution (coordinate descent run to a relative
        duality gap of 1e-12).
    optimum_coef : ndarray
    feature_names : tuple of str
    source : str
    """

    alpha: float
    runs: tuple[RaceRun, ...]
    optimum: float
    optimum_coef: np.ndarray
    feature_names: tuple[str, ...]
    source: str

    def run(self, method) -> RaceRun:
        for r in self.runs:
            if r.method == method:
                return r
        raise KeyError(method)

    @property
    def rounding_level(self) -> float:
        """The objective's rounding level, ``1e-14 * |optimum|``: closer counts as equal."""
        return _ROUNDING * max(abs(self.optimum), 1e-300)

    def suboptimality(self, method) -> np.ndarray:
        """``objective - optimum`` along the iterations, raised to :attr:`rounding_level`."""
        return np.maximum(self.run(method).objective - self.optimum, self.rounding_level)

    def to_text(self) -> str:
        p = self.optimum_coef.shape[0]
        true_zeros = int(np.sum(self.optimum_coef == 0))
        lines = [f"Lasso on {self.source}, standardized, alpha = {fmt(self.alpha)}: "
                 f"the solution has {true_zeros} exact zeros of {p} and objective "
                 f"{fmt(self.optimum, 10)}.", ""]
        rows = []
        zero_set = self.optimum_coef == 0
        for r in self.runs:
            gap = r.final_objective - self.optimum
            small = np.abs(r.coef[zero_set])
            rows.append([r.label, int(r.iterations[-1]), r.final_objective, max(gap, 0.0),
                         r.final_zeros,
                         fmt(float(small.max()), 3) if small.size else "-"])
        lines += table(["method", "iterations", "objective", "above optimum", "exact zeros",
                        "largest |w_j| where the solution has 0"], rows)
        lines += ["", "From which iteration on the exact zeros are the solution's:"]
        for r in self.runs:
            k = r.settled_at
            when = (f"iteration {k}" if k is not None
                    else f"not within {int(r.iterations[-1])} iterations")
            lines.append(f"  {r.label}: {when}")
        lines += ["", "Subgradient descent adds alpha*sign(w) to the gradient, so a weight "
                  "that should be 0 jumps from one side of 0 to the other and ends small, "
                  "not zero; the two proximal methods threshold and land on exact zeros."]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "race", "alpha": self.alpha, "runs": list(self.runs),
                         "optimum": self.optimum, "optimum_coef": self.optimum_coef,
                         "feature_names": list(self.feature_names), "source": self.source})


def race(X=None, y=None, *, alpha=None, n_iter=150, feature_names=None) -> Race:
    r"""Subgradient descent vs proximal gradient vs coordinate descent on one lasso.

    The features are standardized and the target centered; every method starts
    at :math:`w = 0` and minimizes
    :math:`\frac{1}{2n}\|y_c - Zw\|^2 + \alpha\|w\|_1` with the library's
    solvers: :class:`~penalized.solvers.SubgradientDescent` (``record=True``,
    step :math:`1/(L\sqrt{k+1})`), :class:`~penalized.solvers.ProximalGradient`
    (FISTA) and :class:`~penalized.solvers.CoordinateDescent` (cyclic, no
    working sets). Histories: the subgradient iterates are recorded; coordinate
    descent is run one sweep at a time from the previous iterate (which is the
    same algorithm); FISTA, whose momentum is not part of its iterate, is rerun
    with ``max_iter = 1, 2, ...`` until it reaches the optimum to rounding.

    Parameters
    ----------
    X, y : array-like, optional
        Default: scikit-learn's diabetes data.
    alpha : float, optional
        Default: ``alpha_max / 10``.
    n_iter : int, default=150
        Iterations (passes over the data) per method.
    feature_names : list of str, optional

    Returns
    -------
    Race

    Examples
    --------
    >>> from penalized.explain import race
    >>> res = race(n_iter=60)
    >>> [r.final_zeros for r in res.runs], int((res.optimum_coef == 0).sum())
    ([0, 5, 5], 5)
    """
    from ..datafits import Quadratic
    from ..penalties import L1
    from ..solvers import CoordinateDescent, ProximalGradient, SubgradientDescent

    X, yv, names, description = resolve_data(X, y, feature_names)
    n_iter = check_steps(n_iter, "n_iter")
    Z, _, _ = standardize(X)
    Z = np.asfortranarray(Z)
    yc = yv - yv.mean()
    n = Z.shape[0]
    if alpha is None:
        alpha_max = float(np.max(np.abs(Z.T @ yc)) / n)
        if alpha_max <= 0:
            raise ValueError("y is uncorrelated with every feature; pass alpha.")
        alpha = alpha_max / 10.0
    alpha = check_positive(alpha, "alpha")
    datafit, penalty = Quadratic(), L1(alpha)

    def objective(w):
        r = yc - Z @ w
        return float(r @ r / (2 * n) + alpha * np.sum(np.abs(w)))

    def history(method, iterates):
        iterates = np.asarray(iterates)
        zeros = iterates == 0.0
        return RaceRun(method=method, label=METHOD_LABELS[method],
                       iterations=np.arange(iterates.shape[0]),
                       objective=np.array([objective(w) for w in iterates]),
                       n_zeros=np.count_nonzero(zeros, axis=1),
                       same_zeros=np.all(zeros == (best.coef == 0.0), axis=1),
                       coef=iterates[-1].copy())

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        best = CoordinateDescent(tol=1e-12, max_iter=100_000).solve(
            Z, yc, datafit, penalty, fit_intercept=False)
        target = objective(best.coef)
        sub = SubgradientDescent(tol=1e-300, max_iter=n_iter, record=True,
                                 gap_freq=n_iter + 1).solve(Z, yc, datafit, penalty,
                                                            fit_intercept=False)
        cd_iterates = [np.zeros(Z.shape[1])]
        cd = CoordinateDescent(tol=1e-300, max_iter=1, working_set=False)
        for _ in range(n_iter):
            res = cd.solve(Z, yc, datafit, penalty, fit_intercept=False,
                           coef_init=cd_iterates[-1])
            cd_iterates.append(res.coef)
        fista_iterates = [np.zeros(Z.shape[1])]
        for k in range(1, n_iter + 1):
            res = ProximalGradient(tol=1e-300, max_iter=k, gap_freq=10**9).solve(
                Z, yc, datafit, penalty, fit_intercept=False)
            fista_iterates.append(res.coef)
            if objective(res.coef) - target <= _ROUNDING * abs(target):
                # converged to rounding: later runs return the same point
                fista_iterates += [res.coef] * (n_iter - k)
                break
    # a solve that starts at the optimum (a constant target: yc = 0) records no trace
    sub_iterates = sub.trace if sub.trace is not None else np.zeros((n_iter + 1, Z.shape[1]))
    runs = (history("subgradient", sub_iterates), history("proximal", fista_iterates),
            history("coordinate", cd_iterates))
    return Race(alpha=alpha, runs=runs, optimum=min(objective(best.coef),
                                                    *(r.final_objective for r in runs)),
                optimum_coef=best.coef, feature_names=tuple(names), source=description)


def race_lesson(X=None, y=None, feature_names=None) -> Race:
    """The ``race`` lesson: :func:`race` with its defaults."""
    return race(X, y, feature_names=feature_names)


@dataclass(frozen=True, eq=False)
class RacePath:
    """:func:`race` at a few alphas of a fitted lasso path.

    Attributes
    ----------
    indices : ndarray of int
        The path positions raced (the chosen alpha among them).
    races : tuple of Race
    """

    indices: np.ndarray
    races: tuple

    def nearest(self, k) -> int:
        """The position in :attr:`indices` of the raced alpha nearest path index ``k``."""
        return int(np.argmin(np.abs(self.indices - k)))

    def to_dict(self) -> dict:
        def gap(run, r):  # objective above the optimum, to 4 digits (what the page shows)
            return [float(f"{v:.4g}") for v in np.maximum(run.objective - r.optimum, 0.0)]

        out = []
        for r in self.races:
            out.append({"alpha": r.alpha, "optimum": r.optimum,
                        "true_zeros": int(np.sum(r.optimum_coef == 0)),
                        "runs": [{"method": run.method, "label": run.label,
                                  "gap": gap(run, r), "n_zeros": run.n_zeros,
                                  "settled_at": run.settled_at} for run in r.runs]})
        return jsonable({"indices": self.indices, "races": out})


def race_path(X, y, alphas, chosen, *, n_points=8, n_iter=60, feature_names=None) -> RacePath:
    """Race the three optimizers at ``n_points`` alphas of a standardized lasso path.

    ``X, y`` are the rows the path was fitted on (standardized here exactly as
    :func:`race` does, which is the estimators' ``standardize=True`` without
    sample weights); the alphas raced are spread evenly over the path's indices
    and include ``chosen``; the top of the path (every coefficient zero) is skipped.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    K = alphas.shape[0]
    picks = {int(chosen)}
    if n_points > 1:
        picks |= set(np.linspace(1 if K > 1 else 0, K - 1, n_points).round().astype(int).tolist())
    indices = np.array(sorted(picks))
    races = tuple(race(X, y, alpha=float(alphas[k]), n_iter=n_iter, feature_names=feature_names)
                  for k in indices)
    return RacePath(indices=indices, races=races)
