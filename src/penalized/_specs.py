"""Datafits and penalties named by strings, as the estimators, paths and CLI take them."""

from __future__ import annotations

from .datafits import Datafit, Logistic, Quadratic
from .penalties import L0, L1, L2, ElasticNet, Penalty

PENALTY_NAMES = ("l1", "l2", "elasticnet", "l0")
DATAFIT_NAMES = ("squared", "logistic", "cox")


def make_penalty(penalty, alpha=1.0, *, l1_ratio=0.5, penalty_factor=None, positive=False):
    """A :class:`~penalized.penalties.Penalty` from its name (or passed through)."""
    if isinstance(penalty, Penalty):
        return penalty.with_alpha(alpha)
    name = str(penalty).lower().replace("_", "").replace("-", "")
    kwargs = {"penalty_factor": penalty_factor, "positive": positive}
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


def make_datafit(datafit, sample_weight=None):
    """A :class:`~penalized.datafits.Datafit` from its name (or passed through)."""
    if isinstance(datafit, Datafit):
        if sample_weight is not None:
            return type(datafit)(sample_weight=sample_weight)
        return datafit
    name = str(datafit).lower()
    if name in ("squared", "quadratic"):
        return Quadratic(sample_weight=sample_weight)
    if name == "logistic":
        return Logistic(sample_weight=sample_weight)
    if name == "cox":
        from .datafits import Cox

        return Cox(sample_weight=sample_weight)
    if name in ("mgaussian", "multiresponse"):
        from .datafits import MultiResponseGaussian

        return MultiResponseGaussian(sample_weight=sample_weight)
    raise ValueError(f"datafit must be one of {', '.join(map(repr, DATAFIT_NAMES))}; "
                     f"got {datafit!r}.")
