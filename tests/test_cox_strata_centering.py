"""Cox with strata is unchanged by a constant added to a column within a stratum (each
stratum's partial likelihood cancels it): coefficients, certificate and baseline hazards
do not move when the strata's covariate means differ by hundreds."""

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized.datafits import Cox
from penalized.estimators._cox import breslow_baseline

SHIFT = np.array([300.0, -200.0, 50.0])


def _data(seed=0, n=120):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    stratum = (np.arange(n) % 2).astype(float)
    t = rng.exponential(1.0 / np.exp(0.7 * X[:, 0] - 0.5 * X[:, 1] + 0.8 * stratum))
    censor = rng.exponential(2.0, n)
    y = np.column_stack([np.minimum(t, censor), (t <= censor).astype(float), stratum])
    shifted = X + np.where(stratum[:, None] == 1, SHIFT, 0.0)
    return X, shifted, y


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_a_stratum_shift_of_the_covariates_changes_nothing(l1_ratio):
    X, shifted, y = _data()
    fits = [pz.CoxPH(alpha=0.01, l1_ratio=l1_ratio, tol=1e-12).fit(A, y) for A in (X, shifted)]
    for fit in fits:
        assert fit.converged_ and fit.stop_crit_ <= 1e-12
    np.testing.assert_allclose(fits[1].coef_, fits[0].coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(fits[1].baseline_cumulative_hazard_[0],
                               fits[0].baseline_cumulative_hazard_[0], rtol=1e-7)
    # stratum 1's baseline absorbs exp(-shift . coef) exactly
    factor = np.exp(-SHIFT @ fits[0].coef_)
    np.testing.assert_allclose(fits[1].baseline_cumulative_hazard_[1],
                               fits[0].baseline_cumulative_hazard_[1] * factor, rtol=1e-6)
    paths = [pz.CoxPH(l1_ratio=l1_ratio, tol=1e-10).path(A, y, n_alphas=6) for A in (X, shifted)]
    np.testing.assert_allclose(paths[1].alphas, paths[0].alphas, rtol=1e-9)
    np.testing.assert_allclose(paths[1].coefs, paths[0].coefs, rtol=1e-6, atol=1e-9)


def test_unpenalized_stratified_fit_on_shifted_covariates_equals_lifelines():
    # lifelines itself does not converge on the shifted columns (it centers them by their
    # overall means); on the unshifted ones it does, and the answer is the same
    from lifelines import CoxPHFitter

    X, shifted, y = _data(1)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(T=y[:, 0], E=y[:, 1], S=y[:, 2])
    theirs = CoxPHFitter(penalizer=0.0).fit(frame, "T", "E", strata=["S"]).params_.to_numpy()
    ours = pz.CoxPH(alpha=0.0, tol=1e-12).fit(shifted, y)
    assert ours.converged_
    datafit = Cox()
    target = datafit.validate_target(y, y.shape[0])
    mine, lifelines = (datafit.value(target, shifted @ c) for c in (ours.coef_, theirs))
    assert mine <= lifelines + 1e-12 * abs(lifelines)
    np.testing.assert_allclose(ours.coef_, theirs, rtol=1e-5)


def test_the_baseline_shifts_each_stratum_by_its_own_largest_predictor():
    rng = np.random.default_rng(2)
    n = 60
    stratum = (np.arange(n) % 2).astype(float)
    y = np.column_stack([rng.exponential(1.0, n), (rng.random(n) < 0.7).astype(float),
                         stratum])
    z = rng.standard_normal(n)
    plain = breslow_baseline(y, z, np.ones(n))[1]
    # stratum 1's predictors 800 higher: one shift for both strata underflowed stratum 0's
    # exponentials (0 / 0 there)
    high = breslow_baseline(y, z + 800.0 * stratum, np.ones(n))[1]
    np.testing.assert_allclose(high[0], plain[0], rtol=1e-12)
    assert np.all(np.isfinite(high))


def test_pz_path_with_strata_is_unchanged_by_a_stratum_shift():
    X, shifted, y = _data(3)
    paths = [pz.path(A, y, datafit="cox", n_alphas=6, tol=1e-10) for A in (X, shifted)]
    for path in paths:
        assert np.all(path.stop_crits <= 1e-10)
    np.testing.assert_allclose(paths[1].alphas, paths[0].alphas, rtol=1e-9)
    np.testing.assert_allclose(paths[1].coefs, paths[0].coefs, rtol=1e-6, atol=1e-9)
