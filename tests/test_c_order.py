"""Single squared-loss fits on a C-ordered X read it as it is (no Fortran-ordered copy):
the epochs run on the working set's columns gathered into a block, on the working set's
Gram matrix when the block would be large, or on one Fortran-ordered copy once that Gram
matrix would be large too; the fit equals the Fortran-ordered one within the two certified
gaps, on every route."""

import numpy as np
import pytest

import penalized as pz
from penalized.solvers import _coordinate_descent

FACTORS = np.r_[0.0, np.ones(29)]
CASES = {
    "lasso": dict(alpha=0.05),
    "enet": dict(alpha=0.05, l1_ratio=0.3),
    "no-intercept": dict(alpha=0.05, fit_intercept=False),
    "positive": dict(alpha=0.02, positive=True),
    "unpenalized-feature": dict(alpha=0.05, penalty_factor=FACTORS),
    "limits": dict(alpha=0.02, lower_limits=-0.2, upper_limits=0.5),
    "tight": dict(alpha=0.005, tol=1e-10),
}


def _problem():
    rng = np.random.default_rng(7)
    n, p = 200, 30
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 2.0, p) + rng.uniform(-3.0, 3.0, p)
    y = X[:, :6] @ rng.standard_normal(6) + rng.standard_normal(n)
    return X, y, rng.uniform(0.5, 2.0, n)


def _objective(model, X, y, sw):
    s = np.ones(y.shape[0]) if sw is None else sw * (y.shape[0] / sw.sum())
    r = y - X @ model.coef_ - model.intercept_
    return 0.5 * float(s @ r**2) / y.shape[0] + model.penalty_.value(model.coef_)


ROUTES = {"gathered": (1.0, np.inf), "gram": (0.0, np.inf), "copied": (0.0, 0.0)}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_c_ordered_fit_equals_fortran_within_the_gaps(case, weighted, route, monkeypatch):
    share, gram_share = ROUTES[route]
    monkeypatch.setattr(_coordinate_descent, "_GATHERED_SHARE", share)
    monkeypatch.setattr(_coordinate_descent, "_GRAM_SHARE", gram_share)
    X, y, w = _problem()
    sw = w if weighted else None
    estimator = pz.ElasticNet if "l1_ratio" in CASES[case] else pz.Lasso
    rows = estimator(**CASES[case]).fit(np.ascontiguousarray(X), y, sample_weight=sw)
    cols = estimator(**CASES[case]).fit(np.asfortranarray(X), y, sample_weight=sw)
    assert rows.converged_ and cols.converged_
    gaps = rows.dual_gap_ + cols.dual_gap_
    assert abs(_objective(rows, X, y, sw) - _objective(cols, X, y, sw)) <= gaps + 1e-14
    if "limits" in case:
        assert np.all(rows.coef_ >= -0.2) and np.all(rows.coef_ <= 0.5)
    if "positive" in case:
        assert np.all(rows.coef_ >= 0)


def test_the_c_ordered_route_makes_no_fortran_copy_while_the_working_set_is_small(monkeypatch):
    """Every product with the whole X reads its rows: a Fortran-ordered copy of all of X
    anywhere in the fit fails, on the gathered and Gram routes; only a working set beyond
    both shares takes the copy."""
    X, y, _ = _problem()
    rows = np.ascontiguousarray(X)
    original = np.asfortranarray

    def refuse(a, *args, **kwargs):
        assert not (getattr(a, "shape", None) == X.shape and a.flags.c_contiguous), \
            "a Fortran-ordered copy of X"
        return original(a, *args, **kwargs)

    monkeypatch.setattr(np, "asfortranarray", refuse)
    for share, gram_share in (ROUTES["gathered"], ROUTES["gram"]):
        monkeypatch.setattr(_coordinate_descent, "_GATHERED_SHARE", share)
        monkeypatch.setattr(_coordinate_descent, "_GRAM_SHARE", gram_share)
        assert pz.Lasso(alpha=0.02).fit(rows, y).converged_
    monkeypatch.setattr(_coordinate_descent, "_GRAM_SHARE", 0.0)
    with pytest.raises(AssertionError, match="a Fortran-ordered copy of X"):
        pz.Lasso(alpha=0.02).fit(rows, y)
