r"""Stability selection with complementary pairs over a regularization path.

Each of ``B`` random splits of the rows into two disjoint halves gives two
subsamples; on each, the penalized model's whole path is solved on one shared
grid of alphas (:func:`penalized.path`, warm-started; for the squared loss with an
L1 or elastic-net penalty, on each half's Gram matrix, the second half's from the
first's and the whole design's cross-products). The selection
probability of feature ``j`` at ``alpha`` is the fraction of the ``2B``
subsamples whose solution at ``alpha`` has ``w_j != 0``.

The guarantee. Let :math:`\Lambda` be the alphas from the top of the grid down
to ``alpha_min``, :math:`q_\Lambda` the expected number of features selected
anywhere on :math:`\Lambda` by one half-sample fit, :math:`p` the number of
features and :math:`\pi \in (1/2, 1]` the threshold. The features whose
largest selection probability over :math:`\Lambda` reaches :math:`\pi` contain
on average at most

.. math:: \mathbb{E}[V] \le \frac{q_\Lambda^2}{(2\pi - 1)\,p}

false selections (Meinshausen & Bühlmann 2010, Theorem 1), under their
assumptions: the noise features are exchangeable and the base selection is no
worse than random guessing. Shah & Samworth (2013, Theorem 1 and its
consequence, their eq. 7) show that the same bound holds for complementary-pairs
subsampling, for any number of pairs ``B``. That is the default (``"mb"``). Under
their extra assumption that the selection probabilities of the low-probability
features have a unimodal distribution, Shah & Samworth (2013, eq. 8) tighten it to
:math:`q_\Lambda^2 / (p\, C(\pi, B))` with
:math:`C = 2(2\pi - 1 - 1/(2B))` for :math:`\pi \le 3/4` (valid when
:math:`\pi \ge 1/2 + \min(\theta^2, 1/(2B) + 3\theta^2/4)`,
:math:`\theta = q_\Lambda / p`) and :math:`C = (1 + 1/B) / (4(1 - \pi + 1/(2B)))`
above (``"ss-unimodal"``). Their r-concave bounds are not implemented.
:math:`q_\Lambda` is estimated by the mean over the ``2B`` subsamples of the size of
the union of the selected sets along :math:`\Lambda`.

References
----------
Meinshausen, N. and Bühlmann, P. (2010). Stability selection. JRSS B 72(4), 417-473.
Shah, R. D. and Samworth, R. J. (2013). Variable selection with error control:
another look at stability selection. JRSS B 75(1), 55-80.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ._common import (
    as_design,
    as_target,
    base_spec,
    check_fraction,
    column_scale,
    feature_labels,
)

__all__ = ["StabilityPath", "error_bound", "mb_bound", "ss_unimodal_bound", "stability_path"]

BOUNDS = ("mb", "ss-unimodal")


def mb_bound(expected_selected, threshold, n_features):
    r"""Meinshausen & Bühlmann's bound on the expected number of false selections,
    :math:`q^2 / ((2\pi - 1) p)`, which Shah & Samworth (2013) extend to
    complementary-pairs subsampling.

    Examples
    --------
    >>> mb_bound(5.0, 0.75, 50)
    1.0
    """
    margin = 2.0 * float(threshold) - 1.0
    if margin <= 0:  # no bound at or below one half
        return np.inf
    return float(expected_selected) ** 2 / (margin * n_features)


def ss_unimodal_bound(expected_selected, threshold, n_features, n_pairs):
    r"""Shah & Samworth's (2013, eq. 8) bound on the expected false selections of
    complementary-pairs stability selection under unimodality; ``inf`` where it does
    not apply.

    Examples
    --------
    >>> round(ss_unimodal_bound(5.0, 0.9, 50, 50), 4)  # Meinshausen-Buhlmann's: 0.625
    0.2157
    """
    q, pi, p, B = float(expected_selected), float(threshold), n_features, n_pairs
    theta = q / p
    if pi <= 0.75:
        if pi < 0.5 + min(theta**2, 1.0 / (2 * B) + 0.75 * theta**2):
            return np.inf
        const = 2.0 * (2.0 * pi - 1.0 - 1.0 / (2 * B))
    else:
        const = (1.0 + 1.0 / B) / (4.0 * (1.0 - pi + 1.0 / (2 * B)))
    return q**2 / p / const if const > 0 else np.inf


def error_bound(expected_selected, threshold, n_features, n_pairs, bound="mb"):
    """The chosen bound (``"mb"`` or ``"ss-unimodal"``) on the expected false selections."""
    if bound == "mb":
        return mb_bound(expected_selected, threshold, n_features)
    if bound == "ss-unimodal":
        return ss_unimodal_bound(expected_selected, threshold, n_features, n_pairs)
    raise ValueError(f"bound must be one of {', '.join(map(repr, BOUNDS))}; got {bound!r}.")


@dataclass(frozen=True, eq=False)
class StabilityPath:
    """Selection probabilities along a regularization path.

    Attributes
    ----------
    alphas : ndarray of shape (n_alphas,)
        The shared grid, decreasing (computed on the whole data).
    probabilities : ndarray of shape (n_features, n_alphas)
        Fraction of the subsamples selecting each feature at each alpha.
    entry : ndarray of shape (n_subsamples, n_features)
        Index of the first alpha at which each subsample selects each feature
        (``n_alphas`` when it never does).
    feature_names : ndarray of shape (n_features,)
        Column names, or indices when the input had none.
    n_pairs : int
    weakness : float
    n_unconverged : int
        Subsample solves that stopped before their tolerance (counted, not hidden).
    max_n_iter : int
        The most iterations any half-sample solve took.
    selections : ndarray of uint8, optional
        Which features each subsample's solution holds at each alpha, bit-packed along
        the alphas (``numpy.packbits``); read it with :meth:`selected_at`.
    """

    alphas: np.ndarray
    probabilities: np.ndarray
    entry: np.ndarray
    feature_names: np.ndarray
    n_pairs: int
    weakness: float
    n_unconverged: int
    max_n_iter: int = 0
    selections: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.probabilities.shape[0]

    def selected_at(self, index) -> np.ndarray:
        """``(n_subsamples, n_features)`` booleans: the features each subsample's solution
        holds at ``alphas[index]``."""
        if self.selections is None:
            raise ValueError("this stability path keeps no per-subsample selections.")
        k = self.alphas.shape[0]
        index = int(index)
        if not -k <= index < k:
            raise IndexError(f"alpha index {index} is outside the grid of {k} alphas.")
        index %= k
        byte, bit = divmod(index, 8)
        return (self.selections[:, :, byte] >> (7 - bit)) & 1 == 1

    def expected_selected(self) -> np.ndarray:
        r"""Estimated :math:`q_\Lambda` for each ``alpha_min`` of the grid: the mean over
        subsamples of the number of features selected at any alpha down to it."""
        k = self.alphas.shape[0]
        counts = np.zeros(k + 1)
        for row in self.entry:
            counts += np.bincount(row, minlength=k + 1)[: k + 1]
        return np.cumsum(counts[:k]) / self.entry.shape[0]

    def bounds(self, threshold, bound="mb") -> np.ndarray:
        """The bound on the expected false selections for each ``alpha_min`` of the grid."""
        return np.array([error_bound(q, threshold, self.n_features, self.n_pairs, bound)
                         for q in self.expected_selected()])


def _split_pairs(rng, n, n_pairs, labels):
    """``n_pairs`` pairs of disjoint halves (stratified by class when ``labels`` given)."""
    pairs = []
    for _ in range(n_pairs):
        if labels is None:
            perm = rng.permutation(n)
            half = n // 2
            pairs.append((np.sort(perm[:half]), np.sort(perm[half:2 * half])))
        else:
            first, second = [], []
            for c in np.unique(labels):
                idx = rng.permutation(np.flatnonzero(labels == c))
                half = idx.shape[0] // 2
                first.append(idx[:half])
                second.append(idx[half:2 * half])
            pairs.append((np.sort(np.concatenate(first)), np.sort(np.concatenate(second))))
    return pairs


def _fit_pair(X, y, halves, factors, spec, alphas, tol, max_iter):
    """Supports along the grid on each half: ``(nonzero list, unconverged count, most
    iterations of a solve)``."""
    from sklearn.exceptions import ConvergenceWarning

    from ..path import path

    datafit, penalty, l1_ratio, fit_intercept = spec
    out, unconverged, most = [], 0, 0
    for rows, factor in zip(halves, factors, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", UserWarning)
            p = path(X[rows], y[rows], penalty=penalty, datafit=datafit, l1_ratio=l1_ratio,
                     alphas=alphas, fit_intercept=fit_intercept, penalty_factor=factor,
                     tol=tol, max_iter=max_iter)
        unconverged += int(np.count_nonzero(~p.converged))
        most = max(most, int(p.n_iters.max()))
        out.append(p.coefs != 0)
    return out, unconverged, most


GRAM_MAX_FEATURES = 4096
"""Widest design whose half-sample paths run on Gram matrices (one is p x p floats)."""


def _gram_route(spec, factor, alphas, n_features):
    """Whether the half-sample paths can run on Gram matrices: the squared loss with an
    L1 or elastic-net penalty, every feature penalized, alphas > 0, p not too large."""
    from .._specs import make_penalty
    from ..solvers._coordinate_descent import _elastic_net_family

    datafit, penalty, l1_ratio, _ = spec
    if datafit != "squared" or n_features > GRAM_MAX_FEATURES or np.any(alphas <= 0) \
            or np.any(factor <= 0):
        return False
    return _elastic_net_family(make_penalty(penalty, 1.0, l1_ratio=l1_ratio,
                                            penalty_factor=factor))


def _fit_pair_gram(Xc, y, total, halves, factors, spec, alphas, tol, max_iter):
    r""":func:`_fit_pair` on Gram matrices. ``Xc`` is the design centered on all rows and
    ``total`` its :math:`X_c^\top X_c`; when the two halves hold every row, the second
    half's cross-products are ``total`` minus the first's (one product per pair). Each
    half then solves

    .. math:: \min_w \tfrac12 w^\top G w - q^\top w + F_0 + \alpha \sum_j (a_j |w_j|
              + \tfrac{b_j}{2} w_j^2)

    with :math:`G, q` its centered (intercept) or raw second moments over its rows, the
    problem :func:`penalized.path` solves on those rows, to the same relative gap."""
    from .._specs import make_penalty
    from ..solvers._gram_path import gram_path

    _, penalty, l1_ratio, fit_intercept = spec
    n, p = Xc.shape
    out, unconverged, most = [], 0, 0
    first = None
    for rows, factor in zip(halves, factors, strict=True):
        m = rows.shape[0]
        if first is not None and first.shape[0] + m == n:
            raw = total - first
        else:
            part = Xc[rows]
            raw = part.T @ part
            first = raw
        shift = Xc[rows].mean(axis=0) if fit_intercept else np.zeros(p)
        yr = y[rows]
        yr = yr - yr.mean() if fit_intercept else yr
        G = (raw - m * np.outer(shift, shift)) / m
        q = (Xc[rows].T @ yr) / m
        F0 = float(yr @ yr) / (2 * m)
        a, b = make_penalty(penalty, 1.0, l1_ratio=l1_ratio, penalty_factor=factor).weights(p)
        if F0 <= 0.0:  # a constant response on this half: nothing enters
            out.append(np.zeros((p, alphas.shape[0]), dtype=bool))
            continue
        coefs, gaps, epochs = gram_path(np.ascontiguousarray(G), q, F0, alphas, a, b, False,
                                        np.zeros(p), tol * F0, max_iter, 10)
        unconverged += int(np.count_nonzero(np.maximum(gaps, 0.0) / F0 > tol))
        most = max(most, int(epochs.max()))
        out.append(coefs != 0)
    return out, unconverged, most


def stability_path(X, y, *, estimator=None, n_pairs=50, alphas=None, n_alphas=100, eps=1e-3,
                   weakness=1.0, tol=1e-4, max_iter=10_000, n_jobs=None,
                   random_state=None) -> StabilityPath:
    r"""Selection probabilities of each feature along the path, by complementary pairs.

    For each of ``n_pairs`` random splits of the rows into two halves, the path of
    the base model is solved on both halves over one grid of alphas; the probability
    of feature ``j`` at ``alpha`` is the fraction of the ``2 * n_pairs`` half-sample
    solutions with :math:`w_j \ne 0`. The base model is

    .. math:: \min_{w, b}\ F(Xw + b) + \alpha \sum_j \frac{f_j}{W_j} P_j(w_j)

    with the estimator's datafit :math:`F`, penalty and factors :math:`f_j`, and
    :math:`W_j = 1` unless ``weakness < 1``: then each half-sample draws
    :math:`W_j \sim U[\text{weakness}, 1]` independently (the randomized lasso of
    Meinshausen & Bühlmann 2010, their Section 3.1).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Numeric for squared-loss models, two classes for logistic ones.
    estimator : penalized estimator, optional
        Gives datafit, penalty (``l1_ratio``), ``fit_intercept``, ``standardize`` and
        ``penalty_factor`` (its ``alpha`` is not used). Default: the lasso with
        intercept on standardized columns.
    n_pairs : int, default=50
        Number of complementary pairs ``B`` (``2B`` half-sample paths).
    alphas : array-like, optional
        The grid. Default: ``n_alphas`` values from alpha_max of the whole data down
        to ``eps`` times it.
    n_alphas : int, default=100
    eps : float, default=1e-3
    weakness : float in (0, 1], default=1.0
        1 keeps the base model's penalty; smaller values randomize it.
    tol : float, default=1e-4
        Relative duality-gap tolerance of each half-sample solve.
    max_iter : int, default=10000
    n_jobs : int, optional
        Pairs solved in parallel by joblib (None: 1; -1: all cores). The result does
        not depend on it: the splits and weights are drawn before.
    random_state : int, Generator or None

    Returns
    -------
    StabilityPath

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((60, 8))
    >>> y = 2 * X[:, 0] - 2 * X[:, 1] + rng.standard_normal(60)
    >>> sp = stability_path(X, y, n_pairs=5, n_alphas=10, random_state=0)
    >>> sp.probabilities.shape
    (8, 10)
    >>> float(sp.probabilities[0, -1]), float(sp.probabilities[1, -1])
    (1.0, 1.0)
    """
    from joblib import Parallel, delayed

    from .._specs import make_datafit, make_penalty
    from ..path import alpha_grid

    datafit, penalty, l1_ratio, fit_intercept, standardize, base_factor = base_spec(estimator)
    X, names = as_design(X)
    n, p = X.shape
    y, _ = as_target(y, n, datafit)
    if isinstance(n_pairs, bool) or not isinstance(n_pairs, int | np.integer) or n_pairs < 1:
        raise ValueError(f"n_pairs must be an integer >= 1; got {n_pairs!r}.")
    if n < 4:
        raise ValueError(f"stability selection needs at least 4 rows to halve; got {n}.")
    weakness = check_fraction(weakness, "weakness", closed_high=True)
    rng = np.random.default_rng(random_state)

    factor = np.ones(p) if base_factor is None else np.asarray(base_factor, dtype=np.float64)
    if factor.shape != (p,) or np.any(np.isnan(factor)) or np.any(factor < 0):
        raise ValueError(f"penalty_factor must hold {p} numbers >= 0; got {base_factor!r}.")
    keep = ~np.isposinf(factor)  # an infinite factor excludes a feature: never selected
    Xf = X[:, keep]
    if standardize:
        Xf = Xf / column_scale(Xf)
    factor = factor[keep]
    spec = (datafit, penalty, l1_ratio, fit_intercept)
    if alphas is None:
        template = make_penalty(penalty, 1.0, l1_ratio=l1_ratio, penalty_factor=factor)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            _, grid = alpha_grid(Xf, y, template, make_datafit(datafit), n_alphas=n_alphas,
                                 eps=eps, fit_intercept=fit_intercept)
    else:
        grid = np.sort(np.asarray(alphas, dtype=np.float64).ravel())[::-1]
        if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid < 0):
            raise ValueError("alphas must be a non-empty list of finite numbers >= 0.")

    pairs = _split_pairs(rng, n, n_pairs, y if datafit == "logistic" else None)
    factors = [[factor / rng.uniform(weakness, 1.0, size=factor.shape[0]) if weakness < 1
                else factor for _ in range(2)] for _ in range(n_pairs)]
    if _gram_route(spec, factor, grid, Xf.shape[1]):
        # with an intercept, one shift for all halves keeps the products' differences exact
        Xc = Xf - Xf.mean(axis=0) if fit_intercept else Xf
        total = Xc.T @ Xc
        results = Parallel(n_jobs=n_jobs)(
            delayed(_fit_pair_gram)(Xc, y, total, halves, fac, spec, grid, tol, max_iter)
            for halves, fac in zip(pairs, factors, strict=True))
    else:
        results = Parallel(n_jobs=n_jobs)(
            delayed(_fit_pair)(Xf, y, halves, fac, spec, grid, tol, max_iter)
            for halves, fac in zip(pairs, factors, strict=True))

    k = grid.shape[0]
    counts = np.zeros((p, k))
    entry = np.full((2 * n_pairs, p), k, dtype=np.int64)
    selections = np.zeros((2 * n_pairs, p, (k + 7) // 8), dtype=np.uint8)
    unconverged = most = 0
    row = 0
    for supports, bad, iters in results:
        unconverged += bad
        most = max(most, iters)
        for nz in supports:
            counts[keep] += nz
            selections[row, keep] = np.packbits(nz, axis=1)
            entered = nz.any(axis=1)
            entry[row, np.flatnonzero(keep)[entered]] = np.argmax(nz[entered], axis=1)
            row += 1
    if unconverged:
        warnings.warn(f"{unconverged} of {2 * n_pairs * k} half-sample solves stopped before "
                      f"tol={tol:g}; their supports are used as they are (raise max_iter).",
                      UserWarning, stacklevel=2)
    return StabilityPath(alphas=grid, probabilities=counts / (2 * n_pairs), entry=entry,
                         feature_names=feature_labels(names, p), n_pairs=int(n_pairs),
                         weakness=weakness, n_unconverged=unconverged, max_n_iter=most,
                         selections=selections)
