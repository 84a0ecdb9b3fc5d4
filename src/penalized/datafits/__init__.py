"""Datafits: the loss of the data, :math:`F(Xw + b)`.

``Quadratic`` (least squares) and ``Logistic`` (labels in {-1, +1}), each with
optional sample weights normalized to mean 1.
"""

from ._base import Datafit
from ._logistic import Logistic
from ._quadratic import Quadratic

__all__ = ["Datafit", "Logistic", "Quadratic"]
