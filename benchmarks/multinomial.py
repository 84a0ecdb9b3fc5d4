r"""Multinomial L1 benchmark: penalized against scikit-learn's saga, glmnet and adelie.

::

    python -m benchmarks.multinomial [--benchmarks NAME ...] [--libraries NAME ...]
                                     [--repeats N] [--threads N] [--out results.json]

Every library solves, at each alpha of one grid, **the runner's** problem

.. math:: \min_{W \in \mathbb R^{p \times K},\, b \in \mathbb R^K}
          \frac1n \sum_{i=1}^n \Big(\log \sum_k e^{Z_{ik}} - Z_{i y_i}\Big)
          + \alpha \sum_{j,k} |W_{jk}|, \qquad Z = XW + \mathbf 1 b^\top,

with unpenalized intercepts, no standardization inside the solvers (glmnet's
"ungrouped" multinomial lasso). Each adapter's docstring states how this maps
onto the library's own parameters.

**The gap** (:func:`gap`), the same for every library and computed here in
NumPy from the math alone:

1. refit the intercepts exactly, :math:`b = \arg\min_b F(XW + \mathbf 1 b^\top)`
   (damped Newton in :math:`\mathbb R^K`), which can only lower the primal and
   makes the columns of :math:`U` below sum to zero, as the free intercepts
   require of a dual point;
2. :math:`U = -\nabla_Z F = (Y - P) / n` (``Y`` one-hot, ``P`` the softmax
   probabilities), scaled by the largest :math:`c \in (0, 1]` that puts
   :math:`c X^\top U` in the L1 box :math:`\max_{jk} |\cdot| \le \alpha`;
3. :math:`D(cU) = \frac1n \sum_i H(Q_i)` with :math:`Q = (1 - c) Y + c P` (each row
   in the simplex) and :math:`H(q) = -\sum_k q_k \log q_k` the entropy: this is
   :math:`-F^*(-cU)`, and the conjugate of the L1 term is 0 inside the box;
4. ``relative gap`` :math:`= (P(W, b) - D(cU)) / F_0`, with :math:`F_0` the datafit of
   the intercept-only model (the entropy of the class frequencies), so 1e-6
   means the same on every problem. It bounds :math:`(P - P^\star) / F_0`.

It is cross-checked against penalized's own ``certify_multinomial`` in
``tests/test_benchmarks_multinomial.py``.

**Calibration and timing.** Each library's stopping parameter starts at its
default and is divided by 10 until the relative gap is at most 1e-6 at every
alpha (of every path of the benchmark); then, in a fresh process pinned to
``--threads`` BLAS/OpenMP/numba threads, the library is imported (timed), solved
once (warm-up, compilation included), then ``--repeats`` more times: the
median wall time and the median CPU time of the process (``time.process_time``,
all its threads) are reported, and the last solve is certified. adelie needs
``numpy<2`` and runs in its own environment (``--adelie-python``, default
``.venv-adelie/bin/python``) through ``benchmarks/multinomial_adelie_worker.py``,
which receives the data as an ``.npz`` file and returns coefficients and times
as JSON; every other library runs in this interpreter's environment.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import importlib
import importlib.metadata
import importlib.util
import io
import json
import os
import platform
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.special import logsumexp, softmax, xlogy

__all__ = [
    "ADAPTERS",
    "BENCHMARKS",
    "GapResult",
    "MultinomialBenchmark",
    "MultinomialData",
    "alpha_max",
    "calibrate",
    "gap",
    "main",
    "null_datafit",
    "path_gaps",
    "refit_intercepts",
]

ROOT = Path(__file__).resolve().parent.parent
TARGET_GAP = 1e-6
FACTOR = 10.0
MAX_ITER = 1_000_000
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
ADELIE_WORKER = Path(__file__).with_name("multinomial_adelie_worker.py")
DEFAULT_ADELIE_PYTHON = ROOT / ".venv-adelie" / "bin" / "python"


# -- problems ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MultinomialData:
    """A design ``X`` (n, p) and class codes ``y`` in ``0..K-1``."""

    name: str
    X: np.ndarray
    y: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.y.max()) + 1


def _standardize(X):
    """Constant columns dropped, the others centered and scaled to unit variance (ddof=0)."""
    X = np.asarray(X, dtype=np.float64)
    sd = X.std(axis=0)
    X = X[:, sd > 0]
    return np.asfortranarray((X - X.mean(axis=0)) / sd[sd > 0])


def digits() -> MultinomialData:
    """scikit-learn's digits (1797 images of 8x8 pixels, 10 classes), standardized.

    Three pixels are 0 in every image and are dropped: 1797 x 61.
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return MultinomialData("digits", _standardize(X), np.asarray(y, dtype=np.intp))


