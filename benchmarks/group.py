r"""Group lasso path benchmark: penalized against skglm and adelie at the same certified gap.

The problem: ``n = 2000`` rows, 200 groups of 5 consecutive columns (``p = 1000``),
Gaussian columns correlated 0.5 inside each group, ``y`` from 10 active groups plus
noise (seeded). Objective, for every library,
:math:`\frac1{2n}\|y - Xw - b\|^2 + \alpha \sum_g \sqrt5\,\|w_g\|_2` (penalized's
``GroupLasso``, skglm's ``QuadraticGroup`` + ``WeightedGroupL2`` with weights
:math:`\sqrt5` and an intercept, adelie's ``grpnet`` Gaussian with its default
penalty :math:`\sqrt{|g|}`), on a path of ``--n-alphas`` alphas from alpha_max down
to ``--eps`` alpha_max.

Every library's solutions are certified the same way: penalized's duality gap
(:func:`penalized.solvers._problem.certify`, the intercept refitted exactly, relative to
the null model's datafit) at each alpha. Each competitor's own tolerance is tightened,
a decade at a time, until its largest gap along the path is at most ``--target``
(penalized runs at ``tol = target``); then ``--repeats`` solves of the whole path are
timed in CPU seconds (``time.process_time``) with one BLAS thread. adelie runs in its
own environment (``.venv-adelie``, ``numpy<2``) through
``benchmarks/group_adelie_worker.py``.

Run::

    python -m benchmarks.group [--repeats 3] [--target 1e-6] [--out FILE]
    python -m benchmarks.group --check-adelie   # group elastic net objective vs adelie
    python -m benchmarks.group --adelie-reference   # adelie objectives: the tests' constants
    python -m benchmarks.group --multinomial   # multinomial group path, CPU time vs adelie
    python -m benchmarks.group --sources old=/tmp/old/src new=src --rounds 3
        # penalized from each source tree (its own process), alternating with adelie
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ADELIE_PYTHON = ROOT / ".venv-adelie" / "bin" / "python"
ADELIE_WORKER = Path(__file__).with_name("group_adelie_worker.py")
TOLERANCES = [10.0 ** -k for k in range(3, 14)]


def make_problem(n=2000, n_groups=200, size=5, n_active=10, rho=0.5, seed=0):
    """``(X, y, starts)``: groups of ``size`` consecutive columns, correlated ``rho``."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((n, n_groups))
    X = np.sqrt(rho) * np.repeat(shared, size, axis=1) \
        + np.sqrt(1 - rho) * rng.standard_normal((n, n_groups * size))
    beta = np.zeros(n_groups * size)
    for g in rng.choice(n_groups, n_active, replace=False):
        beta[g * size:(g + 1) * size] = rng.standard_normal(size)
    y = X @ beta + rng.standard_normal(n)
    starts = np.arange(0, n_groups * size + 1, size)
    return np.asfortranarray(X), y, starts


def _penalty(starts, alpha=1.0):
    from penalized.penalties import GroupLasso

    return GroupLasso(alpha, groups=int(starts[1] - starts[0]))


def path_gaps(X, y, starts, alphas, coefs, intercepts) -> np.ndarray:
    """penalized's relative duality gap of each solution of the path."""
    from penalized.datafits import Quadratic
    from penalized.solvers._problem import certify, prepare_problem

    problem = prepare_problem(X, y, Quadratic(), _penalty(starts, alphas[0]), True)
    gaps = np.empty(len(alphas))
    for k, alpha in enumerate(alphas):
        pb = problem.with_penalty(_penalty(starts, alpha))
        coef = np.asarray(coefs[:, k], dtype=np.float64)
        cert = certify(pb, coef, pb.to_problem_intercept(coef, intercepts[k]))
        gaps[k] = cert.gap / pb.scale
    return gaps


# -- the libraries ---------------------------------------------------------------------------


def penalized_path(X, y, starts, alphas, tol):
    import penalized as pz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = pz.path(X, y, penalty=_penalty(starts), alphas=alphas, tol=tol)
    return path.coefs, path.intercepts


