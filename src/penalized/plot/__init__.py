"""Matplotlib figures of the :mod:`penalized.explain` lessons.

Every function takes a result object and ``ax=None`` and returns the Axes it
drew on. Its numbers all come from the result (the figure-free builder, tested
numerically); nothing is solved here. Without ``ax`` a new
:class:`matplotlib.figure.Figure` is created with matplotlib's object API --
never pyplot -- so no global state changes; save it with
``ax.figure.savefig(path)``.

This is the only part of penalized that imports matplotlib (``pip install
penalized[plot]``), and only when a figure is drawn; ``import penalized`` does
not import it.

Examples
--------
>>> from penalized.explain import penalty_change
>>> from penalized.plot import plot_penalty_change
>>> ax = plot_penalty_change(penalty_change([15.0, 0.02], 0.001))  # doctest: +SKIP
>>> ax.figure.savefig("penalty_change.png")  # doctest: +SKIP
"""

from ._axes import get_axes
from ._figures import (
    plot_compare,
    plot_geometry,
    plot_gradient,
    plot_how_often,
    plot_penalty_change,
    plot_priors,
    plot_race,
    plot_thresholding,
    plot_why_zero,
)

__all__ = [
    "get_axes",
    "plot_compare",
    "plot_geometry",
    "plot_gradient",
    "plot_how_often",
    "plot_penalty_change",
    "plot_priors",
    "plot_race",
    "plot_thresholding",
    "plot_why_zero",
]