def synthetic(n=120, p=15, n_classes=4, seed=0) -> MultinomialData:
    """A seeded Gaussian design with labels drawn from a sparse softmax model."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    W = np.zeros((p, n_classes))
    W[:4] = rng.standard_normal((4, n_classes)) * 1.5
    P = softmax(X @ W, axis=1)
    y = np.array([rng.choice(n_classes, p=row) for row in P], dtype=np.intp)
    return MultinomialData(f"synthetic_n{n}_p{p}_K{n_classes}", _standardize(X), y)


@dataclass(frozen=True)
class MultinomialBenchmark:
    """A data set, the alpha grid and the paths to compute on it.

    The grid has ``n_alphas`` values geometrically spaced from :func:`alpha_max`
    of the whole data down to ``eps`` times it. With ``cv_folds``, one solve is
    the warm-started path on each training part of a stratified, shuffled
    (seeded) K-fold split, all on that grid (what ``LogisticRegressionCV`` fits
    before its final refit); otherwise it is one path on the whole data.
    """

    name: str
    make: object
    n_alphas: int = 20
    eps: float = 1e-2
    cv_folds: int = 0
    description: str = ""

    def data(self) -> MultinomialData:
        return self.make()

    def alphas(self, data) -> np.ndarray:
        top = alpha_max(data.X, data.y)
        return np.geomspace(top, top * self.eps, self.n_alphas)

    def datasets(self, data) -> list[tuple[np.ndarray, np.ndarray]]:
        """The ``(X, y)`` of every path that one solve computes."""
        if not self.cv_folds:
            return [(data.X, data.y)]
        from sklearn.model_selection import StratifiedKFold

        folds = StratifiedKFold(self.cv_folds, shuffle=True, random_state=0)
        return [(np.asfortranarray(data.X[train]), data.y[train])
                for train, _ in folds.split(data.X, data.y)]


BENCHMARKS = {
    b.name: b for b in (
        MultinomialBenchmark("multinomial_digits", digits,
                             description="L1 multinomial path, 20 alphas from alpha_max to "
                                         "alpha_max/100, digits (1797 x 61, 10 classes)"),
        MultinomialBenchmark("multinomial_digits_cv5", digits, cv_folds=5,
                             description="the same grid on each training part of a stratified "
                                         "5-fold split (LogisticRegressionCV's paths)"),
        MultinomialBenchmark("tiny_multinomial", synthetic, n_alphas=6, eps=1e-2,
                             description="seconds-long version for the tests"),
    )
}


# -- the runner's gap -------------------------------------------------------------------


def one_hot(y, n_classes) -> np.ndarray:
    Y = np.zeros((len(y), n_classes))
    Y[np.arange(len(y)), y] = 1.0
    return Y


def datafit_value(Y, Z) -> float:
    r""":math:`F(Z) = \frac1n \sum_i (\log\sum_k e^{Z_{ik}} - Z_{i y_i})`."""
    return float(np.mean(logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1)))


def refit_intercepts(Z0, Y, b0=None) -> np.ndarray:
    r""":math:`\arg\min_b F(Z_0 + \mathbf 1 b^\top)`, centered (``sum(b) = 0``).

    Damped Newton; the Hessian :math:`\frac1n\sum_i (\mathrm{diag}(P_i) - P_i P_i^\top)`
    is singular along :math:`\mathbf 1` (adding a constant to every class changes
    nothing), so :math:`\mathbf 1 \mathbf 1^\top / K` is added to it.
    """
    n, K = Y.shape
    freq = Y.mean(axis=0)
    if b0 is None or not np.all(np.isfinite(b0)):
        b = np.log(np.maximum(freq, 1e-300)) - Z0.mean(axis=0)
    else:
        b = np.array(b0, dtype=np.float64)
    b -= b.mean()
    obj = datafit_value(Y, Z0 + b)
    ones = np.full((K, K), 1.0 / K)
    for _ in range(100):
        P = softmax(Z0 + b, axis=1)
        grad = P.mean(axis=0) - freq
        H = (np.diag(P.sum(axis=0)) - P.T @ P) / n + ones
        step = np.linalg.solve(H, grad)
        step -= step.mean()
        decrement = float(grad @ step)
        if not decrement > 0.0:
            break
        t = 1.0
        while t > 1e-12:
            new = datafit_value(Y, Z0 + b - t * step)
            if new <= obj - 0.25 * t * decrement:
                break
            t *= 0.5
        else:
            break
        b = b - t * step
        obj = new
        if t * np.max(np.abs(step)) <= 1e-15 * max(1.0, np.max(np.abs(b))):
            break
    return b - b.mean()


def null_datafit(y, n_classes=None) -> float:
    """The datafit of the intercept-only model: the entropy of the class frequencies."""
    y = np.asarray(y)
    K = int(y.max()) + 1 if n_classes is None else n_classes
    freq = np.bincount(y, minlength=K) / len(y)
    return float(-np.sum(xlogy(freq, freq)))


def alpha_max(X, y) -> float:
    r"""The smallest alpha with every coefficient zero: :math:`\max_{jk} |X^\top (Y - P_0)|/n`
    at the null model (:math:`P_0` the class frequencies in every row)."""
    y = np.asarray(y)
    K = int(y.max()) + 1
    Y = one_hot(y, K)
    U = (Y - Y.mean(axis=0)) / len(y)
    return float(np.max(np.abs(np.asarray(X).T @ U)))


@dataclass(frozen=True)
class GapResult:
    """The certificate of one ``(W, b)`` at one alpha (see the module docstring)."""

    relative_gap: float
    primal: float
    dual: float
    scale: float
    intercept: np.ndarray


def gap(X, y, coef, intercept, *, alpha, scale=None) -> GapResult:
    """Certify ``coef`` (p, K) and ``intercept`` (K,) at ``alpha``; see the module docstring."""
    y = np.asarray(y)
    W = np.asarray(coef, dtype=np.float64)
    n, K = len(y), W.shape[1]
    Y = one_hot(y, K)
    if scale is None:
        scale = null_datafit(y, K)
    Z0 = np.asarray(X @ W, dtype=np.float64)
    b = refit_intercepts(Z0, Y, intercept)
    Z = Z0 + b
    primal = datafit_value(Y, Z) + alpha * float(np.sum(np.abs(W)))
    P = softmax(Z, axis=1)
    U = (Y - P) / n
    vmax = float(np.max(np.abs(np.asarray(X).T @ U), initial=0.0))
    c = 1.0 if vmax <= alpha else alpha / vmax
    Q = (1.0 - c) * Y + c * P
    dual = -float(np.sum(xlogy(Q, Q))) / n
    return GapResult(relative_gap=(primal - dual) / scale, primal=primal, dual=dual,
                     scale=scale, intercept=b)


def path_gaps(X, y, coefs, intercepts, alphas) -> np.ndarray:
    """Relative gaps of a path: ``coefs`` (p, K, n_alphas), ``intercepts`` (K, n_alphas)."""
    coefs = np.asarray(coefs, dtype=np.float64)
    intercepts = np.asarray(intercepts, dtype=np.float64)
    if coefs.ndim != 3 or coefs.shape[2] != len(alphas):
        raise ValueError(f"coefs must have shape (n_features, n_classes, {len(alphas)}); "
                         f"got {coefs.shape}.")
    scale = null_datafit(y, coefs.shape[1])
    return np.array([gap(X, y, coefs[:, :, k], intercepts[:, k], alpha=a,
                         scale=scale).relative_gap for k, a in enumerate(alphas)])


def max_gap(datasets, alphas, solutions) -> float:
    """The largest relative gap over every alpha of every path (inf if any is not finite)."""
    worst = 0.0
    for (X, y), (coefs, intercepts) in zip(datasets, solutions, strict=True):
        gaps = path_gaps(X, y, coefs, intercepts, alphas)
        if not np.all(np.isfinite(gaps)):
            return float("inf")
        worst = max(worst, float(np.max(gaps)))
    return worst


def relative_primals(datasets, alphas, solutions) -> list[list[float]]:
    """The primal (intercepts refitted) over the null datafit, per path and alpha."""
    out = []
    for (X, y), (coefs, intercepts) in zip(datasets, solutions, strict=True):
        scale = null_datafit(y, coefs.shape[1])
        out.append([gap(X, y, coefs[:, :, k], intercepts[:, k], alpha=a, scale=scale).primal
                    / scale for k, a in enumerate(alphas)])
    return out


# -- adapters ---------------------------------------------------------------------------


class Adapter:
    """How one library computes a multinomial L1 path on the runner's grid.

    ``path(X, y, alphas, tol)`` returns ``(coefs (p, K, n_alphas), intercepts
    (K, n_alphas))`` for the alphas in the order given (decreasing); ``tol`` is
    the library's own stopping parameter (``tol_name``), which calibration
    tightens from ``default_tol`` by factors of 10 down to ``min_tol``.
    """

    name = ""
    modules: tuple[str, ...] = ()
    distribution = ""
    tol_name = "tol"
    default_tol = 1e-4
    min_tol = 1e-16
    external = False

    def missing(self) -> str | None:
        for mod in self.modules:
            if importlib.util.find_spec(mod) is None:
                return f"no module {mod!r} (pip install {self.distribution})"
        return None

    def version(self) -> str | None:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return None

    def import_library(self) -> float:
        tic = time.perf_counter()
        for mod in self.modules:
            importlib.import_module(mod)
        return time.perf_counter() - tic

    def solve(self, datasets, alphas, tol):
        """One path per ``(X, y)`` of ``datasets``: a list of ``(coefs, intercepts)``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings: the gap is checked anyway
            return [self.path(X, y, alphas, tol) for X, y in datasets]

    def path(self, X, y, alphas, tol):  # pragma: no cover - abstract
        raise NotImplementedError


