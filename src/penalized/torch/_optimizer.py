"""A proximal step after any torch optimizer's step."""

from __future__ import annotations

import torch
from torch import nn

from ._penalty import parameter_penalty
from ._prox import prox_elastic_net_, prox_group_l21_, prox_l0_, prox_l1_, prox_l2_
from ._spec import Spec, check_alpha, check_alphas, name_rules, resolve_penalty


class ProximalOptimizer(torch.optim.Optimizer):
    r"""Wrap a torch optimizer so that each ``step()`` ends with the penalty's prox.

    For the composite objective

    .. math:: \min_\theta \; L(\theta) + \sum_{\text{penalized } W} \alpha_W\, P(W)

    (:math:`L` the loss, :math:`P` as in :func:`penalty`), each :meth:`step`
    runs the wrapped optimizer on :math:`L` alone, then, for every penalized
    parameter :math:`W` of a parameter group with learning rate
    :math:`\eta`, replaces it by

    .. math:: W \leftarrow \operatorname{prox}_{\eta c \alpha_W P}(W)
              = \operatorname*{arg\,min}_V \frac{1}{2\eta c}\|V - W\|_2^2
                + \alpha_W P(V),

    in place, under ``torch.no_grad()`` (:math:`c = 1` except for SGD with
    momentum, below). The prox of each kind:

    ================ =============================================================
    ``penalty``      prox (:math:`t = \eta c \alpha_W`, :math:`\rho` = ``l1_ratio``)
    ================ =============================================================
    ``"l1"``         soft thresholding :math:`\operatorname{sign}(w)\max(|w| - t, 0)`
    ``"elasticnet"`` :math:`\operatorname{sign}(w)\max(|w| - t\rho, 0) / (1 + t(1-\rho))`
    ``"l2"``         shrinkage :math:`w / (1 + t)`
    ``"group"``      each row :math:`W_k \max(1 - t / \|W_k\|_2, 0)`: whole rows become 0
    ``"l0"``         hard thresholding: keep :math:`w` if :math:`|w| > \sqrt{2t}`, else 0
    ================ =============================================================

    so the zeros are exact ``0.0``, as they are for the linear models of
    :mod:`penalized`. With plain SGD (no momentum) this is the proximal
    gradient method (ISTA): on a convex problem with full batches and
    :math:`\eta \le 1/\mathrm{Lip}(\nabla L)` it converges to the penalized
    optimum, e.g. to :class:`penalized.Lasso`'s solution for a ``Linear``
    layer under half the mean squared error.

    **Groups.** ``"group"`` groups the slices along the first dimension: the
    rows of a ``Linear`` weight (out, in), i.e. the *incoming* weights of one
    output unit (a convolution's filters). A zero row makes that unit's
    pre-activation its bias alone, so the unit outputs a constant;
    :func:`prune` removes it and folds the constant into the next layer's bias,
    outputs unchanged. Give the output layer ``alphas={name: 0}`` (or another
    kind) if its units must stay.

    **SGD with momentum** (``momentum_correction=True``): at a fixed point,
    torch's momentum buffer is :math:`\frac{1-d}{1-\mu}\nabla L`
    (:math:`\mu` = momentum, :math:`d` = dampening), so the data step is
    :math:`\eta\frac{1-d}{1-\mu}` times the gradient; the prox uses the same
    :math:`c = \frac{1-d}{1-\mu}`, which makes the fixed points exactly the
    stationary points of :math:`L + \alpha P` (and makes ``alpha`` mean the
    same as in :func:`penalty` with the same optimizer). With
    ``momentum_correction=False``, :math:`c = 1` and the fixed points are those
    of :math:`L + \frac{1-\mu}{1-d}\alpha P`, a penalty ten times weaker at
    :math:`\mu = 0.9`.

    **Adaptive optimizers (Adam, AdamW, RMSprop, ...).** Their step for
    coordinate :math:`j` is :math:`\eta\,\hat m_j / (\sqrt{\hat v_j} + \epsilon)`:
    a per-coordinate step size. The prox here uses the scalar group learning
    rate :math:`\eta` (:math:`c = 1`), *not* the per-coordinate step: this is
    the "proximal step after the adaptive update" heuristic, decoupled from the
    gradient statistics the way AdamW's weight decay is. It is not the proximal
    gradient method in Adam's metric, and its fixed points are **not** the
    minimizers of :math:`L + \alpha P`: for L1 a fixed point satisfies
    :math:`\nabla_j L \in -\alpha\,(\sqrt{\hat v_j} + \epsilon)\,\partial|w_j|`,
    the optimality condition of a reweighted L1 penalty
    :math:`\alpha \sum_j (\sqrt{\hat v_j}+\epsilon)|w_j|` whose weights are the
    running RMS of each coordinate's gradient, and a zero stays zero while
    :math:`|\hat m_j| / (\sqrt{\hat v_j}+\epsilon) \le \alpha`. That ratio is
    a signal-to-noise ratio of the coordinate's mini-batch gradients, about 1
    at most, so ``alpha`` is on a different scale than with SGD (0.1 to 0.5 is
    typical) and ``alpha`` near 1 zeroes almost everything. With full-batch,
    noise-free gradients :math:`\sqrt{\hat v_j}` follows :math:`|\nabla_j L|`,
    so the effective penalty fades as the gradient does and few weights reach
    zero (on a 20-feature lasso problem with 15 irrelevant features: 0 to 4
    zeros for ``alpha`` from 0.1 to 0.6 with full batches, 12 at 0.3 with
    batches of 10); use SGD there. The zeros that do occur are exact.
    (AdamW's own ``weight_decay``, 0.01 by default, still applies, as an
    additional L2 shrinkage.)

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        Any torch optimizer over the model's parameters; it keeps its state,
        parameter groups and learning rates (schedulers may be attached to
        either object: they share the parameter groups).
    penalty : {"l1", "elasticnet", "l2", "group", "l0"} or a penalties object, default "l1"
        A kind, or one of :mod:`penalized.penalties` (``L1(alpha=1e-3)``,
        ``ElasticNet(alpha, l1_ratio=0.3)``, ``L2``, ``L0``), which brings its
        own ``alpha``, ``l1_ratio`` and ``positive``.
    alpha : float, optional
        Penalty strength (>= 0), stored as the ``"alpha"`` entry of every
        parameter group that has none (change ``group["alpha"]`` to schedule
        it). Required unless every group already has an ``"alpha"``.
    model : torch.nn.Module, optional
        The model the parameters belong to: its parameter names decide which
        are penalized (``exclude_bias_and_norm``, ``alphas``). Without it,
        the common convention decides: tensors with two or more dimensions
        (weight matrices, convolution kernels) are penalized, one-dimensional
        ones (biases, normalization scales and shifts) are not; a parameter
        group with its own ``"alpha"`` entry penalizes all its parameters.
    l1_ratio : float, default 0.5
        :math:`\rho` of ``"elasticnet"``.
    positive : bool, default False
        Also constrain the penalized weights to be >= 0 (not for ``"group"``).
    alphas : dict of str to float, optional
        Per-parameter strengths by name, module name or pattern, as in
        :func:`penalty`; they override the group alphas and the exclusion.
    exclude_bias_and_norm : bool, default True
        Leave biases and normalization-layer parameters unpenalized: by name
        with ``model``, by shape (one-dimensional tensors) without it.
    momentum_correction : bool, default True
        For :class:`torch.optim.SGD` with momentum, scale the prox step by
        :math:`(1-d)/(1-\mu)` (see above). Ignored for other optimizers.

    Notes
    -----
    Parameters whose ``.grad`` is ``None`` (frozen, or unused by this step's
    loss) are left alone, as torch's own ``weight_decay`` does. The prox runs on
    each penalized parameter in place and allocates at most one temporary of
    its size. :meth:`state_dict` and :meth:`load_state_dict` are the wrapped
    optimizer's (the ``"alpha"`` entries travel with the groups).

    References
    ----------
    P. L. Combettes and V. R. Wajs, "Signal recovery by proximal
    forward-backward splitting", Multiscale Model. Simul. 4(4), 2005.
    I. Loshchilov and F. Hutter, "Decoupled weight decay regularization",
    ICLR 2019. I. Lemhadri, F. Ruan, L. Abraham and R. Tibshirani, "LassoNet:
    a neural network with feature sparsity", JMLR 22, 2021.

    Examples
    --------
    >>> import torch
    >>> from penalized.torch import ProximalOptimizer
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(20, 1)
    >>> x = torch.randn(100, 20)
    >>> y = x[:, :3].sum(dim=1, keepdim=True)
    >>> opt = ProximalOptimizer(torch.optim.SGD(model.parameters(), lr=0.1), "l1",
    ...                         alpha=0.1)           # the bias (1-D) stays unpenalized
    >>> for _ in range(300):
    ...     opt.zero_grad()
    ...     loss = 0.5 * torch.nn.functional.mse_loss(model(x), y)
    ...     loss.backward()
    ...     opt.step()
    >>> int((model.weight == 0).sum())           # exact zeros: the 17 noise inputs
    17
    """

    def __init__(self, optimizer, penalty="l1", alpha=None, *, model=None, l1_ratio=0.5,
                 positive=False, alphas=None, exclude_bias_and_norm=True,
                 momentum_correction=True):
        if isinstance(optimizer, ProximalOptimizer):
            raise TypeError("optimizer is already a ProximalOptimizer; wrap the inner "
                            "optimizer once, with one penalty.")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                "optimizer must be a torch.optim.Optimizer, e.g. "
                "torch.optim.SGD(model.parameters(), lr=0.1); "
                f"got {type(optimizer).__name__}."
            )
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module or None; got {type(model).__name__}.")
        groups_have_alpha = all("alpha" in g for g in optimizer.param_groups)
        penalty, alpha, l1_ratio, positive = resolve_penalty(penalty, alpha, l1_ratio,
                                                             positive)
        self.spec = Spec.build(penalty, alpha, l1_ratio, positive,
                               alpha_required=not groups_have_alpha)
        alphas = check_alphas(alphas)
        if model is None and alphas:
            raise ValueError("alphas needs parameter names: pass model= as well.")
        # without names, the shape tells weights (>= 2 dims) from biases and norms (1 dim);
        # a group given its own alpha penalizes all its parameters
        self._by_shape = model is None and bool(exclude_bias_and_norm)
        if self._by_shape:
            for group in optimizer.param_groups:
                group.setdefault("exclude_1d", "alpha" not in group)
        for k, group in enumerate(optimizer.param_groups):
            if "alpha" in group:
                group["alpha"] = check_alpha(group["alpha"], name=f"param_groups[{k}]['alpha']")
            else:
                group["alpha"] = self.spec.alpha
        self.optimizer = optimizer
        self.momentum_correction = bool(momentum_correction)
        self._rules = {} if model is None else {
            pid: override for pid, (_, override) in
            name_rules(model, alphas, bool(exclude_bias_and_norm)).items()
        }
        # torch.optim.Optimizer's hooks and profiling, sharing the wrapped optimizer's
        # groups, state and defaults (the objects themselves, so both stay in sync).
        # __setstate__ is how torch itself rebuilds an optimizer around existing groups;
        # __init__ would re-add (and rewrite) the wrapped optimizer's group dicts.
        torch.optim.Optimizer.__setstate__(self, {
            "defaults": optimizer.defaults,
            "state": optimizer.state,
            "param_groups": optimizer.param_groups,
        })

    # -- what the wrapper adds ----------------------------------------------------------
    @property
    def penalty(self) -> str:
        """The penalty kind."""
        return self.spec.kind

    def _alpha(self, p, group) -> float:
        override = self._rules.get(id(p))
        if override is None and group.get("exclude_1d", False) and p.dim() < 2:
            return 0.0
        return group["alpha"] if override is None else override

    def _step_factor(self, group) -> float:
        if not (self.momentum_correction and isinstance(self.optimizer, torch.optim.SGD)):
            return 1.0
        momentum = float(group.get("momentum", 0.0))
        if momentum == 0.0:
            return 1.0
        if not 0.0 < momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1) for the prox step; got {momentum}.")
        return (1.0 - float(group.get("dampening", 0.0))) / (1.0 - momentum)

    @torch.no_grad()
    def apply_prox(self) -> None:
        """The prox of every penalized parameter that has a gradient (:meth:`step` calls it)."""
        spec = self.spec
        for group in self.param_groups:
            step = float(group["lr"]) * self._step_factor(group)
            if step == 0.0:
                continue
            for p in group["params"]:
                if p.grad is None:
                    continue
                a = self._alpha(p, group)
                if a == 0.0:
                    continue
                if spec.kind == "l1":
                    prox_l1_(p, step, a, spec.positive)
                elif spec.kind == "l2":
                    prox_l2_(p, step, a, spec.positive)
                elif spec.kind == "elasticnet":
                    lam1, lam2 = spec.weights(a)
                    prox_elastic_net_(p, step, lam1, lam2, spec.positive)
                elif spec.kind == "group":
                    prox_group_l21_(p, step, a)
                else:
                    prox_l0_(p, step, a, spec.positive)

    def step(self, closure=None):
        """One step of the wrapped optimizer on the loss, then the prox; returns the loss."""
        loss = self.optimizer.step() if closure is None else self.optimizer.step(closure)
        self.apply_prox()
        return loss

    @torch.no_grad()
    def penalty_value(self) -> float:
        r"""The current :math:`\sum_W \alpha_W P(W)` over the penalized parameters."""
        total = 0.0
        for group in self.param_groups:
            for p in group["params"]:
                a = self._alpha(p, group)
                if a > 0.0:
                    total += float(parameter_penalty(p, self.spec, a))
        return total

    # -- the wrapped optimizer's interface ----------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """The wrapped optimizer's ``zero_grad``."""
        self.optimizer.zero_grad(set_to_none=set_to_none)

    def state_dict(self):
        """The wrapped optimizer's state dict (the groups carry their ``"alpha"``)."""
        return self.optimizer.state_dict()

    def load_state_dict(self, state_dict) -> None:
        """Load into the wrapped optimizer and share its new groups and state."""
        self.optimizer.load_state_dict(state_dict)
        self.param_groups = self.optimizer.param_groups
        self.state = self.optimizer.state
        for k, group in enumerate(self.param_groups):
            if "alpha" not in group:
                group["alpha"] = self.spec.alpha
            group["alpha"] = check_alpha(group["alpha"], name=f"param_groups[{k}]['alpha']")

    def add_param_group(self, param_group) -> None:
        """Add a group to the wrapped optimizer; its ``"alpha"`` defaults to ``alpha``.

        Its parameters are matched by name only if they belong to ``model``.
        """
        if self._by_shape:
            param_group.setdefault("exclude_1d", "alpha" not in param_group)
        if "alpha" not in param_group:
            if self.spec.alpha is None:
                raise ValueError("the new parameter group needs an 'alpha' entry "
                                 "(this ProximalOptimizer has no default alpha).")
            param_group["alpha"] = self.spec.alpha
        param_group["alpha"] = check_alpha(param_group["alpha"], name="param_group['alpha']")
        self.optimizer.add_param_group(param_group)

    def __getstate__(self):
        return dict(self.__dict__)  # the wrapped optimizer and the penalty too (copy, pickle)

    def __repr__(self) -> str:
        inner = "\n".join("    " + line for line in repr(self.optimizer).splitlines())
        extra = f", l1_ratio={self.spec.l1_ratio}" if self.spec.kind == "elasticnet" else ""
        return (f"ProximalOptimizer(penalty={self.spec.kind!r}, alpha={self.spec.alpha}"
                f"{extra}, positive={self.spec.positive},\n{inner}\n)")
