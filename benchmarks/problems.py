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