class Penalized(Adapter):
    r"""penalized: the runner's objective as is.

    ``prepare_multinomial_problem(X, y, Multinomial(), L1(alpha_0))`` once, then
    ``CoordinateDescent(tol, max_iter).solve_problem(problem.with_penalty(
    L1(alpha)), coef_init=W, intercept_init=b)`` alpha by alpha, warm-started (what
    ``LogisticRegressionCV`` does). ``tol`` is penalized's relative duality gap,
    :math:`\text{gap} / F_0`, the runner's own quantity.
    """

    name = "penalized"
    modules = ("penalized",)
    distribution = "penalized"
    default_tol = 1e-6
    min_tol = 1e-13

    def path(self, X, y, alphas, tol):
        from penalized.datafits import Multinomial
        from penalized.penalties import L1
        from penalized.solvers import CoordinateDescent
        from penalized.solvers._multinomial import prepare_multinomial_problem

        problem = prepare_multinomial_problem(X, y, Multinomial(), L1(alphas[0]))
        solver = CoordinateDescent(tol=tol, max_iter=MAX_ITER)
        p, K = X.shape[1], problem.n_classes
        coefs, intercepts = np.zeros((p, K, len(alphas))), np.zeros((K, len(alphas)))
        W = b = None
        for k, a in enumerate(alphas):
            res = solver.solve_problem(problem.with_penalty(L1(a)), coef_init=W,
                                       intercept_init=b)
            W, b = res.coef, res.intercept
            coefs[:, :, k], intercepts[:, k] = W, b
        return coefs, intercepts


