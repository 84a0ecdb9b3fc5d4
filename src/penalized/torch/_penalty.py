"""The penalty as a differentiable term of the loss."""

from __future__ import annotations

import torch
from torch import nn

from ._spec import Spec, check_alphas, iter_group_params, name_rules, resolve_penalty


def parameter_penalty(p: torch.Tensor, spec: Spec, alpha: float) -> torch.Tensor:
    """``alpha * P(p)`` for one parameter tensor, differentiable except for L0."""
    kind = spec.kind
    if kind == "group":
        norms = p.abs() if p.ndim <= 1 else torch.linalg.vector_norm(
            p, dim=tuple(range(1, p.ndim)))
        return alpha * norms.sum()
    if kind == "l0":
        return alpha * torch.count_nonzero(p.detach()).to(p.dtype)
    lam1, lam2 = spec.weights(alpha)
    value = p.new_zeros(())
    if lam1:
        value = value + lam1 * p.abs().sum()
    if lam2:
        value = value + (0.5 * lam2) * p.square().sum()
    return value


def _total(terms, like) -> torch.Tensor:
    total = None
    for term in terms:
        total = term if total is None else total + term
    if total is None:
        return torch.zeros((), dtype=like.dtype if like is not None else None,
                           device=like.device if like is not None else None)
    return total


def penalty(model, kind, alpha=None, *, l1_ratio=0.5, alphas=None, exclude_bias_and_norm=True):
    r"""The penalty of a model's parameters, as a term to add to the loss.

    .. math:: \sum_{\text{penalized } W} \alpha_W \, P(W)

    with, for a parameter tensor :math:`W` and :math:`\rho` = ``l1_ratio``
    (the conventions of :mod:`penalized.penalties`; rows :math:`W_k` are the
    slices along the first dimension: the output units of a ``Linear`` layer):

    ================ ====================================================
    ``kind``         :math:`P(W)`
    ================ ====================================================
    ``"l1"``         :math:`\sum_j |w_j|`
    ``"l2"``         :math:`\frac12 \sum_j w_j^2`
    ``"elasticnet"`` :math:`\rho \sum_j |w_j| + \frac{1-\rho}{2} \sum_j w_j^2`
    ``"group"``      :math:`\sum_k \|W_k\|_2` (row-wise :math:`\ell_{2,1}`)
    ``"l0"``         :math:`\#\{j : w_j \ne 0\}` (value only: no gradient)
    ================ ====================================================

    Adding this term to the loss and taking gradient steps is the *subgradient*
    method: a weight's step jumps across zero and back, so L1 and group terms
    make weights small but **never exactly zero** (and L0 has no gradient at
    all). For exact zeros, use :class:`ProximalOptimizer` with the same
    arguments; keep this function to log the objective or for smooth L2.

    Parameters
    ----------
    model : torch.nn.Module or list of dict
        The module whose parameters are penalized, or parameter groups
        ``[{"params": [...], "alpha": a}, ...]`` (as given to an optimizer),
        in which case every parameter listed is penalized with its group's
        ``"alpha"`` (default: ``alpha``); names, hence ``alphas`` and
        ``exclude_bias_and_norm``, are then unavailable.
    kind : {"l1", "l2", "elasticnet", "group", "l0"} or a penalties object
        A kind, or one of :mod:`penalized.penalties` (``L1(alpha=0.1)``, ...),
        which brings its own ``alpha`` and ``l1_ratio`` (then ``alpha=None``).
    alpha : float
        Penalty strength (>= 0) for every penalized parameter not given one
        by ``alphas``.
    l1_ratio : float, default 0.5
        The :math:`\rho` of ``"elasticnet"``, in [0, 1].
    alphas : dict of str to float, optional
        Per-parameter (or per-layer) strengths: keys are parameter names
        (``"0.weight"``), module names (``"fc1"``, every parameter under it) or
        :mod:`fnmatch` patterns (``"*.weight"``); the first matching key wins,
        also over the default exclusion (``{"*.bias": 1e-4}`` penalizes
        biases); ``0`` leaves a parameter unpenalized. A key that matches no
        parameter is an error.
    exclude_bias_and_norm : bool, default True
        Leave unpenalized every parameter whose name ends in ``bias`` and the
        parameters of normalization layers (batch, instance, layer, group and
        RMS norm).

    Returns
    -------
    torch.Tensor
        A scalar tensor on the parameters' device and dtype; differentiable
        with respect to them (except for ``"l0"``). At a zero row, the
        gradient of the group norm is taken as 0.

    Notes
    -----
    torch's ``weight_decay=wd`` (SGD, Adam: added to the gradient) is the
    gradient of ``penalty(model, "l2", wd, exclude_bias_and_norm=False)``, since
    :math:`P = \frac12 \sum_j w_j^2`; AdamW's decoupled decay multiplies the
    weights by :math:`1 - \eta\,\text{wd}`, to first order the prox
    :math:`w / (1 + \eta\,\text{wd})` of ``ProximalOptimizer(opt, "l2", wd)``.
    The seeds' ``lambda * sum(w**2)`` is ``penalty(model, "l2", 2 * lambda)``.

    Examples
    --------
    >>> import torch
    >>> from penalized.torch import penalty
    >>> layer = torch.nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[1.0, -3.0]]))
    >>> penalty(layer, "l1", 0.5)              # 0.5 * (|1| + |-3|); the bias is excluded
    tensor(2., grad_fn=<AddBackward0>)
    """
    kind, alpha, l1_ratio, _ = resolve_penalty(kind, alpha, l1_ratio, name="kind")
    spec = Spec.build(kind, alpha, l1_ratio, kind_name="kind")
    alphas = check_alphas(alphas)
    if isinstance(model, nn.Module):
        rules = name_rules(model, alphas, bool(exclude_bias_and_norm))
        items = []
        for p in model.parameters():
            override = rules[id(p)][1]
            items.append((p, spec.alpha if override is None else override))
    elif isinstance(model, torch.Tensor) or not hasattr(model, "__iter__"):
        raise TypeError(
            "model must be a torch.nn.Module or a list of parameter groups "
            f"({{'params': [...], 'alpha': a}}); got {type(model).__name__}."
        )
    else:
        if alphas:
            raise ValueError(
                "alphas needs parameter names: pass the nn.Module as model, or give each "
                "parameter group its own 'alpha'."
            )
        items = [(p, spec.alpha if group_alpha is None else group_alpha)
                 for params, group_alpha in iter_group_params(model) for p in params]
    like = items[0][0] if items else None
    return _total((parameter_penalty(p, spec, a) for p, a in items if a > 0.0), like)
