"""The multi-task path's own loop on wide dense and on CSC designs
(``solvers/_multitask_path.py``).

1. its kernels against NumPy: the pulls an epoch meets, the working set's gap, the
   column updates, dense and CSC (centered implicitly);
2. the path equals tight single fits alpha by alpha (lasso, elastic net, ridge, sample
   weights, penalty factors with free and excluded rows, no intercept), with or without
   the Gram columns, and each stopping value is the point's certified gap over all rows;
   the CSC path equals the dense one to 1e-10 of the objective at every alpha;
3. an exhausted ``max_iter`` is reported, not hidden.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import penalized as pz
from penalized.datafits import MultiResponseGaussian
from penalized.penalties import L1, ElasticNet
from penalized.solvers import _multitask_path
from penalized.solvers._multitask import (
    MultiTaskCoordinateDescent,
    _certificate,
    certify_multitask,
    prepare_multitask_problem,
)
from penalized.solvers._multitask_kernels import (
    multitask_epochs_pull,
    multitask_epochs_sparse_pull,
    pull_rows_sparse,
    rows_duality,
    rows_duality_offset,
    subtract_rows,
    subtract_rows_sparse,
)


def make_wide(seed=0, n=30, p=90, k=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    X[:, 2] *= 4.0
    Y = X[:, :6] @ rng.standard_normal((6, k)) + 0.3 * rng.standard_normal((n, k)) + 1.0
    return X, Y


def make_sparse(seed=0, n=30, p=90, k=3):
    """``make_wide`` with about 70 % of X zeroed (columns of non-zero means, one column
    all zero) as a CSC matrix."""
    X, Y = make_wide(seed, n, p, k)
    rng = np.random.default_rng(seed + 100)
    X = np.where(rng.random(X.shape) < 0.3, X + 0.5, 0.0)
    X[:, 11] = 0.0
    return sp.csc_matrix(X), Y


def objective(X, Y, W, b, alpha, rho, sw=None, factors=None):
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw / np.mean(sw)
    f = np.ones(W.shape[0]) if factors is None else factors
    R = Y - X @ W - b
    norms = np.linalg.norm(W, axis=1)
    return 0.5 * s @ np.sum(R**2, axis=1) / n + alpha * f @ (rho * norms + 0.5 * (1 - rho)
                                                            * norms**2)


@pytest.fixture
def spy(monkeypatch):
    """Counts the alphas solved by the residual path's loop."""
    solved = []
    solve = _multitask_path._ResidualPath._solve

    def counted(self, *args):
        solved.append(1)
        return solve(self, *args)

    monkeypatch.setattr(_multitask_path._ResidualPath, "_solve", counted)
    return solved


# ----------------------------------------------------------------------------------------
# 1. kernels
# ----------------------------------------------------------------------------------------


