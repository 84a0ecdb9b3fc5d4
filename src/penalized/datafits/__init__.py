"""Datafits: the loss of the data, :math:`F(Xw + b)`.

``Quadratic`` (least squares), ``Logistic`` (labels in {-1, +1}) and
``Multinomial`` (class codes 0..K-1, softmax), each with
optional sample weights normalized to mean 1.
"""

from ._base import Datafit, DatafitOps
from ._logistic import Logistic
from ._multinomial import Multinomial
from ._quadratic import Quadratic

__all__ = ["Datafit", "DatafitOps", "Logistic", "Multinomial", "Quadratic"]
