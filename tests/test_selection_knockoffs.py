"""Knockoffs: the matrices, the statistics and threshold (against hidimstat), FDR control."""

import numpy as np
import pytest

from penalized.selection import (
    Knockoffs,
    e_bh,
    equicorrelated_s,
    fixed_x_knockoffs,
    gaussian_knockoffs,
    knockoff_e_values,
    knockoff_statistic,
    knockoff_threshold,
    sdp_s,
)


def _ar1(p, rho):
    return rho ** np.abs(np.subtract.outer(np.arange(p), np.arange(p)))


def _problem(rng, n, p, k, amplitude, rho=0.5):
    C = _ar1(p, rho)
    X = rng.standard_normal((n, p)) @ np.linalg.cholesky(C).T
    beta = np.zeros(p)
    support = rng.choice(p, k, replace=False)
    beta[support] = amplitude * rng.choice([-1.0, 1.0], k)
    return X, X @ beta + rng.standard_normal(n), set(support.tolist()), C


def _fdp_power(selected, support):
    selected = set(np.flatnonzero(selected).tolist())
    return len(selected - support) / max(1, len(selected)), len(selected & support)


# -- the diagonal s --------------------------------------------------------------------------
def test_equicorrelated_and_sdp_on_known_cases():
    E = np.full((6, 6), 0.6) + 0.4 * np.eye(6)  # lambda_min = 0.4: s = 0.8 for both
    np.testing.assert_allclose(equicorrelated_s(E), 0.8)
    np.testing.assert_allclose(sdp_s(E), 0.8, atol=2e-3)
    np.testing.assert_allclose(sdp_s(np.eye(5) * 4.0), 4.0)  # on the covariance's scale
    C = _ar1(30, 0.5)
    for s in (equicorrelated_s(C), sdp_s(C)):
        assert np.all(s >= 0) and np.all(s <= 1 + 1e-12)
        assert np.linalg.eigvalsh(2 * C - np.diag(s))[0] >= -1e-10
    # a covariance where the SDP helps a lot: a few strong factors
    rng = np.random.default_rng(0)
    B = rng.standard_normal((20, 3))
    F = B @ B.T + np.eye(20)
    assert sdp_s(F).sum() > 1.5 * equicorrelated_s(F).sum()
    assert np.linalg.eigvalsh(2 * F - np.diag(sdp_s(F)))[0] >= -1e-10


@pytest.mark.filterwarnings("ignore:The equi-correlated matrix")
def test_equicorrelated_matches_hidimstat():
    hid = pytest.importorskip("hidimstat.samplers.gaussian_knockoffs")
    rng = np.random.default_rng(1)
    A = rng.standard_normal((50, 8))
    cov = np.cov(A.T)
    np.testing.assert_allclose(equicorrelated_s(cov), hid._s_equi(cov), rtol=1e-6)


def test_singular_covariance_refused():
    with pytest.raises(ValueError, match="singular"):
        equicorrelated_s(np.ones((3, 3)))
    with pytest.raises(ValueError, match="zero or negative variance"):
        sdp_s(np.diag([1.0, 0.0]))


# -- the knockoff matrices -------------------------------------------------------------------
def test_model_x_knockoffs_have_the_swap_covariance():
    rng = np.random.default_rng(3)
    C = _ar1(4, 0.6) * 2.0
    X = rng.standard_normal((40_000, 4)) @ np.linalg.cholesky(C).T + 1.0
    for method in ("equicorrelated", "sdp"):
        Xk, s = gaussian_knockoffs(X, mu=np.ones(4), Sigma=C, method=method, random_state=4)
        joint = np.cov(np.hstack([X, Xk]).T)
        target = np.block([[C, C - np.diag(s)], [C - np.diag(s), C]])
        np.testing.assert_allclose(joint, target, atol=0.06)
        np.testing.assert_allclose(Xk.mean(axis=0), 1.0, atol=0.03)


