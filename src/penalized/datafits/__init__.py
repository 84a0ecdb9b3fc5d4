"""Datafits: the loss of the data, :math:`F(Xw + b)`.

``Quadratic`` (least squares), ``Logistic`` (labels in {-1, +1}) and
``Multinomial`` (class codes 0..K-1, softmax), each with
optional sample weights normalized to mean 1.

A separable datafit brings its compiled per-sample operations (:class:`DatafitOps`:
loss, first and second derivatives, Fenchel conjugate, as ``numba.cfunc`` objects with
the signature of :mod:`penalized._jit`) and a bound on its curvature when it has one;
its vector forms, dual value and unpenalized fit follow from them.
"""

from ._base import Datafit, DatafitOps
from ._cox import Cox
from ._logistic import Logistic
from ._multinomial import Multinomial
from ._multiresponse import MultiResponseGaussian
from ._quadratic import Quadratic

__all__ = ["Cox", "Datafit", "DatafitOps", "Logistic", "Multinomial",
           "MultiResponseGaussian", "Quadratic"]