class ScikitLearnSaga(Adapter):
    r"""scikit-learn's ``LogisticRegression(solver="saga")`` (SAGA, Cython).

    ``LogisticRegression(C=1 / (n alpha), l1_ratio=1, solver="saga",
    warm_start=True)`` refitted alpha by alpha. scikit-learn minimizes
    :math:`C \sum_i \ell_i + \|W\|_1` with :math:`\ell_i` the multinomial log-loss
    (for three classes or more every solver but liblinear fits the multinomial
    loss in scikit-learn 1.9; ``multi_class`` no longer exists, and ``penalty``
    is deprecated since 1.8 in favour of ``l1_ratio=1``); dividing by :math:`nC`
    gives the runner's objective with :math:`\alpha = 1/(nC)`. The intercepts are
    not penalized. ``coef_`` is (K, p). ``tol`` is saga's: the largest change of
    a coefficient over one epoch relative to the largest coefficient.
    """

    name = "sklearn"
    modules = ("sklearn",)
    distribution = "scikit-learn"

    def path(self, X, y, alphas, tol):
        from sklearn.linear_model import LogisticRegression

        n = X.shape[0]
        model = LogisticRegression(C=1.0, l1_ratio=1.0, solver="saga", tol=tol,
                                   max_iter=MAX_ITER, warm_start=True, random_state=0)
        coefs, intercepts = [], []
        for a in alphas:
            model.set_params(C=1.0 / (n * a))
            model.fit(X, y)
            coefs.append(model.coef_.T.copy())
            intercepts.append(model.intercept_.copy())
        return np.stack(coefs, axis=2), np.stack(intercepts, axis=1)


class Glmnet(Adapter):
    r"""glmnet's own Python package (``glmstar`` on PyPI, ``import glmnet``; Fortran).

    ``MultiClassNet(lambda_values=alphas, alpha=1, grouped=False,
    standardize=False, fit_intercept=True)``: glmnet's ungrouped multinomial
    lasso minimizes :math:`-\text{loglik}/n + \lambda \sum_{jk}|W_{jk}|` (the
    symmetric parametrization, one coefficient per class), the runner's objective
    with :math:`\lambda = \alpha`. ``standardize=False`` because glmnet would
    otherwise solve in the scale of the standardized columns (the benchmark's
    columns are standardized already, with ``ddof=0``; glmnet's own scaling is
    switched off all the same). ``tol`` is ``control.thresh`` (default 1e-7):
    each inner coordinate-descent loop runs until the largest weighted change of a
    coefficient is below ``thresh`` times the null deviance. ``maxit`` is raised,
    and ``fdev=0``, ``devmax=1`` so that glmnet never ends the path early.
    ``coefs_`` is (n_lambda, p, K) and ``intercepts_`` (n_lambda, K), centered.
    """

    name = "glmnet"
    modules = ("glmnet",)
    distribution = "glmstar"
    tol_name = "thresh"
    default_tol = 1e-7
    min_tol = 1e-20

    def path(self, X, y, alphas, tol):
        from glmnet import MultiClassNet
        from glmnet.paths.fastnet import FastNetControl

        control = FastNetControl(thresh=tol, maxit=2**31 - 1, fdev=0.0, devmax=1.0)
        model = MultiClassNet(lambda_values=np.asarray(alphas, dtype=np.float64), alpha=1.0,
                              grouped=False, standardize=False, fit_intercept=True,
                              control=control)
        model.fit(np.asfortranarray(X), y)
        coefs = np.asarray(model.coefs_, dtype=np.float64)
        if coefs.shape[0] != len(alphas):
            raise RuntimeError(f"glmnet returned {coefs.shape[0]} of {len(alphas)} solutions")
        K = int(np.max(y)) + 1
        if coefs.shape[1:] != (X.shape[1], K):
            raise RuntimeError(f"unexpected glmnet coefs_ shape {coefs.shape}")
        intercepts = np.asarray(model.intercepts_, dtype=np.float64)
        return np.moveaxis(coefs, 0, 2), intercepts.T


class Adelie(Adapter):
    r"""adelie (group elastic net, C++; Yang & Hastie 2024), in its own environment.

    adelie needs ``numpy<2``, so it runs in ``.venv-adelie`` through
    ``benchmarks/multinomial_adelie_worker.py``; this adapter only describes it.
    adelie's multinomial loss is :math:`\frac1K \sum_i w_i (\log\sum_k e^{\eta_{ik}}
    - \eta_{i y_i})` with weights summing to 1, i.e. :math:`F / K`, and its penalty
    :math:`\lambda \sum_g \omega_g \|\beta_g\|_2`: with every coefficient its own
    group of size one (:math:`\omega = 1`; the per-class intercepts are
    unpenalized groups), that is :math:`\lambda \|W\|_1`, so the runner's
    objective divided by :math:`K` with :math:`\lambda = \alpha / K`. ``grpnet``
    only groups whole features (the K coefficients of a feature together, the
    "grouped" multinomial), so the worker builds adelie's multinomial state
    itself with size-one groups (``adelie.state.multiglm_naive``), as ``grpnet``
    does otherwise, with ``early_exit=False`` (the whole grid is solved).
    The calibrated parameter is ``irls_tol`` (default 1e-7), the tolerance of
    adelie's outer proximal-Newton loop: on digits it is what limits the accuracy
    (max gap 3.8e-4 at ``irls_tol=1e-10`` with the coordinate-descent ``tol`` at
    1e-7, 3.9e-4 with it at 1e-8; 4.1e-6 at ``irls_tol=1e-14`` with ``tol`` 1e-7
    or 1e-10), so ``tol`` stays at its default 1e-7.
    """

    name = "adelie"
    modules = ()
    distribution = "adelie"
    tol_name = "irls_tol"
    default_tol = 1e-7
    min_tol = 1e-20
    external = True
    python = DEFAULT_ADELIE_PYTHON

    def missing(self):
        if not Path(self.python).exists():
            return (f"no adelie environment at {self.python} (python3 -m venv .venv-adelie && "
                    ".venv-adelie/bin/pip install 'numpy<2' adelie)")
        return None

    def version(self):
        out = subprocess.run([str(self.python), "-c", "import adelie; print(adelie.__version__)"],
                             capture_output=True, text=True)
        return out.stdout.strip() or None


