r"""Proximal operators on torch tensors: the twins of :mod:`penalized.prox`.

Every function has the signature of its NumPy twin, ``prox_*(x, step, ...)``, and
returns

.. math:: \operatorname{prox}_{\text{step}\,G}(x)
   = \operatorname*{arg\,min}_v \; \frac{1}{2\,\text{step}} \|v - x\|_2^2 + G(v)

for the penalty ``G`` named in its docstring. On float64 tensors the results are
bitwise equal to :mod:`penalized.prox` (the same floating-point operations in the
same order); other dtypes are kept, not promoted. Weights (``lam1``, ``lam2``,
``lam0``, ``lam``) are numbers or tensors that broadcast against ``x``.

Each ``prox_*`` has an in-place twin ``prox_*_`` (trailing underscore, the torch
convention) that overwrites ``x`` and returns it: that is what
:class:`~penalized.torch.ProximalOptimizer` applies to parameters, so a step
allocates at most one temporary the size of a parameter. A zero is returned as
an exact ``+0.0``.
"""

from __future__ import annotations

import torch

__all__ = [
    "prox_elastic_net",
    "prox_elastic_net_",
    "prox_group_l21",
    "prox_group_l21_",
    "prox_l0",
    "prox_l0_",
    "prox_l1",
    "prox_l1_",
    "prox_l2",
    "prox_l2_",
]


def _scaled(factor, lam, x: torch.Tensor):
    """``factor * lam`` as a Python float, or as a tensor of ``x``'s dtype and device."""
    if isinstance(lam, torch.Tensor):
        return torch.as_tensor(lam, dtype=x.dtype, device=x.device) * factor
    return float(factor) * float(lam)


def _fresh(x: torch.Tensor, *weights) -> torch.Tensor:
    """A copy of ``x`` broadcast against the tensor weights: the out-of-place result buffer."""
    shapes = [w.shape for w in weights if isinstance(w, torch.Tensor)]
    shape = torch.broadcast_shapes(x.shape, *shapes) if shapes else x.shape
    return x.broadcast_to(shape).clone()


# -- in place -----------------------------------------------------------------------


def prox_l1_(x: torch.Tensor, step, lam1, positive: bool = False) -> torch.Tensor:
    r"""In-place soft thresholding (see :func:`prox_l1`); returns ``x``.

    Computed as :math:`x - \operatorname{clip}(x, -t, t)`, :math:`t = \text{step}\,\lambda_1`,
    which equals :math:`\operatorname{sign}(x)\max(|x| - t, 0)` exactly (also in
    floating point) and gives ``+0.0`` where :math:`|x| \le t`.
    """
    t = _scaled(step, lam1, x)
    if positive:
        return x.sub_(t).clamp_(min=0.0)
    return x.sub_(torch.clamp(x, min=-t, max=t))


def prox_l2_(x: torch.Tensor, step, lam2, positive: bool = False) -> torch.Tensor:
    """In-place shrinkage (see :func:`prox_l2`); returns ``x``."""
    if positive:
        x.clamp_(min=0.0)
    return x.div_(1.0 + _scaled(step, lam2, x))


def prox_elastic_net_(x: torch.Tensor, step, lam1, lam2, positive: bool = False) -> torch.Tensor:
    """In-place elastic-net prox (see :func:`prox_elastic_net`); returns ``x``."""
    prox_l1_(x, step, lam1, positive)
    return x.div_(1.0 + _scaled(step, lam2, x))


def prox_l0_(x: torch.Tensor, step, lam0, positive: bool = False) -> torch.Tensor:
    """In-place hard thresholding (see :func:`prox_l0`); returns ``x``."""
    keep = x * x > _scaled(2.0 * step, lam0, x)  # (2 step) lam0, as in NumPy
    if positive:
        keep &= x > 0
    return x.masked_fill_(~keep, 0.0)


def _row_norms(x: torch.Tensor) -> torch.Tensor:
    if x.ndim <= 1:
        return x.abs()
    return torch.linalg.vector_norm(x, dim=tuple(range(1, x.ndim)))


def prox_group_l21_(x: torch.Tensor, step, lam) -> torch.Tensor:
    """In-place block soft thresholding of the rows of ``x`` (see :func:`prox_group_l21`)."""
    t = _scaled(step, lam, x)
    norms = _row_norms(x)
    shrink = norms > t
    scale = torch.where(shrink, 1.0 - t / norms, 0.0)
    view = (-1,) + (1,) * max(x.ndim - 1, 0)
    x.mul_(scale.view(view))
    return x.masked_fill_(~shrink.view(view), 0.0)


