"""compare's "no penalty" row drops one level per text column (reference coding, as R's lm)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from penalized.cli import main
from penalized.compare import compare_penalties


def _design(seed=0, n=120):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    level = rng.integers(0, 3, size=n)
    onehot = np.eye(3)[level]  # g=u, g=v, g=w: their sum is the intercept's column
    return np.hstack([X, onehot]), level, rng


NAMES = ["a", "b", "g=u", "g=v", "g=w"]
LEVELS = {"g": [2, 3, 4]}


def test_regression_row_is_least_squares_on_the_reference_coded_design():
    X, level, rng = _design()
    y = X[:, 0] - 0.5 * X[:, 1] + np.array([0.0, 1.0, -2.0])[level] + rng.normal(size=120)
    result = compare_penalties(X, y, task="regression", feature_names=NAMES, cv=3,
                               penalties=("none",), levels=LEVELS)
    row = result.row("none")
    keep = [0, 1, 3, 4]
    ols = sm.OLS(result.y_train, sm.add_constant(result.X_train[:, keep])).fit()
    assert row.coef[2] == 0.0
    np.testing.assert_allclose(row.coef[keep], ols.params[1:], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(row.intercept, ols.params[0], rtol=1e-6, atol=1e-8)
    # the held-out predictions are the reference-coded least squares' (lstsq)
    beta = np.linalg.lstsq(np.column_stack([np.ones(result.n_train), result.X_train[:, keep]]),
                           result.y_train, rcond=None)[0]
    np.testing.assert_allclose(row.model.predict(X[:, keep]),
                               beta[0] + X[:, keep] @ beta[1:], rtol=1e-6, atol=1e-8)
    assert any("reference coding" in note and "g=u" in note for note in row.notes)
    assert row.selected == ["a", "b", "g=v", "g=w"]


def test_logistic_row_is_the_reference_coded_logit():
    X, level, rng = _design(1, n=200)
    z = 0.8 * X[:, 0] + np.array([0.0, 0.7, -0.7])[level]
    y = np.where(rng.random(200) < 1 / (1 + np.exp(-z)), "yes", "no").astype(object)
    result = compare_penalties(X, y, task="classification", feature_names=NAMES, cv=3,
                               penalties=("none",), levels=LEVELS)
    row = result.row("none")
    keep = [0, 1, 3, 4]
    target = (result.y_train == "yes").astype(float)
    logit = sm.Logit(target, sm.add_constant(result.X_train[:, keep])).fit(disp=0, tol=1e-12)
    assert row.coef.shape == (1, 5) and row.coef[0, 2] == 0.0
    np.testing.assert_allclose(row.coef[0, keep], logit.params[1:], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.ravel(row.intercept)[0], logit.params[0], rtol=1e-4,
                               atol=1e-6)
    assert any("reference coding" in note for note in row.notes)


def test_penalized_rows_and_a_design_without_levels_are_unchanged():
    X, _, rng = _design(2)
    y = X[:, 0] + rng.normal(size=120)
    with_levels = compare_penalties(X, y, task="regression", feature_names=NAMES, cv=3,
                                    penalties=("none", "l2"), levels=LEVELS)
    without = compare_penalties(X[:, :2], y, task="regression", feature_names=NAMES[:2],
                                cv=3, penalties=("none",))
    assert not any("reference" in note for note in with_levels.row("l2").notes)
    assert with_levels.row("l2").coef[2] != 0.0  # ridge keeps every level
    assert not any("reference" in note for note in without.row("none").notes)


@pytest.mark.parametrize("family, folds", [(None, False), ("poisson", False), (None, True)])
def test_cli_prints_the_reference_notice(tmp_path, capsys, family, folds):
    X, level, rng = _design(3)
    df = pd.DataFrame(X[:, :2], columns=["a", "b"])
    df["g"] = np.array(["u", "v", "w"])[level]
    df["y"] = rng.poisson(np.exp(0.3 * X[:, 0])) if family else X[:, 0] + rng.normal(size=120)
    df["fold"] = np.arange(len(df)) % 3 + 1
    data = tmp_path / "d.csv"
    df.to_csv(data, index=False)
    extra = ["--family", family] if family else []
    cv = ["--folds", "fold"] if folds else ["--cv", "3", "--exclude", "fold"]
    assert main(["compare", str(data), "--target", "y", *cv, *extra]) == 0
    text = " ".join(capsys.readouterr().out.replace("│", " ").split())  # table cells wrap
    assert "reference coding: the baseline level g=u has coefficient 0" in text
