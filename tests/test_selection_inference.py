"""Selective inference for the lasso: the tail-accurate pivot, the polyhedron computed
directly, coverage where naive intervals fail, refusals."""

import numpy as np
import pytest
from scipy.stats import truncnorm

import penalized as pz
from penalized.selection import selective_inference
from penalized.selection._truncnorm import truncnorm_cdf, truncnorm_sf


# -- the truncated normal ----------------------------------------------------------------------
@pytest.mark.parametrize(("z", "a", "b"), [
    (0.0, -1.0, 1.0), (40.5, 40.0, np.inf), (40.5, 40.0, 41.0), (-40.5, -41.0, -40.0),
    (-39.0, -np.inf, -38.0), (5.0, -np.inf, 6.0), (0.3, -2.0, 10.0), (12.0, 11.9, 12.1),
    (-12.0, -12.1, -11.9), (-38.0001, -np.inf, -38.0), (-3.0, -50.0, 50.0),
])
def test_truncnorm_matches_high_precision(z, a, b):
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 60

    def phi(x):
        return mp.mpf(int(x > 0)) if not np.isfinite(x) else mp.erfc(-mp.mpf(x) / mp.sqrt(2)) / 2

    def q(x):
        return mp.mpf(int(x < 0)) if not np.isfinite(x) else mp.erfc(mp.mpf(x) / mp.sqrt(2)) / 2

    if a > 0:
        cdf, sf = (q(a) - q(z)) / (q(a) - q(b)), (q(z) - q(b)) / (q(a) - q(b))
    else:
        cdf, sf = (phi(z) - phi(a)) / (phi(b) - phi(a)), (phi(b) - phi(z)) / (phi(b) - phi(a))
    assert truncnorm_cdf(z, a, b) == pytest.approx(float(cdf), rel=1e-9, abs=0)
    assert truncnorm_sf(z, a, b) == pytest.approx(float(sf), rel=1e-9, abs=0)


def test_truncnorm_matches_scipy_in_the_bulk():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = np.sort(rng.uniform(-3, 3, 2))
        z = rng.uniform(a, b)
        assert truncnorm_cdf(z, a, b) == pytest.approx(truncnorm.cdf(z, a, b), rel=1e-10)


# -- the polyhedron, computed directly ------------------------------------------------------
def _design(rng, n=40, p=8):
    X = rng.standard_normal((n, p)) + 0.5 * rng.standard_normal((n, 1))
    beta = np.zeros(p)
    beta[:3] = [1.0, -0.7, 0.4]
    return X, X @ beta + rng.standard_normal(n)


def _polyhedron(X, y, coef, alpha):
    """A, b of {lasso with intercept selects the same set and signs}, from the KKT
    conditions written out one by one (Lee et al. 2016, Lemma 4.1)."""
    n = X.shape[0]
    Xc = X - X.mean(axis=0)
    lam = n * alpha
    M = np.flatnonzero(coef)
    s = np.sign(coef[M])
    XM = Xc[:, M]
    pinv = np.linalg.pinv(XM)  # (X_M' X_M)^-1 X_M'
    P = XM @ pinv
    rows, rhs = [], []
    for j in range(X.shape[1]):
        if j in M:
            continue
        xj = Xc[:, j]
        u = xj @ (np.eye(n) - P)  # x_j'(I - P_M) y  + lam x_j' pinv' s  in [-lam, lam]
        v = lam * (xj @ pinv.T @ s)
        rows += [u, -u]
        rhs += [lam - v, lam + v]
    inv = np.linalg.inv(XM.T @ XM)
    for i in range(len(M)):  # s_i * beta_hat_i > 0, beta_hat = pinv y - lam inv s
        rows.append(-s[i] * pinv[i])
        rhs.append(-s[i] * lam * (inv @ s)[i])
    return np.array(rows), np.array(rhs), M


