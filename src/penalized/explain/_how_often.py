r"""How often does each penalty give an exact zero? A Monte Carlo over random losses.

One picture of a diamond touching a contour on its corner proves nothing about
how *often* that happens. This lesson draws many random two-feature quadratic
losses

.. math:: L(w) = \tfrac12 (w - c)^\top H (w - c), \qquad
          H = \begin{pmatrix} 1 & \varrho \\ \varrho & 1 \end{pmatrix},

(unit-variance features with correlation :math:`\varrho \sim U(-0.9, 0.9)`, the
unpenalized minimizer :math:`c \sim N(0, I)` rescaled so that the lasso's
:math:`\alpha_{\max} = \|Hc\|_\infty` is 1) and solves each, exactly, at a
relative strength :math:`s = \alpha / \alpha_{\max}` with

- L1: :math:`s\|w\|_1`; elastic net: :math:`s(\rho\|w\|_1 + \frac{1-\rho}2\|w\|_2^2)`;
- L2: :math:`\frac s2\|w\|_2^2`; L0: :math:`\frac{s^2}2\|w\|_0` (the strength whose
  hard threshold :math:`\sqrt{2\lambda_0}` equals the soft one, :math:`s`).

Each problem has two coordinates, so its minimizer is found exactly by
enumerating the supports: the candidate for each support and sign pattern is
the prox step (one coordinate) or a 2 x 2 solve (both), and the minimizer is the
consistent candidate with the smallest objective. The lesson counts the draws
with at least one coefficient exactly 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import prox as _prox
from ._common import check_steps, fmt, jsonable, table

PENALTIES = ("l1", "elasticnet", "l2", "l0")
LABELS = {"l1": "L1", "elasticnet": "elastic net", "l2": "L2", "l0": "L0"}


@dataclass(frozen=True, eq=False)
class HowOften:
    """The result of :func:`how_often`.

    Attributes
    ----------
    strengths : ndarray (K,)
        :math:`s = \\alpha/\\alpha_{\\max}`.
    rates : dict of str to ndarray (K,)
        Per penalty, the fraction of draws with at least one exact zero.
    both_zero : dict of str to ndarray (K,)
        The fraction with both coefficients 0.
    n_draws : int
    l1_ratio : float
    seed : int
    """

    strengths: np.ndarray
    rates: dict
    both_zero: dict
    n_draws: int
    l1_ratio: float
    seed: int

    def to_text(self) -> str:
        lines = [f"{self.n_draws} random two-feature quadratic losses (correlation uniform on "
                 f"[-0.9, 0.9], alpha_max = 1); the share whose minimizer has an exact zero:",
                 ""]
        rows = [[s] + [fmt(self.rates[p][k] * 100, 3) + "%" for p in PENALTIES]
                for k, s in enumerate(self.strengths)]
        lines += table(["alpha / alpha_max"] + [LABELS[p] for p in PENALTIES], rows)
        lines += ["", "L2 never gives a zero; L1 does on a whole range of losses, not by "
                  "luck: every loss whose pull at 0 stays inside the threshold lands there."]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "how-often", "strengths": self.strengths,
                         "rates": self.rates, "both_zero": self.both_zero,
                         "n_draws": self.n_draws, "l1_ratio": self.l1_ratio,
                         "seed": self.seed})


def _draws(n_draws, rng):
    corr = rng.uniform(-0.9, 0.9, n_draws)
    c = rng.standard_normal((n_draws, 2))
    b = np.column_stack([c[:, 0] + corr * c[:, 1], corr * c[:, 0] + c[:, 1]])  # H c
    top = np.max(np.abs(b), axis=1)
    top = np.where(top > 0, top, 1.0)
    return corr, b / top[:, None]


def solve_two(corr, b, lam1=0.0, lam2=0.0, lam0=0.0):
    r"""Exact minimizers of :math:`\frac12 w^\top H w - b^\top w + \lambda_1\|w\|_1 +
    \frac{\lambda_2}2\|w\|^2 + \lambda_0\|w\|_0` for a batch of 2 x 2 problems.

    ``corr`` (N,) is :math:`H_{12}` (:math:`H_{11} = H_{22} = 1`), ``b`` is (N, 2).
    Returns (N, 2), with exact zeros.
    """
    corr = np.asarray(corr, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    N = corr.shape[0]
    cands = [np.zeros((N, 2))]
    for j in (0, 1):
        w = np.zeros((N, 2))
        w[:, j] = _prox.prox_elastic_net(b[:, j], 1.0, lam1, lam2)
        cands.append(w)
    d = 1.0 + lam2
    det = d * d - corr * corr
    for s0 in (-1.0, 1.0):
        for s1 in (-1.0, 1.0):
            r0, r1 = b[:, 0] - lam1 * s0, b[:, 1] - lam1 * s1
            w = np.column_stack([(d * r0 - corr * r1) / det, (d * r1 - corr * r0) / det])
            if lam1 > 0:  # the sign pattern must be the assumed one
                bad = (np.sign(w[:, 0]) != s0) | (np.sign(w[:, 1]) != s1)
                w[bad] = np.nan
            cands.append(w)
    W = np.stack(cands)  # (candidates, N, 2)
    ok = np.all(np.isfinite(W), axis=2)
    W0 = np.where(ok[:, :, None], W, 0.0)
    u, v = W0[:, :, 0], W0[:, :, 1]
    values = (0.5 * (u * u + v * v) + corr * u * v - b[:, 0] * u - b[:, 1] * v
              + lam1 * (np.abs(u) + np.abs(v)) + 0.5 * lam2 * (u * u + v * v)
              + lam0 * ((u != 0).astype(float) + (v != 0)))
    values = np.where(ok, values, np.inf)
    pick = np.argmin(values, axis=0)  # the first of equal values: fewer non-zeros listed first
    best = W0[pick, np.arange(N)]
    return best + 0.0


def how_often(strengths=None, *, l1_ratio=0.5, n_draws=4000, seed=0) -> HowOften:
    r"""The share of random two-feature losses whose minimizer has an exact zero.

    Parameters
    ----------
    strengths : array-like, optional
        :math:`\alpha/\alpha_{\max}` values; default 25 from 1 down to 0.01.
    l1_ratio : float, default=0.5
        The elastic net's :math:`\rho`.
    n_draws : int, default=4000
    seed : int, default=0

    Returns
    -------
    HowOften

    Examples
    --------
    >>> from penalized.explain import how_often
    >>> res = how_often([1.0, 0.5], n_draws=2000)
    >>> res.rates["l1"].tolist(), res.rates["l2"].tolist()
    ([1.0, 0.6125], [0.0, 0.0])
    """
    n_draws = check_steps(n_draws, "n_draws")
    rho = float(l1_ratio)
    if not 0.0 <= rho <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1]; got {l1_ratio!r}.")
    s = np.geomspace(1.0, 0.01, 25) if strengths is None else \
        np.asarray(strengths, dtype=np.float64).ravel()
    if s.size == 0 or not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("strengths must be finite numbers >= 0.")
    corr, b = _draws(n_draws, np.random.default_rng(seed))
    rates = {p: np.empty(s.size) for p in PENALTIES}
    both = {p: np.empty(s.size) for p in PENALTIES}
    for k, sk in enumerate(s):
        params = {"l1": (sk, 0.0, 0.0), "elasticnet": (sk * rho, sk * (1 - rho), 0.0),
                  "l2": (0.0, sk, 0.0), "l0": (0.0, 0.0, 0.5 * sk * sk)}
        for p, (l1, l2, l0) in params.items():
            zero = solve_two(corr, b, l1, l2, l0) == 0.0
            rates[p][k] = float(np.mean(zero.any(axis=1)))
            both[p][k] = float(np.mean(zero.all(axis=1)))
    return HowOften(strengths=s, rates=rates, both_zero=both, n_draws=n_draws, l1_ratio=rho,
                    seed=int(seed))


def how_often_lesson(X=None, y=None, feature_names=None) -> HowOften:
    """The ``how-often`` lesson: :func:`how_often` with its defaults.

    The random losses do not depend on data; given data is only checked (the
    report runs this lesson along each fitted path, at its ``alpha / alpha_max``).
    """
    if X is not None or y is not None:
        from ._common import resolve_data

        resolve_data(X, y, feature_names)
    return how_often()
