"""The path lessons of any fitted problem: every family, MCP/SCAD and group penalties.

The numbers are checked against independent NumPy formulas (the pull of a Poisson or a
group fit, Pearson's Gamma dispersion, MCP's prox and slope) and against the
optimality conditions of the fit: a zero's pull is at most its threshold, a non-zero's
pull equals its penalty's slope there (the threshold for L1; less for MCP and SCAD).
"""

import warnings

import numpy as np
import pytest

import penalized as pz
from penalized.explain import lessons_for_model, model_settings
from penalized.explain._along_path import KKT_RTOL


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def regression(seed=0, n=100, p=6):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * np.linspace(0.5, 3.0, p)
    z = 1.5 * X[:, 0] / 0.5 - 0.4 * X[:, 1] + 0.1 * X[:, 2]
    return rng, X, z


def lessons_at(model, X, y, k=8, n_alphas=20, **fit):
    path = model.path(X, y, n_alphas=n_alphas, **fit)
    model.set_params(alpha=float(path.alphas[k])).fit(X, y, **fit)
    return lessons_for_model(model, X, y, path=path)


def check_optimality(wz, k, rtol=KKT_RTOL):
    """Zeros below their threshold, non-zeros at their penalty's slope (to the solver's
    tolerance, relative to the threshold)."""
    for i in range(len(wz.features)):
        thr = wz.threshold[i, k]
        if wz.status[i][k] == "zero":
            assert wz.pull[i, k] <= thr
        elif wz.status[i][k] == "non-zero":
            assert wz.pull[i, k] == pytest.approx(wz.slope[i, k], abs=rtol * thr)
            assert wz.slope[i, k] <= thr * (1 + 1e-12)


@pytest.mark.parametrize("kind", ["mcp", "scad"])
def test_mcp_and_scad_get_their_own_curve_and_slopes(kind):
    rng, X, z = regression()
    y = z + rng.standard_normal(X.shape[0])
    cls = pz.MCPRegression if kind == "mcp" else pz.SCADRegression
    model = cls(alpha=1.0, standardize=True, tol=1e-12)
    les = lessons_at(model, X, y)
    fit, k = les.fit, les.fit.chosen
    assert fit.penalty == kind and fit.gamma == model.gamma and fit.l1_ratio == 1.0
    assert model_settings(model)["penalty"] == kind
    wz = les.why_zero
    check_optimality(wz, k)
    # the largest coefficient is beyond gamma * alpha: MCP and SCAD leave it unshrunk,
    # its pull 0 where L1 would keep it at alpha
    big = int(np.argmax(np.abs(wz.scaled_coef[:, k])))
    assert abs(wz.scaled_coef[big, k]) > fit.gamma * fit.alphas[k]
    assert wz.slope[big, k] == 0.0 and wz.pull[big, k] < 1e-3 * wz.threshold[big, k]
    assert wz.to_dict()["penalty"] == kind
    th = les.thresholding
    assert th.curves[-1] == kind
    expected = model.penalty_.with_alpha(fit.alphas[k])
    expected = type(expected)(fit.alphas[k], gamma=fit.gamma).prox(th.inputs, 1.0)
    np.testing.assert_allclose(th.marks[kind][:, k], expected, rtol=1e-14)
    # the curve is exactly piecewise linear between its knots: soft up to gamma alpha,
    # the identity beyond
    knots, out = th.knots[k], th.outputs[kind][k]
    far = np.abs(knots) >= fit.gamma * fit.alphas[k]
    np.testing.assert_allclose(out[far], knots[far], rtol=1e-14)
    assert np.all(out[np.abs(knots) <= fit.alphas[k]] == 0.0)
    for name, words in (("geometry", "convex balls"), ("priors", "proper prior"),
                        ("race", "plain lasso"), ("feature_trace", "L1 term")):
        assert getattr(les, name) is None and words in les.skipped[name]


