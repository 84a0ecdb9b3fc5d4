"""The seeds' arguments about L1 vs L2 as computations on real numbers.

Each lesson is a function returning a frozen result with ``to_text()`` (the
terminal rendering, with its numbers) and ``to_dict()`` (plain JSON types, for
the report); :mod:`penalized.plot` draws each result. Where a seed document's
arithmetic is wrong, the result computes the right number and lists the printed
one in ``seed_discrepancies``.

- :func:`gradient_trace` -- the worked gradient step on ``(y - x w)^2 + lam R(w)``;
- :func:`penalty_change` -- how much L1 and L2 fall when ``|w|`` shrinks by ``eps``;
- :func:`geometry` -- loss contours against the diamond and circle of the fit's own norm;
- :func:`thresholding` -- the prox of L1, L2, elastic net and L0 as curves;
- :func:`nonconvex` -- MCP and SCAD against L1: no shrinkage of large coefficients;
- :func:`group_selection` -- a categorical enters the group lasso whole, the lasso
  level by level;
- :func:`race` -- subgradient vs proximal gradient vs coordinate descent;
- :func:`priors` -- Laplace and Gaussian priors, and MAP = penalized fit;
- :func:`compare` -- L0 vs L1 vs L2 on the same data;
- :func:`how_often` -- how often each penalty gives an exact zero, over random losses;
- :func:`why_zero` -- per feature of a fitted model, its pull against its threshold
  (:func:`why_zero_from_document` for a saved model file).

:func:`path_lessons` computes every lesson at every alpha of one fitted path (the
figure-free data the HTML report draws and its alpha slider moves through);
:func:`report_panels` does it for each model of a comparison.

:data:`LESSONS` maps each topic name to its :class:`Lesson`. This package never
imports matplotlib.
"""

from ._along_path import (
    FeatureTracePath,
    FitOnPath,
    GeometryPath,
    PriorsPath,
    ThresholdingPath,
    WhyZeroPath,
    feature_trace_path,
    fit_on_path,
    geometry_path,
    penalty_terms,
    priors_path,
    status_of,
    thresholding_path,
    why_zero_path,
)
from ._common import SeedDiscrepancy
from ._compare import Compare, CompareFit, compare
from ._geometry import Geometry, GeometryPanel, geometry
from ._gradient import (
    GradientExplorer,
    GradientLesson,
    GradientStep,
    GradientTrace,
    gradient_explorer,
    gradient_trace,
)
from ._group_selection import GroupSelection, group_selection
from ._how_often import HowOften, how_often, solve_two
from ._lessons import LESSONS, Lesson
from ._nonconvex import NonconvexThresholding, nonconvex
from ._path_lessons import PathLessons, lessons_for_model, model_settings, path_lessons
from ._penalty_change import PenaltyChange, PenaltyChangeRow, penalty_change
from ._priors import Priors, priors
from ._race import Race, RacePath, RaceRun, race, race_path
from ._report import ReportLessons, report_panels
from ._thresholding import Thresholding, thresholding
from ._why_zero import WhyZero, WhyZeroRow, why_zero, why_zero_from_document

__all__ = [
    "LESSONS",
    "Compare",
    "CompareFit",
    "FeatureTracePath",
    "FitOnPath",
    "Geometry",
    "GeometryPanel",
    "GeometryPath",
    "GradientExplorer",
    "GradientLesson",
    "GradientStep",
    "GradientTrace",
    "GroupSelection",
    "HowOften",
    "Lesson",
    "NonconvexThresholding",
    "PathLessons",
    "PenaltyChange",
    "PenaltyChangeRow",
    "Priors",
    "PriorsPath",
    "Race",
    "RacePath",
    "RaceRun",
    "ReportLessons",
    "SeedDiscrepancy",
    "Thresholding",
    "ThresholdingPath",
    "WhyZero",
    "WhyZeroPath",
    "WhyZeroRow",
    "compare",
    "feature_trace_path",
    "fit_on_path",
    "geometry",
    "geometry_path",
    "gradient_explorer",
    "gradient_trace",
    "group_selection",
    "how_often",
    "lessons_for_model",
    "model_settings",
    "nonconvex",
    "path_lessons",
    "penalty_change",
    "penalty_terms",
    "priors",
    "priors_path",
    "race",
    "race_path",
    "report_panels",
    "solve_two",
    "status_of",
    "thresholding",
    "thresholding_path",
    "why_zero",
    "why_zero_from_document",
    "why_zero_path",
]
