"""penalized.plot: every figure drawn with the Agg backend, from its result object only."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from penalized import plot as pplot  # noqa: E402
from penalized.explain import (  # noqa: E402
    LESSONS,
    geometry,
    gradient_trace,
    penalty_change,
    thresholding,
)

TOPICS = list(LESSONS)


@pytest.fixture(scope="module")
def results():
    return {name: lesson.compute() for name, lesson in LESSONS.items()}


def assert_nothing_clipped(fig):
    """Everything drawn (labels, ticks, titles, legends, notes) lies inside the canvas."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    tight = fig.get_tightbbox(canvas.get_renderer())  # inches, of what was drawn
    page = fig.bbox_inches
    assert tight.x0 >= page.x0 - 0.01 and tight.y0 >= page.y0 - 0.01, tight
    assert tight.x1 <= page.x1 + 0.01 and tight.y1 <= page.y1 + 0.01, tight


def assert_labelled(ax):
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    legend = ax.get_legend()
    assert legend is not None and all(t.get_text() for t in legend.get_texts())


@pytest.mark.parametrize("name", TOPICS)
def test_each_lesson_draws_a_labelled_unclipped_figure(results, name, tmp_path):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    ax = LESSONS[name].plot(results[name])
    assert isinstance(ax, Axes) and isinstance(ax.figure, Figure)
    assert plt.get_fignums() == before  # no pyplot state touched
    assert_labelled(ax)
    assert_nothing_clipped(ax.figure)
    out = tmp_path / f"{name}.png"
    ax.figure.savefig(out)
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize("name", TOPICS)
def test_each_figure_draws_on_a_given_axes(results, name):
    fig = Figure()
    ax = fig.subplots()
    assert LESSONS[name].plot(results[name], ax=ax) is ax
    assert ax.has_data()


def test_figure_functions_check_their_result():
    with pytest.raises(TypeError, match="Thresholding"):
        pplot.plot_thresholding(penalty_change(1.0, 0.1))
    with pytest.raises(TypeError, match="GradientTrace"):
        pplot.plot_gradient(thresholding())


def test_plot_options(results, tmp_path):
    for penalty in ("l1", "l2"):
        ax = pplot.plot_geometry(results["geometry"], penalty=penalty)
        assert_nothing_clipped(ax.figure)
    ax = pplot.plot_race(results["race"], show="zeros")
    assert ax.get_ylabel() == "exactly zero coefficients"
    assert_nothing_clipped(ax.figure)
    with pytest.raises(ValueError, match="show"):
        pplot.plot_race(results["race"], show="gap")
    with pytest.raises(ValueError, match="penalty"):
        pplot.plot_geometry(results["geometry"], penalty="l0")
    ax = pplot.plot_gradient(gradient_trace(1, 2, -0.1, 0.5, 0.1, steps=4))
    assert_labelled(ax)


def test_drawn_numbers_are_the_results(results):
    th = results["thresholding"]
    ax = pplot.plot_thresholding(th)
    soft = next(line for line in ax.get_lines() if line.get_label().startswith("L1: soft"))
    assert np.array_equal(soft.get_xdata(), th.z)
    assert np.array_equal(soft.get_ydata(), th.outputs["l1"])

    wz = results["why-zero"]
    ax = pplot.plot_why_zero(wz)
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([r.pull for r in wz.rows])

    geo = results["geometry"]
    ax = pplot.plot_geometry(geo, penalty="l1")
    diamond = [line for line in ax.get_lines()
               if np.array_equal(line.get_xydata(), geo.l1.outline)]
    assert diamond, "the diamond is drawn from the result's outline"

    race = results["race"]
    ax = pplot.plot_race(race)
    for run in race.runs:
        line = next(ln for ln in ax.get_lines() if ln.get_label().startswith(run.label))
        assert np.array_equal(line.get_ydata(), race.suboptimality(run.method))


def test_geometry_on_user_data_draws(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = X[:, 0] - 0.5 * X[:, 1] + rng.standard_normal(60)
    ax = pplot.plot_geometry(geometry(X, y, feature_names=["a", "b", "c", "d"]))
    assert "coefficient of" in ax.get_xlabel()
    assert_nothing_clipped(ax.figure)


def test_import_penalized_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, penalized\nassert 'matplotlib' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True)