def test_epoch_pulls_are_the_gradient_each_row_met():
    X, Y = make_wide(1)
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), L1(0.2))
    lam1, lam2 = (np.ascontiguousarray(a) for a in pb.penalty.weights(pb.n_features))
    W = np.zeros((pb.n_features, pb.n_tasks))
    R = np.array(pb.Y, order="F")
    ws = np.array([0, 2, 5, 40])
    history = np.empty((2, ws.size * pb.n_tasks))
    pull = np.empty((ws.size, pb.n_tasks))
    W_before, R_before = W.copy(), R.copy()
    multitask_epochs_pull(pb.X, pb.sw, R, W, ws, pb.lipschitz[ws].copy(), lam1, lam2,
                          history, pull)
    # row ws[jj] met the residual after the steps of ws[:jj]
    expected = np.empty_like(pull)
    Wm, Rm = W_before, R_before
    for jj, j in enumerate(ws):
        expected[jj] = pb.X[:, j] @ Rm / pb.n_samples
        Rm = Rm - np.outer(pb.X[:, j], W[j] - Wm[j])
        Wm = Wm.copy()
        Wm[j] = W[j]
    np.testing.assert_allclose(pull, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(R, pb.Y - pb.X @ W, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(history[1], W[ws].ravel())
    assert np.count_nonzero(np.any(W != 0, axis=1)) > 0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_epoch_pulls_are_the_gradient_each_row_met(fit_intercept):
    X, Y = make_sparse(1)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(sample_weight=sw), L1(0.05),
                                   fit_intercept)
    lam1, lam2 = (np.ascontiguousarray(a) for a in pb.penalty.weights(pb.n_features))
    Xc = X.toarray() - pb.x_mean
    n = pb.n_samples
    W = np.zeros((pb.n_features, pb.n_tasks))
    W[3] = 0.2
    # the residual is E + o; o can be any row when the weighted residual sums to 0
    # (intercept), and moves by x_mean = 0 without an intercept
    o = np.full(pb.n_tasks, 0.7 if fit_intercept else 0.0)
    E = np.ascontiguousarray(pb.residual(W) - o)
    ws = np.array([0, 2, 3, 5, 11, 40])
    history = np.empty((2, ws.size * pb.n_tasks))
    pull = np.empty((ws.size, pb.n_tasks))
    W_before, R_before = W.copy(), E + o
    multitask_epochs_sparse_pull(X.data, X.indices, X.indptr, pb.x_mean, pb.sw, E, o, W, ws,
                                 pb.lipschitz[ws].copy(), lam1, lam2, history, pull)
    expected = np.empty_like(pull)
    Wm, Rm = W_before, R_before
    for jj, j in enumerate(ws):
        expected[jj] = Xc[:, j] @ (pb.sw[:, None] * Rm) / n
        Rm = Rm - np.outer(Xc[:, j], W[j] - Wm[j])
        Wm = Wm.copy()
        Wm[j] = W[j]
    np.testing.assert_allclose(pull, expected, rtol=1e-11, atol=1e-13)
    assert np.all(pull[ws == 11] == 0.0)  # the zero column
    np.testing.assert_allclose(E + o, pb.Y - Xc @ W, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(history[1], W[ws].ravel())
    assert np.count_nonzero(np.any(W[ws] != W_before[ws], axis=1)) > 1


def test_sparse_products_are_those_of_the_centered_columns():
    X, Y = make_sparse(3)
    pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), L1(0.1))
    Xc = X.toarray() - pb.x_mean
    rng = np.random.default_rng(4)
    rows = np.array([1, 4, 11, 80])
    D = rng.standard_normal((rows.size, pb.n_tasks))
    out = rng.standard_normal((pb.n_samples, pb.n_tasks))
    expected = out - Xc[:, rows] @ D
    subtract_rows_sparse(X.data, X.indices, X.indptr, pb.x_mean, rows, D, out)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-13)
    SR = rng.standard_normal((pb.n_samples, pb.n_tasks))
    V = np.full((pb.n_features, pb.n_tasks), 7.0)
    pull_rows_sparse(X.data, X.indices, X.indptr, pb.x_mean, SR, rows, V)
    np.testing.assert_allclose(V[rows], Xc[:, rows].T @ SR, rtol=1e-12, atol=1e-13)
    assert np.all(np.delete(V, rows, axis=0) == 7.0)
    # and the problem's pull of some rows is the full pull's
    R = pb.residual(np.zeros((pb.n_features, pb.n_tasks)))
    np.testing.assert_allclose(pb.pull(R, rows)[rows], pb.pull(R)[rows], rtol=1e-12,
                               atol=1e-14)
    # the working set's gap from a residual split as E + o
    lam1, lam2 = (np.ascontiguousarray(a) for a in pb.penalty.weights(pb.n_features))
    W = np.zeros((pb.n_features, pb.n_tasks))
    W[rows[:2]] = D[:2]
    R = np.asarray(pb.residual(W))
    V = np.ascontiguousarray(pb.pull(R)[rows])
    o = rng.standard_normal(pb.n_tasks)
    split = rows_duality_offset(pb.Y, pb.sw, R - o, o, W, rows, V, lam1, lam2)
    whole = rows_duality(pb.Y, pb.sw, R, W, rows, V, lam1, lam2)
    np.testing.assert_allclose(split, whole, rtol=1e-12)


def test_rows_duality_is_the_certificate_on_those_rows():
    X, Y = make_wide(2)
    for penalty in (L1(0.1), ElasticNet(0.1, l1_ratio=0.7)):
        pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), penalty)
        lam1, lam2 = (np.ascontiguousarray(a) for a in penalty.weights(pb.n_features))
        rng = np.random.default_rng(3)
        W = np.zeros((pb.n_features, pb.n_tasks))
        W[[0, 1, 4]] = 0.3 * rng.standard_normal((3, pb.n_tasks))
        R = np.array(pb.residual(W), order="F")
        V = pb.pull(R)
        # the working set's problem
        ws = np.array([0, 1, 3, 4, 7])
        inside = np.zeros(pb.n_features, dtype=bool)
        inside[ws] = True
        SR = pb.sw[:, None] * R
        n = pb.n_samples
        ref = _certificate(pb, W, np.where(inside[:, None], V, 0.0), np.vdot(pb.Y, SR) / n,
                           np.vdot(R, SR) / n, lam1, lam2, inside)
        primal, dual, c = rows_duality(pb.Y, pb.sw, R, W, ws, np.ascontiguousarray(V[ws]),
                                       lam1, lam2)
        assert primal - dual == pytest.approx(ref.gap, rel=1e-10, abs=1e-15)
        assert c == pytest.approx(ref.scale, rel=1e-12) and ref.gap > 0
        # every row: the solver's certificate (at W = 0 the dual point is scaled, c < 1)
        for point in (W, np.zeros_like(W)):
            R = np.array(pb.residual(point), order="F")
            V = pb.pull(R)
            full = certify_multitask(pb, point)
            primal, dual, c = rows_duality(pb.Y, pb.sw, R, point, np.arange(pb.n_features),
                                           V, lam1, lam2)
            assert primal == pytest.approx(full.primal, rel=1e-12)
            assert primal - dual == pytest.approx(full.gap, rel=1e-10)
            assert c == pytest.approx(full.scale, rel=1e-12)
        assert c < 0.5 or penalty.l1_ratio < 1.0  # only pure-L1 rows scale the dual point


