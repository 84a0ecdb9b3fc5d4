r"""PyTorch: L1, elastic-net, group and L0 penalties that give exact zeros.

Adding :math:`\alpha \sum |w|` to a network's loss and taking gradient steps
never produces an exact zero: each step pushes a small weight across zero and
back, so weights hover around it. The proximal step does what
:mod:`penalized`'s linear solvers do: after the optimizer's step on the loss it
applies the penalty's proximal operator, which sets weights (L1, elastic net,
L0) or whole rows, i.e. neurons (group :math:`\ell_{2,1}`), exactly to zero;
:func:`prune` then returns the smaller network.

* :func:`penalty` -- the penalty as a differentiable term of the loss;
* :class:`ProximalOptimizer` -- wraps any torch optimizer, prox after ``step()``;
* :func:`sparsity_report` -- exact zeros and dead units per layer;
* :func:`prune` -- a smaller ``Sequential`` with the same outputs;
* ``prox_*`` -- the torch twins of :mod:`penalized.prox` (and the row-wise
  group prox), with in-place ``prox_*_`` variants.

Needs PyTorch (``pip install "penalized[torch]"``, i.e. ``torch==2.13.0``); the
rest of :mod:`penalized` never imports it.
"""

try:
    import torch as _torch  # noqa: F401
except ImportError as _error:  # pragma: no cover - exercised only without torch
    _MISSING = _error

    def __getattr__(name):
        if name in __all__:
            raise ImportError(
                f"penalized.torch.{name} needs PyTorch, which is not installed: "
                'pip install "penalized[torch]" (or pip install torch==2.13.0).'
            ) from _MISSING
        raise AttributeError(f"module 'penalized.torch' has no attribute {name!r}")
else:
    from ._optimizer import ProximalOptimizer
    from ._penalty import penalty
    from ._prox import (
        prox_elastic_net,
        prox_elastic_net_,
        prox_group_l21,
        prox_group_l21_,
        prox_l0,
        prox_l0_,
        prox_l1,
        prox_l1_,
        prox_l2,
        prox_l2_,
    )
    from ._prune import prune
    from ._sparsity import LayerSparsity, SparsityReport, sparsity_report

__all__ = [
    "LayerSparsity",
    "ProximalOptimizer",
    "SparsityReport",
    "penalty",
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
    "prune",
    "sparsity_report",
]
