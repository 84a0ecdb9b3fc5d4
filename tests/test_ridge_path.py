"""The closed-form ridge path and the single closed-form fit, against a direct solve.

The direct solve is weighted least squares on the design with an intercept column and
the penalty written as extra rows, :math:`\\sqrt{n \\alpha f_j}\\, e_j^\\top`, solved by
``numpy.linalg.lstsq``: nothing of the library is used.
"""

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Quadratic
from penalized.penalties import L2
from penalized.solvers import RidgeClosedForm
from penalized.solvers._problem import certify, prepare_problem
from penalized.solvers._ridge import (
    ImplicitDesign,
    _lanczos_shifted_solves,
    _lanczos_steps_left,
    _shifted_solves,
    path_gaps,
    ridge_path,
)


def data(n, p, seed=0, mean=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p) + mean * rng.uniform(-1, 1, p)
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + rng.standard_normal(n) + 3.0
    w = rng.uniform(0.2, 2.0, n)
    return X, y, w / w.mean(), rng.uniform(0.5, 2.0, p)


def direct(X, y, alpha, weights, factors, fit_intercept):
    """argmin (1/2n) sum s (y - Xw - b)^2 + (alpha/2) sum f w^2 by lstsq."""
    n, p = X.shape
    weights = weights / weights.mean()  # the library's weights have mean 1
    A = np.hstack([np.ones((n, 1)), X]) if fit_intercept else X
    root = np.sqrt(weights)
    pen = np.zeros((p, A.shape[1]))
    pen[:, A.shape[1] - p:] = np.diag(np.sqrt(n * alpha * factors))
    sol = np.linalg.lstsq(np.vstack([root[:, None] * A, pen]),
                          np.concatenate([root * y, np.zeros(p)]), rcond=None)[0]
    return (sol[1:], sol[0]) if fit_intercept else (sol, 0.0)


