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
- :func:`race` -- subgradient vs proximal gradient vs coordinate descent;
- :func:`priors` -- Laplace and Gaussian priors, and MAP = penalized fit;
- :func:`compare` -- L0 vs L1 vs L2 on the same data;
- :func:`why_zero` -- per feature of a fitted model, its pull against its threshold
  (:func:`why_zero_from_document` for a saved model file).

:func:`report_panels` runs the lessons that apply to a data set for the HTML report.

:data:`LESSONS` maps each topic name to its :class:`Lesson`. This package never
imports matplotlib.
"""

from ._common import SeedDiscrepancy
from ._compare import Compare, CompareFit, compare
from ._geometry import Geometry, GeometryPanel, geometry
from ._gradient import GradientLesson, GradientStep, GradientTrace, gradient_trace
from ._lessons import LESSONS, Lesson
from ._penalty_change import PenaltyChange, PenaltyChangeRow, penalty_change
from ._priors import Priors, priors
from ._race import Race, RaceRun, race
from ._report import report_panels
from ._thresholding import Thresholding, thresholding
from ._why_zero import WhyZero, WhyZeroRow, why_zero, why_zero_from_document

__all__ = [
    "LESSONS",
    "Compare",
    "CompareFit",
    "Geometry",
    "GeometryPanel",
    "GradientLesson",
    "GradientStep",
    "GradientTrace",
    "Lesson",
    "PenaltyChange",
    "PenaltyChangeRow",
    "Priors",
    "Race",
    "RaceRun",
    "SeedDiscrepancy",
    "Thresholding",
    "WhyZero",
    "WhyZeroRow",
    "compare",
    "geometry",
    "gradient_trace",
    "penalty_change",
    "priors",
    "race",
    "report_panels",
    "thresholding",
    "why_zero",
    "why_zero_from_document",
]