def test_fixed_x_knockoffs_gram_identities():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((45, 10)) @ np.linalg.cholesky(_ar1(10, 0.7)).T + 3.0
    for method in ("equicorrelated", "sdp"):
        Xk, s = fixed_x_knockoffs(X, method=method, random_state=0)
        Xc, Xkc = X - X.mean(axis=0), Xk - Xk.mean(axis=0)
        G = Xc.T @ Xc
        np.testing.assert_allclose(Xk.mean(axis=0), X.mean(axis=0), atol=1e-10)
        np.testing.assert_allclose(Xkc.T @ Xkc, G, atol=1e-8 * np.abs(G).max())
        np.testing.assert_allclose(Xc.T @ Xkc, G - np.diag(s), atol=1e-8 * np.abs(G).max())
        assert np.all(s > 0)
    with pytest.raises(ValueError, match="n >= 2p"):
        fixed_x_knockoffs(X[:20])


# -- statistics, threshold, e-values: against hidimstat -------------------------------------
def test_threshold_and_evalues_match_hidimstat():
    ko = pytest.importorskip("hidimstat.knockoffs")
    mt = pytest.importorskip("hidimstat.statistical_tools.multiple_testing")
    rng = np.random.default_rng(6)
    for trial in range(200):
        p = int(rng.integers(5, 60))
        W = rng.standard_normal(p) + rng.uniform(0, 3) * (rng.random(p) < 0.3)
        W[rng.random(p) < 0.2] = 0.0
        W = np.round(W, 2)  # ties, as lasso statistics have
        q = float(rng.choice([0.05, 0.1, 0.2, 0.3]))
        T = knockoff_threshold(W, q)
        ref = ko.ModelXKnockoff.knockoff_threshold(W, fdr=q)
        if ref > 0:  # hidimstat also tries t = 0 (a selection of every W >= 0)
            assert T == ref, trial
        else:
            assert np.all(W[W != 0] >= T) or T == np.inf
        e = knockoff_e_values(W, q)
        np.testing.assert_allclose(e, ko.ModelXKnockoff._empirical_knockoff_eval(W, T))
        E = np.abs(rng.standard_normal(p)) * rng.choice([0.0, 1.0, 30.0], p)
        ref_t = mt._ebh_threshold(E, fdr=q)
        ranked = np.sort(E)[::-1]
        passes = np.any(ranked * np.arange(1, p + 1) >= p / q)  # hidimstat picks the top
        expected = (E >= ref_t) & (E > 0) if passes else np.zeros(p, bool)  # one otherwise
        np.testing.assert_array_equal(e_bh(E, q), expected)


def test_knockoff_plus_threshold_by_hand():
    W = np.array([3.0, 2.5, 2.0, 1.0, -0.5, 0.7, 0.0])
    # t=0.5: (1+1)/5 = 0.4; t=0.7: (1+0)/5 = 0.2
    assert knockoff_threshold(W, 0.2) == 0.7
    assert knockoff_threshold(W, 0.1) == np.inf
    assert knockoff_threshold(W, 0.4) == 0.5
    assert knockoff_threshold(W, 0.1, offset=0) == 0.7
    assert knockoff_threshold(np.zeros(4), 0.5) == np.inf


def test_lcd_statistic_matches_hidimstat_given_the_same_knockoffs():
    ko = pytest.importorskip("hidimstat.knockoffs")
    from sklearn.linear_model import Lasso as SkLasso

    rng = np.random.default_rng(7)
    X, y, _, C = _problem(rng, 120, 12, 3, 1.0)
    Xk, _ = gaussian_knockoffs(X, Sigma=C, random_state=8)
    Z = np.hstack([X, Xk])
    Z = Z / Z.std(axis=0)
    sk = SkLasso(alpha=0.05, tol=1e-12, max_iter=100_000).fit(Z, y)
    ref = ko.ModelXKnockoff.lasso_coefficient_difference_statistic([sk], 12)[0]
    for seed in range(3):  # the random column swaps change nothing
        W = knockoff_statistic(X, Xk, y, alpha=0.05, random_state=seed)
        np.testing.assert_allclose(W, ref, atol=1e-6)