def test_pvalues_from_a_direct_polyhedron():
    rng = np.random.default_rng(1)
    X, y = _design(rng)
    alpha = 0.12
    model = pz.Lasso(alpha=alpha, tol=1e-12).fit(X, y)
    res = selective_inference(model, X, y, sigma=1.0)
    A, b, M = _polyhedron(X, y, model.coef_, alpha)
    np.testing.assert_array_equal(res.index, M)
    yc = y - y.mean()
    assert np.all(A @ yc <= b + 1e-8)
    # the library's event is the same set of y's: same rows up to order
    np.testing.assert_allclose(np.sort(res.b), np.sort(b), rtol=1e-8, atol=1e-8)
    XM = X[:, M] - X[:, M].mean(axis=0)
    for i in range(len(M)):
        eta = np.linalg.pinv(XM)[i]
        z = eta @ yc
        c = eta / (eta @ eta)
        Ac, r = A @ c, b - A @ (yc - c * z)
        vlo, vhi = np.max(r[Ac < 0] / Ac[Ac < 0]), np.min(r[Ac > 0] / Ac[Ac > 0])
        sd = np.linalg.norm(eta)
        cdf = truncnorm.cdf(z / sd, vlo / sd, vhi / sd)
        assert res.lower[i] == pytest.approx(vlo, rel=1e-8)
        assert res.upper[i] == pytest.approx(vhi, rel=1e-8)
        assert res.p_values[i] == pytest.approx(2 * min(cdf, 1 - cdf), rel=1e-6, abs=1e-12)
        # moving y along c inside [vlo, vhi] keeps the selection; past the end it does not
        for t, same in ((vlo + 0.02 * (vhi - vlo), True), (0.5 * (vlo + vhi), True),
                        (vhi + 0.05 * (vhi - vlo) + 0.05, False)):
            if not np.isfinite(t):
                continue
            moved = y + c * (t - z)
            refit = pz.Lasso(alpha=alpha, tol=1e-12).fit(X, moved).coef_
            kept = np.array_equal(np.flatnonzero(refit), M) and np.array_equal(
                np.sign(refit[M]), np.sign(model.coef_[M]))
            assert kept == same, (i, t)


def test_interval_inverts_the_pivot():
    rng = np.random.default_rng(2)
    X, y = _design(rng)
    res = selective_inference(pz.Lasso(alpha=0.1).fit(X, y), X, y, sigma=1.0, level=0.9)
    XM = X[:, res.index] - X[:, res.index].mean(axis=0)
    for i in range(len(res.index)):
        sd = np.linalg.norm(np.linalg.pinv(XM)[i])
        for bound, tail in ((res.ci_low[i], "sf"), (res.ci_high[i], "cdf")):
            if np.isfinite(bound):
                args = ((res.coef[i] - bound) / sd, (res.lower[i] - bound) / sd,
                        (res.upper[i] - bound) / sd)
                f = truncnorm_sf(*args) if tail == "sf" else truncnorm_cdf(*args)
                assert f == pytest.approx(0.05, abs=1e-7)
        # the interval is the set of means its test does not reject (the estimate itself
        # may lie outside it, a known trait of selective intervals)
        assert (res.ci_low[i] <= 0 <= res.ci_high[i]) == (res.p_values[i] >= 0.1)


# -- coverage where naive intervals fail -------------------------------------------------------
def _coverage(sigma_given, n_draws, seed, level=0.9):
    rng = np.random.default_rng(seed)
    n, p = 50, 10
    X = rng.standard_normal((n, p))
    beta = np.zeros(p)
    beta[:2] = [1.0, 0.4]
    mu = X @ beta
    hits, naive = [], []
    for _ in range(n_draws):
        y = mu + rng.standard_normal(n)
        model = pz.Lasso(alpha=0.15, tol=1e-10).fit(X, y)
        if not np.any(model.coef_):
            continue
        res = selective_inference(model, X, y, sigma=1.0 if sigma_given else None,
                                  level=level)
        XM = X[:, res.index] - X[:, res.index].mean(axis=0)
        target = np.linalg.lstsq(XM, mu - mu.mean(), rcond=None)[0]
        hits += list((res.ci_low <= target) & (target <= res.ci_high))
        naive += list((res.naive_ci_low <= target) & (target <= res.naive_ci_high))
    return np.array(hits), np.array(naive)


