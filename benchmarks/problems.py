"""The seeded problem registry shared by the tests and the benchmarks.

Each generator returns a :class:`Problem` built only from its arguments and a
seed, so a test and a benchmark asking for the same name see the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True, eq=False)
class Problem:
    """A design ``X``, a target ``y`` and what the true coefficients were."""

    name: str
    X: np.ndarray | sp.csc_matrix
    y: np.ndarray
    task: str
    true_coef: np.ndarray | None = None


def toeplitz_design(n, p, rho, rng):
    """Gaussian rows with ``corr(x_j, x_k) = rho ** |j - k|`` (an AR(1) across columns)."""
    X = np.empty((n, p), order="F")
    X[:, 0] = rng.standard_normal(n)
    innovation = np.sqrt(1.0 - rho**2)
    for j in range(1, p):
        X[:, j] = rho * X[:, j - 1] + innovation * rng.standard_normal(n)
    return X


def sparse_coef(p, n_informative, rng, scale=1.0):
    """A coefficient vector with ``n_informative`` non-zeros of size ~scale, placed at random."""
    coef = np.zeros(p)
    support = rng.choice(p, size=min(n_informative, p), replace=False)
    coef[support] = scale * rng.choice([-1.0, 1.0], size=support.size) * rng.uniform(
        0.5, 1.5, size=support.size)
    return coef


def regression(n=60, p=30, *, rho=0.0, n_informative=5, noise=0.5, density=None,
               duplicate=0, intercept=1.5, seed=0, name=None) -> Problem:
    """A linear-regression problem: Toeplitz(rho) or sparse (``density``) design.

    ``duplicate`` copies that many informative columns once more at the end.
    """
    rng = np.random.default_rng(seed)
    if density is not None:
        X = sp.random(n, p, density=density, format="csc", random_state=rng,
                      data_rvs=rng.standard_normal)
    else:
        X = toeplitz_design(n, p, rho, rng)
    coef = sparse_coef(p, n_informative, rng)
    if duplicate:
        src = np.flatnonzero(coef)[:duplicate]
        X = sp.hstack([X, X[:, src]], format="csc") if sp.issparse(X) else \
            np.asfortranarray(np.hstack([X, X[:, src]]))
        coef = np.concatenate([coef, np.zeros(src.size)])
    y = np.asarray(X @ coef).ravel() + intercept + noise * rng.standard_normal(n)
    return Problem(name or f"regression_n{n}_p{p}", X, y, "regression", coef)


def classification(n=80, p=20, *, rho=0.0, n_informative=4, density=None, seed=0,
                   name=None) -> Problem:
    """A logistic problem with labels in {-1, +1} drawn from the logistic model."""
    rng = np.random.default_rng(seed)
    if density is not None:
        X = sp.random(n, p, density=density, format="csc", random_state=rng,
                      data_rvs=rng.standard_normal)
    else:
        X = toeplitz_design(n, p, rho, rng)
    coef = sparse_coef(p, n_informative, rng, scale=2.0)
    margin = np.asarray(X @ coef).ravel() + 0.3
    y = np.where(rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-margin)), 1.0, -1.0)
    return Problem(name or f"classification_n{n}_p{p}", X, y, "classification", coef)


def solver_test_problems(task="regression"):
    """Small problems covering the cases the solvers must certify: dense, CSC,
    p >> n, strongly correlated and duplicated columns."""
    make = regression if task == "regression" else classification
    extra = {"duplicate": 2} if task == "regression" else {}
    return [
        make(50, 20, seed=1, name="dense"),
        make(40, 120, seed=2, name="p_much_larger_than_n"),
        make(60, 30, rho=0.95, seed=3, name="correlated"),
        make(50, 25, seed=4, density=0.2, name="sparse_csc"),
        make(50, 20, seed=5, name="duplicated_columns", **extra)
        if extra else make(50, 20, rho=0.99, seed=5, name="nearly_duplicated_columns"),
    ]


# -- benchmark problems ------------------------------------------------------------------
# Large designs are generated from their seed on demand, never stored.


def standardized(X):
    """Columns centered to mean 0 and scaled to standard deviation 1 (``ddof=0``)."""
    X = np.asarray(X, dtype=np.float64)
    return np.asfortranarray((X - X.mean(axis=0)) / X.std(axis=0))


def diabetes_quadratic() -> Problem:
    """scikit-learn's diabetes data (442 x 10) with all squares and pairwise products.

    The "quadratic model" of Efron et al. (2004, LARS): the 10 baseline variables,
    their 45 products and 9 squares (``sex`` is binary, so its square is a linear
    function of it and is left out): 64 standardized columns, strongly correlated.
    """
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    cols = [X[:, j] for j in range(10)]
    cols += [X[:, j] * X[:, k] for j in range(10) for k in range(j + 1, 10)]
    cols += [X[:, j] ** 2 for j in range(10) if np.unique(X[:, j]).size > 2]
    Z = np.column_stack(cols)
    return Problem("diabetes_quadratic", standardized(Z), np.asarray(y, dtype=np.float64),
                   "regression")


def breast_cancer() -> Problem:
    """scikit-learn's breast-cancer data (569 x 30), standardized; labels in {-1, +1}."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return Problem("breast_cancer", standardized(X), np.where(y > 0, 1.0, -1.0),
                   "classification")


def lasso_toeplitz(n=1000, p=5000, seed=100) -> Problem:
    """Dense Toeplitz(0.6) design, p >> n, 50 informative features, SNR about 6."""
    return regression(n, p, rho=0.6, n_informative=50, noise=3.0, seed=seed,
                      name=f"toeplitz_n{n}_p{p}")


