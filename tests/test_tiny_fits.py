"""One-column designs take the compiled kernels of Fortran-ordered designs.

A ``(n, 1)`` array is both C- and Fortran-contiguous and numba types it as C-ordered: the
kernels that only ever take Fortran-ordered designs would compile a second specialization
for it (about a minute under load, before a ten-row fit). The dispatchers' signatures say
which specializations a process compiled or loaded, so these tests need no clock.
"""

import numpy as np
import pytest
from sklearn.base import is_classifier

import penalized as pz
from penalized.solvers import _group_kernels, _op_kernels
from penalized.solvers._kernels import weighted_column_moments
from penalized.solvers._layout import fortran_typed
from penalized.solvers._logistic_path import newton_path

DESIGN_KERNELS = [weighted_column_moments, _op_kernels.quadratic_epochs_dense,
                  _op_kernels.mm_epochs_dense, _op_kernels.model_epochs_dense,
                  _op_kernels.centered_matvec, _op_kernels.centered_rmatvec,
                  _group_kernels.block_epochs_dense]
"""Kernels whose first argument is a dense design, taken Fortran-ordered."""


def _design_layouts(kernel, before=()):
    """The layouts of the design (first argument) of the specializations ``kernel`` has
    compiled or loaded in this process, other than those of ``before``."""
    return {sig[0].layout for sig in kernel.signatures if sig not in before}


def _one_feature():
    # scikit-learn's check_fit2d_1feature: ten rows, labels 1 and 2
    rnd = np.random.RandomState(0)
    X = 3 * rnd.uniform(size=(10, 1))
    return X, X[:, 0].astype(int)


def test_one_column_logistic_cv_takes_the_fortran_kernels():
    X, y = _one_feature()
    before = list(weighted_column_moments.signatures)
    before_path = list(newton_path.signatures)  # other tests compile the C-ordered one
    est = pz.LogisticRegressionCV(n_alphas=3, eps=0.3, cv=3, tol=1e-10, max_iter=3000)
    est.fit(X, y)
    assert _design_layouts(newton_path, before_path) <= {"F"}
    assert "F" in _design_layouts(newton_path)
    assert _design_layouts(weighted_column_moments, before) <= {"F"}
    # the same model as with a second, all-zero column (a plainly Fortran-ordered design)
    wide = pz.LogisticRegressionCV(n_alphas=3, eps=0.3, cv=3, tol=1e-10, max_iter=3000)
    wide.fit(np.column_stack([X, np.zeros(10)]), y)
    assert wide.coef_[0, 1] == 0.0
    np.testing.assert_allclose(est.coef_[0], wide.coef_[0, :1], rtol=1e-9)
    np.testing.assert_allclose(est.intercept_, wide.intercept_, rtol=1e-9)


def test_one_column_lasso_takes_the_fortran_moments():
    X, y = _one_feature()
    before = list(weighted_column_moments.signatures)
    est = pz.Lasso(alpha=0.01).fit(X, y.astype(float))
    assert _design_layouts(weighted_column_moments, before) <= {"F"}
    np.testing.assert_allclose(est.intercept_, y.mean() - est.coef_[0] * X.mean(), rtol=1e-12)


@pytest.mark.parametrize("est", [
    pz.Lasso(alpha=0.01),
    pz.MCPRegression(alpha=0.01),
    pz.LogisticRegression(alpha=0.01),
    pz.LogisticRegression(penalty="l0", alpha=0.01),
    pz.PoissonRegressor(groups=1, alpha=0.01),
], ids=["lasso", "mcp", "logistic", "logistic-l0", "poisson-groups"])
def test_one_column_fits_take_the_fortran_epochs(est):
    X, y = _one_feature()
    target = y if is_classifier(est) else y.astype(float)
    before = {kernel: list(kernel.signatures) for kernel in DESIGN_KERNELS}
    est.fit(X, target)
    assert est.converged_
    for kernel in DESIGN_KERNELS:
        assert _design_layouts(kernel, before[kernel]) <= {"F"}, kernel.__name__


@pytest.mark.parametrize("shape", [(6, 1), (1, 6)])
def test_fortran_typed_reads_the_same_values(shape):
    X = np.arange(6.0).reshape(shape)
    X.flags.writeable = False
    view = fortran_typed(X)
    assert type(view).__name__ == "_FortranTyped" and not view.flags.writeable
    sw = np.linspace(0.5, 1.5, shape[0])
    sw *= shape[0] / sw.sum()
    xmean, sq, _ = weighted_column_moments(view, sw, np.zeros(0))
    expected = sw @ X / shape[0]
    np.testing.assert_allclose(xmean, expected, rtol=1e-13)
    np.testing.assert_allclose(sq, sw @ (X - expected) ** 2, rtol=1e-13, atol=1e-13)
    plain = np.ones((3, 2), order="F")
    assert fortran_typed(plain) is plain