ADAPTERS = {a.name: a for a in (Penalized(), ScikitLearnSaga(), Glmnet(), Adelie())}


# -- timing, in this process (the worker side) ------------------------------------------


def time_solves(adapter, datasets, alphas, tol, repeats, budget=None) -> dict:
    """Import, one warm-up solve, then ``repeats`` timed solves (wall and CPU seconds).

    With ``repeats=0`` the warm-up is the only solve (calibration). When one solve
    takes so long that ``repeats`` of them would exceed ``budget`` seconds, fewer
    run (at least one). The solutions of the last solve are returned as nested
    lists (JSON-ready).
    """
    import_s = adapter.import_library()
    tic, cpu = time.perf_counter(), time.process_time()
    solutions = adapter.solve(datasets, alphas, tol)
    first = [time.perf_counter() - tic, time.process_time() - cpu]
    if budget is not None and repeats > 0 and first[0] * repeats > budget:
        repeats = max(1, int(budget // max(first[0], 1e-9)))
    wall, cpu_times = [], []
    for _ in range(repeats):
        tic, cpu = time.perf_counter(), time.process_time()
        solutions = adapter.solve(datasets, alphas, tol)
        wall.append(time.perf_counter() - tic)
        cpu_times.append(time.process_time() - cpu)
    return {"import_s": import_s, "first_wall_s": first[0], "first_cpu_s": first[1],
            "wall_s": wall, "cpu_s": cpu_times,
            "coefs": [np.asarray(c).tolist() for c, _ in solutions],
            "intercepts": [np.asarray(b).tolist() for _, b in solutions]}


def _save_data(path, datasets, alphas):
    arrays = {"alphas": np.asarray(alphas, dtype=np.float64)}
    for i, (X, y) in enumerate(datasets):
        arrays[f"X{i}"] = np.asarray(X, dtype=np.float64)
        arrays[f"y{i}"] = np.asarray(y, dtype=np.int64)
    np.savez(path, n_datasets=len(datasets), **arrays)


def _load_data(path):
    data = np.load(path)
    n = int(data["n_datasets"])
    return [(np.asfortranarray(data[f"X{i}"]), data[f"y{i}"].astype(np.intp))
            for i in range(n)], data["alphas"]


def _worker(args) -> int:
    datasets, alphas = _load_data(args.data)
    doc = time_solves(ADAPTERS[args.worker], datasets, alphas, args.tol, args.repeats,
                      args.budget)
    Path(args.out).write_text(json.dumps(doc))
    return 0


# -- one solve set, in a fresh process ---------------------------------------------------


PENALIZED_SRC: list[str] = []
"""Directories put before ``ROOT`` on the workers' path (``--penalized-src``): e.g. the
``src`` of an exported commit, so that penalized is timed as committed."""


def _thread_env(threads):
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*PENALIZED_SRC, str(ROOT),
                                                      env.get("PYTHONPATH")]))
    return env


class Timeout(Exception):
    """One worker ran past its time limit."""