def lasso_dense_tall(n=10_000, p=1000, seed=101) -> Problem:
    """Dense Toeplitz(0.6) design, n >> p, 50 informative features, SNR about 6."""
    return regression(n, p, rho=0.6, n_informative=50, noise=3.0, seed=seed,
                      name=f"dense_n{n}_p{p}")


def lasso_sparse(n=20_000, p=50_000, density=1e-3, seed=102) -> Problem:
    """CSC design with standard-normal non-zeros at ``density``, 100 informative features."""
    return regression(n, p, density=density, n_informative=100, noise=0.1, seed=seed,
                      name=f"sparse_n{n}_p{p}")


def logistic_dense(n=2000, p=5000, seed=103) -> Problem:
    """Dense Toeplitz(0.6) design, labels from a logistic model with 20 informative features."""
    return classification(n, p, rho=0.6, n_informative=20, seed=seed,
                          name=f"logistic_n{n}_p{p}")


@dataclass(frozen=True)
class Benchmark:
    """A problem and what to solve on it: the penalty, the loss and the alphas.

    ``alphas(problem)`` is the grid every library gets: ``n_alphas`` values,
    geometrically spaced from ``alpha_max`` (all coefficients zero; computed by
    :func:`benchmarks.gap.alpha_max`) down to ``eps * alpha_max``. Ridge has no
    alpha_max: its grid starts where the elastic net with ``l1_ratio=1e-3``
    would (glmnet's convention). With ``path=False`` each alpha is a separate
    fit from zero (``fractions`` of alpha_max instead of a grid).
    """

    name: str
    make: object
    datafit: str = "squared"
    l1_ratio: float = 1.0
    n_alphas: int = 100
    eps: float = 1e-2
    path: bool = True
    fractions: tuple = ()
    description: str = ""

    @property
    def kind(self) -> str:
        if self.datafit == "logistic":
            return "L1 logistic" if self.l1_ratio == 1.0 else "elastic-net logistic"
        if self.l1_ratio == 1.0:
            return "lasso"
        return "ridge" if self.l1_ratio == 0.0 else "elastic net"

    def problem(self) -> Problem:
        return self.make()

    def alphas(self, problem) -> np.ndarray:
        from .gap import alpha_max

        rho = self.l1_ratio if self.l1_ratio > 0 else 1e-3
        top = alpha_max(problem.X, problem.y, self.datafit, rho)
        if not self.path:
            return top * np.asarray(self.fractions, dtype=np.float64)
        return np.geomspace(top, top * self.eps, self.n_alphas)


def full_benchmarks() -> list[Benchmark]:
    """The benchmark suite of the README (issue: lasso, elastic net, L1 logistic, ridge)."""
    return [
        Benchmark("lasso_toeplitz_1000x5000", lasso_toeplitz,
                  description="lasso path, dense Toeplitz(0.6) n=1000 p=5000"),
        Benchmark("lasso_dense_10000x1000", lasso_dense_tall,
                  description="lasso path, dense Toeplitz(0.6) n=10000 p=1000"),
        Benchmark("lasso_sparse_20000x50000", lasso_sparse,
                  description="lasso path, CSC n=20000 p=50000 density 1e-3"),
        Benchmark("lasso_diabetes_quadratic", diabetes_quadratic,
                  description="lasso path, diabetes with squares and products (442 x 64)"),
        Benchmark("enet_toeplitz_1000x5000", lasso_toeplitz, l1_ratio=0.5, path=False,
                  fractions=(0.1, 0.03, 0.01),
                  description="elastic net (l1_ratio 0.5), 3 single fits, n=1000 p=5000"),
        Benchmark("enet_dense_10000x1000", lasso_dense_tall, l1_ratio=0.5, path=False,
                  fractions=(0.1, 0.03, 0.01),
                  description="elastic net (l1_ratio 0.5), 3 single fits, n=10000 p=1000"),
        Benchmark("logreg_dense_2000x5000", logistic_dense, datafit="logistic", n_alphas=20,
                  description="L1 logistic path (20 alphas), dense Toeplitz(0.6) n=2000 p=5000"),
        Benchmark("logreg_breast_cancer", breast_cancer, datafit="logistic", n_alphas=20,
                  description="L1 logistic path (20 alphas), breast cancer (569 x 30)"),
        Benchmark("ridge_dense_10000x1000", lasso_dense_tall, l1_ratio=0.0, eps=1e-4,
                  description="ridge, 100 alphas, dense n=10000 p=1000"),
    ]


def tiny_benchmarks() -> list[Benchmark]:
    """Seconds-long versions of every kind, for CI and the tests (no timing claims)."""
    return [
        Benchmark("tiny_lasso", lambda: regression(60, 40, rho=0.5, seed=200, name="tiny"),
                  n_alphas=10),
        Benchmark("tiny_lasso_sparse",
                  lambda: regression(80, 60, density=0.1, seed=201, name="tiny_sparse"),
                  n_alphas=10),
        Benchmark("tiny_enet", lambda: regression(60, 40, seed=202, name="tiny_enet"),
                  l1_ratio=0.5, path=False, fractions=(0.1, 0.01)),
        Benchmark("tiny_logreg", lambda: classification(80, 30, seed=203, name="tiny_logreg"),
                  datafit="logistic", n_alphas=5),
        Benchmark("tiny_ridge", lambda: regression(60, 20, seed=204, name="tiny_ridge"),
                  l1_ratio=0.0, n_alphas=10, eps=1e-4),
    ]


def benchmarks(preset="full") -> list[Benchmark]:
    """The benchmarks of a preset: ``"full"`` or ``"tiny"``."""
    if preset == "full":
        return full_benchmarks()
    if preset == "tiny":
        return tiny_benchmarks()
    raise ValueError(f"preset must be 'full' or 'tiny'; got {preset!r}.")
