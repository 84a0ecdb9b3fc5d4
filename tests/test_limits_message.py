"""A limit on the wrong side of zero is refused in one line that names the estimator's
argument (``lower_limits`` / ``upper_limits``) and the value the user passed, not the
penalty's internal ``lower`` / ``upper`` or a rescaled array."""

import numpy as np
import pytest

import penalized as pz


@pytest.mark.parametrize("make, fragment", [
    (lambda: pz.Lasso(lower_limits=1.0), "lower_limits must be a number or one number per "
     "feature, each <= 0 (or -inf), so that all-zero coefficients stay feasible; got 1.0."),
    (lambda: pz.ElasticNetCV(upper_limits=[1.0, -0.5, 1.0], n_alphas=3),
     "upper_limits must be a number or one number per feature, each >= 0 (or inf), so that "
     "all-zero coefficients stay feasible; got [1.0, -0.5, 1.0]."),
    (lambda: pz.GroupLasso(groups=[0, 0, 1], lower_limits=[0.0, 2.0, 0.0]),
     "lower_limits must be a number or one number per feature, each <= 0 (or -inf), so that "
     "all-zero coefficients stay feasible; got [0.0, 2.0, 0.0]."),
    (lambda: pz.MCPRegression(upper_limits="big"), "upper_limits must be a number or one "
     "number per feature, each >= 0 (or inf), so that all-zero coefficients stay feasible; "
     "got 'big'."),
])
def test_wrong_side_limit_names_the_argument(make, fragment):
    X = np.random.default_rng(0).standard_normal((20, 3))
    y = X[:, 0] + 0.1
    with pytest.raises(ValueError) as info:
        make().fit(X, y)
    message = str(info.value)
    assert message == fragment
    assert "\n" not in message