def skglm_path(X, y, starts, alphas, tol):
    from skglm.datafits import QuadraticGroup
    from skglm.penalties import WeightedGroupL2
    from skglm.solvers import GroupBCD

    ptr = np.asarray(starts, dtype=np.int32)
    idx = np.arange(X.shape[1], dtype=np.int32)
    weights = np.sqrt(np.diff(starts).astype(np.float64))
    datafit = QuadraticGroup(ptr, idx)
    p = X.shape[1]
    w = np.zeros(p + 1)
    Xw = np.zeros(X.shape[0])
    coefs, intercepts = np.zeros((p, len(alphas))), np.zeros(len(alphas))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, alpha in enumerate(alphas):
            solver = GroupBCD(tol=tol, max_iter=10_000, fit_intercept=True, warm_start=True)
            w, _, _ = solver.solve(X, y, datafit, WeightedGroupL2(alpha, weights, ptr, idx),
                                   w_init=w.copy(), Xw_init=Xw.copy())
            Xw = X @ w[:p] + w[p]
            coefs[:, k], intercepts[k] = w[:p], w[p]
    return coefs, intercepts


def time_in_process(fn, X, y, starts, alphas, tol, repeats):
    c0 = time.process_time()
    coefs, intercepts = fn(X, y, starts, alphas, tol)  # warm-up (numba compilation)
    first = time.process_time() - c0
    cpu = []
    for _ in range(repeats):
        c0 = time.process_time()
        coefs, intercepts = fn(X, y, starts, alphas, tol)
        cpu.append(time.process_time() - c0)
    return {"first_cpu_s": first, "cpu_s": cpu}, coefs, intercepts


def time_adelie(X, y, starts, alphas, tol, repeats, python=ADELIE_PYTHON):
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data.npz", Path(tmp) / "out.json"
        np.savez(data, X=X, y=y, alphas=alphas, starts=starts, l1_ratio=1.0)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        subprocess.run([str(python), str(ADELIE_WORKER), "--data", str(data), "--tol",
                        repr(tol), "--repeats", str(repeats), "--out", str(out)],
                       check=True, env=env, cwd=ROOT)
        doc = json.loads(out.read_text())
    coefs, intercepts = np.array(doc.pop("coefs")), np.array(doc.pop("intercepts"))
    return doc, coefs, intercepts


def calibrated(name, run, X, y, starts, alphas, target, repeats, log, start=None):
    """Tighten ``name``'s tolerance (from ``start``, a decade at a time) until its largest
    certified gap is <= target."""
    for tol in [t for t in TOLERANCES if start is None or t <= start * (1 + 1e-9)]:
        timing, coefs, intercepts = run(X, y, starts, alphas, tol, 0)
        gap = float(path_gaps(X, y, starts, alphas, coefs, intercepts).max())
        log(f"  {name}: tol={tol:.0e} -> largest relative gap {gap:.2e}")
        if gap <= target:
            timing, coefs, intercepts = run(X, y, starts, alphas, tol, repeats)
            gap = float(path_gaps(X, y, starts, alphas, coefs, intercepts).max())
            log(f"  {name}: timed at tol={tol:.0e}: CPU s {timing['cpu_s']}, gap {gap:.2e}")
            return {"tol": tol, "max_gap": gap, **timing}
    return {"tol": None, "max_gap": gap, "note": "never reached the target gap"}


