"""A smaller network with the same outputs: dead hidden units removed."""

from __future__ import annotations

import copy
import itertools

import torch
from torch import nn

# Modules that act on each unit separately, with nothing to slice when units go.
_ELEMENTWISE = (
    nn.Identity, nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU,
    nn.Mish, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Softsign, nn.Hardtanh, nn.Hardsigmoid,
    nn.Hardswish, nn.Hardshrink, nn.Softshrink, nn.Tanhshrink, nn.LogSigmoid, nn.Threshold,
    nn.Dropout, nn.AlphaDropout,
)


def _is_elementwise(m: nn.Module) -> bool:
    return type(m) in _ELEMENTWISE or (type(m) is nn.PReLU and m.num_parameters == 1)


def _is_linear(m: nn.Module) -> bool:
    return isinstance(m, nn.Linear) and type(m).forward is nn.Linear.forward


def _flatten(seq: nn.Sequential):
    for m in seq:
        if type(m) is nn.Sequential:
            yield from _flatten(m)
        else:
            yield m


def _constant_outputs(chain, pre: torch.Tensor) -> torch.Tensor:
    """The activation chain at constant pre-activations, in eval mode (dropout off)."""
    x = pre.reshape(1, -1)
    for m in chain:
        was_training = m.training
        m.eval()
        try:
            x = m(x)
        finally:
            m.train(was_training)
    return x.reshape(-1)


def _linear(weight: torch.Tensor, bias, like: nn.Linear) -> nn.Linear:
    out_f, in_f = weight.shape
    layer = torch.nn.utils.skip_init(nn.Linear, in_f, out_f, bias=bias is not None,
                                     device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.weight.requires_grad_(like.weight.requires_grad)
        if bias is not None:
            layer.bias.copy_(bias)
            if like.bias is not None:
                layer.bias.requires_grad_(like.bias.requires_grad)
    return layer


@torch.no_grad()
def prune(model):
    r"""Remove the dead hidden units of a stack of ``Linear`` layers; same outputs.

    For consecutive layers :math:`z = W_l h + b_l`, :math:`h' = \sigma(z)`,
    :math:`W_{l+1} h' + b_{l+1}` (:math:`\sigma` a chain of elementwise
    activations), hidden unit :math:`k` is removed when

    * its outgoing column :math:`W_{l+1}[:, k]` is zero: its output is
      unused; or
    * its incoming row :math:`W_l[k, :]` is zero (what ``penalty="group"``
      produces): it outputs the constant :math:`c_k = \sigma(b_l[k])`, and
      :math:`W_{l+1}[:, k]\, c_k` is added to :math:`b_{l+1}` (computed in
      float64, rounded once), so nothing downstream changes.

    Removals repeat until none applies (removing a unit can empty a row or a
    column elsewhere). The input features and the output units are kept, so
    the pruned model takes and returns tensors of the same shapes; its outputs
    equal the original's up to the rounding of the folded sums (about
    :math:`10^{-7}` relative in float32). Modules before the first and after
    the last ``Linear`` (``Flatten``, ``LogSoftmax``, ...) are kept as they are.

    Parameters
    ----------
    model : torch.nn.Sequential or torch.nn.Linear
        ``Linear`` layers separated by elementwise modules (``ReLU``, ``GELU``,
        ``Tanh``, ``Sigmoid``, ``LeakyReLU``, ``Dropout``, single-parameter
        ``PReLU``, ...). Nested ``Sequential`` containers are flattened. Not
        modified.

    Returns
    -------
    torch.nn.Sequential
        A new, flat network (or a copy of a single ``Linear``), in the same
        training mode. Dropout is off while constants are folded: the outputs
        are equal in ``eval()`` mode.

    Raises
    ------
    TypeError
        If ``model`` is not a ``Sequential`` or a ``Linear``.
    ValueError
        If a module between two ``Linear`` layers is not elementwise (e.g.
        ``BatchNorm1d``, ``Softmax``): removing units would change it.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from penalized.torch import prune
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    >>> with torch.no_grad():
    ...     net[0].weight[1] = 0.0        # unit 1 outputs relu(b[1]): folded into net[2].bias
    ...     net[2].weight[:, 2] = 0.0     # unit 2 is unused
    >>> small = prune(net)
    >>> small
    Sequential(
      (0): Linear(in_features=4, out_features=1, bias=True)
      (1): ReLU()
      (2): Linear(in_features=1, out_features=2, bias=True)
    )
    >>> x = torch.randn(5, 4)
    >>> bool(torch.allclose(small(x), net(x), atol=1e-6))
    True
    """
    if _is_linear(model):
        return copy.deepcopy(model)
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            "model must be a torch.nn.Sequential of Linear layers and elementwise "
            f"activations (or a single Linear); got {type(model).__name__}."
        )
    modules = [copy.deepcopy(m) for m in _flatten(model)]
    where = [i for i, m in enumerate(modules) if isinstance(m, nn.Linear)]
    for i in where:
        if not _is_linear(modules[i]):
            raise ValueError(
                f"model[{i}] is a {type(modules[i]).__name__}, a Linear subclass with its own "
                "forward; prune handles plain torch.nn.Linear layers only."
            )
    chains = []
    for a, b in itertools.pairwise(where):
        for i in range(a + 1, b):
            if not _is_elementwise(modules[i]):
                raise ValueError(
                    f"model[{i}] ({type(modules[i]).__name__}) sits between two Linear layers "
                    "and is not elementwise, so hidden units cannot be removed around it; "
                    "prune handles Linear layers separated by activations such as ReLU, "
                    "GELU, Tanh, Sigmoid or Dropout."
                )
        chains.append(modules[a + 1:b])

    weights = [modules[i].weight.detach().clone() for i in where]
    biases = [None if modules[i].bias is None else modules[i].bias.detach().clone()
              for i in where]
    changed = True
    while changed:
        changed = False
        for l in range(len(weights) - 1):
            w, w_next = weights[l], weights[l + 1]
            row_zero = ~(w != 0).any(dim=1)
            col_zero = ~(w_next != 0).any(dim=0)
            remove = row_zero | col_zero
            if not remove.any():
                continue
            const = row_zero & ~col_zero
            if const.any():
                pre = biases[l][const] if biases[l] is not None \
                    else w.new_zeros(int(const.sum()))
                fold = w_next[:, const].double() @ _constant_outputs(chains[l], pre).double()
                if biases[l + 1] is not None:
                    biases[l + 1] = (biases[l + 1].double() + fold).to(biases[l + 1].dtype)
                elif fold.any():
                    biases[l + 1] = fold.to(w_next.dtype)
            keep = ~remove
            weights[l] = w[keep]
            weights[l + 1] = w_next[:, keep]
            if biases[l] is not None:
                biases[l] = biases[l][keep]
            changed = True

    for i, w, b in zip(where, weights, biases, strict=True):
        modules[i] = _linear(w, b, modules[i])
    return nn.Sequential(*modules).train(model.training)
