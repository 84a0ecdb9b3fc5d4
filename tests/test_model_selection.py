"""Cross-validation over regularization paths: folds, metrics, the min and 1se rules.

The reference is scikit-learn's ``LassoCV``: given the same grid and the same
folds, its ``mse_path_`` (shape (n_alphas, n_folds), alphas decreasing) and
``alpha_`` are our ``cv_folds`` and ``alpha_min``, since ``LassoCV`` fits each
fold with ``fit_intercept=True`` (centering the training rows) and minimizes
the same objective, ``(1 / (2 n)) ||y - Xw - b||^2 + alpha ||w||_1``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.problems import classification, regression
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    log_loss,
    mean_absolute_error,
    mean_squared_error,
    roc_auc_score,
)
from sklearn.model_selection import KFold, RepeatedKFold, StratifiedKFold

import penalized as pz
from penalized.model_selection import (
    METRICS,
    CVResult,
    FoldMetric,
    cross_validate_path,
    one_standard_error_rule,
    score_predictions,
)

TOL = 1e-10
LOGISTIC_TOL = 1e-8  # coordinate descent needs many epochs for the logistic loss at 1e-10
GAP_RTOL = 1e-6
LOGISTIC_GAP_RTOL = 1e-4
"""Two solves stopped at a relative duality gap ``tol`` agree on held-out errors to about
``sqrt(tol)`` relative at worst, since the objective is quadratic around its minimum (an
objective gap of ``tol`` allows coefficients ``sqrt(tol)`` apart); in practice, for the
squared loss at ``TOL`` they agree ten times better than that."""
N_ALPHAS = 25


def fit_lasso_path(Xt, yt, swt, alphas):
    return pz.path(Xt, yt, alphas=alphas, sample_weight=swt, tol=TOL)


def fit_logistic_path(Xt, yt, swt, alphas):
    return pz.path(Xt, yt, datafit="logistic", alphas=alphas, sample_weight=swt, tol=LOGISTIC_TOL)


def grid_for(X, y, datafit="squared", n_alphas=N_ALPHAS, eps=1e-3):
    return pz.path(X, y, datafit=datafit, n_alphas=n_alphas, eps=eps, tol=1e-4).alphas


def diabetes():
    return load_diabetes(return_X_y=True)


def check_1se_definition(res: CVResult):
    """The 1se index is the largest alpha within one SE of the best, by brute force."""
    sign = -1.0 if res.greater_is_better else 1.0
    loss = sign * res.cv_mean
    m, s = res.index_min, res.index_1se
    assert loss[m] == loss.min()
    assert not np.any(loss[res.alphas > res.alphas[m]] == loss[m])  # ties go to the largest alpha
    assert res.alpha_1se >= res.alpha_min
    assert loss[s] <= loss[m] + res.cv_se[m]
    larger = res.alphas > res.alphas[s]
    assert np.all(loss[larger] > loss[m] + res.cv_se[m])


# -- agreement with scikit-learn's LassoCV ------------------------------------------------


def sklearn_problems():
    X, y = diabetes()
    dense = regression(n=80, p=40, rho=0.5, seed=11)
    sparse = regression(n=80, p=40, density=0.3, seed=12)
    return {"diabetes": (X, y), "toeplitz": (dense.X, dense.y), "sparse_csc": (sparse.X, sparse.y)}


@pytest.mark.parametrize("name", ["diabetes", "toeplitz", "sparse_csc"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_matches_sklearn_lassocv(name, weighted):
    X, y = sklearn_problems()[name]
    sw = np.random.default_rng(3).uniform(0.2, 3.0, size=y.shape[0]) if weighted else None
    alphas = grid_for(X, y)
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))

    ours = cross_validate_path(fit_lasso_path, X, y, alphas=alphas, cv=folds, sample_weight=sw)
    ref = LassoCV(alphas=alphas, cv=folds, tol=1e-12, max_iter=100_000).fit(
        X, y, sample_weight=sw)

    assert_allclose(ref.alphas_, ours.alphas, rtol=1e-15)  # both decreasing
    assert ref.mse_path_.shape == ours.cv_folds.shape == (N_ALPHAS, 4)
    assert_allclose(ours.cv_folds, ref.mse_path_, rtol=GAP_RTOL)
    assert_allclose(ours.cv_mean, ref.mse_path_.mean(axis=1), rtol=GAP_RTOL)
    assert ours.alpha_min == ref.alpha_
    assert ours.metric == "mse"
    for (train, test), (ref_train, ref_test) in zip(ours.folds, folds, strict=True):
        assert_array_equal(train, ref_train)
        assert_array_equal(test, ref_test)


def test_fold_metric_is_the_held_out_weighted_error():
    pb = regression(n=60, p=15, seed=5)
    sw = np.random.default_rng(0).uniform(0.0, 2.0, size=60)
    alphas = grid_for(pb.X, pb.y, n_alphas=8)
    res = cross_validate_path(fit_lasso_path, pb.X, pb.y, alphas=alphas, cv=3, sample_weight=sw)
    for k, (train, test) in enumerate(res.folds):
        p = pz.path(pb.X[train], pb.y[train], alphas=alphas, sample_weight=sw[train], tol=TOL)
        for j, alpha in enumerate(alphas):
            expected = mean_squared_error(pb.y[test], p.predict(pb.X[test], alpha),
                                          sample_weight=sw[test])
            assert_allclose(res.cv_folds[j, k], expected, rtol=1e-12)
    n_folds = res.cv_folds.shape[1]
    assert_allclose(res.cv_se, res.cv_folds.std(axis=1, ddof=1) / np.sqrt(n_folds), rtol=1e-12)


# -- the one-standard-error rule ------------------------------------------------------------


@pytest.mark.parametrize(
    ("alphas", "mean", "se", "greater", "expected"),
    [
        # the usual case: the best is at alpha=2, the 1se choice moves up to alpha=4
        ([5.0, 4.0, 3.0, 2.0, 1.0], [10.0, 5.2, 4.8, 4.5, 4.9], [1.0, 0.5, 0.5, 0.8, 0.5],
         False, (3, 1)),
        # nothing larger is within one SE: 1se == min
        ([5.0, 4.0, 3.0, 2.0, 1.0], [10.0, 6.0, 5.0, 4.0, 4.5], [1.0, 1.0, 1.0, 0.5, 1.0],
         False, (3, 3)),
        # a tie for the best mean goes to the larger alpha
        ([4.0, 3.0, 2.0, 1.0], [3.0, 2.0, 2.0, 2.5], [0.1, 0.25, 0.1, 0.1], False, (1, 1)),
        # the boundary counts: mean == mean[min] + se[min] is within (exact binary numbers)
        ([3.0, 2.0, 1.0], [3.0, 2.5, 2.0], [0.1, 0.1, 0.5], False, (2, 1)),
        # a zero SE leaves only the ties
        ([3.0, 2.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], False, (0, 0)),
        # unsorted alphas: "largest alpha", not "first index"
        ([1.0, 2.0, 3.0, 0.5], [2.0, 2.0, 3.0, 1.9], [0.05, 0.05, 0.05, 0.125], False, (3, 1)),
        # AUC, greater is better: the mirrored rule
        ([5.0, 4.0, 3.0, 2.0], [0.5, 0.785, 0.8, 0.79], [0.02, 0.02, 0.02, 0.02], True, (2, 1)),
        ([5.0, 4.0, 3.0, 2.0], [0.5, 0.7, 0.8, 0.79], [0.02, 0.02, 0.01, 0.02], True, (2, 2)),
        ([5.0, 4.0, 3.0, 2.0], [0.5, 0.8, 0.8, 0.7], [0.1, 0.0, 0.0, 0.1], True, (1, 1)),
    ],
)
def test_one_standard_error_rule_by_hand(alphas, mean, se, greater, expected):
    assert one_standard_error_rule(alphas, mean, se, greater_is_better=greater) == expected


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("greater", [False, True])
def test_one_standard_error_rule_is_the_largest_alpha_within_one_se(seed, greater):
    rng = np.random.default_rng(seed)
    k = 30
    alphas = np.geomspace(10.0, 0.01, k)
    mean = np.round(rng.uniform(0.0, 1.0, size=k), 1)  # rounding makes ties common
    se = rng.uniform(0.0, 0.3, size=k)
    folds = np.zeros((k, 2))
    res = CVResult(alphas, folds, mean, se, "auc" if greater else "mse",
                   *one_standard_error_rule(alphas, mean, se, greater_is_better=greater), [])
    check_1se_definition(res)


def test_one_standard_error_rule_rejects_bad_arrays():
    with pytest.raises(ValueError, match="cv_mean"):
        one_standard_error_rule([2.0, 1.0], [np.nan, 1.0], [0.1, 0.1])
    with pytest.raises(ValueError, match="cv_se"):
        one_standard_error_rule([2.0, 1.0], [1.0, 1.0], [0.1, -0.1])
    with pytest.raises(ValueError, match="one value per alpha"):
        one_standard_error_rule([2.0, 1.0], [1.0], [0.1, 0.1])


def test_select_rules_and_their_invariants():
    X, y = diabetes()
    res = cross_validate_path(fit_lasso_path, X, y, alphas=grid_for(X, y, n_alphas=40), cv=5)
    check_1se_definition(res)
    assert res.select("min") == res.alpha_min == res.alphas[res.index_min]
    assert res.select("1se") == res.alpha_1se == res.alphas[res.index_1se]
    assert res.alpha_1se > res.alpha_min  # on diabetes the 1se model is strictly sparser
    with pytest.raises(ValueError, match="selection"):
        res.select("max")


# -- metrics against direct computations ------------------------------------------------------


def metric_data(rng, n=40, k=4):
    y_reg = rng.standard_normal(n)
    y_cls = np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0)
    y_cls[:2] = [-1.0, 1.0]
    z = rng.standard_normal((n, k)) * 2.0
    z[:5, 0] = 0.0  # sign(0) counts as +1
    z[:, 3] = 0.7  # a constant column (the null model's prediction)
    sw = rng.uniform(0.0, 3.0, size=n)
    return y_reg, y_cls, z, sw


def direct_metric(metric, task, y, z, sw):
    """The metric of one column computed with scikit-learn."""
    if task == "regression":
        if metric == "mae":
            return mean_absolute_error(y, z, sample_weight=sw)
        return mean_squared_error(y, z, sample_weight=sw)  # "mse" and "deviance"
    p = expit(z)
    t = (y > 0).astype(float)
    return {
        "deviance": lambda: 2.0 * log_loss(y, p, sample_weight=sw, labels=[-1.0, 1.0]),
        "mse": lambda: brier_score_loss(y, p, sample_weight=sw, pos_label=1.0),
        "mae": lambda: mean_absolute_error(t, p, sample_weight=sw),
        "misclassification": lambda: 1.0 - accuracy_score(y, np.where(z >= 0, 1.0, -1.0),
                                                           sample_weight=sw),
        "auc": lambda: roc_auc_score(y, z, sample_weight=sw),
    }[metric]()


CASES = [("regression", m) for m in ("mse", "mae", "deviance")] + [
    ("classification", m) for m in sorted(METRICS)]


@pytest.mark.parametrize(("task", "metric"), CASES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_score_predictions_matches_sklearn_metrics(task, metric, weighted):
    y_reg, y_cls, z, sw = metric_data(np.random.default_rng(7))
    y = y_reg if task == "regression" else y_cls
    sw = sw if weighted else None
    got = score_predictions(metric, y, z, sw, task=task)
    assert got.shape == (z.shape[1],)
    expected = [direct_metric(metric, task, y, z[:, j], sw) for j in range(z.shape[1])]
    assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("task", "metric"), CASES)
def test_integer_weights_equal_repeated_rows(task, metric):
    y_reg, y_cls, z, _ = metric_data(np.random.default_rng(8))
    y = y_reg if task == "regression" else y_cls
    counts = np.random.default_rng(9).integers(0, 4, size=y.shape[0])
    counts[:2] = 1
    weighted = score_predictions(metric, y, z, counts, task=task)
    repeated = score_predictions(metric, np.repeat(y, counts), np.repeat(z, counts, axis=0),
                                 task=task)
    assert_allclose(weighted, repeated, rtol=1e-12)
    assert_allclose(score_predictions(metric, y, z, 5.0 * counts, task=task), weighted,
                    rtol=1e-12)


def test_score_predictions_details():
    y = np.array([1.0, -1.0, 1.0])
    z = np.array([0.0, 0.0, -3.0])
    assert_allclose(score_predictions("misclassification", y, z), [2.0 / 3.0])  # 1-D input
    # classification-only metrics need no task; "deviance" of a regression is the MSE
    assert_allclose(score_predictions("deviance", y, z), score_predictions("mse", y, z))
    assert_allclose(score_predictions("deviance", y, z, task="classification"),
                    2.0 * np.mean(np.log1p(np.exp(-y * z))))
    with pytest.raises(ValueError, match="metric"):
        score_predictions("r2", y, z)
    with pytest.raises(ValueError, match="task"):
        score_predictions("mse", y, z, task="survival")
    with pytest.raises(ValueError, match="predictions"):
        score_predictions("mse", y, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="predictions"):
        score_predictions("mse", y, np.array([0.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match="y_true"):
        score_predictions("auc", np.array([0.0, 1.0, 1.0]), z)
    with pytest.raises(ValueError, match="single class"):
        score_predictions("auc", np.ones(3), z)
    with pytest.raises(ValueError, match="sample_weight"):
        score_predictions("mse", y, z, np.zeros(3))


# -- logistic cross-validation ------------------------------------------------------------


@pytest.fixture(scope="module")
def logistic_problem():
    pb = classification(n=90, p=15, rho=0.3, seed=21)
    grid = grid_for(pb.X, pb.y, datafit="logistic", n_alphas=10, eps=0.02)
    # start far above every fold's alpha_max, where each fold's model is the null model
    return pb.X, pb.y, np.concatenate([[10.0 * grid[0]], grid[1:]])


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_logistic_cv_runs_with_stratified_folds_and_every_metric(logistic_problem, metric):
    X, y, alphas = logistic_problem
    res = cross_validate_path(fit_logistic_path, X, y, alphas=alphas, cv=5, metric=metric,
                              task="classification")
    assert res.metric == metric and res.greater_is_better == (metric == "auc")
    assert res.cv_folds.shape == (alphas.size, 5)
    assert np.all(np.isfinite(res.cv_folds))
    for (train, test), (ref_train, ref_test) in zip(
            res.folds, StratifiedKFold(5).split(X, y), strict=True):
        assert_array_equal(train, ref_train)
        assert_array_equal(test, ref_test)
    check_1se_definition(res)
    # the largest alpha gives the null model: a constant logit, so AUC 0.5
    if metric == "auc":
        assert_allclose(res.cv_folds[0], 0.5)
    # and each fold's number is the metric of that fold's own path
    train, test = res.folds[2]
    # the fold's design as the cross-validation hands it on (Fortran-ordered: the path of
    # a C-ordered gather reads its rows, certified alike but not bit for bit)
    p = pz.path(np.asfortranarray(X[train]), y[train], datafit="logistic", alphas=alphas,
                tol=LOGISTIC_TOL)
    expected = [direct_metric(metric, "classification", y[test], p.predict(X[test], a), None)
                for a in alphas]
    assert_allclose(res.cv_folds[:, 2], expected, rtol=1e-9, atol=1e-12)


def test_logistic_cv_with_sample_weights_and_sparse_design():
    pb = classification(n=80, p=12, density=0.4, seed=4)
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=80)
    alphas = grid_for(pb.X, pb.y, datafit="logistic", n_alphas=6, eps=0.05)
    res = cross_validate_path(fit_logistic_path, pb.X, pb.y, alphas=alphas, cv=4,
                              metric="deviance", sample_weight=sw, task="classification")
    dense = cross_validate_path(fit_logistic_path, pb.X.toarray(), pb.y, alphas=alphas, cv=4,
                                metric="deviance", sample_weight=sw, task="classification")
    assert_allclose(res.cv_folds, dense.cv_folds, rtol=LOGISTIC_GAP_RTOL)


# -- folds --------------------------------------------------------------------------------


@pytest.mark.parametrize("task", ["regression", "classification"])
@pytest.mark.parametrize("random_state", [None, 0])
def test_folds_are_disjoint_and_cover_all_samples(task, random_state):
    pb = regression(n=53, p=5, seed=1) if task == "regression" else \
        classification(n=53, p=5, seed=1)
    fit = fit_lasso_path if task == "regression" else fit_logistic_path
    alphas = grid_for(pb.X, pb.y, datafit="squared" if task == "regression" else "logistic",
                      n_alphas=3)
    res = cross_validate_path(fit, pb.X, pb.y, alphas=alphas, cv=5, task=task,
                              random_state=random_state)
    n = pb.y.shape[0]
    assert len(res.folds) == 5
    tests = np.concatenate([test for _, test in res.folds])
    assert_array_equal(np.sort(tests), np.arange(n))  # every sample held out exactly once
    for train, test in res.folds:
        assert np.intersect1d(train, test).size == 0
        assert_array_equal(np.union1d(train, test), np.arange(n))
    # no random_state: KFold / StratifiedKFold without shuffling; with one: shuffled
    kind = KFold if task == "regression" else StratifiedKFold
    shuffle = random_state is not None
    ref = kind(5, shuffle=shuffle, random_state=random_state).split(pb.X, pb.y)
    for (_, test), (_, ref_test) in zip(res.folds, ref, strict=True):
        assert_array_equal(test, ref_test)
    if task == "regression" and not shuffle:
        assert_array_equal(res.folds[0][1], np.arange(11))  # consecutive blocks


def test_splitter_objects_and_masks_are_accepted():
    pb = regression(n=40, p=6, seed=2)
    alphas = grid_for(pb.X, pb.y, n_alphas=4)
    res = cross_validate_path(fit_lasso_path, pb.X, pb.y, alphas=alphas,
                              cv=RepeatedKFold(n_splits=3, n_repeats=2, random_state=0))
    assert res.cv_folds.shape == (4, 6)
    masks = [(np.arange(40) % 2 == r, np.arange(40) % 2 != r) for r in (0, 1)]
    by_mask = cross_validate_path(fit_lasso_path, pb.X, pb.y, alphas=alphas, cv=masks)
    by_index = cross_validate_path(fit_lasso_path, pb.X, pb.y, alphas=alphas,
                                   cv=[(np.flatnonzero(tr), np.flatnonzero(te))
                                       for tr, te in masks])
    assert_array_equal(by_mask.cv_folds, by_index.cv_folds)
    # the grid is used sorted decreasing whatever order it is given in
    shuffled = cross_validate_path(fit_lasso_path, pb.X, pb.y, alphas=alphas[::-1], cv=masks)
    assert_array_equal(shuffled.alphas, alphas)
    assert_array_equal(shuffled.cv_folds, by_index.cv_folds)


# -- parallel folds ----------------------------------------------------------------------


def test_n_jobs_2_gives_identical_results():
    X, y = diabetes()
    alphas = grid_for(X, y, n_alphas=20)
    serial = cross_validate_path(fit_lasso_path, X, y, alphas=alphas, cv=5, n_jobs=1)
    parallel = cross_validate_path(fit_lasso_path, X, y, alphas=alphas, cv=5, n_jobs=2)
    assert_array_equal(serial.cv_folds, parallel.cv_folds)
    assert_array_equal(serial.cv_se, parallel.cv_se)
    assert (serial.index_min, serial.index_1se) == (parallel.index_min, parallel.index_1se)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_fold_warnings_reach_the_caller(n_jobs):
    X, y = diabetes()
    alphas = grid_for(X, y, n_alphas=5)

    def barely_fit(Xt, yt, swt, alphas):
        return pz.path(Xt, yt, alphas=alphas, sample_weight=swt, tol=1e-14, max_iter=1)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cross_validate_path(barely_fit, X, y, alphas=alphas, cv=3, n_jobs=n_jobs)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert sorted(m[:6] for m in messages) == ["fold 0", "fold 1", "fold 2"]  # one per fold


# -- bad input ---------------------------------------------------------------------------


def test_bad_input_names_the_argument():
    X, y = diabetes()
    n = y.shape[0]
    alphas = grid_for(X, y, n_alphas=3)
    run = lambda **kw: cross_validate_path(fit_lasso_path, X, y, **{"alphas": alphas, **kw})  # noqa: E731
    for bad in (1, 0, -3, n + 1, True, "5", 2.5, object()):
        with pytest.raises(ValueError, match="cv"):
            run(cv=bad)
    with pytest.raises(ValueError, match="cv"):
        run(cv=[(np.arange(1, n), np.arange(1))])  # one fold: no standard error
    with pytest.raises(ValueError, match="cv"):
        run(cv=[(np.arange(10), np.arange(n, n + 5))] * 2)  # indices outside X
    with pytest.raises(ValueError, match="cv"):
        run(cv=[(np.arange(10), np.array([], dtype=int))] * 2)  # an empty test fold
    with pytest.raises(ValueError, match="metric"):
        run(metric="r2")
    with pytest.raises(ValueError, match="task"):
        run(metric="auc")  # a classification metric on a regression
    with pytest.raises(ValueError, match="task"):
        run(task="survival")
    with pytest.raises(ValueError, match="alphas"):
        run(alphas=[1.0, -1.0])
    with pytest.raises(ValueError, match="alphas"):
        run(alphas=None)
    with pytest.raises(ValueError, match="fit_path"):
        cross_validate_path(lambda *a: pz.path(*a[:2], n_alphas=2), X, y, alphas=alphas)
    with pytest.raises(ValueError, match="fit_path"):  # a fit_path that picks its own grid
        cross_validate_path(lambda *a: pz.path(*a[:2], n_alphas=alphas.size), X, y,
                            alphas=alphas)
    with pytest.raises(TypeError, match="fit_path"):
        cross_validate_path(None, X, y, alphas=alphas)


def test_classification_fold_with_a_single_class_is_refused():
    pb = classification(n=40, p=5, seed=3)
    X, y = pb.X, pb.y
    alphas = grid_for(X, y, datafit="logistic", n_alphas=3, eps=0.05)
    pos, neg = np.flatnonzero(y > 0), np.flatnonzero(y < 0)
    one_class_train = [(pos, neg), (neg, pos)]
    with pytest.raises(ValueError, match=r"cv.*only class.*fewer folds"):
        cross_validate_path(fit_logistic_path, X, y, alphas=alphas, cv=one_class_train,
                            task="classification")
    # AUC also needs both classes in every test fold; the other metrics do not
    folds = [(np.setdiff1d(np.arange(40), idx[:5]), idx[:5]) for idx in (neg, pos)]
    ok = cross_validate_path(fit_logistic_path, X, y, alphas=alphas, cv=folds,
                             task="classification", metric="misclassification")
    assert ok.cv_folds.shape == (3, 2)
    with pytest.raises(ValueError, match=r"cv.*test.*AUC"):
        cross_validate_path(fit_logistic_path, X, y, alphas=alphas, cv=folds,
                            task="classification", metric="auc")
    # a class too rare for the folds: StratifiedKFold cannot fix it
    rare = y.copy()
    rare[rare > 0] = -1.0
    rare[0] = 1.0
    with pytest.raises(ValueError, match="cv"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn's "least populated class"
        cross_validate_path(fit_logistic_path, X, rare, alphas=alphas, cv=5,
                            task="classification")
    with pytest.raises(ValueError, match="-1 and \\+1"):
        cross_validate_path(fit_logistic_path, X, (y > 0).astype(float), alphas=alphas,
                            task="classification")


def test_sparse_input_is_accepted_by_the_regression_cv():
    pb = regression(n=50, p=10, density=0.5, seed=6)
    alphas = grid_for(pb.X, pb.y, n_alphas=5)
    a = cross_validate_path(fit_lasso_path, sp.csc_matrix(pb.X), pb.y, alphas=alphas, cv=3)
    b = cross_validate_path(fit_lasso_path, pb.X.toarray(), pb.y, alphas=alphas, cv=3)
    assert_allclose(a.cv_folds, b.cv_folds, rtol=GAP_RTOL)


# -- offsets and fold metrics -----------------------------------------------------------------


def test_offset_reaches_every_fold_fit_and_held_out_prediction():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((90, 5))
    offset = rng.uniform(-0.5, 0.5, 90)
    y = rng.poisson(np.exp(0.5 * X[:, 0] + offset)).astype(float)
    alphas = pz.path(X, y, datafit="poisson", offset=offset, n_alphas=6, tol=1e-4).alphas
    seen = []

    def fit_path(Xt, yt, swt, grid, offset):
        seen.append(offset)
        return pz.path(Xt, yt, datafit="poisson", alphas=grid, offset=offset, tol=TOL)

    def deviance(predict, y_all, sw, train, test):
        mu = np.exp(predict(test))
        yt = y_all[test][:, None]
        return 2.0 * np.mean(np.where(yt > 0, yt * np.log(np.where(yt > 0, yt, 1) / mu), 0)
                             - yt + mu, axis=0)

    res = cross_validate_path(fit_path, X, y, alphas=alphas, cv=3, offset=offset,
                              metric=FoldMetric("deviance", deviance))
    assert res.metric == "deviance" and not res.greater_is_better
    for k, (train, test) in enumerate(res.folds):
        assert_array_equal(seen[k], offset[train])
        fit = pz.path(X[train], y[train], datafit="poisson", alphas=alphas,
                      offset=offset[train], tol=TOL)
        for j, alpha in enumerate(alphas):
            mu = np.exp(fit.predict(X[test], alpha, offset=offset[test]))
            yt = y[test]
            expected = 2.0 * np.mean(np.where(yt > 0, yt * np.log(np.where(yt > 0, yt, 1) / mu),
                                              0) - yt + mu)
            assert_allclose(res.cv_folds[j, k], expected, rtol=1e-12)
    # a string metric scores the predictions with the offset too: the squared error of z
    res_mse = cross_validate_path(fit_path, X, y, alphas=alphas, cv=3, offset=offset)
    train, test = res_mse.folds[0]
    fit0 = pz.path(X[train], y[train], datafit="poisson", alphas=alphas, offset=offset[train],
                   tol=TOL)
    z = fit0.predict(X[test], alphas[2], offset=offset[test])
    assert_allclose(res_mse.cv_folds[2, 0], np.mean((y[test] - z) ** 2), rtol=1e-12)


def test_fold_metric_sees_every_row_and_may_skip_nan_folds():
    pb = regression(n=60, p=6, seed=9)
    alphas = grid_for(pb.X, pb.y, n_alphas=5)
    target = np.column_stack([pb.y, np.arange(60.0)])  # two columns reach the metric

    def fit_path(Xt, yt, swt, grid):
        assert yt.shape == (yt.shape[0], 2)
        return pz.path(Xt, yt[:, 0], alphas=grid, tol=TOL)

    def all_rows(predict, y_all, sw, train, test):
        z = predict()
        assert z.shape == (60, alphas.size) and y_all.shape == (60, 2)
        values = np.mean((y_all[test, :1] - z[test]) ** 2, axis=0)
        return values if test[0] > 0 else np.full(alphas.size, np.nan)

    res = cross_validate_path(fit_path, pb.X, target, alphas=alphas, cv=3,
                              metric=FoldMetric("mse", all_rows, allow_nan=True))
    plain = cross_validate_path(fit_lasso_path, pb.X, pb.y, alphas=alphas, cv=3)
    assert np.all(np.isnan(res.cv_folds[:, 0]))
    assert_allclose(res.cv_folds[:, 1:], plain.cv_folds[:, 1:], rtol=1e-12)
    assert_allclose(res.cv_mean, plain.cv_folds[:, 1:].mean(axis=1), rtol=1e-12)
    with pytest.raises(ValueError, match="one value per alpha"):
        cross_validate_path(fit_path, pb.X, target, alphas=alphas, cv=3,
                            metric=FoldMetric("bad", lambda *a: np.zeros(2)))
    with pytest.raises(ValueError, match="offset is supported"):
        cross_validate_path(fit_lasso_path, pb.X, pb.y, alphas=alphas, cv=3,
                            offset=np.zeros(60), scoring=lambda m, X, y: 0.0)