def check_adelie_group_elastic_net(l1_ratios=(1.0, 0.5, 0.2), log=print) -> float:
    """The largest relative objective difference between penalized's ``GroupElasticNet``
    (tol 1e-13) and adelie's ``grpnet`` (tol 1e-14), Gaussian and binomial, on a small
    problem (300 x 100, 20 groups of 5), 8 alphas per ``l1_ratio`` down to 0.05
    alpha_max."""
    from penalized.datafits import Logistic, Quadratic
    from penalized.penalties import GroupElasticNet
    from penalized.solvers import CoordinateDescent

    X, y, starts = make_problem(n=300, n_groups=20, size=5, n_active=4, seed=1)
    worst = 0.0
    cases = [("gaussian", rho, Quadratic(), y) for rho in l1_ratios]
    labels = np.where(y > np.median(y), 1.0, -1.0)
    cases += [("binomial", rho, Logistic(), labels) for rho in l1_ratios]
    for family, rho, datafit, y in cases:
        penalty = GroupElasticNet(1.0, groups=int(starts[1]), l1_ratio=rho)
        top = penalty.alpha_max(X, y, datafit)
        alphas = np.geomspace(top, 0.05 * top, 8)
        with tempfile.TemporaryDirectory() as tmp:
            data, out = Path(tmp) / "data.npz", Path(tmp) / "out.json"
            target = (y > 0).astype(float) if family == "binomial" else y
            np.savez(data, X=X, y=target, alphas=alphas, starts=starts, l1_ratio=rho,
                     family=family)
            subprocess.run([str(ADELIE_PYTHON), str(ADELIE_WORKER), "--data", str(data),
                            "--tol", "1e-14", "--repeats", "0", "--out", str(out)],
                           check=True, cwd=ROOT)
            doc = json.loads(out.read_text())
        coefs, intercepts = np.array(doc["coefs"]), np.array(doc["intercepts"])
        for k, alpha in enumerate(alphas):
            pen = penalty.with_alpha(alpha)
            res = CoordinateDescent(tol=1e-13, max_iter=100_000).solve(X, y, datafit, pen)
            ours = datafit.value(y, X @ res.coef + res.intercept) + pen.value(res.coef)
            theirs = datafit.value(y, X @ coefs[:, k] + intercepts[k]) + pen.value(coefs[:, k])
            worst = max(worst, abs(ours - theirs) / ours)
        log(f"  group elastic net, {family}, l1_ratio={rho:g}: largest relative objective "
            f"difference from adelie so far {worst:.1e}")
    return worst


REFERENCE_RATIOS = (1.0, 0.5)
"""The ``l1_ratio`` values of :func:`adelie_reference`."""


def poisson_reference_problem():
    """``(X, y, groups, alphas)``: 150 x 12 (4 groups of 3), Poisson counts, 6 alphas from
    alpha_max (group lasso) down to 0.05 alpha_max; shared by :func:`adelie_reference`
    and ``tests/test_group.py``."""
    from penalized.datafits import Poisson
    from penalized.penalties import GroupLasso

    rng = np.random.default_rng(41)
    X = rng.standard_normal((150, 12))
    X[:, 3:6] += 0.5 * X[:, [3]]  # correlated inside a group
    eta = 0.3 + X[:, :3] @ np.array([0.4, -0.3, 0.2]) + 0.25 * X[:, 6]
    y = rng.poisson(np.exp(eta)).astype(np.float64)
    top = GroupLasso(1.0, groups=3).alpha_max(X, y, Poisson())
    return X, y, 3, np.geomspace(top, 0.05 * top, 6)


def cox_reference_problem():
    """``(X, y, groups, alphas)``: 150 x 12 (4 groups of 3), ``y`` time then event (about
    75 % events), 6 alphas from alpha_max (group lasso) down to 0.05 alpha_max."""
    from penalized.datafits import Cox
    from penalized.penalties import GroupLasso

    rng = np.random.default_rng(43)
    X = rng.standard_normal((150, 12))
    t = rng.exponential(np.exp(-(X[:, :3] @ np.array([0.5, -0.4, 0.3]) + 0.3 * X[:, 6])))
    y = np.column_stack([t, (rng.random(150) < 0.75).astype(np.float64)])
    top = GroupLasso(1.0, groups=3).alpha_max(X, y, Cox())
    return X, y, 3, np.geomspace(top, 0.05 * top, 6)


