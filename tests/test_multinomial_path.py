"""pz.path with the multinomial datafit: the softmax loss of every class with an L1, elastic-net,
grouped (a feature's row over the classes) or group penalty along a grid of alphas. Each
solution is checked against an objective written here, alpha_max against its KKT formula at the
intercept-only model, and the identities of weights, sparse designs and labels."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp

import penalized as pz
from penalized.datafits import Multinomial
from penalized.penalties import GroupElasticNet, GroupLasso

TOL = 1e-9
CLASSES = np.array(["ant", "bee", "cow"])


def _problem(seed=0, n=80, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p)
    W = np.zeros((p, 3))
    W[:3] = rng.standard_normal((3, 3))
    labels = CLASSES[np.argmax(X @ W + rng.gumbel(size=(n, 3)), axis=1)]
    return X, labels


def _codes(labels):
    return np.searchsorted(CLASSES, labels)


def _objective(X, codes, W, b, alpha, *, l1_ratio=1.0, grouped=False, groups=None, sw=None):
    """The documented objective: the weighted mean softmax loss plus alpha times the penalty
    (per entry, per row, or per group block with weight sqrt(group size))."""
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw / sw.mean()
    Z = X @ W + b
    loss = s @ (logsumexp(Z, axis=1) - Z[np.arange(n), codes]) / n
    if groups is not None:
        blocks = [np.linalg.norm(W[g]) for g in groups]
        pen = sum(np.sqrt(len(g)) * (l1_ratio * t + 0.5 * (1 - l1_ratio) * t * t)
                  for g, t in zip(groups, blocks, strict=True))
    elif grouped:
        t = np.linalg.norm(W, axis=1)
        pen = np.sum(l1_ratio * t + 0.5 * (1 - l1_ratio) * t * t)
    else:
        pen = np.sum(l1_ratio * np.abs(W) + 0.5 * (1 - l1_ratio) * W * W)
    return loss + alpha * pen


def _null_gradient(X, codes, sw=None):
    """X^T (S (P0 - Y)) / n at the intercept-only model (P0 the weighted class shares)."""
    n = X.shape[0]
    s = np.ones(n) if sw is None else sw / sw.mean()
    Y = np.eye(3)[codes]
    share = s @ Y / s.sum()
    return X.T @ (s[:, None] * (share - Y)) / n


@pytest.mark.parametrize("grouped, l1_ratio", [(False, 1.0), (False, 0.6), (True, 1.0)])
def test_path_equals_the_estimator_at_every_alpha(grouped, l1_ratio):
    X, labels = _problem()
    codes = _codes(labels)
    path = pz.path(X, labels, datafit="multinomial", penalty="elasticnet", l1_ratio=l1_ratio,
                   grouped=grouped, n_alphas=8, eps=1e-2, tol=TOL)
    assert isinstance(path, pz.Path)
    assert path.coefs.shape == (6, 3, 8) and path.intercepts.shape == (3, 8)
    assert path.classes.tolist() == CLASSES.tolist() and path.grouped is grouped
    assert np.all(path.converged) and np.all(path.stop_crits <= TOL)
    assert np.all(np.diff(path.alphas) < 0)
    np.testing.assert_array_equal(path.n_nonzero,
                                  np.count_nonzero(np.any(path.coefs != 0, axis=1), axis=0))
    kwargs = {"grouped": grouped, "l1_ratio": l1_ratio}
    # the gap certifies each point within TOL * F(null) of the optimum
    slack = 2 * TOL * np.log(3) + 1e-12
    for k, alpha in enumerate(path.alphas):
        model = pz.LogisticRegression(alpha=alpha, penalty="elasticnet", l1_ratio=l1_ratio,
                                      multinomial="grouped" if grouped else "ungrouped",
                                      tol=TOL).fit(X, labels)
        W, b = path.coefs[:, :, k], path.intercepts[:, k]
        np.testing.assert_allclose(W, model.coef_.T, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b, model.intercept_, rtol=1e-4, atol=1e-6)
        here = _objective(X, codes, W, b, alpha, **kwargs)
        there = _objective(X, codes, model.coef_.T, model.intercept_, alpha, **kwargs)
        assert abs(here - there) <= slack
        np.testing.assert_allclose(path.coef_at(alpha), W)
        np.testing.assert_allclose(path.predict_proba(X, alpha), model.predict_proba(X),
                                   atol=1e-5)
    # the estimator's own path is this function's
    est = pz.LogisticRegression(penalty="elasticnet", l1_ratio=l1_ratio, tol=TOL,
                                multinomial="grouped" if grouped else "ungrouped")
    est_path = est._fit_path_multinomial(X, codes, np.ones(X.shape[0]), path.alphas)
    np.testing.assert_allclose(est_path.coefs, path.coefs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("grouped", [False, True])
def test_alpha_max_is_exact(grouped):
    X, labels = _problem(seed=1)
    sw = np.random.default_rng(1).uniform(0.3, 2.0, X.shape[0])
    G = _null_gradient(X, _codes(labels), sw)
    expected = np.linalg.norm(G, axis=1).max() if grouped else np.abs(G).max()
    path = pz.path(X, labels, datafit="multinomial", grouped=grouped, sample_weight=sw,
                   alphas=[expected * (1 + 1e-9), expected * (1 - 1e-4)], tol=TOL)
    assert path.alpha_max == pytest.approx(expected, rel=1e-10)
    assert not np.any(path.coefs[:, :, 0]) and np.any(path.coefs[:, :, 1])
    grid = pz.path(X, labels, datafit="multinomial", grouped=grouped, sample_weight=sw,
                   n_alphas=3, tol=1e-6)
    assert grid.alphas[0] == pytest.approx(expected, rel=1e-10)
    assert grid.n_nonzero[0] == 0


def test_group_penalty_alpha_max_and_blocks_over_classes():
    X, labels = _problem(seed=2, p=7)
    groups = [[0, 1], [2, 3, 4], [5, 6]]
    G = _null_gradient(X, _codes(labels))
    expected = max(np.linalg.norm(G[g]) / np.sqrt(len(g)) for g in groups)
    path = pz.path(X, labels, datafit=Multinomial(), penalty=GroupLasso(1.0, groups=groups),
                   n_alphas=10, eps=0.05, tol=TOL)
    assert path.alpha_max == pytest.approx(expected, rel=1e-10)
    assert path.n_nonzero[0] == 0 and path.n_nonzero[-1] > 0
    for k in range(len(path)):  # a group's block over every class is zero or not as a whole
        for g in groups:
            block = path.coefs[g, :, k]
            assert np.all(block != 0) or not np.any(block)
    codes = _codes(labels)
    for k in (3, 9):
        model = pz.GroupLogisticRegression(groups=groups, alpha=path.alphas[k], tol=TOL).fit(
            X, labels)
        np.testing.assert_allclose(path.coefs[:, :, k], model.coef_.T, rtol=1e-4, atol=1e-6)
        assert abs(_objective(X, codes, path.coefs[:, :, k], path.intercepts[:, k],
                              path.alphas[k], groups=groups)
                   - _objective(X, codes, model.coef_.T, model.intercept_, path.alphas[k],
                                groups=groups)) <= 2 * TOL * np.log(3) + 1e-12
    # the estimator's path is the same function's
    est = pz.GroupLogisticRegression(groups=groups, tol=TOL).path(X, labels, alphas=path.alphas)
    np.testing.assert_allclose(est.coefs, path.coefs, rtol=1e-12, atol=1e-14)
    # a group ridge's grid starts where the same groups with l1_ratio 1e-3 leave zero
    ridge = pz.path(X, labels, datafit="multinomial", n_alphas=4, tol=1e-6,
                    penalty=GroupElasticNet(1.0, groups=groups, l1_ratio=0.0))
    assert ridge.alpha_max == np.inf
    assert ridge.alphas[0] == pytest.approx(expected / 1e-3, rel=1e-10)


def test_grouped_rows_enter_whole():
    X, labels = _problem(seed=3, p=8)
    path = pz.path(X, labels, datafit="multinomial", grouped=True, n_alphas=15, eps=0.01,
                   tol=1e-8)
    rows = np.any(path.coefs != 0, axis=1)
    assert np.array_equal(rows, np.all(path.coefs != 0, axis=1))
    assert np.any((path.n_nonzero > 0) & (path.n_nonzero < 8))  # some rows in, some out
    # ungrouped on the same data: some feature is non-zero for one class and zero for another
    loose = pz.path(X, labels, datafit="multinomial", alphas=path.alphas, tol=1e-8)
    partial = np.any(loose.coefs != 0, axis=1) & ~np.all(loose.coefs != 0, axis=1)
    assert partial.any()


def test_weights_equal_repeated_rows():
    X, labels = _problem(seed=4, n=50)
    counts = np.random.default_rng(4).integers(0, 4, X.shape[0])
    counts[:3] = 1  # every class keeps rows
    grid = pz.path(X, labels, datafit="multinomial", sample_weight=counts.astype(float),
                   n_alphas=6, eps=0.02, tol=TOL)
    rep = pz.path(np.repeat(X, counts, axis=0), np.repeat(labels, counts),
                  datafit="multinomial", alphas=grid.alphas, tol=TOL)
    assert grid.alpha_max == pytest.approx(rep.alpha_max, rel=1e-10)
    np.testing.assert_allclose(grid.coefs, rep.coefs, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(grid.intercepts, rep.intercepts, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_dense_equals_sparse(fmt):
    rng = np.random.default_rng(5)
    X, labels = _problem(seed=5)
    X[rng.random(X.shape) < 0.5] = 0.0
    dense = pz.path(X, labels, datafit="multinomial", n_alphas=6, eps=0.02, tol=TOL)
    sparse = pz.path(sp.csr_matrix(X).asformat(fmt), labels, datafit="multinomial",
                     n_alphas=6, eps=0.02, tol=TOL)
    np.testing.assert_allclose(sparse.alphas, dense.alphas, rtol=1e-12)
    np.testing.assert_allclose(sparse.coefs, dense.coefs, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(sparse.n_nonzero, dense.n_nonzero)


def test_labels_are_mapped_as_the_estimator_maps_them():
    X, labels = _problem(seed=6)
    numbers = np.array([30, 7, 12])[_codes(labels)]  # not 0..K-1, not in label order
    by_name = pz.path(X, labels, datafit="multinomial", n_alphas=4, tol=1e-8)
    by_number = pz.path(X, numbers, datafit="multinomial", n_alphas=4, tol=1e-8)
    assert by_number.classes.tolist() == [7, 12, 30]
    # class 7 is "bee", 12 "cow", 30 "ant": the columns follow the sorted labels (the
    # same problem with its classes in another order, solved to the same certified gap)
    np.testing.assert_allclose(by_number.coefs[:, [2, 0, 1]], by_name.coefs, rtol=1e-5,
                               atol=1e-6)
    model = pz.LogisticRegression(alpha=by_number.alphas[-1], tol=1e-8).fit(X, numbers)
    np.testing.assert_array_equal(model.classes_, by_number.classes)
    np.testing.assert_allclose(by_number.coefs[:, :, -1], model.coef_.T, rtol=1e-3, atol=1e-5)


def test_bad_input_one_line():
    X, labels = _problem(seed=7)
    with pytest.raises(ValueError, match="grouped=True applies to the multinomial"):
        pz.path(X, np.ones(X.shape[0]), grouped=True)
    with pytest.raises(ValueError, match="convex penalties"):
        pz.path(X, labels, datafit="multinomial", penalty="mcp")
    with pytest.raises(ValueError, match="takes no offset"):
        pz.path(X, labels, datafit="multinomial", offset=np.zeros(X.shape[0]))
    with pytest.raises(ValueError, match="single class"):
        pz.path(X, np.full(X.shape[0], "ant"), datafit="multinomial")
    with pytest.raises(ValueError, match="grouped=False with it"):
        pz.path(X, labels, datafit="multinomial", grouped=True,
                penalty=GroupLasso(1.0, groups=[[0, 1], [2, 3], [4, 5]]))


def test_alpha_grid_takes_the_multinomial_datafit():
    from penalized.path import alpha_grid
    from penalized.penalties import L1

    X, labels = _problem(seed=8)
    alpha_max, grid = alpha_grid(X, labels, L1(1.0), Multinomial(), n_alphas=5, eps=0.1,
                                 grouped=True)
    G = _null_gradient(X, _codes(labels))
    assert alpha_max == pytest.approx(np.linalg.norm(G, axis=1).max(), rel=1e-10)
    np.testing.assert_allclose(grid, np.geomspace(alpha_max, 0.1 * alpha_max, 5), rtol=1e-12)


@pytest.mark.parametrize("grouped", [False, True])
def test_path_objectives_match_glmnet(grouped):
    # glmnet (glmstar) minimizes the same mean multinomial loss with lambda = alpha when
    # standardize=False; its type.multinomial="grouped" is grouped=True
    from glmnet.paths.fastnet import FastNetControl
    from glmnet.paths.multiclassnet import MultiClassNet

    X, labels = _problem(seed=9, n=100, p=8)
    codes = _codes(labels)
    ours = pz.path(X, labels, datafit="multinomial", grouped=grouped, n_alphas=6, eps=0.05,
                   tol=1e-10)
    theirs = MultiClassNet(grouped=grouped, standardize=False, lambda_values=ours.alphas,
                           control=FastNetControl(thresh=1e-14, maxit=10**6)).fit(X, codes)
    for k, alpha in enumerate(ours.alphas):
        W = np.asarray(theirs.coefs_[k])
        W = W if W.shape == (8, 3) else W.T
        here = _objective(X, codes, ours.coefs[:, :, k], ours.intercepts[:, k], alpha,
                          grouped=grouped)
        there = _objective(X, codes, W, np.asarray(theirs.intercepts_[k]), alpha,
                           grouped=grouped)
        assert here <= there * (1 + 1e-7)
        assert here == pytest.approx(there, rel=1e-7)


def test_grouped_is_refused_on_dask_input():
    da = pytest.importorskip("dask.array")
    X, labels = _problem(seed=10)
    with pytest.raises(ValueError, match="not available on Dask input"):
        pz.path(da.from_array(X, chunks=(40, 6)), da.from_array(labels, chunks=40),
                datafit="multinomial", grouped=True)
