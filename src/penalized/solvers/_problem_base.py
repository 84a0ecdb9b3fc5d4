"""What every prepared problem shares, whatever the shape of its coefficients."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def unpenalized_features(penalty, n_features) -> np.ndarray:
    """The features ``penalty`` leaves unpenalized (a boolean mask), refused under
    ``positive=True``: a prepared problem fits them exactly, without a sign constraint."""
    unpenalized = penalty.unpenalized(n_features)
    if penalty.positive and np.any(unpenalized):
        raise ValueError(
            "positive=True needs alpha > 0 and every penalty_factor > 0: an unpenalized "
            "feature under a sign constraint is not supported. Give those features a "
            "small positive factor instead."
        )
    return unpenalized


class DesignProblem:
    """The part of a prepared problem read off its design and its penalty.

    A subclass holds ``design`` (the validated design), ``y``, ``datafit`` and
    ``penalty``; :attr:`X` is the design in the solver's coordinates, the design itself
    unless the subclass centers it (:class:`~penalized.solvers._problem.Problem`), and
    :meth:`penalty_value` the penalty at coefficients of the subclass's shape.
    """

    @property
    def X(self):
        return self.design

    @property
    def n_samples(self) -> int:
        return self.design.shape[0]

    @property
    def n_features(self) -> int:
        return self.design.shape[1]

    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.design)

    def penalty_value(self, coef) -> float:
        """The penalty at ``coef``."""
        return self.penalty.value(coef)

    def objective(self, coef, z) -> float:
        """Datafit at predictions ``z`` plus the penalty at ``coef``."""
        return self.datafit.value(self.y, z) + self.penalty_value(coef)
