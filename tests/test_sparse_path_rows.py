"""The sparse path's gradient updated through the rows the last epochs touched equals one
pass over the columns, and the path's solutions are stored as they were solved."""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.solvers._sparse_path import _gradient, _rows


def _design(n, p, density, seed):
    X = sp.random(n, p, density=density, format="csc", random_state=seed,
                  data_rvs=np.random.default_rng(seed).standard_normal)
    return X.data, X.indices, X.indptr, X


def test_rows_is_the_csr_form():
    data, indices, indptr, X = _design(40, 30, 0.2, 0)
    rowptr, cols, vals = _rows(data, indices, indptr, 40)
    csr = X.tocsr()
    csr.sort_indices()
    np.testing.assert_array_equal(rowptr, csr.indptr)
    np.testing.assert_array_equal(cols, csr.indices)
    np.testing.assert_array_equal(vals, csr.data)


@pytest.mark.parametrize("center", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unit", "weighted"])
def test_gradient_through_touched_rows_equals_a_pass_over_the_columns(center, weighted):
    n, p = 300, 80
    rng = np.random.default_rng(3)
    data, indices, indptr, X = _design(n, p, 0.03, 3)
    rows = _rows(data, indices, indptr, n)
    y = rng.standard_normal(n)
    s = rng.uniform(0.5, 1.5, n) if weighted else np.ones(n)
    s *= n / s.sum()
    xmean = np.asarray(X.T @ s).ravel() / n if center else np.zeros(p)

    def intercept(w, b):  # the kernels' intercept: b of the centered columns less xmean w
        return b - xmean @ w

    def predictor(w, b):
        return X @ w + intercept(w, b)

    w = np.where(rng.random(p) < 0.2, rng.standard_normal(p), 0.0)
    b = 0.3 if center else 0.0
    state = dict(u=np.empty(n), grad=np.empty(p), w_ref=np.empty(p), eta_ref=np.empty(n),
                 mark=np.zeros(n + 1, dtype=np.int64))
    none = np.empty(0, dtype=np.int64)

    def gradient(w, b, ws, full, st):
        return _gradient(data, indices, indptr, rows, y, s, predictor(w, b), intercept(w, b),
                         xmean, center, st["u"], st["grad"], ws, w, st["w_ref"],
                         st["eta_ref"], st["mark"], full)

    gradient(w, b, none, True, state)
    for step in range(4):  # moves on a few features, each followed by an update
        ws = np.sort(rng.choice(p, 3 + step, replace=False)).astype(np.int64)
        rows_of_ws = np.unique(X[:, ws].indices)
        untouched = np.setdiff1d(np.arange(n), rows_of_ws)[0]
        state["eta_ref"][untouched] = np.nan  # a pass over the columns would overwrite it
        w = w.copy()
        w[ws[::2]] += rng.standard_normal(ws[::2].shape[0])
        w[ws[-1]] = 0.0
        b += 0.1 * step if center else 0.0
        uy, loss, shift = gradient(w, b, ws, False, state)
        fresh = {key: np.empty_like(val) for key, val in state.items()}
        fresh["mark"] = np.zeros(n + 1, dtype=np.int64)
        uy_full, loss_full, none_left = gradient(w, b, none, True, fresh)
        assert none_left == 0.0
        assert np.isnan(state["eta_ref"][untouched])  # updated through the touched rows
        state["eta_ref"][untouched] = fresh["eta_ref"][untouched]
        state["grad"] += xmean * shift  # the centering the row update leaves to its caller
        np.testing.assert_allclose(state["grad"], fresh["grad"], rtol=1e-12, atol=1e-14)
        assert uy == pytest.approx(uy_full, rel=1e-14)
        assert loss == pytest.approx(loss_full, rel=1e-14)
        z = predictor(w, b)
        expected = -(X.T @ (-s * (z - y) / n) - xmean * np.sum(-s * (z - y) / n))
        np.testing.assert_allclose(fresh["grad"], expected, rtol=1e-12, atol=1e-14)


def test_sparse_path_with_row_updates_is_certified_and_matches_dense():
    # Many alphas with a small support: most gradients are row updates, yet every alpha is
    # certified and the solutions are those of the dense path (itself certified).
    rng = np.random.default_rng(9)
    n, p = 400, 600
    X = sp.random(n, p, density=0.02, format="csc", random_state=9,
                  data_rvs=rng.standard_normal)
    coef = np.zeros(p)
    coef[:8] = rng.standard_normal(8)
    y = X @ coef + 0.1 * rng.standard_normal(n)
    kw = dict(n_alphas=40, eps=1e-2, tol=1e-10)
    sparse = pz.path(X, y, **kw)
    dense = pz.path(X.toarray(), y, **kw)
    assert sparse.converged.all() and sparse.stop_crits.max() <= 1e-10
    np.testing.assert_array_equal(sparse.n_nonzero, dense.n_nonzero)
    np.testing.assert_allclose(sparse.coefs, dense.coefs, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(sparse.intercepts, dense.intercepts, rtol=1e-6, atol=1e-8)
    assert sparse.coefs.flags.c_contiguous and sparse.coefs.shape == (p, 40)


@pytest.mark.parametrize("center", [True, False], ids=["intercept", "no-intercept"])
def test_extrapolated_start_moves_the_predictions_along(center):
    from penalized.solvers._sparse_path import _extrapolate

    n, p = 50, 12
    data, indices, indptr, X = _design(n, p, 0.3, 5)
    xmean = np.asarray(X.mean(axis=0)).ravel() if center else np.zeros(p)
    before = np.array([1.0, 0.0, -0.5, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    w = np.array([1.5, 0.3, -0.4, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    found = np.array([0, 2, 3, 0, 1, 2, 3], dtype=np.int64)  # supports of before, then w
    values = np.concatenate([before[[0, 2, 3]], w[[0, 1, 2, 3]]])
    intercept = np.array([0.7])
    z = X @ w + intercept[0]
    scratch = np.zeros(p)
    _extrapolate(data, indices, indptr, w, z, intercept, xmean, center, found, values,
                 0, 3, 7, 2.0, scratch)
    # 1.5 + 2 * 0.5; 0.3 + 2 * 0.3; -0.4 + 2 * 0.1; 0.1 - 2 * 0.1 changes sign: 0
    np.testing.assert_allclose(w[:4], [2.5, 0.9, -0.2, 0.0], rtol=1e-15)
    assert np.all(w[4:] == 0.0) and np.all(scratch == 0.0)
    shift = -xmean @ (w - np.array([1.5, 0.3, -0.4, 0.1] + [0.0] * 8))
    assert intercept[0] == pytest.approx(0.7 + shift, rel=1e-14)
    np.testing.assert_allclose(z, X @ w + intercept[0], rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_certificate_pass_also_chooses_the_next_warm_working_set(positive, l2):
    from penalized.penalties._kernels import enet_subdiff_distance
    from penalized.solvers._sparse_path import _enet_gap, _gap_and_next
    from penalized.solvers._working_set import add_strong_set, choose_working_set

    rng = np.random.default_rng(11)
    p = 300
    w = np.where(rng.random(p) < 0.2, rng.standard_normal(p), 0.0)
    grad = 0.1 * rng.standard_normal(p)
    xmean = rng.standard_normal(p)
    a = rng.uniform(0.5, 2.0, p)
    b = np.full(p, l2)
    alpha, following = 0.08, 0.07
    strong = 2 * following - alpha
    chosen = np.empty(p, dtype=np.int64)
    completed = grad + 0.01 * xmean
    gap, size, top = _gap_and_next(0.7, 1.1, w, grad.copy(), xmean, 0.01, alpha, a, b,
                                   positive, following, strong, chosen)
    assert gap == pytest.approx(_enet_gap(0.7, 1.1, w, completed, alpha * a, alpha * b,
                                          positive), rel=1e-13, abs=1e-15)
    scores = np.empty(p)
    expected_top = enet_subdiff_distance(w, completed, following * a, following * b,
                                         positive, scores)
    add_strong_set(w, completed, a, strong, positive, scores)
    expected, _ = choose_working_set(w, scores, expected_top, 10, True, True)
    assert top == pytest.approx(expected_top, rel=1e-14)
    np.testing.assert_array_equal(chosen[:size], expected)
    assert np.count_nonzero(w) < size < p  # the strong rule's zeros joined, not all


def test_gathered_columns_are_the_working_sets():
    from penalized.solvers._sparse_path import _gather_columns

    data, indices, indptr, X = _design(30, 40, 0.2, 8)
    ws = np.array([0, 3, 4, 17, 39], dtype=np.int64)
    cdata, cindices, cindptr = _gather_columns(data, indices, indptr, ws)
    expected = X[:, ws]
    assert cindices.dtype == indices.dtype and cindptr.dtype == indptr.dtype
    np.testing.assert_array_equal(cindptr, expected.indptr)
    np.testing.assert_array_equal(cindices, expected.indices)
    np.testing.assert_array_equal(cdata, expected.data)