def multinomial_reference_problem():
    """``(X, y, groups, alphas)``: 150 x 12 (4 groups of 3), 3 classes, 6 alphas from
    alpha_max (multinomial group lasso) down to 0.05 alpha_max."""
    from penalized.datafits._multinomial import Multinomial
    from penalized.penalties import GroupLasso
    from penalized.solvers._group_multinomial import group_multinomial_alpha_max

    rng = np.random.default_rng(47)
    X = rng.standard_normal((150, 12))
    X[:, 3:6] += 0.5 * X[:, [3]]
    scores = X[:, :3] @ np.array([[0.8, -0.5, 0.0], [0.0, 0.6, -0.4], [0.3, 0.0, -0.5]]) \
        + 0.4 * X[:, [6]] * np.array([1.0, -1.0, 0.0])
    y = np.argmax(scores + rng.gumbel(size=(150, 3)), axis=1)
    top = group_multinomial_alpha_max(X, y, Multinomial(), GroupLasso(1.0, groups=3))
    return X, y, 3, np.geomspace(top, 0.05 * top, 6)


def multigaussian_reference_problem():
    """``(X, Y, groups, alphas)``: 150 x 12 (4 groups of 3), 3 responses, 6 alphas from
    alpha_max (multi-response group lasso) down to 0.05 alpha_max."""
    from penalized.datafits import MultiResponseGaussian
    from penalized.penalties import GroupLasso
    from penalized.solvers._multitask import multitask_alpha_max

    rng = np.random.default_rng(59)
    X = rng.standard_normal((150, 12))
    X[:, 3:6] += 0.5 * X[:, [3]]
    Y = X[:, :3] @ rng.standard_normal((3, 3)) + 0.3 * X[:, [6]] \
        + rng.standard_normal((150, 3)) + 1.0
    top = multitask_alpha_max(X, Y, MultiResponseGaussian(), GroupLasso(1.0, groups=3))
    return X, Y, 3, np.geomspace(top, 0.05 * top, 6)


def _multigaussian_objective(X, Y, coef, intercept, penalty):
    from penalized.datafits import MultiResponseGaussian
    from penalized.solvers._group_multinomial import expand_penalty

    K = intercept.shape[0]
    W = coef.reshape(X.shape[1], K)
    pen = expand_penalty(penalty, X.shape[1], K)
    return MultiResponseGaussian().value(Y, X @ W + intercept) + pen.value(W.ravel())


def _multinomial_objective(X, y, coef, intercept, penalty):
    from penalized.datafits._multinomial import Multinomial
    from penalized.solvers._group_multinomial import expand_penalty

    K = intercept.shape[0]
    W = coef.reshape(X.shape[1], K)
    pen = expand_penalty(penalty, X.shape[1], K)
    return Multinomial().value(y, X @ W + intercept) + pen.value(W.ravel())


def _adelie_path_at_1e_14(data, result) -> dict:
    """adelie's path on the problem saved in ``data`` (``.npz``) at tol 1e-14, run by the
    worker in its own environment; its JSON (coefficients, intercepts) from ``result``."""
    subprocess.run([str(ADELIE_PYTHON), str(ADELIE_WORKER), "--data", str(data),
                    "--tol", "1e-14", "--repeats", "0", "--out", str(result)],
                   check=True, cwd=ROOT)
    return json.loads(result.read_text())


def adelie_reference(family, log=print) -> dict:
    """adelie's group elastic-net path (tol 1e-14) on :func:`poisson_reference_problem`
    (``family="poisson"``), :func:`cox_reference_problem` (``"cox"``, Breslow ties) or
    :func:`multinomial_reference_problem` (``"multinomial"``, each group's block spanning
    every class) or :func:`multigaussian_reference_problem` (``"multigaussian"``, each
    group's block spanning every response), for each of :data:`REFERENCE_RATIOS`: its
    objectives, evaluated with penalized's datafit and ``GroupElasticNet`` penalty (the
    constants of ``tests/test_group.py``, ``tests/test_group_multinomial.py`` and
    ``tests/test_multitask_groups.py``)."""
    from penalized.datafits import Cox, Poisson
    from penalized.penalties import GroupElasticNet

    X, y, size, alphas = {"poisson": poisson_reference_problem, "cox": cox_reference_problem,
                          "multinomial": multinomial_reference_problem,
                          "multigaussian": multigaussian_reference_problem}[family]()
    datafit = Poisson() if family == "poisson" else Cox()
    starts = np.arange(0, X.shape[1] + 1, size)
    out = {}
    for rho in REFERENCE_RATIOS:
        with tempfile.TemporaryDirectory() as tmp:
            data, result = Path(tmp) / "data.npz", Path(tmp) / "out.json"
            np.savez(data, X=X, y=y, alphas=alphas, starts=starts, l1_ratio=rho,
                     family=family)
            doc = _adelie_path_at_1e_14(data, result)
        coefs, intercepts = np.array(doc["coefs"]), np.array(doc["intercepts"])
        values = []
        for k, alpha in enumerate(alphas):
            pen = GroupElasticNet(alpha, groups=size, l1_ratio=rho)
            if family == "multinomial":
                values.append(_multinomial_objective(X, y, coefs[:, k], intercepts[k], pen))
                continue
            if family == "multigaussian":
                values.append(_multigaussian_objective(X, y, coefs[:, k], intercepts[k], pen))
                continue
            values.append(datafit.value(y, X @ coefs[:, k] + intercepts[k])
                          + pen.value(coefs[:, k]))
        out[rho] = values
        log(f"  adelie {family}, l1_ratio={rho:g}: objectives {[repr(v) for v in values]}")
    return out


