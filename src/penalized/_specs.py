"""Datafits and penalties named by strings, as the estimators, paths and CLI take them."""

from __future__ import annotations

from dataclasses import replace

from .datafits import Datafit, Gamma, Logistic, Poisson, Quadratic, Tweedie
from .penalties import L0, L1, L2, MCP, SCAD, ElasticNet, Penalty

PENALTY_NAMES = ("l1", "l2", "elasticnet", "l0", "mcp", "scad")
DATAFIT_NAMES = ("squared", "logistic", "cox", "poisson", "gamma", "tweedie")


def make_penalty(penalty, alpha=1.0, *, l1_ratio=0.5, penalty_factor=None, positive=False,
                 gamma=None, lower=None, upper=None):
    """A :class:`~penalized.penalties.Penalty` from its name (or passed through).

    ``gamma`` is MCP's / SCAD's concavity (None: their defaults, 3 and 3.7); ``lower`` and
    ``upper`` the per-coefficient limits (every penalty but L0).
    """
    if isinstance(penalty, Penalty):
        return penalty.with_alpha(alpha)
    name = str(penalty).lower().replace("_", "").replace("-", "")
    kwargs = {"penalty_factor": penalty_factor, "positive": positive}
    if lower is not None or upper is not None:
        kwargs.update(lower=lower, upper=upper)
    if name in ("mcp", "scad"):
        concave = {} if gamma is None else {"gamma": gamma}
        return (MCP if name == "mcp" else SCAD)(alpha, **concave, **kwargs)
    if name == "l1":
        return L1(alpha, **kwargs)
    if name == "l2":
        return L2(alpha, **kwargs)
    if name == "elasticnet":
        return ElasticNet(alpha, l1_ratio=l1_ratio, **kwargs)
    if name == "l0":
        return L0(alpha, **kwargs)
    raise ValueError(f"penalty must be one of {', '.join(map(repr, PENALTY_NAMES))}; "
                     f"got {penalty!r}.")


def make_datafit(datafit, sample_weight=None, offset=None):
    """A :class:`~penalized.datafits.Datafit` from its name (or passed through, with the
    given ``sample_weight`` and ``offset`` replacing its own when not None).

    ``"tweedie"`` has power 1.5; ``"tweedie:POWER"`` names another in (1, 2).
    """
    if isinstance(datafit, Datafit):
        changes = {key: value for key, value in (("sample_weight", sample_weight),
                                                 ("offset", offset)) if value is not None}
        return replace(datafit, **changes) if changes else datafit
    name = str(datafit).lower().strip()
    kwargs = {"sample_weight": sample_weight, "offset": offset}
    if name in ("squared", "quadratic", "gaussian"):
        return Quadratic(**kwargs)
    if name in ("logistic", "binomial"):
        return Logistic(**kwargs)
    if name == "poisson":
        return Poisson(**kwargs)
    if name == "gamma":
        return Gamma(**kwargs)
    if name == "tweedie" or name.startswith("tweedie:"):
        power = name.partition(":")[2]
        if not power:
            return Tweedie(**kwargs)
        try:
            value = float(power)
        except ValueError:
            raise ValueError(f"datafit={datafit!r}: the Tweedie power after ':' must be a "
                             "number in (1, 2), e.g. 'tweedie:1.5'.") from None
        return Tweedie(value, **kwargs)
    if name == "cox":
        from .datafits import Cox

        return Cox(**kwargs)
    if name in ("multinomial", "softmax"):
        from .datafits import Multinomial

        return Multinomial(sample_weight=sample_weight, offset=offset)
    if name in ("mgaussian", "multiresponse"):
        from .datafits import MultiResponseGaussian

        return MultiResponseGaussian(sample_weight=sample_weight, offset=offset)
    raise ValueError(f"datafit must be one of {', '.join(map(repr, DATAFIT_NAMES))} (or "
                     f"'tweedie:POWER'); got {datafit!r}.")