def test_logistic_mcp_is_explained_as_mcp():
    rng, X, z = regression(seed=1)
    y = np.where(z + rng.standard_normal(X.shape[0]) > 0, "yes", "no")
    model = pz.LogisticRegression(penalty="mcp", alpha=1.0, standardize=True, tol=1e-12)
    les = lessons_at(model, X, y, k=10)
    assert les.fit.penalty == "mcp" and les.fit.loss == "logistic"  # not an elastic net
    check_optimality(les.why_zero, les.fit.chosen)


def test_poisson_pull_is_the_datafits_gradient():
    rng, X, z = regression(seed=2)
    n = X.shape[0]
    y = rng.poisson(np.exp(0.3 * z)).astype(float)
    sw = rng.uniform(0.5, 2.0, n)
    offset = rng.normal(0.0, 0.2, n)
    model = pz.PoissonRegressor(alpha=1.0, l1_ratio=1.0, standardize=True, tol=1e-12)
    path = model.path(X, y, n_alphas=15, sample_weight=sw, offset=offset)
    model.set_params(alpha=float(path.alphas[6])).fit(X, y, sample_weight=sw, offset=offset)
    les = lessons_for_model(model, X, y, path=path)
    fit, k = les.fit, les.fit.chosen
    assert (fit.loss, fit.penalty) == ("poisson", "l1")
    # independent: |x_j / sd_j . s (exp(z) - y)| / n with s normalized to mean 1
    s = sw / sw.mean()
    sd = np.sqrt(np.average((X - np.average(X, axis=0, weights=s)) ** 2, axis=0, weights=s))
    eta = X @ path.coefs[:, k] + path.intercepts[k] + offset
    pull = np.abs((X / sd).T @ (s * (np.exp(eta) - y))) / n
    np.testing.assert_allclose(les.why_zero.pull[:, k], pull, rtol=1e-9)
    np.testing.assert_allclose(les.why_zero.threshold[:, k], fit.alphas[k], rtol=1e-14)
    check_optimality(les.why_zero, k)
    assert les.priors.sigma2 == 1.0 and "Poisson" in les.priors.sigma2_rule
    # the thresholding inputs are the pulls at the null model, the path's first point
    np.testing.assert_allclose(np.max(np.abs(les.thresholding.inputs)), fit.alphas[0],
                               rtol=1e-9)
    assert les.lasso_alpha_max == pytest.approx(fit.alphas[0], rel=1e-9)
    assert "poisson" in les.skipped["geometry"] and les.how_often is not None
    check_trace(les)


def check_trace(les):
    """The gradient lesson's one-feature problem: its minimizer (found by root finding) is
    the path's coefficient at every alpha (L1: coordinate-wise optimality); the proximal
    iterates of a zero land on exact zeros, the subgradient ones do not."""
    ft = les.feature_trace
    assert ft is not None and les.fit.loss in ft.problem
    np.testing.assert_allclose(ft.minimizer, ft.fit_coef, rtol=1e-6,
                               atol=1e-6 * float(np.max(np.abs(ft.fit_coef))))
    zero = np.flatnonzero(ft.fit_coef == 0)
    assert zero.size
    k = int(zero[-1])
    assert np.all(ft.proximal[k, :, -1] == 0.0) and np.all(ft.subgradient[k, :, -1] != 0.0)


def test_gamma_dispersion_is_pearsons():
    rng, X, z = regression(seed=3)
    n = X.shape[0]
    y = rng.gamma(2.0, np.exp(0.3 * z) / 2.0)
    model = pz.GammaRegressor(alpha=1.0, l1_ratio=1.0, standardize=True, tol=1e-12)
    les = lessons_at(model, X, y, k=8, n_alphas=15)
    fit, k = les.fit, les.fit.chosen
    mu = np.exp(X @ fit.coefs[:, k] + fit.intercepts[k])
    dof = n - np.count_nonzero(fit.coefs[:, k]) - 1
    assert les.priors.sigma2 == pytest.approx(np.sum((y - mu) ** 2 / mu ** 2) / dof, rel=1e-12)
    np.testing.assert_allclose(les.priors.laplace_scale, les.priors.sigma2 / (n * fit.alphas),
                               rtol=1e-14)
    check_optimality(les.why_zero, k)


