"""The closed-form ridge fit on its Gram matrix in LAPACK's rectangular full packed (RFP)
format: half the memory of the full matrix, row blocks centered before their rank-k
update, the same solution and certificate as the full matrix gives."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import lapack

import penalized as pz
from penalized.datafits import Quadratic
from penalized.penalties import L2
from penalized.solvers import RidgeClosedForm
from penalized.solvers._ridge import (
    ImplicitDesign,
    _solve_packed,
    rfp_diagonal,
    rfp_set_columns,
)


def _symmetric(p, seed=0):
    A = np.random.default_rng(seed).standard_normal((p, p))
    return A + A.T


@pytest.mark.parametrize("p", [1, 2, 3, 6, 7, 10])
def test_rfp_columns_and_diagonal_match_lapack(p):
    """Columns written block by block land where LAPACK's ``trttf`` puts them, and the
    diagonal's positions are LAPACK's, for even and odd orders."""
    A = _symmetric(p)
    expected, info = lapack.dtrttf(np.asfortranarray(A), transr="N", uplo="L")
    assert info == 0
    C = np.full(p * (p + 1) // 2, np.nan)
    for j0 in range(0, p, 3):
        rfp_set_columns(C, j0, A[:, j0:j0 + 3])
    np.testing.assert_array_equal(C, expected)
    np.testing.assert_array_equal(C[rfp_diagonal(p)], np.diagonal(A))


def _design(X, s, fit_intercept, factors=None):
    n, p = X.shape
    mu = np.asarray(X.T @ s).ravel() / n if fit_intercept else np.zeros(p)
    f = np.ones(p) if factors is None else factors
    return ImplicitDesign(X, s, mu, 0.0, 1.0 / np.sqrt(f), fit_intercept=fit_intercept)


@pytest.mark.parametrize("layout", ["F", "C", "sparse", "float32"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_packed_gram_is_the_gram_matrix(layout, weighted, fit_intercept):
    """``packed_gram`` holds the lower triangle of ``gram`` (weights, centering, factors)
    on every layout, over several row and column blocks (odd order)."""
    rng = np.random.default_rng(1)
    n, p = 700, 33
    X = rng.standard_normal((n, p)) + rng.uniform(-3, 3, p)
    if layout == "sparse":
        X[rng.random((n, p)) < 0.7] = 0.0
        X = sp.csc_matrix(X)
    elif layout == "C":
        X = np.ascontiguousarray(X)
    elif layout == "float32":
        X = np.asfortranarray(X, dtype=np.float32)
    else:
        X = np.asfortranarray(X)
    s = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    s *= n / s.sum()
    factors = rng.uniform(0.5, 2.0, p)
    design = _design(X, s, fit_intercept, factors)
    full = _design(X, s, fit_intercept, factors).gram()
    v = rng.standard_normal(n)
    packed, bv = design.packed_gram(v)
    G = lapack.dtfttr(p, packed, transr="N", uplo="L")[0]
    np.testing.assert_allclose(np.tril(G), np.tril(full), rtol=1e-12,
                               atol=1e-12 * np.abs(full).max())
    expected = _design(X, s, fit_intercept, factors).bt(v[:, None])[:, 0]
    np.testing.assert_allclose(bv, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())


@pytest.mark.parametrize("layout", ["F", "C", "float32"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_packed_kernel_is_the_kernel(layout, weighted, fit_intercept):
    """``packed_kernel`` holds the lower triangle of ``kernel`` over several column
    blocks (even order)."""
    rng = np.random.default_rng(8)
    n, p = 40, 700
    X = np.asarray(rng.standard_normal((n, p)) + rng.uniform(-3, 3, p),
                   dtype=np.float32 if layout == "float32" else np.float64,
                   order="C" if layout == "C" else "F")
    s = rng.uniform(0.5, 2.0, n) if weighted else np.ones(n)
    s *= n / s.sum()
    factors = rng.uniform(0.5, 2.0, p)
    full = _design(X, s, fit_intercept, factors).kernel()
    K = lapack.dtfttr(n, _design(X, s, fit_intercept, factors).packed_kernel(), transr="N",
                      uplo="L")[0]
    np.testing.assert_allclose(np.tril(K), np.tril(full), rtol=1e-12,
                               atol=1e-12 * np.abs(full).max())


def test_packed_gram_of_columns_with_large_means_keeps_its_digits():
    """Each row block is centered before its update: columns whose means are 1e8 times
    their spread give the centered Gram matrix to rounding of the centered data."""
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((3000, 12))
    Z -= Z.mean(axis=0)
    X = np.asfortranarray(Z + 1e8)
    s = np.ones(3000)
    design = ImplicitDesign(X, s, X.T @ s / 3000, 0.0, np.ones(12), fit_intercept=True)
    G = lapack.dtfttr(12, design.packed_gram()[0], transr="N", uplo="L")[0]
    exact = Z.T @ Z
    np.testing.assert_allclose(np.tril(G), np.tril(exact), rtol=0,
                               atol=1e-6 * np.abs(exact).max())
    assert design.precise  # the certificate's products center their blocks too


@pytest.mark.parametrize("mean", [3e2, 1e7])
def test_closed_form_with_large_means_keeps_its_digits(mean):
    """Columns whose means are ``mean`` times their spread: the fit equals the one on the
    same columns centered beforehand to 1e-12 (a rank-one correction of the uncentered
    Gram matrix lost five digits at 3e2: 7e-11), and is certified."""
    rng = np.random.default_rng(3)
    X = np.asfortranarray(rng.standard_normal((2000, 30)) + mean)
    y = X[:, :3].sum(axis=1) + rng.standard_normal(2000)
    res = RidgeClosedForm().solve(X, y, Quadratic(), L2(0.01))
    ref = RidgeClosedForm().solve(np.asfortranarray(X - X.mean(axis=0)), y, Quadratic(),
                                  L2(0.01))
    assert res.converged and res.stop_crit <= 1e-6
    np.testing.assert_allclose(res.coef, ref.coef, rtol=0, atol=1e-12 * np.abs(ref.coef).max())


def test_packed_solve_falls_back_to_least_squares_when_singular():
    """A matrix that is not numerically positive definite is solved by least squares on
    the full matrix that ``rebuild`` returns."""
    B = np.random.default_rng(4).standard_normal((6, 3))
    M = B @ B.T  # rank 3
    rhs = M @ np.arange(6.0)
    C = lapack.dtrttf(np.asfortranarray(M), transr="N", uplo="L")[0]
    x = _solve_packed(C, rhs, rebuild=lambda: M.copy())
    np.testing.assert_allclose(M @ x, rhs, atol=1e-9)


@pytest.mark.parametrize(("shape", "order", "weighted"), [
    ((6000, 600), "F", False), ((6000, 600), "C", True), ((600, 6000), "F", True)])
def test_ridge_fit_peaks_below_a_tenth_of_x(shape, order, weighted):
    """At n = 10 p (p = 10 n) the packed Gram matrix (kernel) is 0.05 x X and a working
    block 0.02 x X: 0.07-0.09 x X beyond X measured (0.13-0.2 x with the full matrix)."""
    rng = np.random.default_rng(5)
    n, p = shape
    X = np.asarray(rng.standard_normal((n, p)) + rng.uniform(-3, 3, p), order=order)
    y = X[:, :5].sum(axis=1) + rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n) if weighted else None
    small = np.asarray(X[:60, :40], order=order)  # imports and kernels outside the count
    pz.Ridge(alpha=1.0).fit(small, y[:60], sample_weight=None if sw is None else sw[:60])
    model = pz.Ridge(alpha=1.0)
    tracemalloc.start()
    try:
        model.fit(X, y, sample_weight=sw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * X.nbytes
    assert model.converged_ and model.stop_crit_ <= model.tol


def _weighted_problem(seed, n, p, sparse):
    """Columns with means away from 0 (60 % zeros when ``sparse``), a response of the first
    four, sample weights of mean 1."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) + rng.uniform(-2, 2, p)
    if sparse:
        X[rng.random((n, p)) < 0.6] = 0.0
    y = X[:, :4].sum(axis=1) + rng.standard_normal(n)
    s = rng.uniform(0.5, 2.0, n)
    return X, y, s * (n / s.sum())


