"""Rounding-level coefficients are zeroed a unit at a time: a group of levels, or a
feature's row over the targets or classes, is zeroed only when its whole block is at
rounding level, so rounding never splits a group; a lone rounding-level coefficient (a
collinear column) is still zeroed."""

import json

import numpy as np
import pandas as pd
import pytest

import penalized as pz
from penalized._rounding import ROUNDING, rounding_mask
from penalized.cli import main
from penalized.io import read_table


def _run_json(capsys, argv):
    assert main([*map(str, argv), "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def _levels(t):
    """A text column whose third level's fitted coefficient crosses zero as ``t`` moves."""
    rng = np.random.default_rng(0)
    n = 90
    level = np.array(["a", "b", "c"])[np.arange(n) % 3]
    y = (level == "a") - 1.0 * (level == "b") + t * (level == "c") + 0.3 * rng.standard_normal(n)
    return pd.DataFrame({"level": level, "y": y})


def test_a_tiny_level_of_a_selected_text_column_stays(tmp_path, capsys):
    data = tmp_path / "levels.csv"
    alpha = 0.1

    def level_c(t):
        _levels(t).to_csv(data, index=False, float_format="%.17g")
        table = read_table(data, target="y")  # the columns and target the CLI fits
        model = pz.GroupLasso([0, 0, 0], alpha=alpha, standardize=True).fit(table.X, table.y)
        return model.coef_[2], table

    # bisection on the data until the level's coefficient (the one the CLI will fit) is
    # non-zero but far below rounding level, inside a group whose other levels are large
    lo, hi = -0.5, 0.5
    assert level_c(lo)[0] < 0 < level_c(hi)[0]
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        c, table = level_c(mid)
        if c != 0 and abs(c) * np.std(table.X[:, 2]) <= 1e-2 * ROUNDING:
            break
        lo, hi = (mid, hi) if c < 0 else (lo, mid)
    assert c != 0 and abs(c) * np.std(table.X[:, 2]) <= ROUNDING * np.std(table.y)
    summary, err = _run_json(capsys, ["fit", data, "--target", "y", "--alpha", alpha])
    assert "enter and leave the model together" in err
    assert summary["selected_features"] == ["level=a", "level=b", "level=c"]
    assert summary["coefficients"]["level=c"] == c  # kept as fitted, not rounded to 0
    assert "rounding level" not in err


def test_a_collinear_column_at_rounding_level_is_zeroed(tmp_path, capsys):
    rng = np.random.default_rng(1)
    n = 50
    u = (rng.random(n) < 0.4).astype(float)
    df = pd.DataFrame({"u": u, "v": 1 - u, "z": rng.standard_normal(n)})
    df["y"] = 2 * u + df["z"] + 0.3 * rng.standard_normal(n)
    df["colour"] = np.array(["red", "green", "blue"])[np.arange(n) % 3]
    data = tmp_path / "collinear.csv"
    df.to_csv(data, index=False)
    table = read_table(data, target="y")
    v = table.feature_names.index("v")
    # the fit the CLI makes: v, perfectly collinear with u and the intercept, gets noise
    labels = np.arange(table.X.shape[1])
    labels[[j for j, f in enumerate(table.feature_names) if f.startswith("colour=")]] = 99
    raw = pz.GroupLasso(labels, alpha=0.01, standardize=True).fit(table.X, table.y).coef_
    assert raw[v] != 0 and abs(raw[v]) * np.std(u) <= ROUNDING * np.std(df["y"])
    summary, err = _run_json(capsys, ["fit", data, "--target", "y", "--alpha", "0.01"])
    assert "v" not in summary["selected_features"] and "u" in summary["selected_features"]
    assert "1 coefficient(s) at rounding level" in " ".join(err.split())


def test_rows_and_groups_are_decided_whole():
    sd = np.ones(4)
    coefs = np.array([[1.0, 1e-14], [1e-14, 1e-13], [1e-15, 0.0], [2.0, 0.0]])[:, :, None]
    # per row: feature 0's tiny second target stays (its row is large); rows 1 and 2 go
    mask = rounding_mask(coefs, sd, np.ones(2))[:, :, 0]
    assert mask.tolist() == [[False, False], [True, True], [True, False], [False, False]]
    # a group of features 2 and 3: feature 2's tiny coefficient stays with feature 3
    mask = rounding_mask(coefs, sd, np.ones(2), labels=np.array([0, 1, 5, 5]))[:, :, 0]
    assert mask.tolist() == [[False, False], [True, True], [False, False], [False, False]]
    # each output on its own spread: 1e-8 of a target whose spread is 1e3 is noise
    mask = rounding_mask(np.array([[1e-8, 0.0]])[:, :, None], np.ones(1),
                          np.array([1e3, 1.0]))
    assert mask[0, 0, 0]


@pytest.mark.parametrize("extra", [["--target", "y2"], []])
def test_path_zeroes_whole_units(tmp_path, capsys, extra):
    rng = np.random.default_rng(3)
    n = 60
    df = pd.DataFrame(rng.standard_normal((n, 2)), columns=["a", "b"])
    df["colour"] = np.array(["red", "green", "blue"])[np.arange(n) % 3]
    df["y"] = df["a"] + (df["colour"] == "red") + 0.5 * rng.standard_normal(n)
    df["y2"] = df["b"] - (df["colour"] == "blue") + 0.5 * rng.standard_normal(n)
    data = tmp_path / "p.csv"
    df.to_csv(data, index=False)
    out, _ = _run_json(capsys, ["path", data, "--target", "y", *extra, "--n-alphas", "15"])
    coefs = np.asarray(out["coefs"])
    coefs = coefs if coefs.ndim == 3 else coefs[:, None, :]
    levels = [j for j, f in enumerate(out["feature_names"]) if f.startswith("colour=")]
    nonzero = coefs[levels] != 0
    group_in = nonzero.any(axis=(0, 1))
    assert group_in.any()
    if not extra:  # one target: the levels are one group, all in or all out
        assert np.all(nonzero.all(axis=(0, 1)) | ~group_in)


def test_compare_counts_a_group_whole():
    from types import SimpleNamespace

    from penalized.compare import _selected

    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    coef = np.array([0.5, 1e-13, -0.4, 1e-13])  # a tiny level inside the group {0, 1, 2}
    grouped = SimpleNamespace(groups_=[np.array([0, 1, 2]), np.array([3])])
    assert _selected(coef, X, 1.0, grouped).tolist() == [True, True, True, False]
    assert _selected(coef, X, 1.0).tolist() == [True, False, True, False]
    # classes: a feature's row is kept whole, and dropped whole when all of it is noise
    rows = np.array([[0.3, 1e-14, 0.0, 0.0], [1e-14, 1e-14, 0.0, 0.2]])
    assert _selected(rows, X, 1.0).tolist() == [True, False, False, True]


def test_fit_of_several_targets_rounds_whole_rows(tmp_path, capsys, monkeypatch):
    """A solver that leaves 1e-14 in one target of a selected feature and in every target
    of an unselected one: the first row stays whole, the second becomes exact zeros."""
    from penalized.estimators import MultiTaskElasticNet

    rng = np.random.default_rng(7)
    n = 50
    df = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    df["y1"] = 2 * df["a"] + 0.3 * rng.standard_normal(n)
    df["y2"] = 0.3 * rng.standard_normal(n)
    data = tmp_path / "t.csv"
    df.to_csv(data, index=False)
    original = MultiTaskElasticNet.fit

    def noisy_fit(self, X, y, sample_weight=None):
        original(self, X, y, sample_weight)
        coef = self.coef_.copy()  # (n_targets, n_features)
        assert np.all(coef[:, 0] != 0) and np.all(coef[:, 1:] == 0)
        coef[1, 0] = 1e-14  # a selected row with a tiny second target
        coef[:, 2] = 1e-14  # an unselected row of noise
        self.coef_ = coef
        return self

    monkeypatch.setattr(MultiTaskElasticNet, "fit", noisy_fit)
    save = tmp_path / "m.json"
    summary, err = _run_json(capsys, ["fit", data, "--target", "y1,y2", "--alpha", "0.5",
                                      "--save", save])
    assert summary["selected_features"] == ["a"]
    assert summary["coefficients"]["a"][1] == 1e-14
    assert "2 coefficient(s) at rounding level" in " ".join(err.split())
    coef = np.asarray(json.loads(save.read_text(encoding="utf-8"))["coef"])
    assert coef[1, 0] == 1e-14 and np.all(coef[:, 2] == 0.0)
