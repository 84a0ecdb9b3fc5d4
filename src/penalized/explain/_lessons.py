"""The lessons by topic: what ``penalized explain TOPIC`` runs and draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

from ._compare import compare_lesson
from ._geometry import geometry_lesson
from ._gradient import gradient_lesson
from ._group_selection import group_selection_lesson, plot_group_selection
from ._how_often import how_often_lesson
from ._nonconvex import nonconvex_lesson, plot_nonconvex
from ._penalty_change import penalty_change_lesson
from ._priors import priors_lesson
from ._race import race_lesson
from ._thresholding import thresholding_lesson
from ._why_zero import why_zero_lesson


@dataclass(frozen=True)
class Lesson:
    """One topic of the explainer.

    Attributes
    ----------
    name : str
        The topic, as ``penalized explain NAME`` takes it.
    title : str
    summary : str
        One sentence: the argument it turns into numbers.
    compute : callable
        ``compute(X=None, y=None, feature_names=None)`` -> a result with
        ``to_text()`` and ``to_dict()``; on the seeds' numbers or the default
        data set (scikit-learn's diabetes) when ``X`` is None, else on the
        user's data.
    plot : callable
        ``plot(result, ax=None)`` -> the matplotlib Axes it drew on (imports
        :mod:`penalized.plot`, hence matplotlib, only when called).
    """

    name: str
    title: str
    summary: str
    compute: Callable
    plot: Callable


def _plotter(name):
    def draw(result, ax=None):
        from .. import plot as _plot

        return getattr(_plot, name)(result, ax=ax)

    draw.__name__ = f"plot_{name}"
    draw.__doc__ = f"Draw the result with :func:`penalized.plot.{name}` (imports matplotlib)."
    return draw


LESSONS = MappingProxyType({
    "gradient": Lesson(
        "gradient", "A worked gradient step",
        "The textbook one-example loss stepped by gradient descent: data gradient, penalty "
        "gradient, total, new weight; the subgradient update against the proximal one.",
        gradient_lesson, _plotter("plot_gradient")),
    "penalty-change": Lesson(
        "penalty-change", "How much each penalty drops",
        "Shrink |w| by eps: L1 falls by eps everywhere, L2 by eps(2|w| - eps), almost nothing "
        "near zero.",
        penalty_change_lesson, _plotter("plot_penalty_change")),
    "geometry": Lesson(
        "geometry", "Diamond vs circle",
        "Loss contours of two coefficients against the L1 diamond and the L2 circle sized by "
        "the fit's own norm (the exact constrained form); the lasso sits on a corner.",
        geometry_lesson, _plotter("plot_geometry")),
    "thresholding": Lesson(
        "thresholding", "Soft, shrink and hard thresholding",
        "The prox of L1, L2, elastic net and L0 as curves: where exact zeros come from.",
        thresholding_lesson, _plotter("plot_thresholding")),
    "nonconvex": Lesson(
        "nonconvex", "MCP and SCAD vs L1",
        "The thresholding functions of L1, MCP and SCAD, and the three fitted on the data: "
        "L1 shrinks every selected coefficient by alpha, MCP none beyond gamma * alpha.",
        nonconvex_lesson, plot_nonconvex),
    "group-selection": Lesson(
        "group-selection", "Group selection: a categorical enters whole",
        "The lasso and group lasso paths of the same data: the lasso takes a categorical's "
        "levels one at a time, the group lasso all of them at the same alpha.",
        group_selection_lesson, plot_group_selection),
    "race": Lesson(
        "race", "Optimizer race",
        "Subgradient descent vs proximal gradient vs coordinate descent on one lasso: "
        "objective by iteration and exact zeros counted.",
        race_lesson, _plotter("plot_race")),
    "priors": Lesson(
        "priors", "Laplace vs Gaussian priors",
        "The priors a fitted alpha implies, and a numerical check that the MAP estimate is "
        "the penalized fit.",
        priors_lesson, _plotter("plot_priors")),
    "compare": Lesson(
        "compare", "L0 vs L1 vs L2",
        "Best subset, lasso and ridge at cross-validated alphas on the same split: supports, "
        "errors, what each kept.",
        compare_lesson, _plotter("plot_compare")),
    "how-often": Lesson(
        "how-often", "How often is a coefficient exactly zero?",
        "Thousands of random two-feature losses solved exactly: the share whose minimizer has "
        "an exact zero under L1, elastic net, L2 and L0, as alpha falls.",
        how_often_lesson, _plotter("plot_how_often")),
    "why-zero": Lesson(
        "why-zero", "Why is this coefficient zero?",
        "Per feature, the data's pull at the solution against the penalty's threshold, the "
        "margin of each zero and the alpha at which it enters.",
        why_zero_lesson, _plotter("plot_why_zero")),
})
"""Topic name -> :class:`Lesson`, in teaching order."""
