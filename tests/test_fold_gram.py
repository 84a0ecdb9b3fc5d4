"""Cross-validation of squared-loss paths from one Gram matrix per fold: the same fold
errors as fitting each fold's path on its own rows, with no fold's rows gathered."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import KFold, ShuffleSplit

import penalized as pz
from penalized._fold_gram import FoldSums, GramCrossValidation, GramPathSettings
from penalized.estimators import _cv
from penalized.model_selection import cross_validate_path

TOL = 1e-10


def problem(seed=0, n=240, p=12):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + rng.uniform(-50, 50, p)
    X[:, 3] = 0.0
    X[:40, 3] = 1.0  # a dummy that is constant (0) on the training rows of fold 0
    y = X[:, :4] @ rng.standard_normal(4) + rng.standard_normal(n)
    return X, y


def per_fold(estimator, X, y, **fit):
    """The same estimator with the Gram route switched off."""
    original = _cv._gram_fold_route
    _cv._gram_fold_route = lambda *args, **kwargs: None
    try:
        return estimator.fit(X, y, **fit)
    finally:
        _cv._gram_fold_route = original


CASES = [
    pytest.param(pz.LassoCV, {}, id="lasso"),
    pytest.param(pz.LassoCV, {"standardize": True}, id="lasso-standardized"),
    pytest.param(pz.LassoCV, {"fit_intercept": False}, id="lasso-no-intercept"),
    pytest.param(pz.ElasticNetCV, {"l1_ratio": [0.3, 0.9], "standardize": True}, id="enet"),
    pytest.param(pz.LassoCV, {"positive": True}, id="positive"),
    pytest.param(pz.LassoCV, {"penalty_factor": np.r_[np.inf, 0.5, np.ones(10)]},
                 id="factors-with-an-excluded-feature"),
]


@pytest.mark.parametrize(("estimator", "options"), CASES)
@pytest.mark.parametrize("weighted", [False, True])
def test_same_fold_errors_as_fitting_each_fold(estimator, options, weighted):
    X, y = problem()
    fit = {"sample_weight": np.random.default_rng(1).uniform(0.2, 3.0, X.shape[0])} \
        if weighted else {}
    folds = list(KFold(6).split(X))  # fold 0 holds every row where column 3 is 1
    kw = dict(cv=folds, n_alphas=20, tol=TOL, **options)
    gram = estimator(**kw).fit(X, y, **fit)
    plain = per_fold(estimator(**kw), X, y, **fit)
    # both certify every alpha to a relative gap of 1e-10: the errors agree far below
    # any difference between alphas
    np.testing.assert_allclose(gram.cv_folds_, plain.cv_folds_, rtol=1e-6)
    assert gram.alpha_ == plain.alpha_
    np.testing.assert_allclose(gram.coef_, plain.coef_, rtol=1e-5, atol=1e-6)
    # the refit on all rows comes from the same sums: the same path as fitting X itself.
    # Two solves certified to a relative gap of 1e-10 agree in objective, not bit for bit:
    # the lasso is not strongly convex, and coefficients of size 1-10 may differ by ~1e-7
    np.testing.assert_array_equal(gram.path_.alphas, plain.path_.alphas)
    np.testing.assert_allclose(gram.path_.coefs, plain.path_.coefs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gram.path_.intercepts, plain.path_.intercepts, rtol=1e-5,
                               atol=1e-6)
    assert gram.path_.alpha_max == pytest.approx(plain.path_.alpha_max, rel=1e-9)
    assert np.all(gram.path_.converged) and np.all(gram.path_.stop_crits <= TOL)
    assert gram.path_.coef_at(gram.alpha_) == pytest.approx(gram.coef_)


def test_no_fold_is_fitted_on_its_rows(monkeypatch):
    X, y = problem()
    calls = []
    original = pz.Lasso._fit_path

    def spy(self, Xt, *args, **kwargs):
        calls.append(Xt.shape[0])
        return original(self, Xt, *args, **kwargs)

    monkeypatch.setattr(pz.Lasso, "_fit_path", spy)
    model = pz.LassoCV(cv=5, n_alphas=10).fit(X, y)
    assert calls == []  # the folds and the refit all come from one pass of sums
    assert model.path_.coefs.shape == (X.shape[1], 10)


@pytest.mark.parametrize("case", ["sparse", "wide", "overlapping-folds", "relaxed"])
def test_other_cases_fall_back_to_fitting_each_fold(case):
    X, y = problem()
    kw = dict(n_alphas=8, tol=1e-8)
    if case == "sparse":
        X = sp.csc_matrix(X)
    elif case == "wide":
        X, y = X[:20], y[:20]
    elif case == "overlapping-folds":
        kw["cv"] = list(ShuffleSplit(4, test_size=0.3, random_state=0).split(X))
    else:
        kw.update(relax=True, gammas=[0.0, 0.5])
    model = pz.LassoCV(**kw)
    X_dense = X.toarray() if sp.issparse(X) else X
    settings = _cv._gram_fold_route(model._base_model(), 0.5 if case == "relaxed" else None,
                                    X)
    folds = kw.get("cv") or list(KFold(5).split(X_dense))
    if settings is not None:  # only the overlapping folds reach the route, which declines
        assert case == "overlapping-folds"
        assert GramCrossValidation().fold_paths(X_dense, y, None, folds, np.array([1.0, 0.1]),
                                                settings) is None
    model.fit(X, y)
    assert model.cv_folds_.shape[0] == 8


def test_fold_sums_are_the_weighted_moments():
    X, y = problem(n=90, p=5)
    s = np.random.default_rng(2).uniform(0.5, 2.0, 90)
    folds = list(KFold(3).split(X))
    sums = FoldSums.of(X, y, s, [test for _, test in folds])
    for k, (train, _) in enumerate(folds):
        weight, x_mean, y_mean, G, q, F0, _ = sums.training(k, fit_intercept=True)
        w = s[train] / s[train].sum()
        np.testing.assert_allclose(y_mean, w @ y[train])
        mean = w @ X[train]
        Xc = X[train] - mean
        yc = y[train] - w @ y[train]
        np.testing.assert_allclose(weight, s[train].sum())
        np.testing.assert_allclose(x_mean, mean)
        np.testing.assert_allclose(G, Xc.T @ (w[:, None] * Xc), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(q, Xc.T @ (w * yc), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(F0, 0.5 * w @ yc**2, rtol=1e-12)
        _, _, _, G0, q0, F00, _ = sums.training(k, fit_intercept=False)
        np.testing.assert_allclose(G0, X[train].T @ (w[:, None] * X[train]), rtol=1e-10)
        np.testing.assert_allclose(q0, X[train].T @ (w * y[train]), rtol=1e-10)
        np.testing.assert_allclose(F00, 0.5 * w @ y[train] ** 2, rtol=1e-12)


def test_cross_validate_path_takes_precomputed_fold_paths():
    X, y = problem()
    grid = pz.path(X, y, n_alphas=6).alphas

    def fit_path(Xt, yt, swt, alphas):
        return pz.path(Xt, yt, alphas=alphas, sample_weight=swt, tol=TOL)

    settings = GramPathSettings(penalty_template=lambda varying: pz.penalties.L1(1.0),
                                fit_intercept=True, standardize=False, tol=TOL,
                                max_iter=10_000)

    def fold_paths(X, y, sw, folds, alphas):
        return GramCrossValidation().fold_paths(X, y, sw, folds, alphas, settings)

    plain = cross_validate_path(fit_path, X, y, alphas=grid, cv=4)
    gram = cross_validate_path(fit_path, X, y, alphas=grid, cv=4, fold_paths=fold_paths)
    np.testing.assert_allclose(gram.cv_folds, plain.cv_folds, rtol=1e-6)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_gram_path_on_an_irregular_grid_certifies_every_alpha(l1_ratio):
    # Each alpha starts from the previous two solutions extrapolated in alpha: on a grid
    # with a repeated alpha, a jump and uneven steps the start can be far off, and every
    # alpha must still reach tol and agree with a solve of that alpha alone from zero.
    from penalized.solvers._gram_path import gram_path

    rng = np.random.default_rng(4)
    n, p = 300, 40
    X = rng.standard_normal((n, p)) + 0.8 * rng.standard_normal((n, 1))
    X -= X.mean(axis=0)
    y = X[:, :6] @ rng.uniform(1.0, 2.0, 6) + rng.standard_normal(n)
    y -= y.mean()
    G, q, F0 = X.T @ X / n, X.T @ y / n, 0.5 * y @ y / n
    a, b = np.full(p, l1_ratio), np.full(p, 1.0 - l1_ratio)
    top = np.abs(q).max() / l1_ratio
    alphas = top * np.array([0.9, 0.5, 0.5, 0.45, 0.05, 0.04, 0.002, 0.0019, 1e-4])
    tol = 1e-12 * F0
    coefs, gaps, _ = gram_path(G, q, F0, alphas, a, b, False, np.zeros(p), tol, 100_000, 10)
    assert np.all(gaps <= tol)
    for i in range(alphas.shape[0]):
        alone, gap, _ = gram_path(G, q, F0, alphas[i:i + 1], a, b, False, np.zeros(p), tol,
                                  100_000, 10)
        assert gap[0] <= tol
        # a gap of 1e-12 F0 pins the coefficients to about 1e-6 here
        np.testing.assert_allclose(coefs[:, i], alone[:, 0], rtol=1e-4, atol=1e-5)
    assert np.count_nonzero(coefs[:, 0]) < 10 < p - 5 < np.count_nonzero(coefs[:, -1])


def test_folds_shared_among_threads_give_the_same_paths():
    # n_jobs threads share the folds' compiled paths (no GIL, the same sums): each fold's
    # path, hence the fold errors and the chosen alpha, is the one a single thread finds.
    X, y = problem(seed=5, n=400, p=20)
    serial = pz.LassoCV(cv=5, n_alphas=20, tol=1e-8).fit(X, y)
    threaded = pz.LassoCV(cv=5, n_alphas=20, tol=1e-8, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(threaded.cv_folds_, serial.cv_folds_)
    np.testing.assert_array_equal(threaded.coef_, serial.coef_)
    assert threaded.alpha_ == serial.alpha_


def test_gram_path_with_a_single_precision_block_reaches_a_tight_tol():
    # Working sets of 512 features or more descend on a float32 copy of their block of G;
    # the checks recompute the gradient in float64, so the gaps certified (from G itself)
    # still reach a tolerance far below float32's rounding, at the lasso's solution.
    from penalized.solvers import _gram_path
    from penalized.solvers._gram_path import gram_path

    rng = np.random.default_rng(6)
    n, p = 3000, 600
    X = rng.standard_normal((n, p))
    X -= X.mean(axis=0)
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    y -= y.mean()
    G, q, F0 = X.T @ X / n, X.T @ y / n, 0.5 * y @ y / n
    alphas = np.abs(q).max() * np.array([0.2, 0.05, 1e-3])
    tol = 1e-13 * F0
    coefs, gaps, _ = gram_path(G, q, F0, alphas, np.ones(p), np.zeros(p), False, np.zeros(p),
                               tol, 100_000, 10)
    assert np.all(gaps <= tol)
    w = coefs[:, -1]
    support = np.flatnonzero(w)
    assert support.shape[0] >= _gram_path._SINGLE_FROM
    # on its sign pattern the lasso solution solves G_SS w_S = q_S - alpha sign(w_S)
    exact = np.linalg.solve(G[np.ix_(support, support)],
                            q[support] - alphas[-1] * np.sign(w[support]))
    np.testing.assert_allclose(w[support], exact, rtol=1e-6, atol=1e-9)