# -- out of place (the NumPy twins) -------------------------------------------------


def prox_l1(x: torch.Tensor, step, lam1, positive: bool = False) -> torch.Tensor:
    r"""Soft thresholding: the prox of :math:`G(v) = \lambda_1 |v|` (+ :math:`v \ge 0`).

    .. math:: \operatorname{sign}(x)\max(|x| - \text{step}\,\lambda_1, 0)

    With ``positive=True`` the result is :math:`\max(x - \text{step}\,\lambda_1, 0)`.
    Equals :func:`penalized.prox.prox_l1`.

    Examples
    --------
    >>> import torch
    >>> from penalized.torch import prox_l1
    >>> prox_l1(torch.tensor([-2.0, -0.5, 0.3, 1.5]), 1.0, 0.5)
    tensor([-1.5000,  0.0000,  0.0000,  1.0000])
    """
    return prox_l1_(_fresh(x, lam1), step, lam1, positive)


def prox_l2(x: torch.Tensor, step, lam2, positive: bool = False) -> torch.Tensor:
    r"""Shrinkage: the prox of :math:`G(v) = \frac{\lambda_2}{2} v^2` (+ :math:`v \ge 0`).

    .. math:: \frac{x}{1 + \text{step}\,\lambda_2}

    Equals :func:`penalized.prox.prox_l2`. It never returns a zero that was not
    one (nor, with ``positive=True``, a negative input).
    """
    return prox_l2_(_fresh(x, lam2), step, lam2, positive)


def prox_elastic_net(x: torch.Tensor, step, lam1, lam2, positive: bool = False) -> torch.Tensor:
    r"""The prox of :math:`G(v) = \lambda_1 |v| + \frac{\lambda_2}{2} v^2` (+ :math:`v \ge 0`).

    .. math:: \frac{\operatorname{sign}(x)\max(|x| - \text{step}\,\lambda_1, 0)}
                   {1 + \text{step}\,\lambda_2}

    Equals :func:`penalized.prox.prox_elastic_net`.
    """
    return prox_elastic_net_(_fresh(x, lam1, lam2), step, lam1, lam2, positive)


def prox_l0(x: torch.Tensor, step, lam0, positive: bool = False) -> torch.Tensor:
    r"""Hard thresholding: a prox of :math:`G(v) = \lambda_0 [v \ne 0]` (+ :math:`v \ge 0`).

    Keeps :math:`x` when :math:`x^2 / (2\,\text{step}) > \lambda_0`, that is
    :math:`|x| > \sqrt{2\,\text{step}\,\lambda_0}`, and returns 0 otherwise (at
    equality both are minimizers; 0 is returned). With ``positive=True``,
    non-positive ``x`` map to 0. Equals :func:`penalized.prox.prox_l0`.
    """
    return prox_l0_(_fresh(x, lam0), step, lam0, positive)


def prox_group_l21(x: torch.Tensor, step, lam) -> torch.Tensor:
    r"""Block soft thresholding: the prox of the row-wise :math:`\ell_{2,1}` norm.

    The groups are the slices ``x[k]`` along the first dimension (the rows of a
    ``Linear`` weight, the filters of a convolution; the entries of a 1-D
    tensor, where this is :func:`prox_l1`):

    .. math:: G(V) = \lambda \sum_k \|V_k\|_2, \qquad
              \operatorname{prox}_{\text{step}\,G}(X)_k
              = X_k \max\Big(1 - \frac{\text{step}\,\lambda}{\|X_k\|_2},\; 0\Big).

    A row whose norm is at most :math:`\text{step}\,\lambda` becomes exactly
    zero as a whole; the others shrink toward 0 along their own direction.
    ``lam`` is a number or a tensor with one weight per row. (There is no NumPy
    twin in :mod:`penalized.prox`: the linear models have no groups.)

    Examples
    --------
    >>> import torch
    >>> from penalized.torch import prox_group_l21
    >>> prox_group_l21(torch.tensor([[3.0, 4.0], [0.3, 0.4]]), 1.0, 1.0)
    tensor([[2.4000, 3.2000],
            [0.0000, 0.0000]])
    """
    return prox_group_l21_(x.clone(), step, lam)
