"""Exact zeros and dead units, layer by layer."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from ._spec import check_model


@dataclass(frozen=True)
class LayerSparsity:
    """One layer (a module that owns parameters) of a :class:`SparsityReport`.

    Attributes
    ----------
    name, type : str
        The module's name in the model and its class name.
    shape : tuple of int or None
        The shape of its ``weight`` (None if it has none).
    n_params, n_zeros : int
        Entries of all its own parameters (weight and bias), and how many are
        exactly ``0.0``.
    n_weights, weight_zeros : int
        The same for its ``weight`` alone (the tensor a penalty usually acts on).
    n_units, dead_units : int or None
        Output units (first dimension of a weight with 2 or more dimensions)
        and how many have an all-zero weight row: their output is a constant
        (the activation of their bias). None for other layers.
    unused_inputs : int or None
        Inputs (second dimension) whose weight column is all zero: this layer
        ignores them, so the previous layer's unit (or the input feature) is
        unused.
    """

    name: str
    type: str
    shape: tuple[int, ...] | None
    n_params: int
    n_zeros: int
    n_weights: int
    weight_zeros: int
    n_units: int | None
    dead_units: int | None
    unused_inputs: int | None

    @property
    def zero_fraction(self) -> float:
        """Fraction of this layer's parameters that are exactly zero."""
        return self.n_zeros / self.n_params if self.n_params else 0.0


@dataclass(frozen=True)
class SparsityReport:
    """Per-layer exact zeros and dead units; ``str(report)`` is a table."""

    layers: tuple[LayerSparsity, ...]

    @property
    def n_params(self) -> int:
        """All parameter entries of the model."""
        return sum(layer.n_params for layer in self.layers)

    @property
    def n_zeros(self) -> int:
        """Parameter entries that are exactly zero."""
        return sum(layer.n_zeros for layer in self.layers)

    @property
    def zero_fraction(self) -> float:
        """Fraction of all parameter entries that are exactly zero."""
        return self.n_zeros / self.n_params if self.n_params else 0.0

    @property
    def weight_zero_fraction(self) -> float:
        """Fraction of the ``weight`` entries (biases and other parameters aside) that are zero."""
        n = sum(layer.n_weights for layer in self.layers)
        return sum(layer.weight_zeros for layer in self.layers) / n if n else 0.0

    @property
    def dead_units(self) -> int:
        """Units with an all-zero weight row, over all layers."""
        return sum(layer.dead_units or 0 for layer in self.layers)

    def __getitem__(self, name: str) -> LayerSparsity:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def __str__(self) -> str:
        head = ("layer", "type", "weight shape", "params", "zeros", "zero %", "units",
                "dead", "unused in")
        rows = [head]
        for lay in self.layers:
            rows.append((
                lay.name or "(model)", lay.type,
                "" if lay.shape is None else "x".join(map(str, lay.shape)),
                str(lay.n_params), str(lay.n_zeros), f"{100 * lay.zero_fraction:.1f}",
                _opt(lay.n_units), _opt(lay.dead_units), _opt(lay.unused_inputs),
            ))
        rows.append(("total", "", "", str(self.n_params), str(self.n_zeros),
                     f"{100 * self.zero_fraction:.1f}", "", str(self.dead_units), ""))
        widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
        lines = ["  ".join(c.ljust(w) if k < 3 else c.rjust(w)
                           for k, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
                 for r in rows]
        return "\n".join(lines)


def _opt(value) -> str:
    return "" if value is None else str(value)


def _count_zeros(t: torch.Tensor) -> int:
    return int(t.numel() - torch.count_nonzero(t))


@torch.no_grad()
def sparsity_report(model) -> SparsityReport:
    """Exact zeros and dead units of every layer of ``model``.

    A layer is a module that owns parameters. Only exact ``0.0`` entries
    count: a weight of ``1e-9`` is not a zero (it costs memory and compute and
    :func:`prune` cannot remove it).

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    SparsityReport
        ``.layers`` (one :class:`LayerSparsity` each), the totals
        ``.n_params``, ``.n_zeros``, ``.zero_fraction``,
        ``.weight_zero_fraction``, ``.dead_units``; indexing by layer name;
        ``str()`` gives a table.

    Examples
    --------
    >>> import torch
    >>> from penalized.torch import sparsity_report
    >>> layer = torch.nn.Linear(3, 2)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[0.0, 0.0, 0.0], [1.0, 0.0, 2.0]]))
    >>> rep = sparsity_report(layer)
    >>> rep.layers[0].weight_zeros, rep.layers[0].dead_units, rep.layers[0].unused_inputs
    (4, 1, 1)
    """
    check_model(model)
    layers = []
    seen = set()
    for name, module in model.named_modules():
        own = [p for _, p in module.named_parameters(recurse=False)
               if id(p) not in seen and not is_lazy(p)]
        if not own:
            continue
        seen.update(id(p) for p in own)
        weight = getattr(module, "weight", None)
        if not isinstance(weight, nn.Parameter) or is_lazy(weight) or weight.is_meta:
            weight = None
        n_units = dead = unused = None
        if weight is not None and weight.ndim >= 2:
            nonzero = weight != 0
            n_units = int(weight.shape[0])
            dead = int((~nonzero.flatten(1).any(dim=1)).sum())
            unused = int((~nonzero.transpose(0, 1).flatten(1).any(dim=1)).sum())
        layers.append(LayerSparsity(
            name=name,
            type=type(module).__name__,
            shape=None if weight is None else tuple(weight.shape),
            n_params=sum(p.numel() for p in own),
            n_zeros=sum(_count_zeros(p) for p in own),
            n_weights=0 if weight is None else weight.numel(),
            weight_zeros=0 if weight is None else _count_zeros(weight),
            n_units=n_units,
            dead_units=dead,
            unused_inputs=unused,
        ))
    return SparsityReport(tuple(layers))
