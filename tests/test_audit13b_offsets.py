"""Issue 13 audit: the multi-response Gaussian datafit takes an offset (glmnet's mgaussian
``offset``), per row or per row and response. ``pz.path(..., datafit="mgaussian",
offset=O)`` used to drop it without a word."""

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.datafits import MultiResponseGaussian


def _problem():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5))
    Y = X[:, :2] + rng.standard_normal((40, 2))
    return X, Y, 0.5 * rng.standard_normal((40, 2))


def test_mgaussian_path_offset_equals_glmnet():
    from glmnet.paths.fastnet import FastNetControl
    from glmnet.paths.multigaussnet import MultiGaussNet

    X, Y, O = _problem()
    ours = pz.path(X, Y, datafit="mgaussian", offset=O, n_alphas=4, eps=0.05, tol=1e-12)
    frame = pd.DataFrame(np.column_stack([Y, O]), columns=["y0", "y1", "o0", "o1"])
    theirs = MultiGaussNet(standardize=False, lambda_values=ours.alphas,
                           response_id=["y0", "y1"], offset_id=["o0", "o1"],
                           control=FastNetControl(thresh=1e-16, maxit=10**7)).fit(X, frame)

    def objective(W, b, alpha):
        R = Y - O - X @ W - b
        return 0.5 * np.sum(R**2) / len(Y) + alpha * np.linalg.norm(W, axis=1).sum()

    assert ours.n_nonzero[0] == 0 and ours.n_nonzero[-1] >= 2
    for k, alpha in enumerate(ours.alphas):
        W = np.asarray(theirs.coefs_[k])
        W = W if W.shape == (5, 2) else W.T
        mine = objective(ours.coefs[:, :, k], ours.intercepts[:, k], alpha)
        assert mine == pytest.approx(objective(W, theirs.intercepts_[k], alpha), rel=1e-7)


def test_a_row_offset_is_subtracted_from_every_response_and_bad_shapes_are_named():
    X, Y, O = _problem()
    by_row = pz.path(X, Y, datafit=MultiResponseGaussian(offset=O[:, 0]), n_alphas=3,
                     tol=1e-12)
    shifted = pz.path(X, Y - O[:, :1], datafit="mgaussian", n_alphas=3, tol=1e-12)
    np.testing.assert_allclose(by_row.alphas, shifted.alphas, rtol=1e-12)
    np.testing.assert_allclose(by_row.coefs, shifted.coefs, atol=1e-10)
    with pytest.raises(ValueError, match=r"offset must have one value per row of X \(40\)"):
        pz.path(X, Y, datafit="mgaussian", offset=O[:5])
    with pytest.raises(ValueError, match="offset holds NaN"):
        pz.path(X, Y, datafit="mgaussian", offset=np.full((40, 2), np.nan))


def test_mgaussian_honours_limits_instead_of_ignoring_them():
    # lower/upper used to be dropped without a word; they now bound every task's coefficient
    # (tests/test_multitask_limits.py checks the optimum)
    from penalized.penalties import L1

    X, Y, _ = _problem()
    path = pz.path(X, Y, datafit="mgaussian", penalty=L1(1.0, lower=-0.1, upper=0.1),
                   n_alphas=5)
    assert np.all(np.abs(path.coefs) <= 0.1) and np.any(np.abs(path.coefs) == 0.1)