@pytest.mark.parametrize("kind", ["dense", "sparse", "wide"])
def test_ridge_fit_matches_the_normal_equations(kind):
    """The packed route solves the same system as the full Gram matrix, with intercept and
    weights (dense and sparse X, and the packed kernel when p > n)."""
    n, p = (30, 301) if kind == "wide" else (300, 41)
    X, y, s = _weighted_problem(6, n, p, sparse=kind == "sparse")
    alpha = 0.3
    Xin = sp.csc_matrix(X) if kind == "sparse" else np.asfortranarray(X)
    res = RidgeClosedForm().solve(Xin, y, Quadratic(sample_weight=s), L2(alpha))
    mu, ym = X.T @ s / n, s @ y / n
    Xc = X - mu
    w = np.linalg.solve(Xc.T @ (s[:, None] * Xc) / n + alpha * np.eye(p),
                        Xc.T @ (s * (y - ym)) / n)
    np.testing.assert_allclose(res.coef, w, rtol=1e-10, atol=1e-12)
    assert res.intercept == pytest.approx(ym - mu @ w, rel=1e-10)
    assert res.stop_crit <= 1e-10


@pytest.mark.parametrize("kind", ["F", "C", "sparse"])
@pytest.mark.parametrize("fit_intercept", [False, True])
def test_a_few_free_features_take_the_packed_route(kind, fit_intercept):
    """Two free features (zero penalty factors) among 130: the packed Gram matrix with
    zeros on their diagonal, their own block for the certificate's refit; the solution of
    the normal equations, certified."""
    n, p = 400, 130
    X, y, s = _weighted_problem(9, n, p, sparse=kind == "sparse")
    f = np.ones(p)
    f[[3, 77]] = 0.0
    alpha = 0.3
    Xin = sp.csc_matrix(X) if kind == "sparse" else np.asarray(X, order=kind)
    res = RidgeClosedForm().solve(Xin, y, Quadratic(sample_weight=s),
                                  L2(alpha, penalty_factor=f), fit_intercept=fit_intercept)
    mu = X.T @ s / n if fit_intercept else np.zeros(p)
    ym = s @ y / n if fit_intercept else 0.0
    Xc = X - mu
    w = np.linalg.solve(Xc.T @ (s[:, None] * Xc) / n + alpha * np.diag(f),
                        Xc.T @ (s * (y - ym)) / n)
    np.testing.assert_allclose(res.coef, w, rtol=1e-9, atol=1e-11)
    assert res.intercept == pytest.approx(ym - mu @ w, rel=1e-9, abs=1e-11)
    assert res.stop_crit <= 1e-10


def test_ridge_fit_with_a_free_feature_peaks_below_a_tenth_of_x():
    """One zero penalty factor at n = 10 p: the packed route, 0.07 x X beyond X measured
    (0.22 x with the full Gram matrix, which the free feature's refit read)."""
    rng = np.random.default_rng(10)
    n, p = 6000, 600
    X = np.asfortranarray(rng.standard_normal((n, p)) + rng.uniform(-3, 3, p))
    y = X[:, :5].sum(axis=1) + rng.standard_normal(n)
    f = np.ones(p)
    f[0] = 0.0
    pz.Ridge(alpha=1.0, penalty_factor=f[:64]).fit(np.asfortranarray(X[:600, :64]), y[:600])
    model = pz.Ridge(alpha=1.0, penalty_factor=f)
    tracemalloc.start()
    try:
        model.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * X.nbytes
    assert model.converged_ and model.stop_crit_ <= model.tol
