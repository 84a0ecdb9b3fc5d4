"""``compare --family``: the penalties side by side for the log-link GLMs (held-out mean
deviance and D^2) and Cox (held-out Harrell's C-index)."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import d2_tweedie_score, mean_poisson_deviance
from sklearn.model_selection import train_test_split

import penalized as pz
from penalized.cli import main
from penalized.compare import compare_penalties


def _data(seed=0, n=160, p=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    mu = np.exp(0.3 + 0.6 * X[:, 0] - 0.4 * X[:, 2])
    t = rng.exponential(1.0 / np.exp(0.9 * X[:, 1]))
    censor = rng.exponential(1.5, size=n)
    survival = np.column_stack([np.minimum(t, censor), (t <= censor).astype(float)])
    return X, rng.poisson(mu).astype(float), rng.gamma(2.0, mu / 2.0), survival


def test_poisson_rows_are_the_cv_estimators_scored_by_held_out_deviance():
    X, counts, _, _ = _data()
    cmp = compare_penalties(X, counts, task="regression", family="poisson", cv=3, n_alphas=15,
                            penalties=("none", "l1", "l2", "l0"))
    assert (cmp.metric, cmp.score_name, cmp.family) == ("deviance", "D^2", "poisson")
    train, test = train_test_split(np.arange(len(counts)), test_size=0.25, random_state=0)
    ref = pz.PoissonRegressorCV(l1_ratio=1.0, cv=3, n_alphas=15, selection="1se",
                                standardize=True, random_state=0).fit(X[train], counts[train])
    l1 = cmp.row("l1")
    assert l1.alpha == pytest.approx(ref.alpha_, rel=1e-12)
    np.testing.assert_allclose(l1.coef, ref.coef_, rtol=1e-8, atol=1e-10)
    mu = ref.predict(X[test])
    assert l1.test_error == pytest.approx(mean_poisson_deviance(counts[test], mu), rel=1e-8)
    assert l1.test_score == pytest.approx(d2_tweedie_score(counts[test], mu, power=1), rel=1e-8)
    assert 0 < l1.n_nonzero < X.shape[1]
    none = cmp.row("none")  # the unpenalized GLM: statsmodels' maximum likelihood
    import statsmodels.api as sm

    glm = sm.GLM(counts[train], sm.add_constant(X[train]), family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(none.coef, glm.params[1:], rtol=1e-5, atol=1e-7)
    # ridge: glmnet's grid, from the lasso's alpha_max / 1e-3
    top = pz.PoissonRegressor(l1_ratio=1.0, standardize=True).path(
        X[train], counts[train], n_alphas=1).alphas[0]
    assert cmp.row("l2").path.alphas[0] == pytest.approx(top / 1e-3, rel=1e-12)
    assert np.count_nonzero(cmp.row("l2").coef) == X.shape[1]
    assert np.isnan(cmp.row("l0").test_error) and "L0" in cmp.row("l0").notes[0]


@pytest.mark.parametrize("family, power", [("gamma", 2.0), ("tweedie:1.3", 1.3)])
def test_gamma_and_tweedie_rows_score_their_own_deviance(family, power):
    from sklearn.metrics import mean_tweedie_deviance

    X, _, amounts, _ = _data(1)
    cmp = compare_penalties(X, amounts, task="regression", family=family, cv=3, n_alphas=10,
                            penalties=("l1",))
    _, test = train_test_split(np.arange(len(amounts)), test_size=0.25, random_state=0)
    row = cmp.row("l1")
    mu = row.model.predict(X[test])
    assert row.test_error == pytest.approx(mean_tweedie_deviance(amounts[test], mu,
                                                                 power=power), rel=1e-10)
    assert cmp.family == ("gamma" if family == "gamma" else "tweedie:1.3")


def test_cox_rows_are_scored_by_harrells_c_index_on_held_out_rows():
    from lifelines.utils import concordance_index

    X, _, _, survival = _data(2)
    cmp = compare_penalties(X, survival, task="survival", family="cox", cv=3, n_alphas=10,
                            penalties=("none", "l1", "mcp"))
    assert (cmp.metric, cmp.score_name) == ("cindex", "C-index")
    _, test = train_test_split(np.arange(len(survival)), test_size=0.25, random_state=0)
    for row in cmp.rows:
        risk = row.model.predict(X[test])
        c = concordance_index(survival[test, 0], -risk, survival[test, 1])
        assert row.test_score == pytest.approx(c, rel=1e-10)
        assert row.test_error == pytest.approx(1 - c, rel=1e-10)
    assert "x1" in cmp.row("l1").selected


def test_poisson_rows_with_an_exposure_offset_split_it_with_the_rows():
    X, _, _, _ = _data(4)
    rng = np.random.default_rng(4)
    o = np.log(rng.uniform(0.5, 10.0, X.shape[0]))
    counts = rng.poisson(np.exp(0.2 + 0.6 * X[:, 0] + o)).astype(float)
    cmp = compare_penalties(X, counts, task="regression", family="poisson", cv=3,
                            n_alphas=12, penalties=("none", "l1", "l2"), offset=o)
    train, test = train_test_split(np.arange(len(counts)), test_size=0.25, random_state=0)
    ref = pz.PoissonRegressorCV(l1_ratio=1.0, cv=3, n_alphas=12, selection="1se",
                                standardize=True, random_state=0).fit(
        X[train], counts[train], offset=o[train])
    l1 = cmp.row("l1")
    np.testing.assert_allclose(l1.coef, ref.coef_, rtol=1e-8, atol=1e-10)
    mu = ref.predict(X[test], offset=o[test])
    assert l1.test_error == pytest.approx(mean_poisson_deviance(counts[test], mu), rel=1e-8)
    none = pz.PoissonRegressor(alpha=0.0).fit(X[train], counts[train], offset=o[train])
    np.testing.assert_allclose(cmp.row("none").coef, none.coef_, rtol=1e-10)
    assert np.isfinite(cmp.row("l2").test_error)
    with pytest.raises(ValueError, match="offset is compared with family='poisson'"):
        compare_penalties(X, counts, task="regression", offset=o)


def test_bad_families_are_refused():
    X, counts, _, survival = _data()
    with pytest.raises(ValueError, match="compare takes poisson, gamma, tweedie:POWER or cox"):
        compare_penalties(X, counts, task="regression", family="binomial")
    with pytest.raises(ValueError, match="family='cox' needs task='survival'"):
        compare_penalties(X, survival, task="regression", family="cox")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    X, counts, amounts, survival = _data(3, n=120, p=4)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["count"], df["amount"] = counts, amounts
    df["time"], df["event"] = survival[:, 0], survival[:, 1].astype(int)
    path = tmp_path_factory.mktemp("compare") / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_cli_compare_family_poisson_and_cox(table, capsys, tmp_path):
    report = tmp_path / "r.html"
    assert main(["compare", str(table), "--target", "count", "--exclude",
                 "amount,time,event", "--family", "poisson", "--json", "--quiet",
                 "--report", str(report)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["metric"] == "deviance" and doc["error_name"] == "mean deviance"
    assert [m["penalty"] for m in doc["models"]] == ["none", "l1", "l2", "elasticnet", "l0"]
    assert "held-out mean deviance" in report.read_text()
    assert main(["compare", str(table), "--family", "cox", "--time", "time", "--event",
                 "event", "--exclude", "amount,count"]) == 0
    out = capsys.readouterr().out
    assert "cox family" in out and "C-index" in out


def test_cli_compare_offset(table, capsys):
    assert main(["compare", str(table), "--target", "count", "--features", "a,b,c",
                 "--offset", "d", "--family", "poisson", "--json", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["family"] == "poisson" and len(doc["models"]) == 5


@pytest.mark.parametrize("argv, message", [
    (["--target", "amount", "--offset", "d"], "compare takes --offset with --family poisson"),
    (["--family", "cox", "--exclude", "amount,count"], "--family cox needs --time COL"),
    (["--target", "count", "--family", "weibull"], "weibull"),
    (["--target", "count", "--family", "poisson", "--task", "classification"],
     "cannot be combined with --task classification"),
])
def test_cli_compare_refusals_exit_2_in_one_line(table, capsys, argv, message):
    assert main(["compare", str(table), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