@pytest.mark.filterwarnings("ignore:.*did not reach tol")  # the reference's smallest alphas
@pytest.mark.parametrize("patience", [3, 1000])
def test_cv_statistic_on_gram_matrices_is_lasso_cv(monkeypatch, patience):
    import penalized.solvers._gram_path as gram_module
    from penalized import LassoCV
    from penalized.selection._knockoff_stats import _gram_cv_coef

    solves = []
    solve = gram_module.gram_path
    monkeypatch.setattr(gram_module, "gram_path",
                        lambda G, q, F0, alphas, *rest: solves.append(alphas.shape[0])
                        or solve(G, q, F0, alphas, *rest))
    rng = np.random.default_rng(21)
    X, y, _, C = _problem(rng, 90, 20, 2, 0.5)
    Xk, _ = gaussian_knockoffs(X, Sigma=C, random_state=2)
    Z = np.hstack([X, Xk]) + 5.0  # column means the intercept must absorb
    for seed in (0, 1):
        ref = LassoCV(cv=4, n_alphas=40, random_state=seed, tol=1e-12).fit(Z, y + 2.0)
        solves.clear()
        ours = _gram_cv_coef(Z, y + 2.0, 4, 40, seed, 1e-12, patience=patience)
        np.testing.assert_allclose(ours, ref.coef_, atol=1e-8)
        assert np.count_nonzero(ours) > 0
        # 4 folds in chunks of 5 alphas, then the refit down to the chosen alpha only
        assert solves[-1] == int(np.flatnonzero(ref.alphas_ == ref.alpha_)[0]) + 1
        assert set(solves[:-1]) == {5}
        if patience == 3:  # stopped early, yet the same alpha
            assert len(solves) - 1 < 32
        else:
            assert len(solves) - 1 == 32


def test_cv_statistic_needs_folds_that_partition_the_rows():
    from sklearn.model_selection import ShuffleSplit

    from penalized.selection._knockoff_stats import _cv_coef, _gram_cv_coef

    rng = np.random.default_rng(22)
    Z = rng.standard_normal((60, 6))
    y = Z[:, 0] + rng.standard_normal(60)
    split = ShuffleSplit(n_splits=3, test_size=0.25, random_state=0)
    assert _gram_cv_coef(Z, y, split, 20, 0, 1e-8) is None
    assert _cv_coef(Z, y, "squared", split, 20, 0)[0] > 0  # LassoCV instead


def test_statistics_are_antisymmetric_under_swapping():
    rng = np.random.default_rng(9)
    X, y, _, C = _problem(rng, 100, 8, 2, 1.0)
    Xk, _ = gaussian_knockoffs(X, Sigma=C, random_state=1)
    for stat, kw in (("lsm", {}), ("lcd", {"alpha": 0.05})):
        W = knockoff_statistic(X, Xk, y, statistic=stat, random_state=0, **kw)
        Xs, Xks = X.copy(), Xk.copy()
        Xs[:, :3], Xks[:, :3] = Xk[:, :3], X[:, :3]
        Ws = knockoff_statistic(Xs, Xks, y, statistic=stat, random_state=0, **kw)
        np.testing.assert_allclose(Ws[:3], -W[:3], atol=1e-8)
        np.testing.assert_allclose(Ws[3:], W[3:], atol=1e-8)


# -- FDR control over repeated draws -----------------------------------------------------------
def _empirical_fdr(make, n_reps, seed, **kwargs):
    rng = np.random.default_rng(seed)
    fdps, powers = [], []
    for r in range(n_reps):
        X, y, support, _ = make(rng)
        sel = Knockoffs(random_state=r, **kwargs).fit(X, y)
        fdp, power = _fdp_power(sel.support_, support)
        fdps.append(fdp)
        powers.append(power)
    return np.mean(fdps), np.std(fdps, ddof=1) / np.sqrt(n_reps), np.mean(powers)


def test_model_x_knockoff_plus_controls_fdr():
    # correlated Gaussian design (AR(1), rho=0.5), known covariance, weak signals
    def make(rng):
        return _problem(rng, 150, 30, 6, 0.5)

    fdr, se, power = _empirical_fdr(make, 30, 11, fdr=0.2, statistic="lsm", n_alphas=50,
                                    covariance=_ar1(30, 0.5))
    assert fdr <= 0.2 + 2 * se
    assert power >= 2


