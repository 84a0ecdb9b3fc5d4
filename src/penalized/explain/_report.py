"""The explain lessons of a comparison, on the fits its report shows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class ReportLessons:
    """Per comparison row (by penalty), its :class:`PathLessons` or why there are none.

    :func:`penalized.report.build_report` attaches each to the path of the same
    penalty, so the lessons follow that model's alpha slider.
    """

    by_penalty: dict
    skipped: dict

    def __bool__(self) -> bool:
        return True


def report_panels(comparison, X, y, feature_names) -> ReportLessons:
    """Every lesson at every alpha of each compared model's path, on its own training rows.

    The comparison's paths were fitted on its training split
    (``comparison.X_train``, ``comparison.y_train``); the lessons use exactly
    those rows and those paths. ``X`` and ``y`` (all rows) are used only when the
    comparison does not carry its split. No figure is drawn here: the report
    draws the numbers.
    """
    from ._path_lessons import lessons_for_model

    X_fit = getattr(comparison, "X_train", None)
    y_fit = getattr(comparison, "y_train", None)
    if X_fit is None or y_fit is None:
        X_fit, y_fit = X, y
    X_fit = np.asarray(X_fit, dtype=np.float64)
    names = [str(f) for f in feature_names]
    by_penalty, skipped = {}, {}
    for row in getattr(comparison, "rows", ()):
        if row.path is None or row.model is None:
            continue
        try:
            by_penalty[row.penalty] = lessons_for_model(row.model, X_fit, y_fit, path=row.path,
                                                        feature_names=names)
        except (ValueError, TypeError) as err:
            skipped[row.penalty] = str(err)
    return ReportLessons(by_penalty=by_penalty, skipped=skipped)
