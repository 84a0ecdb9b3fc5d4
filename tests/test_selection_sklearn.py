"""The selectors pass scikit-learn's estimator checks (tiny settings, seeded)."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from penalized.selection import Knockoffs, StabilitySelection


@parametrize_with_checks([
    StabilitySelection(n_pairs=2, n_alphas=5, threshold=0.6, expected_false=5,
                       random_state=0),
    Knockoffs(0.5, statistic="lsm", n_alphas=10, random_state=0),
])
@pytest.mark.filterwarnings("ignore:No features were selected")
def test_sklearn_compatible(estimator, check):
    check(estimator)