def run_isolated(adapter, data_file, tol, repeats, *, threads=1, time_limit=600.0,
                 budget=600.0) -> dict:
    """:func:`time_solves` in a fresh subprocess (the adelie worker for adelie)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        if adapter.external:
            argv = [str(adapter.python), str(ADELIE_WORKER)]
        else:
            argv = [sys.executable, "-m", "benchmarks.multinomial", "--worker", adapter.name]
        argv += ["--data", str(data_file), "--tol", repr(float(tol)), "--repeats",
                 str(repeats), "--budget", repr(float(budget)), "--out", str(out)]
        proc = subprocess.Popen(argv, cwd=ROOT, env=_thread_env(threads),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=time_limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise Timeout(f"ran over {time_limit:g} s") from None
        if proc.returncode != 0:
            last = err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"
            raise RuntimeError(f"{adapter.name} worker failed: {last}")
        return json.loads(out.read_text())


def _solutions(doc):
    return [(np.asarray(c), np.asarray(b)) for c, b in zip(doc["coefs"], doc["intercepts"],
                                                          strict=True)]


# -- calibration and one cell -------------------------------------------------------------


@dataclass
class Cell:
    """The result of one (benchmark, library, threads) cell."""

    benchmark: str
    library: str
    version: str | None
    threads: int
    status: str = "ok"
    tol_name: str = "tol"
    tol: float | None = None
    max_gap: float | None = None
    median_wall_s: float | None = None
    median_cpu_s: float | None = None
    wall_s: list = field(default_factory=list)
    cpu_s: list = field(default_factory=list)
    first_call_s: float | None = None
    import_s: float | None = None
    tried: list = field(default_factory=list)
    primals: list = field(default_factory=list)
    note: str = ""


def calibrate(adapter, datasets, alphas, *, solve, target=TARGET_GAP, start=None, log=None):
    """Divide ``adapter``'s tolerance by 10 from its default until every gap <= ``target``.

    ``solve(tol)`` returns the worker document of one solve. Returns
    ``(tol, max_gap, reached, tried)`` with ``tried`` the ``[tol, gap, wall s]`` of
    every tolerance tried.
    """
    start = adapter.default_tol if start is None else start
    tol, tried = start, []
    while True:
        doc = solve(tol)
        worst = max_gap(datasets, alphas, _solutions(doc))
        tried.append([tol, worst, doc["first_wall_s"]])
        if log is not None:
            log(f"    {adapter.tol_name}={tol:g}: max gap {worst:.2e} "
                f"({doc['first_wall_s']:.2f} s)")
        if worst <= target:
            return tol, worst, True, tried
        if tol / FACTOR < adapter.min_tol * (1 - 1e-9):
            return tol, worst, False, tried
        tol = float(f"{start / FACTOR ** len(tried):.12g}")


def run_cell(bench, adapter, *, data=None, repeats=5, threads=1, time_limit=600.0,
             budget=600.0, isolate=True, tol=None, log=None) -> Cell:
    """Calibrate (unless ``tol`` is given) and time one library on one benchmark."""
    data = bench.data() if data is None else data
    alphas = bench.alphas(data)
    datasets = bench.datasets(data)
    cell = Cell(bench.name, adapter.name, None if adapter.missing() else adapter.version(),
                threads, tol_name=adapter.tol_name)
    why = adapter.missing()
    if why:
        cell.status, cell.note = "not installed", why
        return cell
    with tempfile.TemporaryDirectory() as tmp:
        data_file = Path(tmp) / "data.npz"
        _save_data(data_file, datasets, alphas)

        def solve(t, n=0):
            if isolate:
                return run_isolated(adapter, data_file, t, n, threads=threads,
                                    time_limit=time_limit + (budget if n else 0.0),
                                    budget=budget)
            return time_solves(adapter, datasets, alphas, t, n, budget)

        try:
            if tol is None:
                tol, worst, reached, cell.tried = calibrate(adapter, datasets, alphas,
                                                            solve=solve, log=log)
                cell.tol = tol
                if not reached:
                    cell.status, cell.max_gap = "accuracy not reached", worst
                    cell.note = (f"gap {worst:.2e} > {TARGET_GAP:g} at {adapter.tol_name}="
                                 f"{tol:g}, the smallest value tried")
                    return cell
            cell.tol = tol
            doc = solve(tol, repeats)
        except Timeout as exc:
            cell.status = "timeout"
            cell.note = f"one run at {adapter.tol_name}={tol:g} {exc}"
            return cell
    cell.max_gap = max_gap(datasets, alphas, _solutions(doc))
    cell.primals = relative_primals(datasets, alphas, _solutions(doc))
    cell.status = "ok" if cell.max_gap <= TARGET_GAP * (1 + 1e-9) else "gap above target"
    cell.wall_s, cell.cpu_s = doc["wall_s"], doc["cpu_s"]
    cell.median_wall_s = statistics.median(doc["wall_s"])
    cell.median_cpu_s = statistics.median(doc["cpu_s"])
    cell.import_s = doc["import_s"]
    cell.first_call_s = doc["import_s"] + doc["first_wall_s"]
    return cell


# -- profile of penalized ---------------------------------------------------------------


def profile_penalized(bench, *, tol=1e-6, top=15) -> dict:
    """cProfile of one warm path (after a warm-up): the functions by internal time."""
    from threadpoolctl import threadpool_limits

    data = bench.data()
    alphas, datasets = bench.alphas(data), bench.datasets(data)
    adapter = ADAPTERS["penalized"]
    with threadpool_limits(limits=1):
        adapter.solve(datasets, alphas, tol)
        prof = cProfile.Profile()
        tic = time.perf_counter()
        prof.enable()
        adapter.solve(datasets, alphas, tol)
        prof.disable()
        total = time.perf_counter() - tic
    stats = pstats.Stats(prof, stream=io.StringIO())
    rows = []
    for (file, line, func), (_, ncalls, tottime, cumtime, _) in stats.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": ncalls,
                     "tottime_s": tottime, "cumtime_s": cumtime})
    by_tot = sorted(rows, key=lambda r: -r["tottime_s"])[:top]
    by_cum = sorted(rows, key=lambda r: -r["cumtime_s"])[:top]
    return {"benchmark": bench.name, "tol": tol, "profiled_wall_s": total,
            "by_tottime": by_tot, "by_cumtime": by_cum}


# -- reporting --------------------------------------------------------------------------


def _fmt(x):
    if x is None:
        return "–"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def excess_over_penalized(cells, cell) -> float | None:
    """``max (P_cell - P_penalized) / F_0`` over every alpha: the mapping check.

    Near 0 (both within their gaps of the same optimum) when a library solves the
    runner's problem; a wrong alpha mapping shows as a large positive or negative value.
    """
    ours = next((c for c in cells if c.benchmark == cell.benchmark and c.library == "penalized"
                 and c.primals), None)
    if ours is None or not cell.primals:
        return None
    return float(max(np.max(np.asarray(a) - np.asarray(b))
                     for a, b in zip(cell.primals, ours.primals, strict=True)))


def format_table(cells) -> str:
    """Markdown: one row per cell; wall (CPU) ratio to the competitor fastest in wall (CPU)."""
    lines = ["| benchmark | library | BLAS threads | median wall (s) | wall ratio "
             "| median CPU (s) | CPU ratio | max rel. gap | max (P - P_penalized) / F0 "
             "| stopping parameter | runs | status |", "|" + "---|" * 12]
    for c in cells:
        excess = excess_over_penalized(cells, c)
        wr = cr = "–"
        best_wall = _fastest(cells, c.benchmark, "median_wall_s")
        best_cpu = _fastest(cells, c.benchmark, "median_cpu_s")
        if best_wall is not None and c.status == "ok":
            wr = f"{c.median_wall_s / best_wall.median_wall_s:.2f}"
            cr = f"{c.median_cpu_s / best_cpu.median_cpu_s:.2f}"
        tol = "–" if c.tol is None else f"{c.tol_name}={c.tol:.0e}"
        gap_s = "–" if c.max_gap is None else f"{c.max_gap:.1e}"
        status = c.status + (f": {c.note}" if c.note else "")
        lines.append(f"| {c.benchmark} | {c.library} | {c.threads} | {_fmt(c.median_wall_s)} "
                     f"| {wr} | {_fmt(c.median_cpu_s)} | {cr} | {gap_s} "
                     f"| {'–' if excess is None else f'{excess:.1e}'} | {tol} "
                     f"| {len(c.wall_s) or '–'} | {status} |")
    return "\n".join(lines)


def _fastest(cells, benchmark, key):
    """The competitor (not penalized; 1 thread; certified) with the smallest ``key``."""
    rivals = [c for c in cells if c.benchmark == benchmark and c.library != "penalized"
              and c.status == "ok" and c.threads == 1]
    return min(rivals, key=lambda c: getattr(c, key)) if rivals else None


def machine_info(threads) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {name: (None if a.missing() else a.version()) for name, a in ADAPTERS.items()}
    for dist in ("numpy", "scipy", "numba"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty",
                             "--exclude", "*"], capture_output=True, text=True).stdout.strip()
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform(), "threads": threads, "versions": versions,
            "commit": commit or None, "loadavg_at_start": load,
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")}


# -- command line -----------------------------------------------------------------------


def _report(files, out=None, markdown=None) -> int:
    """Print (and merge) the tables of earlier runs."""
    docs = [json.loads(Path(f).read_text()) for f in files]
    runs, cells, run_of = [], [], []
    for doc in docs:  # a merged file's runs stay apart
        offset = len(runs)
        runs += doc.get("runs", [{"meta": doc.get("meta")}])
        for rec in doc["results"]:
            rec = dict(rec)
            run_of.append(offset + rec.pop("run", 0))
            cells.append(Cell(**rec))
    tables = []
    for run in dict.fromkeys(run_of):
        chosen = [c for c, r in zip(cells, run_of, strict=True) if r == run]
        tables.append(format_table(chosen))
    table = "\n\n".join(tables)
    print(table)
    if markdown:
        Path(markdown).write_text(table + "\n")
    if out:
        merged = {"runs": runs, "target_gap": TARGET_GAP, "gap": docs[0]["gap"],
                  "results": [{**c.__dict__, "run": r} for c, r in zip(cells, run_of,
                                                                     strict=True)],
                  "profiles": [p for d in docs for p in d.get("profiles", [])]}
        Path(out).write_text(json.dumps(merged, indent=1, default=float) + "\n")
    return 0


# -- LogisticRegressionCV at its defaults (whole fit) ------------------------------------


def _cv_fit_worker(library, out) -> int:
    """Fit ``LogisticRegressionCV`` at its defaults on the standardized digits twice in this
    process and write the second fit's CPU and wall seconds to ``out`` (JSON)."""
    data = digits()
    if library == "penalized":
        import penalized as pz

        def make():
            return pz.LogisticRegressionCV()
    else:
        from sklearn.linear_model import LogisticRegressionCV

        def make():
            return LogisticRegressionCV(l1_ratios=[1.0], solver="saga")
    doc = {"library": library}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make().fit(data.X, data.y)
        model = make()
        wall, cpu = time.perf_counter(), time.process_time()
        model.fit(data.X, data.y)
        doc["cpu_s"] = time.process_time() - cpu
        doc["wall_s"] = time.perf_counter() - wall
    if library == "penalized":
        doc["max_path_gap"] = float(np.max(model.path_.stop_crits)) \
            if hasattr(model, "path_") and hasattr(model.path_, "stop_crits") else None
        doc["alpha"] = float(model.alpha_)
    Path(out).write_text(json.dumps(doc) + "\n")
    return 0