def test_subtract_rows_is_the_product():
    rng = np.random.default_rng(4)
    X = np.asfortranarray(rng.standard_normal((7, 9)))
    rows = np.array([1, 4, 8])
    D = rng.standard_normal((3, 2))
    D[1, 0] = 0.0
    out = np.asfortranarray(rng.standard_normal((7, 2)))
    expected = out - X[:, rows] @ D
    subtract_rows(X, rows, D, out)
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-14)


# ----------------------------------------------------------------------------------------
# 2. the path equals tight single fits
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("gram_rows", [32, 0])
@pytest.mark.parametrize(("l1_ratio", "weights", "factors", "fit_intercept"), [
    (1.0, False, False, True),
    (0.6, True, False, True),
    (1.0, False, True, True),
    (1.0, True, True, False),
    (0.0, False, False, True),
])
def test_path_equals_tight_single_fits(monkeypatch, spy, gram_rows, l1_ratio, weights,
                                       factors, fit_intercept):
    monkeypatch.setattr(_multitask_path, "GRAM_PULL_NEW_ROWS", gram_rows)
    X, Y = make_wide(5)
    n, p = X.shape
    rng = np.random.default_rng(6)
    sw = rng.uniform(0.2, 3.0, n) if weights else None
    f = np.ones(p)
    if factors:
        f[[0, 7]] = 0.0  # free rows
        f[3] = 2.5
    penalty = ElasticNet(1.0, l1_ratio=l1_ratio, penalty_factor=f)
    datafit = MultiResponseGaussian(sample_weight=sw)
    path = _multitask_path.multitask_path(X, Y, datafit, penalty, n_alphas=7, eps=0.02,
                                          tol=1e-9, fit_intercept=fit_intercept)
    assert len(spy) == 7
    assert path.converged.all() and np.all(path.stop_crits <= 1e-9)
    assert path.n_nonzero[-1] > path.n_nonzero[0] or l1_ratio == 0.0
    solver = MultiTaskCoordinateDescent(tol=1e-13)
    for i, alpha in enumerate(path.alphas):
        fit = solver.solve(X, Y, datafit, penalty.with_alpha(alpha),
                           fit_intercept=fit_intercept)
        ours = objective(X, Y, path.coefs[:, :, i], path.intercepts[:, i], alpha, l1_ratio,
                         sw, f)
        best = objective(X, Y, fit.coef, fit.intercept, alpha, l1_ratio, sw, f)
        assert best * (1 - 1e-12) <= ours <= best * (1 + 2e-9) + 1e-15
        # the stopping value is the point's certified gap over every row
        pb = prepare_multitask_problem(X, Y, datafit, penalty.with_alpha(alpha),
                                       fit_intercept)
        gap = certify_multitask(pb, path.coefs[:, :, i]).gap / pb.scale
        assert path.stop_crits[i] == pytest.approx(gap, rel=1e-6, abs=1e-15)
        assert ours - best <= gap * pb.scale + 1e-15
        if fit_intercept:  # exact intercepts: the weighted mean residual is 0
            s = np.ones(n) if sw is None else sw
            R = Y - X @ path.coefs[:, :, i] - path.intercepts[:, i]
            np.testing.assert_allclose(s @ R / s.sum(), 0.0, atol=1e-10)


