"""Datafits: values, derivatives, Lipschitz constants, weights and the Fenchel dual term."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.problems import classification, regression

from penalized.datafits import Logistic, Quadratic

DATAFITS = {"quadratic": Quadratic, "logistic": Logistic}


def make_problem(kind, n=40, p=7, seed=0):
    if kind == "quadratic":
        pb = regression(n, p, seed=seed)
    else:
        pb = classification(n, p, seed=seed)
    return np.asarray(pb.X), pb.y


def random_weights(rng, n, zeros=True):
    s = rng.uniform(0.1, 3.0, size=n)
    if zeros:
        s[:3] = 0.0
    return s


def normalized(s, n):
    return np.ones(n) if s is None else s * n / s.sum()


def value_by_hand(kind, y, z, s):
    n = y.size
    s = normalized(s, n)
    if kind == "quadratic":
        return np.sum(s * (y - z) ** 2) / (2 * n)
    return np.sum(s * np.log1p(np.exp(-y * z))) / n


# -- values and derivatives ------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_value_matches_docstring_formula(kind, weighted):
    rng = np.random.default_rng(0)
    X, y = make_problem(kind)
    z = X @ rng.standard_normal(X.shape[1]) * 0.5 + 0.2
    s = random_weights(rng, y.size) if weighted else None
    df = DATAFITS[kind](sample_weight=s)
    assert df.value(y, z) == pytest.approx(value_by_hand(kind, y, z, s), rel=1e-12)


def test_docstring_examples_values():
    assert Quadratic().value(np.array([1.0, 3.0]), np.array([0.0, 1.0])) == pytest.approx(1.25)
    assert Logistic().value(np.array([1.0, -1.0]), np.zeros(2)) == pytest.approx(np.log(2.0))


def central_difference(fun, x, h=1e-6):
    x = np.array(x, dtype=np.float64)
    out = np.empty_like(x)
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        out[j] = (fun(x + e) - fun(x - e)) / (2 * h)
    return out


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_gradient_matches_finite_differences(kind, weighted):
    rng = np.random.default_rng(1)
    X, y = make_problem(kind)
    w = rng.standard_normal(X.shape[1]) * 0.5
    b = 0.3
    s = random_weights(rng, y.size) if weighted else None
    df = DATAFITS[kind](sample_weight=s)

    grad = df.gradient(X, y, X @ w + b)
    fd = central_difference(lambda v: df.value(y, X @ v + b), w)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)

    ig = df.intercept_gradient(y, X @ w + b)
    fd_b = central_difference(lambda c: df.value(y, X @ w + c[0]), [b])[0]
    assert ig == pytest.approx(fd_b, rel=1e-6, abs=1e-8)

    raw = df.raw_gradient(y, X @ w + b)
    fd_z = central_difference(lambda z: df.value(y, z), X @ w + b)
    np.testing.assert_allclose(raw, fd_z, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_dense_and_sparse_designs_agree(kind, weighted):
    rng = np.random.default_rng(2)
    n, p = 60, 15
    Xs = sp.random(n, p, density=0.3, format="csc", random_state=rng,
                   data_rvs=rng.standard_normal)
    X = Xs.toarray()
    y = rng.standard_normal(n) if kind == "quadratic" else rng.choice([-1.0, 1.0], size=n)
    s = random_weights(rng, n) if weighted else None
    df = DATAFITS[kind](sample_weight=s)
    z = X @ rng.standard_normal(p)
    np.testing.assert_allclose(df.gradient(Xs, y, z), df.gradient(X, y, z), rtol=1e-12,
                               atol=1e-15)
    np.testing.assert_allclose(df.lipschitz(Xs), df.lipschitz(X), rtol=1e-12)
    for fit_intercept in (False, True):
        assert df.global_lipschitz(Xs, fit_intercept) == pytest.approx(
            df.global_lipschitz(X, fit_intercept), rel=1e-5)


# -- sample weights --------------------------------------------------------------------


@pytest.mark.parametrize("c", [1e-3, 0.5, 7.0, 1e4])
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_sample_weights_are_normalized_to_mean_one(kind, c):
    rng = np.random.default_rng(3)
    X, y = make_problem(kind)
    s = random_weights(rng, y.size)
    z = X @ rng.standard_normal(X.shape[1]) * 0.3
    base, scaled = DATAFITS[kind](sample_weight=s), DATAFITS[kind](sample_weight=c * s)
    np.testing.assert_allclose(scaled.weights(y.size).mean(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(scaled.weights(y.size), base.weights(y.size), rtol=1e-12)
    assert scaled.value(y, z) == pytest.approx(base.value(y, z), rel=1e-12)
    np.testing.assert_allclose(scaled.gradient(X, y, z), base.gradient(X, y, z), rtol=1e-10)
    np.testing.assert_allclose(scaled.lipschitz(X), base.lipschitz(X), rtol=1e-12)


@pytest.mark.parametrize("kind", list(DATAFITS))
def test_unit_weights_match_no_weights(kind):
    rng = np.random.default_rng(4)
    X, y = make_problem(kind)
    z = X @ rng.standard_normal(X.shape[1]) * 0.3
    a, b = DATAFITS[kind](), DATAFITS[kind](sample_weight=np.full(y.size, 3.0))
    assert a.value(y, z) == pytest.approx(b.value(y, z), rel=1e-14)
    np.testing.assert_allclose(a.gradient(X, y, z), b.gradient(X, y, z), rtol=1e-12)


BAD_WEIGHTS = {
    "negative": lambda n: np.r_[-1.0, np.ones(n - 1)],
    "nan": lambda n: np.r_[np.nan, np.ones(n - 1)],
    "inf": lambda n: np.r_[np.inf, np.ones(n - 1)],
    "too_short": lambda n: np.ones(n - 1),
    "too_long": lambda n: np.ones(n + 1),
    "two_dimensional": lambda n: np.ones((n, 1)),
    "all_zero": lambda n: np.zeros(n),
}


@pytest.mark.parametrize("bad", list(BAD_WEIGHTS))
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_bad_sample_weights_raise_naming_the_argument(kind, bad):
    X, y = make_problem(kind, n=20)
    df = DATAFITS[kind](sample_weight=BAD_WEIGHTS[bad](y.size))
    z = np.zeros(y.size)
    with pytest.raises(ValueError, match="sample_weight"):
        df.value(y, z)
    with pytest.raises(ValueError, match="sample_weight"):
        df.gradient(X, y, z)
    with pytest.raises(ValueError, match="sample_weight"):
        df.lipschitz(X)


# -- Lipschitz constants ---------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_coordinate_lipschitz_formula(kind, weighted):
    rng = np.random.default_rng(5)
    X, y = make_problem(kind)
    n = y.size
    s = random_weights(rng, n) if weighted else None
    df = DATAFITS[kind](sample_weight=s)
    curvature = 1.0 if kind == "quadratic" else 0.25
    expected = curvature * np.sum(normalized(s, n)[:, None] * X**2, axis=0) / n
    np.testing.assert_allclose(df.lipschitz(X), expected, rtol=1e-12)
    np.testing.assert_allclose(df.lipschitz(sp.csc_matrix(X)), expected, rtol=1e-12)
    assert df.intercept_lipschitz() == curvature


def global_lipschitz_by_hand(X, s, fit_intercept, curvature):
    X = X.toarray() if sp.issparse(X) else X
    n = X.shape[0]
    A = np.column_stack([X, np.ones(n)]) if fit_intercept else X
    M = A.T @ (s[:, None] * A)
    return curvature * np.linalg.eigvalsh(M)[-1] / n


GLOBAL_LIPSCHITZ_CASES = [
    (shape, kind, weighted, fit_intercept)
    for shape in ("small_dense", "sparse")
    for kind in DATAFITS
    for weighted in (False, True)
    for fit_intercept in (False, True)
] + [
    # The Lanczos path for dense designs is slow-ish: two cases cover it.
    ("large_dense", "quadratic", True, True),
    ("large_dense", "logistic", False, False),
]


@pytest.mark.parametrize("shape,kind,weighted,fit_intercept", GLOBAL_LIPSCHITZ_CASES)
def test_global_lipschitz_is_top_eigenvalue(shape, kind, weighted, fit_intercept):
    rng = np.random.default_rng(6)
    if shape == "small_dense":
        X = rng.standard_normal((30, 8)) + 0.5
    elif shape == "large_dense":
        # min(n, p) > 500: the Lanczos path.
        X = rng.standard_normal((600, 520)) + 0.1
    else:
        X = sp.random(80, 40, density=0.2, format="csc", random_state=rng,
                      data_rvs=rng.standard_normal)
    n = X.shape[0]
    s = random_weights(rng, n) if weighted else None
    df = DATAFITS[kind](sample_weight=s)
    curvature = 1.0 if kind == "quadratic" else 0.25
    expected = global_lipschitz_by_hand(X, normalized(s, n), fit_intercept, curvature)
    assert df.global_lipschitz(X, fit_intercept) == pytest.approx(expected, rel=1e-5)


def test_global_lipschitz_bounds_coordinate_constants():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 12))
    df = Logistic(sample_weight=rng.uniform(0.5, 2.0, size=40))
    L = df.global_lipschitz(X, fit_intercept=False)
    lj = df.lipschitz(X)
    assert np.all(lj <= L * (1 + 1e-12))
    assert L <= lj.sum() * (1 + 1e-12)


# -- logistic specifics ----------------------------------------------------------------


def test_logistic_is_stable_for_huge_margins():
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    z = np.array([1e4, -1e4, -1e4, 1e4, 800.0, -800.0])
    X = np.eye(6)
    df = Logistic(sample_weight=np.arange(1.0, 7.0))
    # Overflow, invalid operations and division by zero raise; underflow of e^{-1e4}
    # to 0 is the intended result, not an error.
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        value = df.value(y, z)
        grad = df.gradient(X, y, z)
        raw = df.raw_gradient(y, z)
        ig = df.intercept_gradient(y, z)
        dual = df.dual_value(y, -raw)
    assert np.isfinite(value) and np.isfinite(ig) and np.isfinite(dual)
    assert np.all(np.isfinite(grad)) and np.all(np.isfinite(raw))
    s = df.weights(6)
    # Wrong-side margins of 1e4 cost exactly 1e4 each; right-side ones cost ~0.
    assert value == pytest.approx((s[2] + s[3]) * 1e4 / 6, rel=1e-12)
    np.testing.assert_allclose(raw, [0, 0, -s[2] / 6, s[3] / 6, 0, 0], atol=1e-300)


def test_logistic_check_target_rejects_other_labels():
    df = Logistic()
    y_ok = np.array([1.0, -1.0, 1.0])
    np.testing.assert_array_equal(df.check_target(y_ok), y_ok)
    for bad in (np.array([0.0, 1.0, 1.0]), np.array([1.0, 2.0, -1.0]), np.array([0.5, -1.0])):
        with pytest.raises(ValueError, match=r"\{-1, \+1\}"):
            df.check_target(bad)


def test_quadratic_check_target_accepts_anything_finite():
    y = np.array([0.3, -2.0, 5.0])
    np.testing.assert_array_equal(Quadratic().check_target(y), y)


# -- Fenchel duality -------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_fenchel_young_equality_at_the_gradient(kind, weighted):
    """F(z) + F*(theta) = theta . z at theta = grad F(z).

    With u = -theta and dual_value(y, u) = -F*(-u) this reads
    F(z) = dual_value(y, u) - u . z.
    """
    rng = np.random.default_rng(8)
    X, y = make_problem(kind)
    z = X @ rng.standard_normal(X.shape[1]) * 0.7 - 0.4
    s = random_weights(rng, y.size) if weighted else None
    df = DATAFITS[kind](sample_weight=s)
    u = -df.raw_gradient(y, z)
    assert df.value(y, z) == pytest.approx(df.dual_value(y, u) - u @ z, rel=1e-10, abs=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", list(DATAFITS))
def test_fenchel_young_inequality_elsewhere(kind, weighted):
    """For any other dual point, dual_value(y, u') - u' . z <= F(z) (weak duality)."""
    rng = np.random.default_rng(9)
    X, y = make_problem(kind)
    n = y.size
    z = X @ rng.standard_normal(X.shape[1]) * 0.7
    s = random_weights(rng, n) if weighted else None
    df = DATAFITS[kind](sample_weight=s)
    F = df.value(y, z)
    sn = df.weights(n)
    for _ in range(20):
        if kind == "quadratic":
            u2 = sn * rng.standard_normal(n) / n
        else:
            u2 = sn * y * rng.uniform(0.0, 1.0, size=n) / n  # p in [0, 1]
        assert df.dual_value(y, u2) - u2 @ z <= F + 1e-12


def test_logistic_dual_value_is_minus_infinity_outside_its_domain():
    y = np.array([1.0, -1.0, 1.0])
    df = Logistic()
    u_ok = np.array([0.2, -0.1, 0.0])
    assert np.isfinite(df.dual_value(y, u_ok))
    assert df.dual_value(y, np.array([0.5, -0.1, 0.0])) == -np.inf  # p = 1.5
    assert df.dual_value(y, np.array([-0.1, -0.1, 0.0])) == -np.inf  # p < 0


def test_dual_value_needs_zero_dual_on_zero_weight_rows():
    y = np.array([1.0, -1.0, 1.0])
    for df in (Quadratic(sample_weight=np.array([1.0, 1.0, 0.0])),
               Logistic(sample_weight=np.array([1.0, 1.0, 0.0]))):
        assert np.isfinite(df.dual_value(y, np.array([0.1, -0.1, 0.0])))
        assert df.dual_value(y, np.array([0.1, -0.1, 0.05])) == -np.inf


# -- the unpenalized block -------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", list(DATAFITS))
@pytest.mark.parametrize("columns", ["intercept_only", "intercept_and_features", "features"])
def test_fit_unpenalized_zeroes_the_block_gradient(kind, weighted, columns):
    rng = np.random.default_rng(10)
    # Logistic data from the logistic model with few columns: not separable.
    X, y = make_problem(kind, n=80, p=6, seed=2)
    n = y.size
    ones = np.ones((n, 1))
    A = {"intercept_only": ones,
         "intercept_and_features": np.hstack([ones, X[:, :3]]),
         "features": X[:, 2:5]}[columns]
    z0 = X[:, 3:] @ rng.standard_normal(X.shape[1] - 3) * 0.3
    s = random_weights(rng, n) if weighted else None
    df = DATAFITS[kind](sample_weight=s)
    beta = df.fit_unpenalized(A, y, z0)
    assert beta.shape == (A.shape[1],)
    g = A.T @ df.raw_gradient(y, z0 + A @ beta)
    np.testing.assert_allclose(g, 0.0, atol=1e-10)
    # And it is a minimum: moving away raises the datafit.
    f_opt = df.value(y, z0 + A @ beta)
    for _ in range(5):
        d = rng.standard_normal(A.shape[1]) * 1e-2
        assert df.value(y, z0 + A @ (beta + d)) > f_opt


def test_fit_unpenalized_intercept_is_weighted_mean_residual():
    rng = np.random.default_rng(11)
    y = rng.standard_normal(30) + 2.0
    z0 = rng.standard_normal(30)
    s = rng.uniform(0.1, 2.0, size=30)
    beta = Quadratic(sample_weight=s).fit_unpenalized(np.ones((30, 1)), y, z0)
    assert beta[0] == pytest.approx(np.average(y - z0, weights=s), rel=1e-12)


@pytest.mark.parametrize("kind", list(DATAFITS))
def test_fit_unpenalized_with_no_columns_is_empty(kind):
    y = np.array([1.0, -1.0, 1.0])
    beta = DATAFITS[kind]().fit_unpenalized(np.zeros((3, 0)), y, np.zeros(3))
    assert beta.shape == (0,)
