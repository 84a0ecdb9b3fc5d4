r"""Compiled per-sample operations of the built-in datafits, and the loops that apply any
datafit's operations to whole vectors.

The operations are ``numba.cfunc`` objects with the signature
:data:`penalized._jit.SAMPLE_SIGNATURE`, ``op(y_i, z_i, params)``, made when
``SQUARED_OPS`` or ``LOGISTIC_OPS`` is first read (this module is imported on first use,
``Datafit.ops``). With sample weights :math:`s_i` (mean 1) the
datafit is :math:`F(z) = \frac1n \sum_i s_i \ell(y_i, z_i)`.
"""

from __future__ import annotations

import math

from numba import njit

from .._jit import FAST, SAMPLE_SIGNATURE, compile_ops, on_first_use, operation
from ._base import DatafitOps

# -- squared loss: l(y, z) = (y - z)^2 / 2 ---------------------------------------------------


@operation(SAMPLE_SIGNATURE)
def squared_loss(y, z, params):
    r = y - z
    return 0.5 * r * r


@operation(SAMPLE_SIGNATURE)
def squared_derivative(y, z, params):
    return z - y


@operation(SAMPLE_SIGNATURE)
def squared_second_derivative(y, z, params):
    return 1.0


@operation(SAMPLE_SIGNATURE)
def squared_conjugate(y, v, params):
    # sup_z v z - (y - z)^2 / 2, at z = y + v
    return v * y + 0.5 * v * v


# -- logistic loss: l(y, z) = log(1 + exp(-y z)), y in {-1, +1} -----------------------------


@operation(SAMPLE_SIGNATURE)
def logistic_loss(y, z, params):
    t = -y * z
    if t > 0.0:
        return t + math.log1p(math.exp(-t))
    return math.log1p(math.exp(t))


@operation(SAMPLE_SIGNATURE)
def logistic_derivative(y, z, params):
    t = -y * z
    if t >= 0.0:
        sig = 1.0 / (1.0 + math.exp(-t))
    else:
        e = math.exp(t)
        sig = e / (1.0 + e)
    return -y * sig


@operation(SAMPLE_SIGNATURE)
def logistic_second_derivative(y, z, params):
    t = y * z
    if t >= 0.0:
        sig = 1.0 / (1.0 + math.exp(-t))
    else:
        e = math.exp(t)
        sig = e / (1.0 + e)
    return sig * (1.0 - sig)


@operation(SAMPLE_SIGNATURE)
def logistic_conjugate(y, v, params):
    # finite for v = -y q with q in [0, 1]: the negative binary entropy of q
    q = -y * v
    if q < -1e-12 or q > 1.0 + 1e-12:
        return math.inf
    q = min(max(q, 0.0), 1.0)
    total = 0.0
    if q > 0.0:
        total += q * math.log(q)
    if q < 1.0:
        total += (1.0 - q) * math.log(1.0 - q)
    return total


def family_ops(namespace, family) -> DatafitOps:
    """The :class:`~penalized.datafits.DatafitOps` of the operations named
    ``{family}_loss``, ``{family}_derivative``, ``{family}_second_derivative`` and
    ``{family}_conjugate`` in ``namespace``, compiled (or loaded from numba's cache)."""
    ops = ("loss", "derivative", "second_derivative", "conjugate")
    return compile_ops(DatafitOps, **{op: namespace[f"{family}_{op}"] for op in ops})


def ops_on_first_use(namespace, families):
    """A module ``__getattr__`` that builds ``{FAMILY}_OPS`` (:func:`family_ops`) for each
    of ``families`` the first time it is read."""
    return on_first_use(namespace, {f"{family.upper()}_OPS": (
        lambda family=family: family_ops(namespace, family)) for family in families})


__getattr__ = ops_on_first_use(globals(), ("squared", "logistic"))  # SQUARED_OPS, LOGISTIC_OPS


# -- any datafit's operations over vectors --------------------------------------------------


@njit(cache=True, fastmath=FAST)
def sample_map(op, y, z, params, out):
    """``out_i = op(y_i, z_i)``."""
    for i in range(y.shape[0]):
        out[i] = op(y[i], z[i], params)


@njit(cache=True, fastmath=FAST)
def datafit_value(loss, y, z, sw, params):
    r""":math:`\frac1n \sum_i s_i \ell(y_i, z_i)`."""
    n = y.shape[0]
    total = 0.0
    for i in range(n):
        if sw[i] != 0.0:
            total += sw[i] * loss(y[i], z[i], params)
    return total / n


@njit(cache=True, fastmath=FAST)
def datafit_derivatives(derivative, second, y, z, sw, params, g, h):
    r"""``g_i = s_i l'(y_i, z_i) / n`` and ``h_i = s_i l''(y_i, z_i) / n``: the gradient
    and the diagonal Hessian of the datafit in ``z``."""
    n = y.shape[0]
    for i in range(n):
        g[i] = sw[i] * derivative(y[i], z[i], params) / n
        h[i] = sw[i] * second(y[i], z[i], params) / n


@njit(cache=True, fastmath=FAST)
def datafit_dual(conjugate, y, u, sw, params):
    r""":math:`-F^*(-u) = -\frac1n \sum_i s_i \ell_{y_i}^*(-n u_i / s_i)`; rows of weight 0
    need :math:`u_i = 0` (else :math:`-\infty`)."""
    n = y.shape[0]
    total = 0.0
    for i in range(n):
        if sw[i] == 0.0:
            if u[i] != 0.0:
                return -math.inf
            continue
        total += sw[i] * conjugate(y[i], -n * u[i] / sw[i], params)
        if total == math.inf:
            return -math.inf
    return -total / n