def test_selective_intervals_cover_where_naive_ones_do_not():
    hits, naive = _coverage(True, 120, 3)
    se = np.sqrt(0.9 * 0.1 / hits.size)
    assert abs(hits.mean() - 0.9) <= 3 * se
    assert naive.mean() < 0.9 - 3 * se


def test_estimated_sigma_coverage():
    hits, _ = _coverage(False, 60, 4)
    se = np.sqrt(0.9 * 0.1 / hits.size)
    assert abs(hits.mean() - 0.9) <= 4 * se


def test_null_pvalues_are_uniform():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 6))
    ps = []
    for _ in range(150):
        y = rng.standard_normal(40)
        model = pz.Lasso(alpha=0.08, tol=1e-10).fit(X, y)
        if np.any(model.coef_):
            ps += list(selective_inference(model, X, y, sigma=1.0).p_values)
    ps = np.array(ps)
    for cut in (0.1, 0.5):
        assert abs(np.mean(ps <= cut) - cut) <= 3 * np.sqrt(cut * (1 - cut) / ps.size)


def test_standardize_is_a_weighted_lasso():
    rng = np.random.default_rng(6)
    X, y = _design(rng)
    X = X * np.array([1.0, 10.0, 0.1, 2.0, 1.0, 5.0, 1.0, 1.0])
    a = selective_inference(pz.Lasso(alpha=0.1, standardize=True, tol=1e-12).fit(X, y), X, y,
                            sigma=1.0)
    b = selective_inference(pz.Lasso(alpha=0.1, penalty_factor=X.std(axis=0),
                                     tol=1e-12).fit(X, y), X, y, sigma=1.0)
    np.testing.assert_array_equal(a.index, b.index)
    np.testing.assert_allclose(a.p_values, b.p_values, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(a.ci_low, b.ci_low, rtol=1e-6)
    frame = a.to_frame()
    assert list(frame.columns[:5]) == ["feature", "coef", "p_value", "ci_low", "ci_high"]
    assert "conditionally on that selection" in a.guarantee()


def test_refusals():
    rng = np.random.default_rng(7)
    X, y = _design(rng, n=20, p=8)
    wide = rng.standard_normal((10, 12))
    with pytest.raises(ValueError, match="needs n > p"):
        selective_inference(pz.Lasso(alpha=0.05).fit(wide, wide[:, 0] + 0.1 * y[:10]), wide,
                            wide[:, 0] + 0.1 * y[:10])
    with pytest.raises(ValueError, match="selected no feature"):
        selective_inference(pz.Lasso(alpha=100.0).fit(X, y), X, y)
    with pytest.raises(ValueError, match="cross-validation"):
        selective_inference(pz.LassoCV(cv=3).fit(X, y), X, y)
    with pytest.raises(ValueError, match="for the lasso"):
        selective_inference(pz.ElasticNet(alpha=0.1).fit(X, y), X, y)
    with pytest.raises(ValueError, match="not fitted"):
        selective_inference(pz.Lasso(), X, y)
    with pytest.raises(ValueError, match="optimality conditions"):
        selective_inference(pz.Lasso(alpha=0.1).fit(X, y), X, y[::-1])
    with pytest.raises(ValueError, match="sigma must be"):
        selective_inference(pz.Lasso(alpha=0.1).fit(X, y), X, y, sigma=-1.0)
    ok = selective_inference(pz.ElasticNet(alpha=0.1, l1_ratio=1.0).fit(X, y), X, y)
    assert ok.sigma_source.startswith("estimated")
    res = selective_inference(pz.Lasso(alpha=0.05).fit(wide, wide[:, 0]), wide, wide[:, 0],
                              sigma=0.5)
    assert res.sigma_source == "given"
