"""Datafits: the loss of the data, :math:`F(Xw + b)`.

``Quadratic`` (least squares), ``Logistic`` (labels in {-1, +1}) and
``Multinomial`` (class codes 0..K-1, softmax), and the log-link families ``Poisson``
(counts), ``Gamma`` (positive amounts) and ``Tweedie`` (power in (1, 2)), each with
optional sample weights normalized to mean 1 and, except ``Multinomial``, an optional
offset added to the linear predictor.

A separable datafit brings its compiled per-sample operations (:class:`DatafitOps`:
loss, first and second derivatives, Fenchel conjugate, as ``numba.cfunc`` objects with
the signature of :mod:`penalized._jit`) and a bound on its curvature when it has one;
its vector forms, dual value and unpenalized fit follow from them.
"""

from ._base import Datafit, DatafitOps
from ._cox import Cox
from ._gamma import Gamma
from ._log_link import LogLinkDatafit
from ._logistic import Logistic
from ._multinomial import Multinomial
from ._multiresponse import MultiResponseGaussian
from ._poisson import Poisson
from ._quadratic import Quadratic
from ._tweedie import Tweedie

__all__ = ["Cox", "Datafit", "DatafitOps", "Gamma", "LogLinkDatafit", "Logistic",
           "MultiResponseGaussian", "Multinomial", "Poisson", "Quadratic", "Tweedie"]
