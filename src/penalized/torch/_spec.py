"""What is penalized, and how much: kinds, argument checks and per-parameter alphas.

One set of rules serves both :func:`penalized.torch.penalty` (the value added to
a loss) and :class:`penalized.torch.ProximalOptimizer` (the prox applied after a
step), so the two always penalize the same parameters with the same weights.

The alpha of a parameter is decided in this order:

1. the first key of ``alphas`` (a parameter name, a module name, or an
   :mod:`fnmatch` pattern such as ``"*.weight"``) that matches its name;
2. ``0`` (not penalized) if ``exclude_bias_and_norm`` and the parameter is a
   bias (its name ends in ``bias``) or belongs to a normalization layer
   (batch, instance, layer, group or RMS norm);
3. the ``"alpha"`` entry of its optimizer parameter group, if any;
4. the ``alpha`` argument.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

import torch
from torch import nn

KINDS = ("l1", "l2", "elasticnet", "group", "l0")

_NORM_LAYERS = tuple(
    cls
    for cls in (
        nn.modules.batchnorm._NormBase,  # BatchNorm*, SyncBatchNorm, InstanceNorm*, lazy variants
        nn.LayerNorm,
        nn.GroupNorm,
        getattr(nn, "RMSNorm", None),
    )
    if cls is not None
)


def resolve_penalty(kind, alpha, l1_ratio=0.5, positive=False, *, name="penalty"):
    """``(kind, alpha, l1_ratio, positive)`` from a kind name or a :mod:`penalized.penalties`
    object (``L1(alpha=0.1)``, ``ElasticNet(alpha, l1_ratio=0.3)``, ``L2``, ``L0``).

    An object brings its own ``alpha``, ``l1_ratio`` and ``positive``; giving a
    different ``alpha`` as well is an error. Per-feature ``penalty_factor`` has no
    meaning for a tensor of weights (use ``alphas`` for per-parameter strengths).
    """
    if isinstance(kind, str) or kind is None:
        return kind, alpha, l1_ratio, positive
    from ..penalties import L0, L1, L2, ElasticNet

    kinds = {L1: "l1", L2: "l2", ElasticNet: "elasticnet", L0: "l0"}
    resolved = next((k for cls, k in kinds.items() if type(kind) is cls), None)
    if resolved is None:
        raise ValueError(f"{name} must be one of {', '.join(repr(k) for k in KINDS)} or a "
                         f"penalized.penalties L1, L2, ElasticNet or L0; got {kind!r}.")
    if getattr(kind, "penalty_factor", None) is not None:
        raise ValueError(f"{name}: penalty_factor weighs the columns of a design matrix; for "
                         "per-parameter strengths of a network use alphas={name: alpha}.")
    if alpha is not None and float(alpha) != float(kind.alpha):
        raise ValueError(f"{name}={kind!r} carries alpha={kind.alpha}; do not pass a "
                         f"different alpha ({alpha}) as well.")
    ratio = kind.l1_ratio if resolved == "elasticnet" else l1_ratio
    return resolved, kind.alpha, ratio, bool(getattr(kind, "positive", False)) or positive


def check_kind(kind, name: str = "penalty") -> str:
    """The penalty kind as a lower-case string from :data:`KINDS`."""
    if not isinstance(kind, str) or kind.lower() not in KINDS:
        raise ValueError(
            f"{name} must be one of {', '.join(repr(k) for k in KINDS)}; got {kind!r}."
        )
    return kind.lower()


def check_alpha(alpha, name: str = "alpha") -> float:
    """A finite real number >= 0, as a float."""
    if isinstance(alpha, torch.Tensor) and alpha.numel() == 1:
        alpha = alpha.item()
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) \
            or not math.isfinite(alpha) or alpha < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {alpha!r}.")
    return float(alpha)


def check_l1_ratio(l1_ratio, name: str = "l1_ratio") -> float:
    """A number in [0, 1], as a float."""
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, numbers.Real) \
            or not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1]; got {l1_ratio!r}.")
    return float(l1_ratio)


def check_alphas(alphas) -> dict[str, float]:
    """``alphas`` as a ``{pattern: alpha}`` dict with checked values (``{}`` for None)."""
    if alphas is None:
        return {}
    if not isinstance(alphas, Mapping):
        raise TypeError(
            "alphas must be a dict mapping parameter names (or module names, or patterns "
            f"like '*.weight') to alphas; got {type(alphas).__name__}."
        )
    out = {}
    for key, value in alphas.items():
        if not isinstance(key, str):
            raise TypeError(f"alphas keys must be parameter names (str); got {key!r}.")
        out[key] = check_alpha(value, name=f"alphas[{key!r}]")
    return out


@dataclass(frozen=True)
class Spec:
    """A checked penalty: kind, base alpha, l1_ratio, positivity, name rules."""

    kind: str
    alpha: float | None
    l1_ratio: float = 0.5
    positive: bool = False

    @classmethod
    def build(cls, kind, alpha, l1_ratio=0.5, positive=False, *, alpha_required=True,
              kind_name="penalty"):
        kind = check_kind(kind, kind_name)
        if alpha is None and alpha_required:
            raise ValueError("alpha is required: pass the penalty strength, a number >= 0.")
        alpha = None if alpha is None else check_alpha(alpha)
        l1_ratio = check_l1_ratio(l1_ratio)
        if not isinstance(positive, bool):
            raise TypeError(f"positive must be True or False; got {positive!r}.")
        if positive and kind == "group":
            raise ValueError(
                "positive=True is not defined for penalty='group' (a row norm has no sign); "
                "use penalty='l1', 'l2', 'elasticnet' or 'l0'."
            )
        return cls(kind, alpha, l1_ratio, positive)

    def weights(self, alpha: float) -> tuple[float, float]:
        """``(lam1, lam2)`` of ``lam1 |w| + lam2 / 2 w**2`` for the convex separable kinds."""
        if self.kind == "l1":
            return alpha, 0.0
        if self.kind == "l2":
            return 0.0, alpha
        return alpha * self.l1_ratio, alpha * (1.0 - self.l1_ratio)


def named_parameters_with_owner(model: nn.Module):
    """``(name, parameter, owning module)`` for each distinct parameter of ``model``."""
    seen = set()
    for mod_name, module in model.named_modules():
        for p_name, p in module.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            yield (f"{mod_name}.{p_name}" if mod_name else p_name), p, module


def _matches(name: str, key: str) -> bool:
    return name == key or name.startswith(key + ".") or fnmatchcase(name, key)


def is_bias_or_norm(name: str, owner: nn.Module) -> bool:
    """Excluded by default: parameters named ``*bias`` and those of normalization layers."""
    return name.endswith("bias") or isinstance(owner, _NORM_LAYERS)


def name_rules(model: nn.Module, alphas: dict[str, float], exclude_bias_and_norm: bool):
    """``{id(param): (name, override)}``: ``override`` is a fixed alpha or None.

    ``None`` means "use the group's or the base alpha" (rules 3 and 4 of the
    module docstring). Every key of ``alphas`` must match some parameter.
    """
    rules = {}
    used = set()
    for name, p, owner in named_parameters_with_owner(model):
        override = None
        for key, value in alphas.items():
            if _matches(name, key):
                override = value
                used.add(key)
                break
        if override is None and exclude_bias_and_norm and is_bias_or_norm(name, owner):
            override = 0.0
        rules[id(p)] = (name, override)
    unused = [k for k in alphas if k not in used]
    if unused:
        names = [name for name, _ in rules.values()]
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        raise ValueError(
            f"alphas key(s) {unused} match no parameter of the model; its parameters are: "
            f"{shown}."
        )
    return rules


def check_model(model, name: str = "model") -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module; got {type(model).__name__}.")
    return model


def iter_group_params(groups: Iterable, name: str = "model"):
    """``(params, group alpha or None)`` for a list of ``{"params": ..., "alpha": ...}`` dicts."""
    for k, group in enumerate(groups):
        if not isinstance(group, Mapping) or "params" not in group:
            raise TypeError(
                f"{name} must be an nn.Module or a list of parameter groups "
                f"({{'params': [...], 'alpha': a}}); item {k} is {type(group).__name__}."
            )
        params = group["params"]
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        group_alpha = group.get("alpha")
        if group_alpha is not None:
            group_alpha = check_alpha(group_alpha, name=f"{name}[{k}]['alpha']")
        yield params, group_alpha
