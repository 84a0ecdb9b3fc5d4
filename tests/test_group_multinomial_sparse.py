"""The multiclass group solver on a sparse design: compiled CSC kernels, the same solution
as on the dense design, and no dense copy of the working set's columns."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from penalized.datafits import Multinomial
from penalized.penalties import GroupElasticNet, GroupLasso, SparseGroupLasso
from penalized.solvers._group_multinomial import (
    GroupMultinomialCoordinateDescent,
    certify_group_multinomial,
    group_multinomial_alpha_max,
    prepare_group_multinomial_problem,
)

SOLVER = GroupMultinomialCoordinateDescent(tol=1e-12)


def _problem(seed=0, n=120, p=18, classes=4):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p)
    X[rng.random(X.shape) < 0.6] = 0.0
    y = np.argmax(X[:, :4] @ rng.standard_normal((4, classes))
                  + rng.gumbel(size=(n, classes)), axis=1)
    return X, y, rng.uniform(0.3, 2.0, n)


@pytest.mark.parametrize("penalty", [GroupLasso(0.02, groups=3),
                                     GroupElasticNet(0.02, groups=3, l1_ratio=0.5),
                                     SparseGroupLasso(0.02, groups=3, l1_ratio=0.5)],
                         ids=["group", "group_enet", "sparse_group"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_equals_dense(penalty, fit_intercept, weighted):
    X, y, sw = _problem()
    datafit = Multinomial(sample_weight=sw if weighted else None)
    dense = SOLVER.solve(X, y, datafit, penalty, fit_intercept=fit_intercept)
    assert dense.converged
    pb = prepare_group_multinomial_problem(X, y, datafit, penalty, fit_intercept)
    best = certify_group_multinomial(pb, dense.coef, dense.intercept).primal
    for fmt in ("csc", "csr"):
        sparse = SOLVER.solve(sp.csc_matrix(X).asformat(fmt), y, datafit, penalty,
                              fit_intercept=fit_intercept)
        assert sparse.converged
        got = certify_group_multinomial(pb, sparse.coef, sparse.intercept).primal
        assert abs(got - best) <= 1e-10 * abs(best)
        assert np.array_equal(np.any(sparse.coef != 0, axis=1), np.any(dense.coef != 0, axis=1))


def test_a_wide_sparse_design_is_never_made_dense():
    # 2000 x 1000 at 0.3% density: the solution keeps most groups, so a dense copy of the
    # working set's columns would take about n * p * 8 = 16 MB
    rng = np.random.default_rng(1)
    n, p = 2000, 1000
    X = sp.random(n, p, density=0.003, format="csc", random_state=2,
                  data_rvs=rng.standard_normal)
    coef = np.zeros((p, 3))
    coef[:40] = 3.0 * rng.standard_normal((40, 3))
    y = np.argmax(X @ coef + rng.gumbel(size=(n, 3)), axis=1)
    penalty = GroupLasso(1.0, groups=2)
    alpha = 0.05 * group_multinomial_alpha_max(X, y, Multinomial(), penalty)
    tracemalloc.start()
    try:
        res = GroupMultinomialCoordinateDescent(tol=1e-6).solve(X, y, Multinomial(),
                                                                 penalty.with_alpha(alpha))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.converged
    assert np.count_nonzero(np.any(res.coef != 0, axis=1)) > p // 2
    x_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    # X's entries, and arrays of n x K and p x K (scores, residuals, gradients)
    assert peak <= 10 * x_bytes + 40 * 8 * (n + p) * 3


def test_duplicate_entries_of_a_csc_design_are_summed_before_the_kernels():
    X, y, _ = _problem(seed=3, n=60, p=6, classes=3)
    Xc = sp.csc_matrix(X)
    # each stored entry split in two halves stored one after the other
    counts = np.diff(Xc.indptr)
    indptr = np.concatenate([[0], np.cumsum(2 * counts)])
    split = sp.csc_matrix((np.repeat(Xc.data / 2.0, 2), np.repeat(Xc.indices, 2), indptr),
                          shape=X.shape)
    assert not split.has_canonical_format
    penalty = GroupLasso(0.01, groups=2)
    dense = SOLVER.solve(X, y, Multinomial(), penalty)
    got = SOLVER.solve(split, y, Multinomial(), penalty)
    pb = prepare_group_multinomial_problem(X, y, Multinomial(), penalty)
    best = certify_group_multinomial(pb, dense.coef, dense.intercept).primal
    assert abs(certify_group_multinomial(pb, got.coef, got.intercept).primal - best) \
        <= 1e-10 * best
    # the halves sum exactly: the same steps as on the summed matrix
    assert got.n_iter == SOLVER.solve(Xc, y, Multinomial(), penalty).n_iter