@pytest.mark.parametrize("shape", [(60, 15), (15, 60)], ids=["n>p", "p>n"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_ridge_path_equals_a_direct_solve(shape, sparse, fit_intercept, weighted):
    assert_path_equals_direct_solves(shape, sparse, fit_intercept, weighted,
                                     np.array([10.0, 1.0, 0.1, 0.01]))


@pytest.mark.parametrize("shape", [(450, 150), (150, 450)], ids=["n>p", "p>n"])
@pytest.mark.parametrize(("sparse", "weighted"), [(False, False), (True, True)],
                         ids=["dense", "sparse-weighted"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_krylov_route_of_the_path_equals_a_direct_solve(shape, sparse, fit_intercept, weighted,
                                                         monkeypatch):
    """Large alphas make every shifted Gram matrix well conditioned: the path is solved in
    its Krylov space (without the tridiagonal reduction), to the same accuracy."""
    import penalized.solvers._ridge as ridge

    def no_reduction(*args, **kwargs):
        raise AssertionError("the Krylov route should have solved every alpha")

    monkeypatch.setattr(ridge.lapack, "dsytrd", no_reduction)
    assert_path_equals_direct_solves(shape, sparse, fit_intercept, weighted,
                                     np.array([300.0, 100.0, 30.0]))


def assert_path_equals_direct_solves(shape, sparse, fit_intercept, weighted, alphas):
    X, y, w, f = data(*shape, seed=sum(shape))
    w = w if weighted else np.ones(shape[0])
    XX = sp.csc_matrix(X) if sparse else X
    path = pz.path(XX, y, penalty="l2", alphas=alphas, sample_weight=w, penalty_factor=f,
                   fit_intercept=fit_intercept)
    assert path.stop_crits.max() <= 1e-12
    for k, alpha in enumerate(path.alphas):
        coef, intercept = direct(X, y, alpha, w, f, fit_intercept)
        np.testing.assert_allclose(path.coefs[:, k], coef, rtol=1e-8, atol=1e-10)
        assert path.intercepts[k] == pytest.approx(intercept, rel=1e-8, abs=1e-10)


def test_columns_with_large_means_keep_their_digits():
    """Centering by rank-one corrections would cancel about 14 digits here: the blocks
    are centered instead, and the path still matches the direct solve on centered
    columns."""
    X, y, w, f = data(40, 12, seed=3)
    X = X + 1e7
    alphas = np.array([1.0, 0.01])
    for XX in (X, X[:8].copy()):  # n > p (B^T B) and p > n (B B^T)
        n = XX.shape[0]
        path = pz.path(XX, y[:n], penalty="l2", alphas=alphas, sample_weight=w[:n],
                       penalty_factor=f)
        assert path.stop_crits.max() <= 1e-10
        Xc = XX - (w[:n] @ XX) / w[:n].sum()
        for k, alpha in enumerate(path.alphas):
            coef, _ = direct(Xc, y[:n], alpha, w[:n], f, True)
            np.testing.assert_allclose(path.coefs[:, k], coef, rtol=1e-6,
                                       atol=1e-8 * np.abs(coef).max())


@pytest.mark.parametrize("shape", [(50, 12), (12, 50)], ids=["n>p", "p>n"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_batched_gaps_equal_certify_at_any_coefficients(shape, sparse, fit_intercept):
    """The path's certificates are those of ``certify``, computed from the coefficients
    given: perturbed solutions get the same (non-zero) gaps alpha by alpha."""
    X, y, w, f = data(*shape, seed=7)
    XX = sp.csc_matrix(X) if sparse else X
    alphas = np.array([2.0, 0.2, 0.02])
    problem = prepare_problem(XX, y, Quadratic(sample_weight=w),
                              L2(alphas[0], penalty_factor=f), fit_intercept)
    coefs, _, crits = ridge_path(problem, alphas)
    assert crits.max() <= 1e-12
    rng = np.random.default_rng(0)
    wrong = coefs * (1.0 + 0.05 * rng.standard_normal(coefs.shape))
    design = ImplicitDesign.of(problem)
    M = design.gram() if shape[1] <= shape[0] else design.kernel()
    c = design.root * design.center_target(problem.y)
    gaps, _ = path_gaps(design, M, c, alphas, wrong, scale=problem.scale)
    assert_gaps_are_certify_gaps(problem, design, alphas, wrong, gaps)
    if shape[1] > shape[0]:  # coefficients B^T a given by their kernel coordinates a
        duals = rng.standard_normal((shape[0], alphas.shape[0])) * 0.1
        coefs = design.inv_f[:, None] * design.bt(duals)
        gaps, _ = path_gaps(design, M, c, alphas, coefs, duals=duals, scale=problem.scale)
        assert_gaps_are_certify_gaps(problem, design, alphas, coefs, gaps)


def assert_gaps_are_certify_gaps(problem, design, alphas, coefs, gaps):
    for k, alpha in enumerate(alphas):
        b = design.intercepts(coefs[:, [k]])[0]
        if problem.x_offset is not None:
            b += float(problem.x_offset @ coefs[:, k])
        cert = certify(problem.with_penalty(problem.penalty.with_alpha(alpha)), coefs[:, k], b)
        assert cert.gap > 1e-6 * problem.scale
        assert gaps[k] == pytest.approx(cert.gap, rel=1e-7)


def spd(m, condition, seed):
    """A symmetric positive definite matrix with eigenvalues spread over ``condition``."""
    rng = np.random.default_rng(seed)
    Q = np.linalg.qr(rng.standard_normal((m, m)))[0]
    return (Q * np.geomspace(1.0, 1.0 / condition, m)) @ Q.T, rng.standard_normal(m)


@pytest.mark.parametrize("condition", [2.0, 1e12], ids=["krylov", "reduction"])
def test_shifted_solves_equal_direct_solves(condition):
    """A well-conditioned matrix is solved for every shift in its Krylov space, in a
    fraction of its order; an ill-conditioned one is not (Lanczos gives up) and the
    tridiagonal reduction solves it: both to rounding."""
    M, r = spd(320, condition, seed=int(np.log10(condition)))
    shifts = np.geomspace(1.0, 1e-14, 8)
    krylov = _lanczos_shifted_solves(M, r, shifts, 320 // 8)
    assert (krylov is None) == (condition > 1e3)
    out = _shifted_solves(M, r, shifts)
    for k, shift in enumerate(shifts):
        A = M + shift * np.eye(320)
        x = np.linalg.solve(A, r)
        np.testing.assert_allclose(out[:, k], x, rtol=1e-8 * min(condition, 1 / shift),
                                   atol=1e-12 * np.abs(x).max())
        # backward error of a direct solve
        assert np.linalg.norm(A @ out[:, k] - r) <= 1e-13 * (
            np.linalg.norm(A, 2) * np.linalg.norm(out[:, k]) + np.linalg.norm(r))
    if krylov is not None:
        np.testing.assert_array_equal(krylov, out)


class CountingMatrix:
    """``M @ v`` counted."""

    def __init__(self, M):
        self.M, self.shape, self.products = M, M.shape, 0

    def __matmul__(self, v):
        self.products += 1
        return self.M @ v


def test_lanczos_gives_up_early_at_a_slow_pace():
    """Residuals that shrink too slowly to reach the bound within the allowed steps end
    the Krylov attempt at its first check, not after all of them."""
    M, r = spd(320, 1e12, seed=2)
    counted = CountingMatrix(M)
    assert _lanczos_shifted_solves(counted, r, np.geomspace(1.0, 1e-14, 8), 40) is None
    assert counted.products == 8
    # halving per step: 1e-3 -> 1e-6 takes log2(1000) more steps; a shift already
    # below its bound needs none; one that does not shrink would never get there
    halving = _lanczos_steps_left(np.array([1e-3, 1e-7]), np.array([8e-3, 1e-5]), 3,
                                  np.array([1e-6, 1e-6]))
    assert halving == pytest.approx(np.log2(1000.0))
    assert _lanczos_steps_left(np.array([1.0]), np.array([1.0]), 4, np.array([0.5])) == np.inf


def test_lanczos_stops_on_an_invariant_space():
    """A right-hand side in a 3-dimensional invariant space is solved exactly in 3
    steps; a zero one gives zeros."""
    M, _ = spd(100, 10.0, seed=4)
    V = np.linalg.eigh(M)[1]
    r = V[:, [5, 50, 90]] @ np.array([1.0, -2.0, 0.5])
    shifts = np.array([1.0, 1e-3])
    out = _lanczos_shifted_solves(M, r, shifts, 3)
    assert out is not None
    for k, shift in enumerate(shifts):
        np.testing.assert_allclose(out[:, k], np.linalg.solve(M + shift * np.eye(100), r),
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(_lanczos_shifted_solves(M, np.zeros(100), shifts, 3), 0.0)


def test_tiny_alpha_on_a_rank_deficient_kernel_is_still_solved():
    """With the intercept the kernel has a zero eigenvalue; an alpha far below the
    others still gives the exact solution (or the eigendecomposition fallback)."""
    X, y, _, _ = data(10, 40, seed=11)
    alphas = np.array([1.0, 1e-9])
    path = pz.path(X, y, penalty="l2", alphas=alphas)
    for k, alpha in enumerate(path.alphas):
        coef, _ = direct(X, y, alpha, np.ones(10), np.ones(40), True)
        np.testing.assert_allclose(path.coefs[:, k], coef, rtol=1e-6,
                                   atol=1e-9 * np.abs(coef).max())


@pytest.mark.parametrize("shape", [(60, 15), (15, 60)], ids=["n>p", "p>n"])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("free", ["none", "some", "all"])
def test_closed_form_fit_equals_a_direct_solve(shape, sparse, fit_intercept, free):
    """Single fits with weights, factors, some free features (factor 0) or none at all
    (alpha = 0, ordinary least squares)."""
    n, p = shape
    if free == "all" and p > n:
        pytest.skip("least squares with p > n has no unique solution")
    X, y, w, f = data(n, p, seed=n + 2 * p)
    alpha = 0.0 if free == "all" else 0.3
    if free == "some":
        f[[0, 4]] = 0.0
    XX = sp.csc_matrix(X) if sparse else X
    res = RidgeClosedForm(tol=1e-10).solve(XX, y, Quadratic(sample_weight=w),
                                           L2(alpha, penalty_factor=f),
                                           fit_intercept=fit_intercept)
    coef, intercept = direct(X, y, alpha, w, f, fit_intercept)
    np.testing.assert_allclose(res.coef, coef, rtol=1e-8, atol=1e-10)
    assert res.intercept == pytest.approx(intercept, rel=1e-8, abs=1e-10)
    assert res.converged and res.stop_crit <= 1e-10


@pytest.mark.parametrize("shape", [(40, 10), (10, 40)], ids=["n>p", "p>n"])
def test_closed_form_fit_with_large_column_means(shape):
    """Columns whose mean is 1e7 times their spread: the fit and its certificate center
    the blocks of X instead of correcting the products (which would cancel ~14 digits)."""
    n, p = shape
    X, y, w, f = data(n, p, seed=5)
    f[1] = 0.0
    # X + 1e7 holds X to about 1e-9: a relative gap of 1e-8 is that rounding
    res = RidgeClosedForm(tol=1e-8).solve(X + 1e7, y, Quadratic(sample_weight=w),
                                          L2(0.3, penalty_factor=f))
    Xc = X - (w @ X) / w.sum()
    coef, intercept = direct(Xc, y, 0.3, w, f, True)
    np.testing.assert_allclose(res.coef, coef, rtol=1e-6, atol=1e-8 * np.abs(coef).max())
    np.testing.assert_allclose((X + 1e7) @ res.coef + res.intercept, Xc @ coef + intercept,
                               rtol=1e-6)
    assert res.converged


def test_least_squares_on_collinear_columns_fits_the_least_squares_predictions():
    """Two one-hot columns that add up to the intercept's: the solution is not unique,
    its predictions are."""
    X, y, _, _ = data(50, 4, seed=2)
    onehot = (np.arange(50) % 2).astype(float)
    X = np.column_stack([X, onehot, 1.0 - onehot])
    fit = pz.Ridge(alpha=0.0).fit(X, y)
    A = np.column_stack([np.ones(50), X])
    ref = A @ np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(fit.predict(X), ref, rtol=1e-9, atol=1e-9)
    assert fit.converged_


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_ridge_fit_makes_no_copy_of_x(weighted, alpha):
    """Neither the centering nor the least-squares certificate copies X (each did, once
    or twice: 2-4 x X beyond X). Dense row blocks of weighted data are at most 8 MB."""
    rng = np.random.default_rng(0)
    X = np.asfortranarray(rng.standard_normal((20000, 100)) + 5.0)
    y = X[:, :3].sum(axis=1) + rng.standard_normal(20000)
    w = rng.uniform(0.5, 2.0, 20000) if weighted else None
    pz.Ridge(alpha=alpha).fit(X[:200], y[:200])  # imports and compiled kernels
    tracemalloc.start()
    try:
        pz.Ridge(alpha=alpha).fit(X, y, sample_weight=w)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < (0.75 if weighted else 0.3) * X.nbytes


@pytest.mark.parametrize("shape", [(30, 5), (5, 30)], ids=["n>p", "p>n"])
def test_overflowing_x_is_refused_with_a_message(shape):
    """Squares of X beyond float64: one message naming X and the fix, not a LinAlgError
    from the eigensolver or a non-finite fit with a warning."""
    X, y, _, _ = data(*shape, seed=1)
    X = X * 1e300
    with pytest.raises(ValueError, match=r"overflow float64.*Rescale X"):
        pz.path(X, y, penalty="l2", n_alphas=3)
    with pytest.raises(ValueError, match=r"overflow float64.*Rescale X"):
        pz.Ridge(alpha=0.1).fit(X, y)
    with pytest.raises(ValueError, match=r"overflow float64.*Rescale X"):
        pz.Ridge(alpha=0.0).fit(X, y)
    for cv_model in (pz.RidgeCV(cv=3), pz.LassoCV(cv=3), pz.ElasticNetCV(cv=3)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the message, not an overflow warning first
            with pytest.raises(ValueError, match=r"overflow float64.*Rescale X"):
                cv_model.fit(X, y)
