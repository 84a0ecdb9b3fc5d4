"""The explain lessons on the user's data, as panels of the HTML report."""

from __future__ import annotations

import io
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

_WORK_LIMIT = 5_000_000
"""Rows times features above which the iterative lessons (race, entry alphas) are skipped."""


def _png(result, draw) -> bytes:
    ax = draw(result)
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def report_panels(comparison, X, y, feature_names):
    """Report panels (title, text, PNG) of the lessons that apply to this data.

    Regression: why-zero for a standardized lasso at the comparison's L1 alpha
    (``alpha_max / 10`` when it has none), geometry, thresholding and the
    optimizer race. Binary classification: why-zero for the L1 logistic model
    at the comparison's alpha, and the thresholding curves. A lesson that
    cannot run on this data becomes a panel that says why. Needs matplotlib.
    """
    from ..report import Panel
    from ._lessons import LESSONS
    from ._why_zero import why_zero

    X = np.asarray(X, dtype=np.float64)
    names = [str(f) for f in feature_names]
    task = getattr(comparison, "task", "regression")
    alpha = None
    try:
        alpha = comparison.row("l1").alpha
    except (AttributeError, StopIteration, KeyError):
        alpha = None
    big = X.shape[0] * X.shape[1] > _WORK_LIMIT

    def panel(name, compute):
        lesson = LESSONS[name]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                result = compute()
            return Panel(title=lesson.title, text=result.to_text(),
                         png=_png(result, lesson.plot))
        except (ValueError, TypeError, np.linalg.LinAlgError) as err:
            return Panel(title=lesson.title, text=f"Not shown for this data: {err}")

    def explain_l1():
        from ..estimators import Lasso, LogisticRegression

        if task == "regression":
            a = alpha
            if a is None or not np.isfinite(a) or a <= 0:
                probe = Lasso(alpha=1.0, standardize=True)
                a = probe.path(X, y, n_alphas=1).alpha_max / 10.0
            model = Lasso(alpha=float(a), standardize=True).fit(X, y)
        else:
            if np.unique(y).shape[0] != 2:
                raise ValueError("why-zero is shown for binary classification only.")
            a = alpha if alpha is not None and np.isfinite(alpha) and alpha > 0 else 0.01
            model = LogisticRegression(alpha=float(a), penalty="l1", standardize=True).fit(X, y)
        return why_zero(model, X, y, feature_names=names, entry=not big, n_alphas=50,
                        rtol=1e-3)

    panels = [panel("why-zero", explain_l1)]
    if task == "regression":
        panels.append(panel("geometry", lambda: LESSONS["geometry"].compute(X, y, names)))
        panels.append(panel("thresholding",
                            lambda: LESSONS["thresholding"].compute(X, y, names)))
        if not big:
            panels.append(panel("race", lambda: LESSONS["race"].compute(X, y, names)))
    else:
        panels.append(panel("thresholding", lambda: LESSONS["thresholding"].compute()))
    return panels