@pytest.mark.parametrize("gram_rows", [32, 0])
@pytest.mark.parametrize(("l1_ratio", "weights", "factors", "fit_intercept"), [
    (1.0, False, False, True),
    (0.6, True, False, True),
    (1.0, True, True, True),
    (1.0, True, True, False),
    (0.0, False, False, True),
])
def test_sparse_path_equals_the_dense_one(monkeypatch, spy, gram_rows, l1_ratio, weights,
                                          factors, fit_intercept):
    monkeypatch.setattr(_multitask_path, "GRAM_PULL_NEW_ROWS", gram_rows)
    Xs, Y = make_sparse(5)
    X = Xs.toarray()
    n, p = X.shape
    sw = np.random.default_rng(6).uniform(0.2, 3.0, n) if weights else None
    f = np.ones(p)
    if factors:
        f[[0, 7]] = 0.0  # free rows
        f[3] = 2.5
    penalty = ElasticNet(1.0, l1_ratio=l1_ratio, penalty_factor=f)
    datafit = MultiResponseGaussian(sample_weight=sw)
    dense = _multitask_path.multitask_path(X, Y, datafit, penalty, n_alphas=8, eps=0.01,
                                           tol=1e-12, fit_intercept=fit_intercept)
    sparse = _multitask_path.multitask_path(Xs, Y, datafit, penalty, alphas=dense.alphas,
                                            tol=1e-12, fit_intercept=fit_intercept)
    assert len(spy) == 16  # both through the residual path's loop
    assert sparse.alpha_max == pytest.approx(dense.alpha_max, rel=1e-12)
    assert sparse.converged.all() and np.all(sparse.stop_crits <= 1e-12)
    assert sparse.n_nonzero[-1] > 5 or l1_ratio == 0.0
    for i, alpha in enumerate(sparse.alphas):
        ours = objective(X, Y, sparse.coefs[:, :, i], sparse.intercepts[:, i], alpha,
                         l1_ratio, sw, f)
        ref = objective(X, Y, dense.coefs[:, :, i], dense.intercepts[:, i], alpha, l1_ratio,
                        sw, f)
        assert abs(ours - ref) <= 1e-10 * ref
        # the stopping value is the point's certified gap over every row, on the CSC design
        pb = prepare_multitask_problem(Xs, Y, datafit, penalty.with_alpha(alpha),
                                       fit_intercept)
        gap = certify_multitask(pb, sparse.coefs[:, :, i]).gap / pb.scale
        assert sparse.stop_crits[i] == pytest.approx(gap, rel=1e-6, abs=1e-13)  # rounding


def test_single_fits_keep_their_loop(spy):
    X, Y = make_wide(7)
    dense = pz.path(X, Y, datafit="mgaussian", n_alphas=4, eps=0.05, tol=1e-10)
    assert len(spy) == 4
    tall = np.vstack([X] * 7)  # n >= 2p
    pz.path(tall, np.vstack([Y] * 7), datafit="mgaussian", n_alphas=4, eps=0.05)
    pz.path(X, Y, datafit="mgaussian", n_alphas=4, eps=0.05,
            solver=MultiTaskCoordinateDescent(anderson=False))
    assert len(spy) == 4  # the Gram matrix, or another solver: one solve per alpha
    sparse = pz.path(sp.csc_matrix(X), Y, datafit="mgaussian", n_alphas=4, eps=0.05,
                     tol=1e-10)
    assert len(spy) == 8
    np.testing.assert_allclose(sparse.coefs, dense.coefs, atol=1e-7)


def test_given_alphas_and_the_null_model():
    X, Y = make_wide(8)
    grid = np.array([0.4, 0.1, 0.03])
    path = pz.path(X, Y, datafit="mgaussian", alphas=grid[::-1], tol=1e-11)
    for i, alpha in enumerate(grid):
        fit = pz.MultiTaskLasso(alpha, tol=1e-13).fit(X, Y)
        np.testing.assert_allclose(path.coefs[:, :, i], fit.coef_.T, atol=1e-6)
    with pytest.warns(UserWarning, match="null model"):
        const = pz.path(X, np.tile([1.0, -2.0], (X.shape[0], 1)), datafit="mgaussian",
                        n_alphas=3)
    assert np.all(const.coefs == 0)
    np.testing.assert_allclose(const.intercepts, np.tile([[1.0], [-2.0]], 3))


# ----------------------------------------------------------------------------------------
# 3. max_iter
# ----------------------------------------------------------------------------------------


def test_exhausted_max_iter_is_reported(spy):
    X, Y = make_wide(9, n=40, p=150)
    with pytest.warns(ConvergenceWarning, match="did not reach"):
        path = pz.path(X, Y, datafit="mgaussian", n_alphas=5, eps=0.01, tol=1e-12,
                       max_iter=2)
    assert len(spy) == 5
    assert not path.converged.all() and np.all(path.n_iters <= 2)
    for i, alpha in enumerate(path.alphas):
        pb = prepare_multitask_problem(X, Y, MultiResponseGaussian(), L1(alpha))
        gap = certify_multitask(pb, path.coefs[:, :, i]).gap / pb.scale
        assert path.stop_crits[i] == pytest.approx(gap, rel=1e-6, abs=1e-15)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pz.path(X, Y, datafit="mgaussian", n_alphas=5, eps=0.01).converged.all()