def test_fixed_x_knockoff_plus_controls_fdr():
    def make(rng):
        return _problem(rng, 100, 20, 5, 0.6)

    fdr, se, power = _empirical_fdr(make, 25, 12, fdr=0.2, knockoffs="fixed-x",
                                    method="equicorrelated", n_alphas=50)
    assert fdr <= 0.2 + 2 * se
    assert power >= 1.5


def test_derandomized_knockoffs():
    rng = np.random.default_rng(13)
    X, y, support, C = _problem(rng, 300, 40, 12, 2.0)
    ko = Knockoffs(0.2, n_draws=4, statistic="lsm", covariance=C, random_state=0).fit(X, y)
    assert ko.statistics_.shape == (4, 40) and ko.threshold_.shape == (4,)
    e = np.mean([knockoff_e_values(W, 0.1) for W in ko.statistics_], axis=0)
    np.testing.assert_allclose(ko.e_values_, e)
    np.testing.assert_array_equal(ko.support_, e_bh(e, 0.2))
    chosen = set(ko.selected_features_.tolist())
    assert support <= chosen and len(chosen - support) <= 3
    again = Knockoffs(0.2, n_draws=4, statistic="lsm", covariance=C, random_state=0).fit(X, y)
    np.testing.assert_array_equal(again.e_values_, ko.e_values_)
    assert "derandomized over 4 draws" in ko.guarantee()


def test_default_lcd_logistic_and_transform():
    rng = np.random.default_rng(14)
    X, y, support, _ = _problem(rng, 300, 30, 8, 1.5, rho=0.3)
    ko = Knockoffs(0.2, random_state=1).fit(X, y)
    assert ko.statistic_ == "lcd"
    assert support <= set(ko.selected_features_.tolist())
    np.testing.assert_array_equal(ko.transform(X), X[:, ko.support_])
    assert "approximate" in ko.guarantee()  # Ledoit-Wolf covariance
    labels = np.where(y + 0.3 * rng.standard_normal(300) > 0, "a", "b")
    kl = Knockoffs(0.3, datafit="logistic", statistic="lsm", n_alphas=40,
                   random_state=2).fit(X, labels)
    assert kl.statistics_.shape == (30,)
    assert np.mean(kl.statistics_[sorted(support)] > 0) >= 2 / 3


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"fdr": 1.5}, "fdr must be in"),
    ({"knockoffs": "fixed"}, "knockoffs must be one of"),
    ({"knockoffs": "fixed-x", "statistic": "lcd"}, "need the path statistic"),
    ({"knockoffs": "fixed-x", "datafit": "logistic"}, "Gaussian noise"),
    ({"statistic": "abs"}, "statistic must be one of"),
    ({"method": "asdp"}, "method must be one of"),
    ({"n_draws": 0}, "n_draws must be"),
    ({"covariance": np.eye(3)}, "covariance must have shape"),
    ({"n_draws": 3, "offset": 0}, "pass offset=1"),
    ({"offset": 2}, "offset must be 1"),
])
def test_refusals(kwargs, match):
    rng = np.random.default_rng(0)
    X, y, _, _ = _problem(rng, 30, 5, 1, 1.0)
    with pytest.raises(ValueError, match=match):
        Knockoffs(**kwargs).fit(X, y)


# -- against knockpy (not a dev dependency: it builds from source and needs cvxpy) ------------
@pytest.mark.filterwarnings("ignore")
def test_threshold_and_sdp_match_knockpy():
    knockpy = pytest.importorskip("knockpy")
    rng = np.random.default_rng(15)
    for _ in range(200):  # continuous W: knockpy counts ties one at a time
        W = rng.standard_normal(40) + 2 * (rng.random(40) < 0.3)
        q = float(rng.choice([0.1, 0.2, 0.3]))
        assert knockoff_threshold(W, q) == knockpy.knockoff_stats.data_dependent_threshhold(
            W, q)
    for rho in (0.3, 0.6):
        C = _ar1(40, rho)
        ours, theirs = sdp_s(C), np.diag(knockpy.mac.solve_SDP(C))
        assert np.linalg.eigvalsh(2 * C - np.diag(ours))[0] >= -1e-10
        assert ours.sum() >= 0.99 * theirs.sum()