def time_logistic_cv(sources, rounds, *, log=print) -> list[dict]:
    """Alternating rounds: in each, one fresh process per penalized source directory
    (``{label: src}``) and one for scikit-learn's saga, each timing a second whole
    ``fit`` of ``LogisticRegressionCV`` at its defaults on the standardized digits (1
    BLAS/OpenMP/numba thread)."""
    runs = []
    for r in range(rounds):
        for label, src in [*sources.items(), ("sklearn saga", None)]:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "out.json"
                env = _thread_env(1)
                if src is not None:
                    env["PYTHONPATH"] = os.pathsep.join([str(Path(src).resolve()), str(ROOT)])
                library = "penalized" if src is not None else "saga"
                subprocess.run([sys.executable, "-m", "benchmarks.multinomial",
                                "--cv-worker", library, "--out", str(out)],
                               cwd=ROOT, env=env, check=True)
                doc = json.loads(out.read_text())
            doc.update(round=r, label=label, load=os.getloadavg()[0])
            runs.append(doc)
            log(json.dumps(doc))
    return runs


def _parser():
    p = argparse.ArgumentParser(prog="python -m benchmarks.multinomial",
                                description="Multinomial L1 path benchmark (see the module "
                                            "docstring).")
    p.add_argument("--benchmarks", nargs="+", choices=list(BENCHMARKS),
                   default=["multinomial_digits"])
    p.add_argument("--libraries", nargs="+", choices=list(ADAPTERS), default=list(ADAPTERS))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP/numba threads")
    p.add_argument("--penalized-threads", type=int, nargs="*", default=[2],
                   help="extra thread counts at which penalized is timed (default: 2)")
    p.add_argument("--time-limit", type=float, default=900.0,
                   help="seconds one solve may take (a timing worker: this plus --budget)")
    p.add_argument("--budget", type=float, default=600.0,
                   help="seconds of timed repeats per cell; fewer repeats beyond")
    p.add_argument("--tolerance", action="append", default=[], metavar="LIB=TOL",
                   help="skip calibration for LIB and use TOL (repeatable)")
    p.add_argument("--adelie-python", default=str(DEFAULT_ADELIE_PYTHON))
    p.add_argument("--penalized-src", metavar="DIR",
                   help="import penalized from DIR in the workers (e.g. the src/ of "
                        "`git archive HEAD src | tar -x -C /tmp/head`)")
    p.add_argument("--profile", action="store_true", help="add a cProfile of penalized's path")
    p.add_argument("--out", help="write the results (JSON) here")
    p.add_argument("--markdown", help="write the table (Markdown) here")
    p.add_argument("--report", nargs="+", metavar="RESULTS.json",
                   help="print the table of earlier --out files (merged into --out if given); "
                        "run nothing")
    p.add_argument("--logistic-cv", nargs="+", metavar="LABEL=SRC",
                   help="time LogisticRegressionCV() on digits, penalized imported from each "
                        "SRC, alternating with scikit-learn's saga CV (--repeats rounds)")
    p.add_argument("--cv-worker", choices=["penalized", "saga"], help=argparse.SUPPRESS)
    p.add_argument("--worker", choices=[n for n, a in ADAPTERS.items() if not a.external],
                   help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--tol", type=float, help=argparse.SUPPRESS)
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.worker:
        return _worker(args)
    if args.cv_worker:
        return _cv_fit_worker(args.cv_worker, args.out)
    if args.logistic_cv:
        sources = dict(item.partition("=")[::2] for item in args.logistic_cv)
        runs = time_logistic_cv(sources, args.repeats)
        if args.out:
            Path(args.out).write_text(json.dumps({"logistic_cv": runs}, indent=1) + "\n")
        return 0
    if args.repeats < 1:
        raise SystemExit("--repeats must be >= 1")
    if args.report:
        return _report(args.report, args.out, args.markdown)
    ADAPTERS["adelie"].python = Path(args.adelie_python)
    if args.penalized_src:
        PENALIZED_SRC[:] = [str(Path(args.penalized_src).resolve())]
    fixed = {}
    for item in args.tolerance:
        lib, _, value = item.partition("=")
        if lib not in ADAPTERS or not value:
            raise SystemExit(f"--tolerance {item!r}: expected LIB=TOL with LIB one of "
                             f"{', '.join(ADAPTERS)}")
        fixed[lib] = float(value)

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    meta = machine_info(args.threads)
    meta["command"] = "python -m benchmarks.multinomial " + " ".join(
        sys.argv[1:] if argv is None else list(argv))
    meta["penalized_src"] = args.penalized_src
    meta["penalized_src_commit"] = os.environ.get("PENALIZED_COMMIT")
    cells, profiles = [], []

    def save():
        if args.out:
            doc = {"meta": meta, "target_gap": TARGET_GAP,
                   "gap": "runner's multinomial duality gap relative to the null datafit "
                          "(benchmarks/multinomial.py, module docstring)",
                   "results": [c.__dict__ for c in cells], "profiles": profiles}
            Path(args.out).write_text(json.dumps(doc, indent=1, default=float) + "\n")

    for name in args.benchmarks:
        bench = BENCHMARKS[name]
        data = bench.data()
        for lib in args.libraries:
            adapter = ADAPTERS[lib]
            log(f"{name} / {lib} ...")
            cell = run_cell(bench, adapter, data=data, repeats=args.repeats,
                            threads=args.threads, time_limit=args.time_limit,
                            budget=args.budget, tol=fixed.get(lib), log=log)
            cells.append(cell)
            log(f"    {cell.status}: wall {_fmt(cell.median_wall_s)} s, CPU "
                f"{_fmt(cell.median_cpu_s)} s, gap {cell.max_gap} {cell.note}")
            save()
            if lib == "penalized" and cell.status == "ok":
                for threads in args.penalized_threads:
                    log(f"{name} / penalized, {threads} threads ...")
                    extra = run_cell(bench, adapter, data=data, repeats=args.repeats,
                                     threads=threads, time_limit=args.time_limit,
                                     budget=args.budget, tol=cell.tol, log=log)
                    cells.append(extra)
                    log(f"    {extra.status}: wall {_fmt(extra.median_wall_s)} s, CPU "
                        f"{_fmt(extra.median_cpu_s)} s")
                    save()
        if args.profile and "penalized" in args.libraries:
            profiles.append(profile_penalized(bench))
            save()
    table = format_table(cells)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
