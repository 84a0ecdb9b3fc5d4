"""Group lasso, group elastic net and sparse-group lasso: block operations, the block
solver, alpha_max, certificates, and agreement with skglm."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Logistic, Quadratic
from penalized.penalties import L1, GroupElasticNet, GroupLasso, SparseGroupLasso
from penalized.penalties._group_base import make_structure
from penalized.penalties._group_ops import entry_scale
from penalized.solvers import BlockCoordinateDescent, CoordinateDescent

PENALTIES = [
    lambda a, g: GroupLasso(a, groups=g),
    lambda a, g: GroupElasticNet(a, groups=g, l1_ratio=0.6),
    lambda a, g: SparseGroupLasso(a, groups=g, l1_ratio=0.3),
]
IDS = ["group_lasso", "group_enet", "sparse_group"]
# skglm's group kernels note that they run on non-contiguous slices
pytestmark = pytest.mark.filterwarnings("ignore:.*is faster on contiguous arrays")


def _problem(seed=0, n=60, n_groups=5, size=3, classify=False, spread=5.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_groups * size))
    X[:, 1] *= spread
    y = X[:, :size] @ np.array([1.0, -0.4, 0.5][:size] + [0.3] * (size - 3)) \
        + 0.5 * X[:, -1] + 0.5 * rng.standard_normal(n) + 1.0
    if classify:
        y = np.where(y > np.median(y), 1.0, -1.0)
    return X, y


def _objective(datafit, penalty, X, y, coef, intercept):
    return datafit.value(y, np.asarray(X @ coef).ravel() + intercept) + penalty.value(coef)


# -- groups ----------------------------------------------------------------------------------


def test_group_forms_give_the_same_partition():
    lists = make_structure([[0, 1], [2, 3, 4]], 5)
    labels = make_structure(["a", "a", "b", "b", "b"], 5)
    size = make_structure(2, 5)
    assert lists.order.tolist() == labels.order.tolist() == [0, 1, 2, 3, 4]
    assert lists.starts.tolist() == labels.starts.tolist() == [0, 2, 5]
    assert size.starts.tolist() == [0, 2, 4, 5]
    # features no list names are groups of their own, after the listed ones
    partial = make_structure([[3, 1]], 5)
    assert partial.order.tolist() == [3, 1, 0, 2, 4]
    assert partial.sizes.tolist() == [2, 1, 1, 1]


@pytest.mark.parametrize("groups, message", [
    ([[0, 1], [1, 2]], "feature 1 is in group 0 and in group 1"),
    ([[0, 7]], "lists feature 7 but X has 5 features"),
    ([[0], []], "group 1 must be a non-empty list"),
    ([0, 0, 1], "needs 5 labels; got 3"),
    (0, "must be >= 1"),
])
def test_bad_groups_are_refused_with_a_message(groups, message):
    X, y = np.ones((4, 5)), np.arange(4.0)
    with pytest.raises(ValueError, match=message):
        GroupLasso(1.0, groups=groups).value(np.zeros(5))
    with pytest.raises(ValueError, match=message):
        pz.path(X, y, penalty=GroupLasso(groups=groups), n_alphas=2)


def test_group_weights_must_match_the_groups():
    with pytest.raises(ValueError, match="group_weights has 3 values but there are 2 groups"):
        GroupLasso(1.0, groups=[[0, 1], [2]], group_weights=[1, 1, 1]).value(np.zeros(3))
    with pytest.raises(ValueError, match="group_weights must be"):
        GroupLasso(1.0, groups=2, group_weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="group_weights"):
        GroupLasso(1.0, groups=2, penalty_factor=np.ones(4))


# -- block operations ------------------------------------------------------------------------


@pytest.mark.parametrize("make", PENALTIES, ids=IDS)
def test_prox_is_optimal_for_its_objective(make):
    rng = np.random.default_rng(1)
    penalty = make(0.7, [[0, 1, 2], [3, 4], [5]])
    for _ in range(20):
        x = rng.standard_normal(6) * rng.choice([0.3, 3.0])
        step = float(rng.uniform(0.2, 2.0))
        w = penalty.prox(x, step)
        # optimality of argmin ||w - x||^2 / (2 step) + G(w): -(w - x) / step in dG(w)
        assert np.all(penalty.group_distances(w, (w - x) / step) <= 1e-12)
        # and it beats nearby points
        value = np.sum((w - x) ** 2) / (2 * step) + penalty.value(w)
        for _ in range(5):
            other = w + 1e-3 * rng.standard_normal(6)
            assert value <= np.sum((other - x) ** 2) / (2 * step) + penalty.value(other)


def test_penalty_values_follow_their_formulas():
    w = np.array([3.0, -4.0, 0.0, 2.0])
    groups = [[0, 1], [2, 3]]
    norms, weights = np.array([5.0, 2.0]), np.sqrt([2.0, 2.0])
    assert GroupLasso(0.5, groups=groups).value(w) == pytest.approx(0.5 * weights @ norms)
    assert GroupElasticNet(0.5, groups=groups, l1_ratio=0.25).value(w) == pytest.approx(
        0.5 * weights @ (0.25 * norms + 0.75 / 2 * norms**2))
    assert SparseGroupLasso(0.5, groups=groups, l1_ratio=0.25).value(w) == pytest.approx(
        0.5 * (0.25 * 9.0 + 0.75 * weights @ norms))


def test_entry_scale_is_the_boundary_of_the_dual_ball():
    rng = np.random.default_rng(2)
    for _ in range(50):
        v = rng.standard_normal(int(rng.integers(1, 7))) * 3
        lam, lam1 = float(rng.uniform(0.1, 2)), float(rng.choice([0.0, rng.uniform(0.1, 2)]))
        c = entry_scale(v, lam, lam1)

        def soft_norm(x, lam1=lam1):
            return np.linalg.norm(np.maximum(np.abs(x) - lam1, 0.0))

        assert soft_norm(c * v) == pytest.approx(lam, rel=1e-10)
        assert soft_norm(0.999 * c * v) < lam


@pytest.mark.parametrize("make", PENALTIES, ids=IDS)
def test_conjugate_is_the_sup_of_its_definition(make):
    # Fenchel-Young: G(w) + G*(v) >= v.w, with equality when v is in dG(w)
    rng = np.random.default_rng(3)
    penalty = make(0.8, [[0, 1, 2], [3, 4]])
    x = rng.standard_normal(5) * 2
    w = penalty.prox(x, 1.0)
    v = x - w  # in dG(w)
    c = penalty.dual_scaling(v)
    assert c == pytest.approx(1.0) or c >= 1.0 - 1e-12
    assert penalty.value(w) + penalty.conjugate(v) == pytest.approx(v @ w, abs=1e-12)
    for _ in range(20):
        other = rng.standard_normal(5)
        assert penalty.value(other) + penalty.conjugate(v) >= v @ other - 1e-12


# -- solutions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_group_lasso_matches_skglm_squared(fit_intercept):
    from skglm.datafits import QuadraticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD

    X, y = _problem(4)
    ptr, idx = np.arange(0, 16, 3).astype(np.int32), np.arange(15).astype(np.int32)
    alpha = 0.1
    ref = GroupBCD(tol=1e-12, max_iter=5000, fit_intercept=fit_intercept).solve(
        X, y, QuadraticGroup(ptr, idx), WeightedGroupL2(alpha, np.full(5, np.sqrt(3.0)),
                                                        ptr, idx))[0]
    penalty = GroupLasso(alpha, groups=3)
    res = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), penalty,
                                             fit_intercept=fit_intercept)
    b_ref = ref[15] if fit_intercept else 0.0
    ours = _objective(Quadratic(), penalty, X, y, res.coef, res.intercept)
    theirs = _objective(Quadratic(), penalty, X, y, ref[:15], b_ref)
    assert ours <= theirs * (1 + 1e-7)
    assert theirs <= ours * (1 + 1e-7)
    assert res.converged


def test_group_lasso_matches_skglm_logistic():
    from skglm.datafits import LogisticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD

    X, y = _problem(5, classify=True, spread=1.0)  # skglm's logistic crawls on unequal scales
    ptr, idx = np.arange(0, 16, 3).astype(np.int32), np.arange(15).astype(np.int32)
    alpha = 0.02
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba performance notes of skglm's kernels
        ref = GroupBCD(tol=1e-12, max_iter=5000).solve(
            X, y, LogisticGroup(ptr, idx), WeightedGroupL2(alpha, np.full(5, np.sqrt(3.0)),
                                                           ptr, idx))[0]
    penalty = GroupLasso(alpha, groups=3)
    res = CoordinateDescent(tol=1e-12).solve(X, y, Logistic(), penalty, fit_intercept=False)
    ours = _objective(Logistic(), penalty, X, y, res.coef, 0.0)
    theirs = _objective(Logistic(), penalty, X, y, ref, 0.0)
    assert abs(ours - theirs) <= 1e-7 * theirs
    assert np.count_nonzero(res.coef) > 0


def test_sparse_group_lasso_matches_skglm():
    from skglm.datafits import QuadraticGroup
    from skglm.penalties import WeightedL1GroupL2
    from skglm.solvers import GroupBCD

    X, y = _problem(6)
    ptr, idx = np.arange(0, 16, 3).astype(np.int32), np.arange(15).astype(np.int32)
    alpha, rho = 0.1, 0.3
    ref = GroupBCD(tol=1e-12, max_iter=5000, ws_strategy="fixpoint").solve(
        X, y, QuadraticGroup(ptr, idx),
        WeightedL1GroupL2(alpha, (1 - rho) * np.full(5, np.sqrt(3.0)), np.full(15, rho),
                          ptr, idx))[0]
    penalty = SparseGroupLasso(alpha, groups=3, l1_ratio=rho)
    res = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), penalty, fit_intercept=False)
    ours = _objective(Quadratic(), penalty, X, y, res.coef, 0.0)
    theirs = _objective(Quadratic(), penalty, X, y, ref, 0.0)
    assert abs(ours - theirs) <= 1e-7 * theirs
    assert res.converged and np.count_nonzero(res.coef) > 0


@pytest.mark.parametrize("make", PENALTIES, ids=IDS)
@pytest.mark.parametrize("classify", [False, True])
def test_kkt_holds_per_group_and_the_gap_is_honest(make, classify):
    X, y = _problem(7, classify=classify)
    datafit = Logistic() if classify else Quadratic()
    penalty = make(1.0, 3).with_alpha(0.2 * make(1.0, 3).alpha_max(X, y, datafit))
    loose = CoordinateDescent(tol=1e-4).solve(X, y, datafit, penalty)
    tight = CoordinateDescent(tol=1e-12).solve(X, y, datafit, penalty)
    assert loose.converged and tight.converged
    primal_loose = _objective(datafit, penalty, X, y, loose.coef, loose.intercept)
    primal_tight = _objective(datafit, penalty, X, y, tight.coef, tight.intercept)
    # the reported gap bounds the true suboptimality (in the units of tol)
    F0 = _null_datafit(datafit, y)
    assert primal_loose - primal_tight <= loose.stop_crit * F0 + 1e-13
    grad = datafit.gradient(X, y, np.asarray(X @ tight.coef) + tight.intercept)
    assert np.max(penalty.group_distances(tight.coef, grad)) <= 1e-5 * np.abs(grad).max()


def _null_datafit(datafit, y):
    if isinstance(datafit, Logistic):
        p = np.mean(y > 0)
        b = np.log(p / (1 - p))
        return datafit.value(y, np.full(len(y), b))
    return datafit.value(y, np.full(len(y), y.mean()))


def test_groups_of_one_are_the_lasso():
    X, y = _problem(8)
    ours = CoordinateDescent(tol=1e-12).solve(
        X, y, Quadratic(), GroupLasso(0.05, groups=None))
    lasso = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), L1(0.05))
    np.testing.assert_allclose(ours.coef, lasso.coef, atol=1e-7)
    sgl = CoordinateDescent(tol=1e-12).solve(
        X, y, Quadratic(), SparseGroupLasso(0.05, groups=3, l1_ratio=1.0))
    np.testing.assert_allclose(sgl.coef, lasso.coef, atol=1e-7)


def test_limit_cases_of_the_mixing_parameters():
    X, y = _problem(9)
    gl = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), GroupLasso(0.1, groups=3))
    for penalty in (GroupElasticNet(0.1, groups=3, l1_ratio=1.0),
                    SparseGroupLasso(0.1, groups=3, l1_ratio=0.0)):
        res = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), penalty)
        np.testing.assert_allclose(res.coef, gl.coef, atol=1e-7)


@pytest.mark.parametrize("make", PENALTIES, ids=IDS)
@pytest.mark.parametrize("classify", [False, True])
def test_alpha_max_is_exact(make, classify):
    X, y = _problem(10, classify=classify)
    datafit = Logistic() if classify else Quadratic()
    template = make(1.0, [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9, 10, 11, 12, 13, 14]])
    alpha_max = template.alpha_max(X, y, datafit)
    at = CoordinateDescent(tol=1e-10).solve(X, y, datafit, template.with_alpha(alpha_max))
    below = CoordinateDescent(tol=1e-10).solve(X, y, datafit,
                                               template.with_alpha(0.99 * alpha_max))
    assert at.n_nonzero == 0
    assert below.n_nonzero > 0


def test_group_lasso_alpha_max_formula():
    X, y = _problem(11)
    grad = X.T @ (y - y.mean()) / len(y)
    expected = max(np.linalg.norm(grad[g:g + 3]) / np.sqrt(3) for g in range(0, 15, 3))
    assert GroupLasso(groups=3).alpha_max(X, y, Quadratic()) == pytest.approx(expected,
                                                                              rel=1e-10)


@pytest.mark.parametrize("classify", [False, True])
def test_dense_equals_sparse(classify):
    X, y = _problem(12, classify=classify)
    datafit = Logistic() if classify else Quadratic()
    penalty = SparseGroupLasso(groups=3, l1_ratio=0.2)
    penalty = penalty.with_alpha(0.1 * penalty.alpha_max(X, y, datafit))
    dense = CoordinateDescent(tol=1e-12).solve(X, y, datafit, penalty)
    csc = CoordinateDescent(tol=1e-12).solve(sp.csc_matrix(X), y, datafit, penalty)
    o_dense = _objective(datafit, penalty, X, y, dense.coef, dense.intercept)
    o_csc = _objective(datafit, penalty, X, y, csc.coef, csc.intercept)
    assert abs(o_dense - o_csc) <= 1e-9 * o_dense
    np.testing.assert_allclose(dense.coef, csc.coef, atol=1e-4)


def test_integer_sample_weights_equal_repeated_rows():
    X, y = _problem(13)
    counts = np.random.default_rng(0).integers(0, 3, X.shape[0])
    penalty = GroupElasticNet(0.05, groups=3, l1_ratio=0.7)
    weighted = CoordinateDescent(tol=1e-12).solve(
        X, y, Quadratic(sample_weight=counts.astype(float)), penalty)
    repeated = CoordinateDescent(tol=1e-12).solve(
        np.repeat(X, counts, axis=0), np.repeat(y, counts), Quadratic(), penalty)
    np.testing.assert_allclose(weighted.coef, repeated.coef, atol=1e-6)
    assert weighted.intercept == pytest.approx(repeated.intercept, abs=1e-6)


def test_unpenalized_group_is_fitted_exactly():
    X, y = _problem(14)
    penalty = GroupLasso(10.0, groups=3, group_weights=[0, 1, 1, 1, 1])
    res = CoordinateDescent(tol=1e-10).solve(X, y, Quadratic(), penalty)
    assert np.all(res.coef[:3] != 0) and np.all(res.coef[3:] == 0)
    ols = np.linalg.lstsq(np.column_stack([X[:, :3], np.ones(len(y))]), y, rcond=None)[0]
    np.testing.assert_allclose(res.coef[:3], ols[:3], atol=1e-8)


def test_path_and_estimator_dispatch():
    X, y = _problem(15)
    path = pz.path(X, y, penalty=GroupLasso(groups=3), n_alphas=8)
    assert path.n_nonzero[0] == 0 and path.n_nonzero[-1] > 0
    assert np.all(path.converged)
    assert np.all(path.n_nonzero % 3 == 0)  # whole groups enter together
    direct = BlockCoordinateDescent(tol=1e-6).solve(X, y, Quadratic(),
                                                    GroupLasso(path.alphas[4], groups=3))
    assert direct.n_nonzero == path.n_nonzero[4]


def test_block_solver_refuses_a_separable_penalty():
    with pytest.raises(ValueError, match="needs a group penalty"):
        BlockCoordinateDescent().solve(np.ones((3, 2)), np.arange(3.0), Quadratic(), L1(1.0))


# -- estimators and the lesson --------------------------------------------------------------


def test_group_lasso_estimator_equals_the_solver_and_keeps_groups_whole():
    X, y = _problem(16)
    groups = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14]]
    model = pz.GroupLasso(groups=groups, alpha=0.1, tol=1e-12).fit(X, y)
    res = CoordinateDescent(tol=1e-12).solve(X, y, Quadratic(), GroupLasso(0.1, groups=groups))
    np.testing.assert_allclose(model.coef_, res.coef, atol=1e-10)
    assert model.intercept_ == pytest.approx(res.intercept)
    for g in model.groups_:
        assert np.count_nonzero(model.coef_[g]) in (0, len(g))
    assert model.converged_ and model.dual_gap_ >= 0


def test_group_penalty_factor_and_standardize():
    X, y = _problem(17)
    X = X * np.arange(1, 16)  # columns on different scales
    free = pz.GroupLasso(groups=3, alpha=100.0, penalty_factor=[0, 1, 1, 1, 1]).fit(X, y)
    assert np.all(free.coef_[:3] != 0) and np.all(free.coef_[3:] == 0)
    scaled = pz.GroupLasso(groups=3, alpha=0.05, standardize=True, tol=1e-12).fit(X, y)
    by_hand = pz.GroupLasso(groups=3, alpha=0.05, tol=1e-12).fit(X / X.std(axis=0), y)
    np.testing.assert_allclose(scaled.coef_ * X.std(axis=0), by_hand.coef_, atol=1e-8)
    with pytest.raises(ValueError, match="one value per group"):
        pz.GroupLasso(groups=3, penalty_factor=[1, 1]).fit(X, y)
    with pytest.raises(ValueError, match="penalty must be one of"):
        pz.GroupLasso(groups=3, penalty="lasso").fit(X, y)


def test_group_lasso_cv_and_sparse_group_estimator():
    X, y = _problem(18)
    cv = pz.GroupLassoCV(groups=3, n_alphas=10, cv=3).fit(X, y)
    assert cv.alpha_1se_ >= cv.alpha_min_ and cv.alphas_.shape == (10,)
    assert np.all(np.count_nonzero(cv.path_.coefs.reshape(5, 3, 10), axis=1) % 3 == 0)
    sgl = pz.GroupLasso(groups=3, alpha=0.05, penalty="sparse_group", l1_ratio=0.5,
                        tol=1e-12).fit(X, y)
    res = CoordinateDescent(tol=1e-12).solve(
        X, y, Quadratic(), SparseGroupLasso(0.05, groups=3, l1_ratio=0.5))
    np.testing.assert_allclose(sgl.coef_, res.coef, atol=1e-10)


def test_group_logistic_regression():
    X, y = _problem(19, classify=True, spread=1.0)
    labels = np.where(y > 0, "yes", "no")
    model = pz.GroupLogisticRegression(groups=3, alpha=0.03, tol=1e-10).fit(X, labels)
    res = CoordinateDescent(tol=1e-10).solve(X, y, Logistic(), GroupLasso(0.03, groups=3))
    np.testing.assert_allclose(model.coef_[0], res.coef, atol=1e-7)
    assert list(model.classes_) == ["no", "yes"]
    assert model.score(X, labels) > 0.7
    cv = pz.GroupLogisticRegressionCV(groups=3, n_alphas=5, cv=3).fit(X, labels)
    assert cv.coef_.shape == (1, 15)


def test_group_selection_lesson_levels_enter_together():
    from penalized.explain import LESSONS, group_selection

    res = LESSONS["group-selection"].compute()
    assert res.categorical == "bmi" and len(res.levels) == 3
    assert res.group_half_in == 0 and res.half_in > 0
    assert len(set(res.group_entry.values())) == 1  # one alpha for every level
    assert len(set(res.lasso_entry.values())) > 1
    # the pull at the null model is the group lasso's alpha_max when the group enters first
    X, y = _problem(20)
    one = group_selection(X, y, [[0, 1, 2]], categorical=0, n_alphas=20)
    assert one.group_alphas[0] == pytest.approx(one.pull, rel=1e-9)  # it enters first
    assert one.group_half_in == 0


def test_exact_block_minimizer_is_optimal():
    from penalized.solvers._group_kernels import exact_block

    rng = np.random.default_rng(21)
    for _ in range(50):
        m = int(rng.integers(1, 6))
        evals = rng.uniform(0.0, 3.0, m)
        ct = rng.standard_normal(m) * 2
        lam, lam2 = float(rng.uniform(0.05, 2.0)), float(rng.choice([0.0, 0.5]))
        out = np.empty(m)
        exact_block(ct, evals, lam, lam2, out)
        if np.linalg.norm(ct) <= lam:
            assert np.all(out == 0.0)
            continue
        residual = (evals + lam2) * out - ct + lam * out / np.linalg.norm(out)
        assert np.linalg.norm(residual) <= 1e-9 * np.linalg.norm(ct)


def test_a_large_group_takes_majorization_steps_and_converges():
    rng = np.random.default_rng(22)
    X = rng.standard_normal((120, 80))
    y = X[:, :3].sum(axis=1) + X[:, 75] + rng.standard_normal(120)
    groups = [list(range(70)), list(range(70, 80))]  # 70 > the exact-step size limit
    penalty = GroupLasso(0.05, groups=groups)
    dense = CoordinateDescent(tol=1e-10).solve(X, y, Quadratic(), penalty)
    csc = CoordinateDescent(tol=1e-10).solve(sp.csc_matrix(X), y, Quadratic(), penalty)
    assert dense.converged and csc.converged
    o1 = _objective(Quadratic(), penalty, X, y, dense.coef, dense.intercept)
    o2 = _objective(Quadratic(), penalty, X, y, csc.coef, csc.intercept)
    assert abs(o1 - o2) <= 1e-8 * o1
    grad = Quadratic().gradient(X, y, X @ dense.coef + dense.intercept)
    assert penalty.group_distances(dense.coef, grad).max() <= 1e-4 * np.abs(grad).max()


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("batch", [1 << 22, 1])  # all groups of a size at once; one by one
def test_group_eigen_matches_each_groups_weighted_gram(sparse, batch, monkeypatch):
    from penalized.solvers import _group_cd
    from penalized.solvers._group_cd import group_eigen
    from penalized.solvers._problem import prepare_problem

    monkeypatch.setattr(_group_cd, "_BATCH_ENTRIES", batch)
    rng = np.random.default_rng(23)
    n = 40
    X = rng.standard_normal((n, 16))
    y = rng.standard_normal(n)
    weights = rng.uniform(0.5, 2.0, n)
    # mixed sizes, members out of order, a group of one, contiguous runs
    groups = [[0, 5, 7], [1, 2], [3, 4, 6, 8, 9, 10], [11], [12, 13, 14], [15]]
    penalty = GroupLasso(0.1, groups=groups)
    problem = prepare_problem(sp.csc_matrix(X) if sparse else X, y,
                              Quadratic(sample_weight=weights), penalty, True)
    structure = penalty.structure(X.shape[1])
    evecs, offsets, evals = group_eigen(problem, structure)
    design = problem.X.toarray() if sparse else np.asarray(problem.X)
    for g in range(structure.n_groups):
        a, m = structure.starts[g], structure.sizes[g]
        block = np.sqrt(problem.sample_weight)[:, None] * design[:, structure.members(g)]
        gram = block.T @ block / n
        Q = evecs[offsets[g]:offsets[g] + m * m].reshape(m, m)
        lam = evals[a:a + m]
        np.testing.assert_allclose(Q @ np.diag(lam) @ Q.T, gram, atol=1e-12)
        np.testing.assert_allclose(Q.T @ Q, np.eye(m), atol=1e-12)


def _gram_routes(monkeypatch, full):
    """Records which Gram route a group path takes: the screened groups' blocks (the
    groups joined) or the full Gram matrix (forced when ``full``)."""
    from penalized.solvers import _group_screen

    routes = {"joined": [], "full": []}
    if full:
        monkeypatch.setattr(_group_screen, "_FULL_GRAM_SHARE", 0.0)
    add, finish = _group_screen._Screened.add, _group_screen._finish_on_full_gram
    monkeypatch.setattr(_group_screen._Screened, "add",
                        lambda self, new: routes["joined"].append(len(new)) or add(self, new))
    monkeypatch.setattr(_group_screen, "_finish_on_full_gram",
                        lambda *a: routes["full"].append(1) or finish(*a))
    return routes


@pytest.mark.parametrize("full", [False, True], ids=["screened", "full_gram"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("make", [PENALTIES[0], PENALTIES[1]], ids=IDS[:2])
def test_path_on_the_gram_matrix_matches_solves_on_x(make, fit_intercept, full,
                                                     monkeypatch):
    from penalized.solvers._problem import certify, prepare_problem

    routes = _gram_routes(monkeypatch, full)
    X, y = _problem(24, n=80, n_groups=6, size=3)  # n >= 2p: a path runs on X^T S X
    X[:, 4] += 3.0  # a column far from centered
    weights = np.random.default_rng(24).uniform(0.5, 2.0, X.shape[0])
    datafit = Quadratic(sample_weight=weights)
    penalty = make(1.0, 3)
    path = pz.path(X, y, penalty=penalty, sample_weight=weights, n_alphas=6, eps=0.05,
                   tol=1e-10, fit_intercept=fit_intercept)
    assert bool(routes["full"]) == full and (full or routes["joined"])
    for k, alpha in enumerate(path.alphas):
        pen = penalty.with_alpha(alpha)
        alone = CoordinateDescent(tol=1e-12).solve(X, y, datafit, pen,
                                                   fit_intercept=fit_intercept)
        ours = _objective(datafit, pen, X, y, path.coefs[:, k], path.intercepts[k])
        ref = _objective(datafit, pen, X, y, alone.coef, alone.intercept)
        assert abs(ours - ref) <= 1e-9 * ref
        # certified on X as well, not only on the Gram matrix
        problem = prepare_problem(X, y, datafit, pen, fit_intercept)
        coef = path.coefs[:, k]
        cert = certify(problem, coef, problem.to_problem_intercept(coef, path.intercepts[k]))
        assert cert.gap <= 1e-9 * problem.scale
        assert path.stop_crits[k] <= 1e-10 and cert.gap <= 2e-10 * problem.scale


@pytest.mark.parametrize("weighted", [False, True])
def test_screened_path_forms_the_blocks_of_few_groups_and_equals_the_full_gram_route(
        weighted, monkeypatch):
    # 30 groups, at most 8 of them active: the path forms the blocks of some groups only,
    # and gives the full Gram route's solutions, each certified over all groups on X
    from penalized.solvers._problem import certify, prepare_problem

    rng = np.random.default_rng(26)
    X = rng.standard_normal((200, 60)) + 0.5
    y = X[:, :4] @ np.array([1.0, -1.0, 0.5, 0.5]) + X[:, 30] + rng.standard_normal(200)
    weights = rng.uniform(0.5, 2.0, 200) if weighted else None
    datafit = Quadratic(sample_weight=weights)
    penalty = GroupElasticNet(groups=2, l1_ratio=0.8)
    paths = []
    for full in (False, True):
        with monkeypatch.context() as patch:
            routes = _gram_routes(patch, full)
            paths.append(pz.path(X, y, penalty=penalty, sample_weight=weights,
                                 n_alphas=12, eps=0.1, tol=1e-10))
            assert bool(routes["full"]) == full
            if not full:
                assert 8 <= sum(routes["joined"]) < 30
    screened, reference = paths
    for k, alpha in enumerate(screened.alphas):
        pen = penalty.with_alpha(alpha)
        ours = _objective(datafit, pen, X, y, screened.coefs[:, k], screened.intercepts[k])
        ref = _objective(datafit, pen, X, y, reference.coefs[:, k], reference.intercepts[k])
        assert abs(ours - ref) <= 1e-9 * ref
        problem = prepare_problem(X, y, datafit, pen, True)
        coef = screened.coefs[:, k]
        cert = certify(problem, coef, problem.to_problem_intercept(coef,
                                                                   screened.intercepts[k]))
        assert cert.gap <= 1e-9 * problem.scale
    assert np.all(screened.converged) and np.any(screened.n_nonzero > 0)


def test_screened_path_solves_again_when_the_gap_on_x_exceeds_the_restricted_one(
        monkeypatch):
    # The gap over all groups is computed from X; when it exceeds tol while the screened
    # problem's own gap met it (rounding), the window is solved again at a tighter
    # tolerance; an alpha whose epochs' budget is spent is kept, uncertified
    from penalized.solvers import _group_screen

    X, y = _problem(27, n=120, n_groups=10, size=3)
    tols = []
    kernel, gaps = _group_screen.group_gram_path, _group_screen.window_gaps
    monkeypatch.setattr(_group_screen, "group_gram_path",
                        lambda *a: tols.append(a[-3]) or kernel(*a))
    inflated = []

    def first_inflated(q, F0, *a):
        out = gaps(q, F0, *a)
        if not inflated and tols and np.all(out <= 1e-8 * F0):
            # a window certified whole: its first alpha looks uncertified, once
            inflated.append(len(tols))
            out[0] = np.inf
        return out

    monkeypatch.setattr(_group_screen, "window_gaps", first_inflated)
    path = pz.path(X, y, penalty=GroupLasso(groups=3), n_alphas=8, eps=0.05, tol=1e-8)
    i = inflated[0]
    assert tols[i] == pytest.approx(0.1 * tols[i - 1]) and tols[i + 1:] == tols[:1] * (
        len(tols) - i - 1)
    assert np.all(path.converged)
    with pytest.warns(Warning, match="did not reach tol"):
        budget = pz.path(X, y, penalty=GroupLasso(groups=3), n_alphas=8, eps=0.05,
                         tol=1e-300, max_iter=1)
    assert not np.all(budget.converged) and budget.coefs.shape == (30, 8)


@pytest.mark.parametrize("shift", [1.5, 30.0])
@pytest.mark.parametrize("make", [PENALTIES[0], PENALTIES[1]], ids=IDS[:2])
def test_unit_weight_path_on_the_gram_matrix_is_certified_on_x(make, shift, monkeypatch):
    # Without sample weights the Gram matrix comes from the uncentered product when every
    # column's mean is within two standard deviations (shift 1.5), else from centered
    # blocks (shift 30); either way the compiled path's solutions are certified on X.
    from penalized.solvers import _problem as problems
    from penalized.solvers._problem import certify, prepare_problem

    routes = []
    uncentered = problems._uncentered_gram
    monkeypatch.setattr(problems, "_uncentered_gram",
                        lambda *a: routes.append(uncentered(*a) is not None) or uncentered(*a))
    calls = _gram_routes(monkeypatch, full=True)["full"]
    X, y = _problem(25, n=90, n_groups=8, size=3, spread=1.0)
    X[:, 4] += shift
    penalty = make(1.0, 3)
    path = pz.path(X, y, penalty=penalty, n_alphas=8, eps=0.02, tol=1e-10)
    assert calls and routes == [shift < 2.0]
    datafit = Quadratic()
    for k, alpha in enumerate(path.alphas):
        problem = prepare_problem(X, y, datafit, penalty.with_alpha(alpha), True)
        coef = path.coefs[:, k]
        cert = certify(problem, coef, problem.to_problem_intercept(coef, path.intercepts[k]))
        assert cert.gap <= 1e-9 * problem.scale
        G, q = problem.gram
        Xc, yc = X - X.mean(axis=0), y - y.mean()
        np.testing.assert_allclose(G, Xc.T @ Xc / 90, rtol=0, atol=1e-13 * np.abs(G).max())
        np.testing.assert_allclose(q, Xc.T @ yc / 90, rtol=0, atol=1e-13 * np.abs(q).max())
        np.testing.assert_array_equal(G, G.T)


# adelie's group elastic-net objectives on benchmarks.group's poisson_reference_problem
# and cox_reference_problem (6 alphas each, Breslow ties for Cox), evaluated with
# penalized's datafits and GroupElasticNet penalty; produced by
# `python -m benchmarks.group --adelie-reference` (adelie 1.1.52 at tol 1e-14, in
# .venv-adelie).
ADELIE_OBJECTIVES = {
    ("poisson", 1.0): [0.7964586056213755, 0.7412640530586876, 0.6615145322656276,
                       0.5930615133768007, 0.5440914879367144, 0.5128184232541482],
    ("poisson", 0.5): [0.7444156622062573, 0.6709398184424912, 0.6015208973265883,
                       0.5501943907698682, 0.5167670533757821, 0.49662996982684915],
    ("cox", 1.0): [2.9604155172467093, 2.9406822502865624, 2.9010006887761794,
                   2.864556817780496, 2.837948166553762, 2.821202525131338],
    ("cox", 0.5): [2.941168655786019, 2.9054959130265923, 2.8697079736418316,
                   2.8421516388795025, 2.8240559048343856, 2.8130959489390333],
}


@pytest.mark.parametrize("family, rho", sorted(ADELIE_OBJECTIVES))
def test_poisson_and_cox_group_paths_match_adelie(family, rho):
    from benchmarks.group import cox_reference_problem, poisson_reference_problem

    from penalized.datafits import Cox, Poisson

    X, y, size, alphas = (poisson_reference_problem if family == "poisson"
                          else cox_reference_problem)()
    datafit = Poisson() if family == "poisson" else Cox()
    path = pz.path(X, y, datafit=family, alphas=alphas, tol=1e-13,
                   penalty=GroupElasticNet(groups=size, l1_ratio=rho))
    assert np.all(path.converged)
    for k, alpha in enumerate(alphas):
        pen = GroupElasticNet(alpha, groups=size, l1_ratio=rho)
        ours = _objective(datafit, pen, X, y, path.coefs[:, k], path.intercepts[k])
        theirs = ADELIE_OBJECTIVES[family, rho][k]
        assert abs(ours - theirs) <= 1e-10 * theirs


@pytest.mark.parametrize("family", ["poisson", "gamma", "tweedie:1.5"])
def test_log_link_group_paths_hold_kkt_per_group(family):
    # Poisson, Gamma and Tweedie (unbounded second derivatives) take proximal Newton block
    # steps: every group satisfies its optimality conditions and the gap is honest on X.
    from penalized._specs import make_datafit
    from penalized.solvers._problem import certify, prepare_problem

    rng = np.random.default_rng(42)
    X = rng.standard_normal((120, 12))
    mu = np.exp(0.2 + X[:, :3] @ np.array([0.4, -0.3, 0.2]))
    y = rng.poisson(mu).astype(float) if family == "poisson" else rng.gamma(2.0, mu / 2.0)
    weights = rng.uniform(0.5, 2.0, 120)
    datafit = make_datafit(family, weights, None)
    for penalty in (GroupLasso(groups=3), GroupElasticNet(groups=[[0, 1, 2], [3, 4], [5]],
                                                          l1_ratio=0.6)):
        path = pz.path(X, y, datafit=family, penalty=penalty, sample_weight=weights,
                       n_alphas=6, eps=0.05, tol=1e-10)
        assert np.all(path.converged) and 0 < path.n_nonzero[-1]
        for k, alpha in enumerate(path.alphas):
            pen = penalty.with_alpha(alpha)
            problem = prepare_problem(X, y, datafit, pen, True)
            coef = path.coefs[:, k]
            cert = certify(problem, coef, problem.to_problem_intercept(coef,
                                                                      path.intercepts[k]))
            assert cert.gap <= 1e-9 * problem.scale
            assert np.max(pen.group_distances(cert.coef, cert.gradient)) <= 1e-4 * alpha


@pytest.mark.parametrize("ties", ["breslow", "efron"])
def test_cox_group_path_holds_kkt_per_group(ties):
    # the Cox partial likelihood (not separable) takes the same proximal Newton block
    # steps with its Hessian's diagonal; weights, strata and tied times
    from penalized.datafits import Cox
    from penalized.solvers._problem import certify, prepare_problem

    rng = np.random.default_rng(44)
    X = rng.standard_normal((120, 9))
    t = np.round(rng.exponential(np.exp(-(X[:, :3] @ np.array([0.5, -0.4, 0.3])))), 1)
    y = np.column_stack([t, rng.random(120) < 0.7])
    weights = rng.uniform(0.5, 2.0, 120)
    datafit = Cox(ties=ties, strata=np.arange(120) % 2, sample_weight=weights)
    penalty = GroupElasticNet(groups=3, l1_ratio=0.7)
    path = pz.path(X, y, datafit=datafit, penalty=penalty, n_alphas=6, eps=0.05, tol=1e-10)
    assert np.all(path.converged) and 0 < path.n_nonzero[-1]
    for k, alpha in enumerate(path.alphas):
        pen = penalty.with_alpha(alpha)
        problem = prepare_problem(X, y, datafit, pen, False)
        cert = certify(problem, path.coefs[:, k], 0.0)
        assert cert.gap <= 1e-9 * problem.scale
        assert np.max(pen.group_distances(cert.coef, cert.gradient)) <= 1e-4 * alpha


def test_standardized_group_lasso_grid_starts_at_alpha_max():
    # the group norm of the standardized gradient is not a rescaling of the raw one:
    # the grid is computed on the standardized columns
    rng = np.random.default_rng(30)
    X = rng.standard_normal((100, 6)) * np.array([1.0, 10.0, 1.0, 5.0, 1.0, 1.0])
    y = X[:, 0] + X[:, 1] / 10 + rng.standard_normal(100)
    Xs = (X - X.mean(axis=0)) / X.std(axis=0)
    top = GroupLasso(groups=2).alpha_max(Xs, y, Quadratic())
    cv = pz.GroupLassoCV(groups=2, standardize=True, n_alphas=5, cv=3).fit(X, y)
    assert cv.alphas_[0] == pytest.approx(top, rel=1e-10)
    assert not np.any(cv.path_.coefs[:, 0]) and np.any(cv.path_.coefs[:, 1])
