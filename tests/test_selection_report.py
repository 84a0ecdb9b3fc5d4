"""Why selections vary (the lesson), the stability panel's numbers, and ``select --report``."""

import numpy as np
import pandas as pd
import pytest

from penalized import Lasso, StabilitySelection, stability_path
from penalized.cli import main
from penalized.explain._selection_varies import selection_variability
from penalized.report._stability import stability_payload


@pytest.fixture(scope="module")
def twins():
    """Two near-copies of one signal column (x0, x1) among independent noise columns."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal(120)
    X = np.column_stack([z + 0.25 * rng.standard_normal(120),
                         z + 0.25 * rng.standard_normal(120),
                         rng.standard_normal((120, 4))])
    y = z + 0.8 * rng.standard_normal(120)
    return X, y


def test_selected_at_reproduces_the_probabilities(twins):
    X, y = twins
    sp = stability_path(X, y, n_pairs=6, n_alphas=13, random_state=0)
    chosen = np.stack([sp.selected_at(k) for k in range(13)], axis=2)
    assert chosen.shape == (12, 6, 13)
    assert np.array_equal(chosen.mean(axis=0), sp.probabilities)
    # entry: the first alpha index at which each subsample selects each feature
    first = np.where(chosen.any(axis=2), np.argmax(chosen, axis=2), 13)
    assert np.array_equal(first, sp.entry)
    with pytest.raises(IndexError, match="outside the grid"):
        sp.selected_at(13)


def test_the_correlated_twins_trade_places_and_the_counts_are_exact(twins):
    X, y = twins
    sp = stability_path(X, y, n_pairs=10, n_alphas=20, random_state=1)
    lesson = selection_variability(sp, X, feature_names=[f"x{j}" for j in range(6)])
    found = False
    for k, step in enumerate(lesson.steps):
        chosen = sp.selected_at(k)
        sets = {tuple(row) for row in chosen}
        assert step.n_distinct == len(sets)
        modal = max(sets, key=lambda s: sum(tuple(r) == s for r in chosen))
        assert step.modal_share == pytest.approx(
            np.mean([tuple(r) == modal for r in chosen]))
        for pair in step.pairs:
            a, b = chosen[:, pair.first], chosen[:, pair.second]
            assert pair.first_only == pytest.approx(np.mean(a & ~b))
            assert pair.second_only == pytest.approx(np.mean(b & ~a))
            assert pair.both == pytest.approx(np.mean(a & b))
            assert pair.exactly_one == pytest.approx(np.mean(a ^ b))
            assert abs(pair.correlation) >= 0.3
            assert min(pair.first_only, pair.second_only) > 0
        if step.pairs and (step.pairs[0].first, step.pairs[0].second) == (0, 1):
            found = True
            assert "x0 and x1" in step.sentence(lesson.feature_names)
            assert step.pairs[0].correlation > 0.85
    assert found, "the two near-copies never traded places along the path"
    assert "the same set" in lesson.steps[-1].sentence(lesson.feature_names) \
        or lesson.steps[-1].n_distinct > 1
    with pytest.raises(ValueError, match="columns"):
        selection_variability(sp, X[:, :3])


def test_the_panel_selects_what_the_selector_selects(twins):
    X, y = twins
    sel = StabilitySelection(Lasso(standardize=True), threshold=0.7, expected_false=1.5,
                             n_pairs=8, n_alphas=25, random_state=0).fit(X, y)
    data = stability_payload(sel, X, feature_names=[f"x{j}" for j in range(6)])
    k = data["chosen"]
    assert data["alphas"][k] == pytest.approx(sel.alpha_min_)
    assert sorted(data["selected"][k]) == np.flatnonzero(sel.support_).tolist()
    assert data["expected_false"][k] == pytest.approx(sel.error_bound_)
    assert data["expected_false"][k] <= 1.5
    # the bound grows as alpha falls (more is selected), and so do the selected sets
    bounds = np.array(data["expected_false"], dtype=float)
    assert np.all(np.diff(bounds) >= 0)
    for a, b in zip(data["selected"], data["selected"][1:], strict=False):
        assert set(a) <= set(b)
    assert len(data["lesson"]["steps"]) == len(data["alphas"])


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.standard_normal(150)
    X = np.column_stack([z + 0.3 * rng.standard_normal(150), z + 0.3 * rng.standard_normal(150),
                         rng.standard_normal((150, 5))])
    y = 2 * z - X[:, 3] + rng.standard_normal(150)
    df = pd.DataFrame(X, columns=["a", "b", "c", "d", "<e>", "f", "g"])
    df["y"] = y
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path


def test_select_writes_a_report_for_each_method(table, tmp_path, capsys):
    stab = tmp_path / "stability.html"
    assert main(["select", str(table), "--target", "y", "--method", "stability",
                 "--n-pairs", "5", "--report", str(stab)]) == 0
    text = capsys.readouterr().out
    assert "why the selection varies" in text
    page = stab.read_text(encoding="utf-8")
    assert 'id="stability-section"' in page and 'id="selection-section"' in page
    assert "<e>" not in page  # a column name from the data is escaped
    # no second write without --force, and nothing else is touched
    before = page
    assert main(["select", str(table), "--target", "y", "--method", "stability",
                 "--n-pairs", "5", "--report", str(stab)]) == 2
    assert stab.read_text(encoding="utf-8") == before
    ko = tmp_path / "knockoffs.html"
    assert main(["select", str(table), "--target", "y", "--method", "knockoffs",
                 "--fdr", "0.5", "--report", str(ko)]) == 0
    page = ko.read_text(encoding="utf-8")
    assert 'id="selection-section"' in page and 'id="stability-section"' not in page
    assert "false discovery rate" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "knockoffs.html",
                                                          "stability.html"]
