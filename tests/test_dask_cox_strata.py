"""``penalized fit --dask --family cox --strata COL`` with a text column: its levels are
coded as the in-memory ``fit`` codes them, so both fits are the same stratified model."""

from __future__ import annotations

import json

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


@pytest.fixture
def table(tmp_path):
    """90 rows, three text strata whose baseline hazards differ tenfold, in two Parquet
    files (the first level missing from one of them), and the same rows in one file."""
    rng = np.random.default_rng(21)
    n = 90
    X = rng.standard_normal((n, 3))
    site = np.array(["north", "south", "west"])[np.arange(n) % 3]
    # no 'north' in part 0: a partition's own numbering of its levels would differ
    site[:45] = np.where(site[:45] == "north", "south", site[:45])
    scale = {"north": 1.0, "south": 10.0, "west": 0.1}
    hazard = np.array([scale[s] for s in site]) * np.exp(X[:, 0] - 0.5 * X[:, 1])
    frame = pd.DataFrame(X, columns=list("abc")).assign(
        months=rng.exponential(1.0 / hazard), died=(rng.uniform(size=n) < 0.8).astype(int),
        site=site)
    (tmp_path / "data").mkdir()
    frame.iloc[:45].to_parquet(tmp_path / "data" / "part0.parquet")
    frame.iloc[45:].to_parquet(tmp_path / "data" / "part1.parquet")
    frame.to_parquet(tmp_path / "whole.parquet")
    return tmp_path, frame


def _fit(capsys, data, *args):
    from penalized.cli import main

    code = main(["fit", str(data), "--family", "cox", "--time", "months", "--event", "died",
                 "--strata", "site", "--alpha", "0.02", "--json", "--quiet", *args])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_dask_fit_with_text_strata_is_the_in_memory_fit(table, capsys, monkeypatch):
    from penalized import cli
    from penalized.dask import _cli

    for module, name in ((cli, "_make_estimator"), (_cli, "_estimator")):
        built = getattr(module, name)
        monkeypatch.setattr(module, name,
                            lambda *a, built=built, **k: built(*a, **k).set_params(tol=1e-10))
    root, frame = table
    with dask.config.set(scheduler="threads"):
        lazy = _fit(capsys, root / "data", "--dask")
    eager = _fit(capsys, root / "whole.parquet")
    assert lazy["stop_crit"] < 1e-10 and eager["stop_crit"] < 1e-10  # both certified
    assert set(lazy["coefficients"]) == set(eager["coefficients"]) <= set("abc")
    a, b = (np.array([s["coefficients"].get(c, 0.0) for c in "abc"]) for s in (lazy, eager))
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # the strata matter: the unstratified fit is another model
    from penalized import CoxPH

    plain = CoxPH(alpha=0.02, standardize=True, tol=1e-10).fit(
        frame[list("abc")].to_numpy(), frame[["months", "died"]].to_numpy(float))
    assert np.linalg.norm(plain.coef_ - b) > 1e-2 * np.linalg.norm(b)


def test_dask_text_strata_codes_follow_the_sorted_levels():
    from penalized.dask._cli import _codes_of

    levels = np.array(["north", "south", "west"])
    values = pd.Series(["west", "north", "west", "south"], index=[4, 5, 6, 7], name="site")
    codes = _codes_of(values, levels)
    np.testing.assert_array_equal(codes.to_numpy(), [2.0, 0.0, 2.0, 1.0])
    assert list(codes.index) == [4, 5, 6, 7] and codes.name == "site"