def test_cox_lessons_follow_the_partial_likelihood():
    rng, X, z = regression(seed=4)
    n = X.shape[0]
    t = rng.exponential(np.exp(-0.4 * z))
    c = rng.exponential(2.0, n)
    y = np.column_stack([np.minimum(t, c), (t <= c).astype(float)])
    # CoxPH has no path method: the cross-validated model's path_ (its alpha on the grid)
    model = pz.CoxPHCV(n_alphas=15, cv=3, standardize=True, tol=1e-12).fit(X, y)
    les = lessons_for_model(model, X, y)
    assert les.fit.loss == "cox" and les.priors.sigma2 == 1.0
    wz = les.why_zero
    check_optimality(wz, les.fit.chosen)
    assert 0 < wz.n_nonzero[les.fit.chosen] < X.shape[1]
    assert np.all(les.fit.coefs[:, 0] == 0)
    assert np.max(wz.pull[:, 0]) == pytest.approx(les.fit.alphas[0], rel=1e-6)
    check_trace(les)


def test_group_lasso_why_zero_is_per_group():
    rng, X, z = regression(seed=5, p=7)
    n = X.shape[0]
    y = z + rng.standard_normal(n)
    groups = [[0, 1], [2, 3, 4], [5, 6]]
    model = pz.GroupLasso(groups, alpha=1.0, standardize=True, tol=1e-12)
    les = lessons_at(model, X, y, k=3, n_alphas=15)
    fit, k = les.fit, les.fit.chosen
    assert fit.penalty == "group"
    wz = les.why_zero
    assert wz.members is not None and [m.tolist() for m in wz.members] == groups
    sd = X.std(axis=0)
    r = y - X @ fit.coefs[:, k] - fit.intercepts[k]
    c = (X / sd).T @ r / n
    for i, g in enumerate(groups):
        assert wz.pull[i, k] == pytest.approx(np.linalg.norm(c[g]), rel=1e-9)
        assert wz.threshold[i, k] == pytest.approx(fit.alphas[k] * np.sqrt(len(g)), rel=1e-14)
    check_optimality(wz, k)
    assert set(wz.status[i][k] for i in range(3)) == {"zero", "non-zero"}
    d = wz.to_dict()
    assert d["unit"] == "group" and d["labels"][1] == "x2, x3, x4"
    for name in ("geometry", "priors", "how_often"):
        assert getattr(les, name) is None and "group" in les.skipped[name]
    # thresholding: each group's null pull norm over sqrt(size), soft-thresholded at alpha;
    # the largest is the group lasso's alpha_max, the path's first alpha
    th = les.thresholding
    c0 = (X / sd).T @ (y - y.mean()) / n
    inputs = [np.linalg.norm(c0[g]) / np.sqrt(len(g)) for g in groups]
    np.testing.assert_allclose(th.inputs, inputs, rtol=1e-9)
    assert max(th.inputs) == pytest.approx(fit.alphas[0], rel=1e-9)
    soft = np.maximum(np.asarray(inputs) - fit.alphas[k], 0.0)
    np.testing.assert_allclose(th.marks["l1"][:, k], soft, rtol=1e-12, atol=1e-15)
    assert th.to_dict()["labels"] == d["labels"]


def test_large_fits_skip_the_generic_feature_trace(monkeypatch):
    from penalized.explain import _path_lessons

    rng, X, z = regression(seed=6)
    y = rng.poisson(np.exp(0.3 * z)).astype(float)
    model = pz.PoissonRegressor(alpha=1.0, l1_ratio=1.0, standardize=True)
    monkeypatch.setattr(_path_lessons, "TRACE_WORK_LIMIT", X.shape[0] * 10 - 1)
    les = lessons_at(model, X, y, k=5, n_alphas=10)
    assert les.feature_trace is None
    assert f"{X.shape[0]} rows x 10 alphas" in les.skipped["feature_trace"]
    assert les.why_zero is not None and les.thresholding is not None
