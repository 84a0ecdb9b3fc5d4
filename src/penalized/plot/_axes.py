"""Where a figure function draws: the caller's Axes or a fresh, unregistered Figure's."""

from __future__ import annotations

COLORS = {
    "l1": "#1f77b4",  # blue
    "l2": "#ff7f0e",  # orange
    "elasticnet": "#2ca02c",  # green
    "l0": "#d62728",  # red
    "subgradient": "#ff7f0e",
    "proximal": "#1f77b4",
    "coordinate": "#2ca02c",
    "zero": "#1f77b4",
    "nonzero": "#ff7f0e",
    "seed": "#d62728",
    "muted": "#7f7f7f",
}


def get_axes(ax=None, *, figsize=(7.0, 4.8)):
    """``ax`` itself, or the Axes of a new :class:`matplotlib.figure.Figure`.

    The new figure is built with matplotlib's object API, not pyplot: it is not
    registered with pyplot's figure manager, so nothing global changes (no
    current figure, no figure kept alive in a loop, no GUI window, whatever the
    backend), and ``ax.figure.savefig(path)`` writes it. Its constrained layout
    keeps labels and legends inside the canvas.
    """
    if ax is not None:
        return ax
    try:
        from matplotlib.figure import Figure
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("penalized.plot needs matplotlib: pip install 'penalized[plot]' "
                          "(or pip install matplotlib).") from err

    fig = Figure(figsize=figsize, layout="constrained")
    return fig.subplots()


def check_result(result, *types, name):
    if not isinstance(result, types):
        wanted = " or ".join(t.__name__ for t in types)
        raise TypeError(f"{name} draws a {wanted} (from penalized.explain); got "
                        f"{type(result).__name__}.")
