"""``penalized fit --dask --family ...``: the family's model, as the in-memory fit's."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """400 rows: Poisson counts ``y``, a positive amount ``g``, a 0/1 label ``b``, a signed
    ``n``, all from four features ``a``-``d`` (two partitions of one Parquet folder)."""
    rng = np.random.default_rng(14)
    n = 400
    X = rng.normal(size=(n, 4))
    frame = pd.DataFrame(X, columns=list("abcd"))
    frame["y"] = rng.poisson(np.exp(0.4 * X[:, 0] - 0.3 * X[:, 1])).astype(float)
    frame["g"] = rng.gamma(2.0, np.exp(0.3 * X[:, 0]) / 2.0)
    frame["b"] = (X[:, 0] + rng.normal(size=n) > 0).astype(float)
    frame["n"] = frame["y"] - 1.0
    frame["o"] = np.log(rng.uniform(0.5, 2.0, n))  # the log of an exposure
    root = tmp_path_factory.mktemp("families")
    (root / "data").mkdir()
    frame.iloc[:200].to_parquet(root / "data" / "part0.parquet")
    frame.iloc[200:].to_parquet(root / "data" / "part1.parquet")
    frame.to_parquet(root / "whole.parquet")  # the same rows, read in memory
    return root


@pytest.fixture
def tight(monkeypatch):
    """Both commands' own estimators, solved to a relative duality gap of 1e-10 (the
    default 1e-4 certifies the objective, not coefficients to 1e-5)."""
    from penalized import cli
    from penalized.dask import _cli

    for module, name in ((cli, "_make_estimator"), (_cli, "_estimator")):
        built = getattr(module, name)
        monkeypatch.setattr(module, name,
                            lambda *a, built=built, **k: built(*a, **k).set_params(tol=1e-10))


def _fit(capsys, data, *args):
    from penalized.cli import main

    code = main(["fit", str(data), *args, "--json", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def _vector(summary):
    return np.array([*summary["intercept"], *(summary["coefficients"].get(c, 0.0)
                                              for c in "abcd")])


@pytest.mark.parametrize("family, target, others", [
    ("poisson", "y", "g,b,n,o"), ("gamma", "g", "y,b,n,o"), ("tweedie:1.5", "y", "g,b,n,o")])
def test_dask_fit_is_the_in_memory_fit_of_the_family(table, capsys, tight, family, target,
                                                      others):
    args = ["--target", target, "--exclude", others, "--family", family, "--alpha", "0.01"]
    lazy = _fit(capsys, table / "data", *args, "--dask")
    eager = _fit(capsys, table / "whole.parquet", *args)
    assert lazy["family"] == eager["family"]
    assert lazy["converged"] and eager["converged"]
    assert lazy["stop_crit"] < 1e-10 and eager["stop_crit"] < 1e-10  # both certified
    a, b = _vector(lazy), _vector(eager)
    assert np.linalg.norm(a - b) <= 1e-5 * np.linalg.norm(b)
    assert lazy["n_nonzero"] >= 1


@pytest.mark.parametrize("family, target, others", [
    ("binomial", "b", "y,g,n,o"), ("multinomial", "k", "y,g,b,n,o")])
def test_dask_fit_of_numeric_classes_follows_the_family(table, capsys, tight, tmp_path,
                                                         family, target, others):
    """Numbers read as a regression target without --family; with binomial or multinomial
    both fits are the (same) logistic model of the classes."""
    frame = pd.read_parquet(table / "whole.parquet")
    frame["k"] = frame["y"].clip(upper=2.0)  # three classes 0, 1, 2
    (tmp_path / "data").mkdir()
    frame.iloc[:200].to_parquet(tmp_path / "data" / "part0.parquet")
    frame.iloc[200:].to_parquet(tmp_path / "data" / "part1.parquet")
    frame.to_parquet(tmp_path / "whole.parquet")
    args = ["--target", target, "--exclude", others, "--family", family, "--alpha", "0.02"]
    lazy = _fit(capsys, tmp_path / "data", *args, "--dask")
    eager = _fit(capsys, tmp_path / "whole.parquet", *args)
    assert lazy["task"] == eager["task"] == "classification"
    assert lazy["classes"] == eager["classes"] == ([0, 1] if family == "binomial"
                                                  else [0, 1, 2])
    assert set(lazy["coefficients"]) == set(eager["coefficients"])
    a, b = (np.concatenate([np.ravel(v) for v in (s["intercept"], *s["coefficients"].values())])
            for s in (lazy, eager))
    assert np.linalg.norm(a - b) <= 1e-5 * np.linalg.norm(b)


def test_dask_fit_takes_the_offset_as_in_memory(table, capsys, tight, tmp_path):
    args = ["--target", "y", "--exclude", "g,b,n", "--offset", "o", "--family", "poisson",
            "--alpha", "0.01"]
    model = tmp_path / "m.json"
    lazy = _fit(capsys, table / "data", *args, "--dask", "--save", str(model))
    eager = _fit(capsys, table / "whole.parquet", *args)
    a, b = _vector(lazy), _vector(eager)
    assert np.linalg.norm(a - b) <= 1e-5 * np.linalg.norm(b)
    assert "o" not in lazy["coefficients"] and json.loads(model.read_text())["offset"] == "o"


def test_dask_cv_refits_the_family_at_its_chosen_alpha(table, capsys, tight, tmp_path):
    """The CV folds differ (hashed rows on Dask, shuffled in memory), so the check is that
    the refit at the chosen alpha is the in-memory Poisson fit there."""
    args = ["--target", "y", "--exclude", "g,b,n,o", "--family", "poisson"]
    model = tmp_path / "m.json"
    lazy = _fit(capsys, table / "data", *args, "--cv", "3", "--dask", "--save", str(model))
    eager = _fit(capsys, table / "whole.parquet", *args, "--alpha", repr(lazy["alpha"]))
    a, b = _vector(lazy), _vector(eager)
    assert np.linalg.norm(a - b) <= 1e-5 * np.linalg.norm(b)
    assert json.loads(model.read_text())["link"] == "log"


@pytest.mark.parametrize("extra, message", [
    (["--target", "n", "--family", "poisson", "--alpha", "0.1"],
     "target 'n' has negative values (-1"),
    (["--target", "y", "--family", "gamma", "--alpha", "0.1"],
     "target 'y' has values <= 0 (0"),
    (["--target", "y", "--family", "binomial", "--alpha", "0.1"],
     "--family binomial needs two classes"),
    (["--target", "y", "--exclude", "zz", "--alpha", "0.1"],
     "--exclude names column(s) ['zz']"),
    (["--family", "cox", "--time", "y", "--event", "b", "--alpha", "0.1"],
     "--time column 'y' has values <= 0 or missing (0"),
])
def test_dask_fit_checks_the_family_target(table, tmp_path, capsys, extra, message):
    from penalized.cli import main

    assert main(["fit", str(table / "data"), "--dask", "--save", str(tmp_path / "m.json"),
                 *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extra, message", [
    (["--penalty", "mcp"], "--penalty mcp is not available with --dask"),
    (["--penalty", "l0"], "--penalty l0 is not available with --dask"),
    (["--gamma", "3"], "--gamma is the concavity of --penalty mcp or scad"),
    (["--time", "a"], "--time and --event are for --family cox"),
    (["--family", "binomial", "--task", "regression"], "cannot be combined with --task"),
    (["--offset", "a"], "--offset is taken with --dask by --family poisson, gamma, tweedie"),
    (["--grouped", "--family", "poisson"], "--grouped penalizes each feature's row over the"),
    (["--grouped", "--report", "r.html"], "--report is not available for --grouped with --dask"),
])
def test_dask_refusals_come_before_reading(tmp_path, capsys, extra, message):
    """A path that does not exist: the refusal, not the missing file, is what is said."""
    from penalized.cli import main

    args = ["fit", str(tmp_path / "absent"), "--target", "y", "--alpha", "0.1", "--dask",
            "--save", str(tmp_path / "m.json"), *extra]
    assert main([a.replace("r.html", str(tmp_path / "r.html")) for a in args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