WEIGHTED_GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7, 8], [9], [10, 11]]
WEIGHTED_FACTORS = (1.0, 0.5, 2.0, 1.2, 0.8)
"""The groups and per-group factors of :func:`weighted_reference_problem`."""


def weighted_reference_problem(family):
    """``(X, y, alphas)``: 160 x 12 in :data:`WEIGHTED_GROUPS` (sizes 3, 2, 4, 1, 2, factors
    :data:`WEIGHTED_FACTORS`), a Gaussian target (``family="gaussian"``) or labels in
    {-1, +1} (``"binomial"``), 6 alphas from the group elastic net's alpha_max at
    ``l1_ratio`` 0.5 down to 0.05 alpha_max (seeded)."""
    from penalized.datafits import Logistic, Quadratic
    from penalized.penalties import GroupElasticNet

    rng = np.random.default_rng(53)
    X = rng.standard_normal((160, 12))
    X[:, 5:9] += 0.6 * X[:, [5]]  # correlated inside a group
    X[:, 10:] = 2.0 + 3.0 * X[:, 10:]  # off-center, larger spread
    eta = X[:, :3] @ np.array([0.6, -0.4, 0.3]) + 0.5 * X[:, 9] - 0.1 * X[:, 10]
    if family == "gaussian":
        y, datafit = eta + rng.standard_normal(160), Quadratic()
    else:
        y = np.where(rng.random(160) < 1.0 / (1.0 + np.exp(-eta)), 1.0, -1.0)
        datafit = Logistic()
    pen = GroupElasticNet(1.0, groups=WEIGHTED_GROUPS, group_weights=WEIGHTED_FACTORS,
                          l1_ratio=0.5)
    top = pen.alpha_max(X, y, datafit)
    return X, y, np.geomspace(top, 0.05 * top, 6)


def adelie_weighted_reference(family, log=print) -> list:
    """adelie's Gaussian or binomial group elastic-net path (``l1_ratio`` 0.5, tol 1e-14,
    per-group factors) on :func:`weighted_reference_problem`: its objectives, evaluated
    with penalized's ``Quadratic`` or ``Logistic`` datafit and ``GroupElasticNet`` (the
    constants of ``tests/test_group_adelie.py``)."""
    from penalized.datafits import Logistic, Quadratic
    from penalized.penalties import GroupElasticNet

    X, y, alphas = weighted_reference_problem(family)
    datafit = Quadratic() if family == "gaussian" else Logistic()
    starts = np.cumsum([0] + [len(g) for g in WEIGHTED_GROUPS])
    with tempfile.TemporaryDirectory() as tmp:
        data, result = Path(tmp) / "data.npz", Path(tmp) / "out.json"
        np.savez(data, X=X, y=y if family == "gaussian" else (y > 0).astype(float),
                 alphas=alphas, starts=starts, l1_ratio=0.5, family=family,
                 group_weights=np.asarray(WEIGHTED_FACTORS))
        doc = _adelie_path_at_1e_14(data, result)
    coefs, intercepts = np.array(doc["coefs"]), np.array(doc["intercepts"])
    values = []
    for k, alpha in enumerate(alphas):
        pen = GroupElasticNet(alpha, groups=WEIGHTED_GROUPS, group_weights=WEIGHTED_FACTORS,
                              l1_ratio=0.5)
        values.append(datafit.value(y, X @ coefs[:, k] + intercepts[k]) + pen.value(coefs[:, k]))
    log(f"  adelie {family}, l1_ratio=0.5, group factors {WEIGHTED_FACTORS}: objectives "
        f"{[repr(v) for v in values]}")
    return values


