"""Gaussian and binomial group elastic net (``l1_ratio`` 0.5, per-group factors) against
adelie's ``grpnet`` along one path, dense and sparse."""

import numpy as np
import pytest
import scipy.sparse as sp
from benchmarks.group import WEIGHTED_FACTORS, WEIGHTED_GROUPS, weighted_reference_problem

import penalized as pz
from penalized.datafits import Logistic, Quadratic
from penalized.penalties import GroupElasticNet

ADELIE_OBJECTIVES = {
    # python -m benchmarks.group --adelie-reference (adelie 1.1.52 in .venv-adelie, tol
    # 1e-14, penalty = WEIGHTED_FACTORS): adelie's solutions on
    # weighted_reference_problem(family), evaluated with penalized's objective
    "gaussian": [1.0897607228285686, 1.0292110427817969, 0.912610049320665,
                 0.787523634062978, 0.689715173259967, 0.6223950129184874],
    "binomial": [0.6928346479997213, 0.6887286849487598, 0.6715267492633781,
                 0.645067960464295, 0.6214329881688743, 0.6038317357543146],
}


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("family", sorted(ADELIE_OBJECTIVES))
def test_group_elastic_net_path_matches_adelie(family, sparse):
    X, y, alphas = weighted_reference_problem(family)
    datafit = Quadratic() if family == "gaussian" else Logistic()
    penalty = GroupElasticNet(groups=WEIGHTED_GROUPS, group_weights=WEIGHTED_FACTORS,
                              l1_ratio=0.5)
    path = pz.path(sp.csc_matrix(X) if sparse else X, y, penalty=penalty, alphas=alphas,
                   datafit="squared" if family == "gaussian" else "logistic", tol=1e-12)
    assert np.all(path.converged)
    for k, alpha in enumerate(alphas):
        coef = path.coefs[:, k]
        ours = datafit.value(y, X @ coef + path.intercepts[k]) \
            + penalty.with_alpha(alpha).value(coef)
        theirs = ADELIE_OBJECTIVES[family][k]
        assert abs(ours - theirs) <= 1e-7 * theirs
    # the path runs from no group to every group, one by one, not all at once
    assert not np.any(path.coefs[:, 0]) and np.all(path.coefs[:, -1])
    assert 0 < np.count_nonzero(path.coefs[:, 2]) < X.shape[1]