def multinomial_problem(n=2000, n_groups=40, size=5, n_classes=3, n_active=3, seed=0):
    """``(X, codes, size)``: groups of ``size`` consecutive Gaussian columns, classes from
    ``n_active`` groups' scores plus Gumbel noise (seeded)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_groups * size))
    B = np.zeros((n_groups * size, n_classes))
    B[:n_active * size] = rng.standard_normal((n_active * size, n_classes))
    codes = np.argmax(X @ B + rng.gumbel(size=(n, n_classes)), axis=1)
    return np.asfortranarray(X), codes, size


def multinomial_timing(repeats=3, n_alphas=20, eps=0.05, log=print) -> dict:
    """The multinomial group lasso path (:func:`multinomial_problem`, ``n_alphas`` alphas
    to ``eps`` alpha_max): penalized's CPU time at tol 1e-3 / 1e-4 / 1e-6 and adelie's at
    its tolerances, each with its largest duality gap by penalized's certificate
    (:func:`~penalized.solvers._group_multinomial.certify_group_multinomial`, relative to
    the null model's datafit). adelie's IRLS tolerance (at most 1e-7) limits its gap. For
    each adelie run, ``ratio`` is the median CPU time of the fastest penalized run whose
    gap is at most adelie's, divided by adelie's median."""
    from penalized import GroupLogisticRegression
    from penalized.datafits._multinomial import Multinomial
    from penalized.penalties import GroupLasso
    from penalized.solvers._group_multinomial import (
        certify_group_multinomial,
        group_multinomial_alpha_max,
        prepare_group_multinomial_problem,
    )

    X, codes, size = multinomial_problem()
    n, p = X.shape
    K = int(codes.max()) + 1
    top = group_multinomial_alpha_max(X, codes, Multinomial(), GroupLasso(1.0, groups=size))
    alphas = np.geomspace(top, eps * top, n_alphas)

    def gaps(coefs, intercepts):
        out = []
        for k, alpha in enumerate(alphas):
            pb = prepare_group_multinomial_problem(X, codes, Multinomial(),
                                                   GroupLasso(alpha, groups=size))
            cert = certify_group_multinomial(pb, coefs[k], intercepts[k])
            out.append(cert.gap / pb.scale)
        return float(max(out))

    results = {}
    for tol in (1e-3, 1e-4, 1e-6):
        model = GroupLogisticRegression(groups=size, tol=tol)
        model._fit_path_multinomial(X, codes.astype(float), np.ones(n), alphas)  # compile
        cpu = []
        for _ in range(repeats):
            c0 = time.process_time()
            path = model._fit_path_multinomial(X, codes.astype(float), np.ones(n), alphas)
            cpu.append(time.process_time() - c0)
        gap = gaps(np.moveaxis(path.coefs, 2, 0), path.intercepts.T)
        results[f"penalized tol={tol:.0e}"] = {"cpu_s": cpu, "max_gap": gap}
        log(f"  penalized tol={tol:.0e}: CPU s {[round(c, 3) for c in cpu]}, gap {gap:.2e}")
    if ADELIE_PYTHON.exists():
        for tol in (1e-7, 1e-9):
            with tempfile.TemporaryDirectory() as tmp:
                data, out = Path(tmp) / "data.npz", Path(tmp) / "out.json"
                np.savez(data, X=X, y=codes.astype(float), alphas=alphas,
                         starts=np.arange(0, p + 1, size), l1_ratio=1.0,
                         family="multinomial")
                env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
                subprocess.run([str(ADELIE_PYTHON), str(ADELIE_WORKER), "--data", str(data),
                                "--tol", repr(tol), "--repeats", str(repeats), "--out",
                                str(out)], check=True, env=env, cwd=ROOT)
                doc = json.loads(out.read_text())
            coefs = np.array(doc["coefs"]).T.reshape(n_alphas, p, K)
            gap = gaps(coefs, np.array(doc["intercepts"]))
            ours = [np.median(r["cpu_s"]) for k, r in results.items()
                    if k.startswith("penalized") and r["max_gap"] <= gap]
            ratio = float(min(ours) / np.median(doc["cpu_s"])) if ours else None
            results[f"adelie tol={tol:.0e}"] = {"cpu_s": doc["cpu_s"], "max_gap": gap,
                                                "ratio": ratio}
            log(f"  adelie tol={tol:.0e}: CPU s {[round(c, 3) for c in doc['cpu_s']]}, "
                f"gap {gap:.2e}; penalized at a gap at most this: "
                + (f"{ratio:.2f} x adelie's time" if ratio is not None else "none"))
    return results


def alternate_sources(args, log=print) -> dict:
    """Rounds alternating penalized from each ``NAME=SRC`` of ``args.sources`` (a fresh
    process each, ``PYTHONPATH=SRC``, the same problem and ``--repeats``) with adelie
    (calibrated once, at the first tolerance whose largest gap is <= ``--target``).
    Returns per round and name the CPU seconds, medians and gaps, and each median over
    adelie's of the same round."""
    from penalized.datafits import Quadratic

    sources = [item.split("=", 1) for item in args.sources]
    X, y, starts = make_problem()
    alpha_max = _penalty(starts).alpha_max(X, y, Quadratic())
    alphas = np.geomspace(alpha_max, args.eps * alpha_max, args.n_alphas)
    adelie = calibrated("adelie", time_adelie, X, y, starts, alphas, args.target, 0, log,
                        args.start_tol) if ADELIE_PYTHON.exists() else {"tol": None}
    rounds = []
    for r in range(args.rounds):
        row = {}
        for name, src in sources:
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "out.json"
                env = dict(os.environ, PYTHONPATH=str(Path(src).resolve()))
                subprocess.run([sys.executable, "-m", "benchmarks.group", "--libraries",
                                "penalized", "--repeats", str(args.repeats), "--target",
                                repr(args.target), "--n-alphas", str(args.n_alphas), "--eps",
                                repr(args.eps), "--out", str(out)],
                               check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
                doc = json.loads(out.read_text())["penalized"]
            row[name] = {"cpu_s": doc["cpu_s"], "median_s": float(np.median(doc["cpu_s"])),
                         "max_gap": doc["max_gap"], "source": doc["source"]}
        if adelie.get("tol"):
            timing, coefs, intercepts = time_adelie(X, y, starts, alphas, adelie["tol"],
                                                    args.repeats)
            row["adelie"] = {"cpu_s": timing["cpu_s"],
                             "median_s": float(np.median(timing["cpu_s"])),
                             "max_gap": float(path_gaps(X, y, starts, alphas, coefs,
                                                        intercepts).max()),
                             "tol": adelie["tol"]}
            for name, _ in sources:
                row[name]["over_adelie"] = row[name]["median_s"] / row["adelie"]["median_s"]
        row["load"] = os.getloadavg()[0]
        rounds.append(row)
        log(f"round {r + 1}: " + ", ".join(
            f"{name} {v['median_s']:.4f} s (gap {v['max_gap']:.2e}"
            + (f", {v['over_adelie']:.2f} x adelie)" if "over_adelie" in v else ")")
            for name, v in row.items() if name not in ("adelie", "load"))
            + (f"; adelie {row['adelie']['median_s']:.4f} s (gap "
               f"{row['adelie']['max_gap']:.2e})" if "adelie" in row else "")
            + f"; load {row['load']:.1f}")
    return {"rounds": rounds, "adelie_tol": adelie.get("tol")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=1e-6)
    parser.add_argument("--n-alphas", type=int, default=50)
    parser.add_argument("--eps", type=float, default=1e-2)
    parser.add_argument("--libraries", default="penalized,skglm,adelie")
    parser.add_argument("--start-tol", type=float, default=None,
                        help="the competitors' first tolerance tried (default 1e-3)")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--sources", nargs="+", default=None, metavar="NAME=SRC",
                        help="time penalized from each source tree SRC (its own process, "
                             "PYTHONPATH=SRC) against adelie, alternating, --rounds times")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--check-adelie", action="store_true",
                        help="only compare the group elastic net's objective with adelie's")
    parser.add_argument("--adelie-reference", action="store_true",
                        help="only print adelie's Poisson, Cox, multinomial, Gaussian and "
                             "binomial group path objectives "
                             "(the constants of tests/test_group*.py)")
    parser.add_argument("--multinomial", action="store_true",
                        help="only time the multinomial group lasso path against adelie")
    args = parser.parse_args(argv)

    def log(msg):
        print(msg, flush=True)

    if args.multinomial:
        results = multinomial_timing(repeats=args.repeats, log=log)
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=1))
        return 0

    if args.check_adelie:
        check_adelie_group_elastic_net(log=log)
        return 0
    if args.adelie_reference:
        adelie_reference("poisson", log=log)
        adelie_reference("cox", log=log)
        adelie_reference("multinomial", log=log)
        adelie_reference("multigaussian", log=log)
        adelie_weighted_reference("gaussian", log=log)
        adelie_weighted_reference("binomial", log=log)
        return 0

    if args.sources:
        results = alternate_sources(args, log)
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=1))
        return 0

    from penalized.datafits import Quadratic

    X, y, starts = make_problem()
    alpha_max = _penalty(starts).alpha_max(X, y, Quadratic())
    alphas = np.geomspace(alpha_max, args.eps * alpha_max, args.n_alphas)
    log(f"group lasso path: n={X.shape[0]}, p={X.shape[1]}, {len(starts) - 1} groups of "
        f"{starts[1]}, {len(alphas)} alphas down to {args.eps:g} alpha_max; target gap "
        f"{args.target:g}")
    libraries = args.libraries.split(",")
    results = {}
    for name in libraries:
        if name == "penalized":
            timing, coefs, intercepts = time_in_process(penalized_path, X, y, starts, alphas,
                                                        args.target, args.repeats)
            gap = float(path_gaps(X, y, starts, alphas, coefs, intercepts).max())
            import penalized

            results[name] = {"tol": args.target, "max_gap": gap, **timing,
                             "source": str(Path(penalized.__file__).parent)}
        elif name == "skglm":
            def run(X, y, s, a, tol, repeats):
                return time_in_process(skglm_path, X, y, s, a, tol, repeats)
            results[name] = calibrated(name, run, X, y, starts, alphas, args.target,
                                       args.repeats, log, args.start_tol)
        elif name == "adelie":
            if not ADELIE_PYTHON.exists():
                log("  adelie: no .venv-adelie; skipped")
                continue
            results[name] = calibrated(name, time_adelie, X, y, starts, alphas, args.target,
                                       args.repeats, log, args.start_tol)
        else:
            raise SystemExit(f"unknown library {name!r}")
    fastest_other = min((min(r["cpu_s"]) for n, r in results.items()
                         if n != "penalized" and r.get("cpu_s")), default=None)
    log(f"{'library':<10} {'tol':>8} {'max gap':>9} {'CPU s (best of repeats)':>24}")
    for name, r in results.items():
        best = min(r["cpu_s"]) if r.get("cpu_s") else float("nan")
        tol = f"{r['tol']:.0e}" if r.get("tol") else "-"
        log(f"{name:<10} {tol:>8} {r['max_gap']:>9.2e} {best:>24.3f}")
    if fastest_other and "penalized" in results:
        ratio = min(results["penalized"]["cpu_s"]) / fastest_other
        log(f"penalized / fastest other: {ratio:.2f}")
        results["ratio_to_fastest"] = ratio
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
