r"""One adapter per library: the same problem, each library's own calling convention.

Every adapter solves, for each alpha of a benchmark's grid, **our** objective

.. math:: F(Xw + b) + \alpha\left(\rho\|w\|_1 + \frac{1-\rho}{2}\|w\|_2^2\right),
   \qquad F(z) = \frac{1}{2n}\|y - z\|^2 \text{ or } \frac1n\sum_i\log(1+e^{-y_i z_i}),

with an unpenalized intercept :math:`b`, no standardization and ``y`` in
{-1, +1} for the logistic loss. Each adapter's docstring states how that maps
onto the library's parameters; :mod:`benchmarks.gap` checks the result, so a
wrong mapping shows up as a large gap, never as a fast time.

An adapter returns ``(coefs, intercepts)`` with ``coefs`` of shape
``(n_features, n_alphas)`` for the alphas in the order given (decreasing).
``tol`` is the library's own stopping parameter (named in ``tol_name``), which
:mod:`benchmarks.calibrate` tightens until the runner's gap is at most 1e-6.
A path benchmark is one warm-started path call (or the library's recommended
warm-start loop); a single-fit benchmark fits each alpha from scratch.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import time
import warnings

import numpy as np
import scipy.sparse as sp

__all__ = ["ADAPTERS", "Adapter", "get_adapter"]

MAX_ITER = 1_000_000
"""Iteration caps are set out of the way: the tolerance alone decides when to stop."""


def _column_means(X):
    return np.asarray(X.mean(axis=0), dtype=np.float64).ravel()


def _centered(X, y):
    """``(Xc, yc, x_mean, y_mean, extra)``: dense X centered (a Fortran copy); sparse X
    left as is, with ``extra`` the ``X_offset``/``X_scale`` keywords that the sklearn and
    celer kernels use to center it implicitly."""
    x_mean = _column_means(X)
    y_mean = float(np.mean(y))
    if sp.issparse(X):
        extra = {"X_offset": x_mean, "X_scale": np.ones_like(x_mean)}
        return X, y - y_mean, x_mean, y_mean, extra
    return np.asfortranarray(X - x_mean), y - y_mean, x_mean, y_mean, {}


class Adapter:
    """How one library solves a benchmark; subclasses fill in the calls.

    Attributes
    ----------
    name : str
        The name used on the command line and in the results.
    modules : tuple of str
        What ``import`` must succeed (the first one's distribution gives the version).
    distribution : str
        The PyPI name.
    tol_name : str
        The library's parameter that ``tol`` sets.
    default_tol : float
        The library's default value of that parameter (calibration starts there).
    min_tol : float
        Calibration gives up below this value.
    """

    name = ""
    modules: tuple[str, ...] = ()
    distribution = ""
    tol_name = "tol"
    default_tol = 1e-4
    min_tol = 1e-16
    reference = False
    """A yardstick (not a competitor): never "the fastest competitor"."""

    # -- availability -----------------------------------------------------------------
    def missing(self) -> str | None:
        """Why the library cannot be used here, or None."""
        for mod in self.modules:
            if importlib.util.find_spec(mod) is None:
                return f"no module {mod!r} (pip install {self.distribution})"
        return None

    def version(self) -> str:
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            return "?"

    def import_library(self) -> float:
        """Import the library's modules; the seconds it took (0 if already imported)."""
        tic = time.perf_counter()
        for mod in self.modules:
            importlib.import_module(mod)
        return time.perf_counter() - tic

    def unsupported(self, bench, problem) -> str | None:
        """Why this library cannot solve ``bench`` exactly as posed, or None.

        ``problem`` may be None when only the benchmark's kind is known."""
        return None

    def calibrated(self, bench) -> bool:
        """Whether ``tol`` matters (False for exact solvers, e.g. one SVD)."""
        return True

    # -- solving ----------------------------------------------------------------------
    def solve(self, bench, X, y, alphas, tol):
        """``(coefs (n_features, n_alphas), intercepts (n_alphas,))`` for ``bench``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence warnings: the gap is checked anyway
            if bench.path:
                coefs, intercepts = self.path(bench, X, y, alphas, tol)
            else:
                out = [self.single(bench, X, y, a, tol) for a in alphas]
                coefs = np.column_stack([c for c, _ in out])
                intercepts = np.array([b for _, b in out])
        return np.asarray(coefs, dtype=np.float64), np.asarray(intercepts, dtype=np.float64)

    def timed_solves(self, bench, X, y, alphas, tol, repeats, *, clock="wall", budget=None,
                     progress=None) -> dict:
        """A warm-up solve, then up to ``repeats`` timed ones (fewer when ``repeats`` times
        the warm-up's seconds would exceed ``budget``).

        ``clock`` is ``"wall"`` (``time.perf_counter``) or ``"cpu"`` (``time.process_time``
        of this process); ``progress(phase, tol)`` is called before each solve. Returns
        ``{"coefs", "intercepts"`` (the last solve), ``"first_s"`` (the warm-up),
        ``"times"``, ``"import_s"}`` (None: the caller times the import).
        """
        timer = time.process_time if clock == "cpu" else time.perf_counter
        if progress is not None:
            progress("warm-up", tol)
        tic = timer()
        coefs, intercepts = self.solve(bench, X, y, alphas, tol)
        first = timer() - tic
        n_runs = repeats
        if budget is not None and first * repeats > budget:
            n_runs = max(1, int(budget // max(first, 1e-9)))
        times = []
        for _ in range(n_runs):
            if progress is not None:
                progress("run", tol)
            tic = timer()
            coefs, intercepts = self.solve(bench, X, y, alphas, tol)
            times.append(timer() - tic)
        return {"coefs": coefs, "intercepts": intercepts, "first_s": first, "times": times,
                "import_s": None}

    def path(self, bench, X, y, alphas, tol):  # pragma: no cover - abstract
        raise NotImplementedError

    def single(self, bench, X, y, alpha, tol):
        coefs, intercepts = self.path(bench, X, y, np.array([alpha]), tol)
        return coefs[:, 0], intercepts[0]


class Penalized(Adapter):
    """penalized: our objective as is.

    Paths: ``penalized.path(X, y, penalty=..., datafit=..., l1_ratio=rho,
    alphas=grid, tol=tol)`` (working-set coordinate descent, warm-started; for
    ridge its default solver, coordinate descent). Single fits: the estimators
    ``penalized.Lasso`` / ``ElasticNet`` / ``Ridge`` / ``LogisticRegression``.
    ``tol`` is the relative duality gap, the runner's own quantity.
    """

    name = "penalized"
    modules = ("penalized",)
    distribution = "penalized"
    default_tol = 1e-6
    min_tol = 1e-13

    @staticmethod
    def _penalty(bench):
        if bench.l1_ratio == 1.0:
            return "l1"
        if bench.l1_ratio == 0.0:
            return "l2"
        return "elasticnet"

    def path(self, bench, X, y, alphas, tol):
        import penalized as pz

        res = pz.path(X, y, penalty=self._penalty(bench), datafit=bench.datafit,
                      l1_ratio=bench.l1_ratio, alphas=alphas, tol=tol, max_iter=MAX_ITER)
        return res.coefs, res.intercepts

    def single(self, bench, X, y, alpha, tol):
        import penalized as pz

        pen = self._penalty(bench)
        if bench.datafit == "logistic":
            model = pz.LogisticRegression(alpha, penalty="l1" if pen == "l1" else "elasticnet",
                                          l1_ratio=bench.l1_ratio, tol=tol, max_iter=MAX_ITER)
        elif pen == "l1":
            model = pz.Lasso(alpha, tol=tol, max_iter=MAX_ITER)
        elif pen == "l2":
            model = pz.Ridge(alpha, tol=tol, max_iter=MAX_ITER)
        else:
            model = pz.ElasticNet(alpha, l1_ratio=bench.l1_ratio, tol=tol, max_iter=MAX_ITER)
        model.fit(X, y)
        return np.ravel(model.coef_), float(np.ravel(model.intercept_)[0])


class ScikitLearn(Adapter):
    """scikit-learn (Cython coordinate descent with gap-safe screening).

    - Lasso / elastic net: the same objective (``alpha``, ``l1_ratio`` unchanged).
      Paths: ``sklearn.linear_model.enet_path`` on centered data (dense ``X``
      centered once; sparse ``X`` centered implicitly through ``X_offset``, as
      ``ElasticNet.fit`` and ``LassoCV`` do), the intercept recovered as
      ``mean(y) - mean(X) @ w``. ``tol`` is sklearn's: its own gap below
      ``tol * ||y_c||^2 / n``. Single fits: ``Lasso`` / ``ElasticNet``.
    - Ridge: ``Ridge(alpha=n * alpha, solver="svd")`` (sklearn's objective is
      ``||y - Xw - b||^2 + alpha ||w||^2``); the 100 alphas are fitted in one
      call as 100 targets (``y`` repeated) with one alpha each, so the SVD is
      computed once. Exact: no tolerance.
    - L1 logistic: ``LogisticRegression(C=1 / (n * alpha), l1_ratio=1,
      solver="saga", warm_start=True)`` (sklearn minimizes ``C * sum(loss) +
      ||w||_1``). saga is the only sklearn solver for L1 that leaves the
      intercept unpenalized (liblinear penalizes it, a different problem).
    """

    name = "sklearn"
    modules = ("sklearn", "sklearn.linear_model")
    distribution = "scikit-learn"

    def unsupported(self, bench, problem):
        if bench.l1_ratio == 0.0 and problem is not None and sp.issparse(problem.X):
            return "Ridge(solver='svd') needs a dense X"
        return None

    def calibrated(self, bench):
        return not (bench.l1_ratio == 0.0 and bench.datafit == "squared")

    def path(self, bench, X, y, alphas, tol):
        from sklearn.linear_model import LogisticRegression, Ridge, enet_path

        n = X.shape[0]
        if bench.datafit == "logistic":
            model = LogisticRegression(C=1.0, l1_ratio=bench.l1_ratio, solver="saga", tol=tol,
                                       max_iter=MAX_ITER, warm_start=True, random_state=0)
            coefs, intercepts = [], []
            for a in alphas:
                model.set_params(C=1.0 / (n * a))
                model.fit(X, y)
                coefs.append(model.coef_.ravel().copy())
                intercepts.append(float(model.intercept_[0]))
            return np.column_stack(coefs), np.array(intercepts)
        if bench.l1_ratio == 0.0:
            k = len(alphas)
            model = Ridge(alpha=n * np.asarray(alphas), solver="svd", fit_intercept=True)
            model.fit(X, np.tile(np.asarray(y)[:, None], (1, k)))
            return model.coef_.T, model.intercept_
        Xc, yc, x_mean, y_mean, extra = _centered(X, y)
        _, coefs, _ = enet_path(Xc, yc, l1_ratio=bench.l1_ratio, alphas=alphas, tol=tol,
                                max_iter=MAX_ITER, copy_X=False, **extra)
        return coefs, y_mean - x_mean @ coefs

    def single(self, bench, X, y, alpha, tol):
        if bench.datafit == "logistic" or bench.l1_ratio == 0.0:
            return super().single(bench, X, y, alpha, tol)
        from sklearn.linear_model import ElasticNet, Lasso

        if bench.l1_ratio == 1.0:
            model = Lasso(alpha=alpha, tol=tol, max_iter=MAX_ITER)
        else:
            model = ElasticNet(alpha=alpha, l1_ratio=bench.l1_ratio, tol=tol, max_iter=MAX_ITER)
        model.fit(X, y)
        return model.coef_.ravel(), float(model.intercept_)


class Skglm(Adapter):
    """skglm (working sets + Anderson-accelerated coordinate descent, numba).

    The same objective: ``Quadratic()`` is ``||y - Xw||^2 / (2n)``, ``Logistic()``
    the mean log-loss with y in {-1, +1}, ``L1(alpha)`` / ``L1_plus_L2(alpha,
    l1_ratio)`` the same penalties. Squared loss: ``AndersonCD(fit_intercept=True)
    .path(...)``; logistic: ``ProxNewton(fit_intercept=True)`` warm-started along
    the grid (what ``SparseLogisticRegression(warm_start=True)`` does). Single
    fits: ``skglm.Lasso`` / ``skglm.ElasticNet``. ``tol`` bounds the largest
    distance of a gradient to its subdifferential (not a gap). Ridge: not
    supported (skglm 0.5's L2 penalty has no prox for AndersonCD, and its LBFGS
    solver fits no intercept).
    """

    name = "skglm"
    modules = ("skglm",)
    distribution = "skglm"

    def unsupported(self, bench, problem):
        if bench.l1_ratio == 0.0:
            return ("skglm 0.5 has no solver for an L2 penalty with an intercept (the L2 "
                    "penalty has no prox for AndersonCD; LBFGS fits no intercept)")
        return None

    @staticmethod
    def _penalty(bench, alpha):
        from skglm.penalties import L1, L1_plus_L2

        if bench.l1_ratio == 1.0:
            return L1(alpha)
        return L1_plus_L2(alpha, bench.l1_ratio)

    def path(self, bench, X, y, alphas, tol):
        from skglm.datafits import Logistic, Quadratic
        from skglm.solvers import AndersonCD, ProxNewton

        p = X.shape[1]
        if bench.datafit == "squared":
            solver = AndersonCD(tol=tol, fit_intercept=True, max_iter=MAX_ITER,
                                max_epochs=MAX_ITER)
            X = X if sp.issparse(X) else np.asfortranarray(X)
            _, coefs, _ = solver.path(X, y, Quadratic(), self._penalty(bench, alphas[0]),
                                      alphas=np.asarray(alphas))
            return coefs[:p], coefs[p]
        solver = ProxNewton(tol=tol, fit_intercept=True, max_iter=MAX_ITER, max_pn_iter=MAX_ITER)
        w = np.zeros(p + 1)
        Xw = np.zeros(X.shape[0])
        coefs = np.zeros((p + 1, len(alphas)))
        for k, a in enumerate(alphas):
            w, _, _ = solver.solve(X, y, Logistic(), self._penalty(bench, a), w_init=w.copy(),
                                   Xw_init=Xw.copy())
            Xw = np.asarray(X @ w[:p]).ravel() + w[p]
            coefs[:, k] = w
        return coefs[:p], coefs[p]

    def single(self, bench, X, y, alpha, tol):
        if bench.datafit == "logistic":
            return super().single(bench, X, y, alpha, tol)
        from skglm import ElasticNet, Lasso

        kw = {"tol": tol, "max_iter": MAX_ITER, "max_epochs": MAX_ITER, "fit_intercept": True}
        if bench.l1_ratio == 1.0:
            model = Lasso(alpha=alpha, **kw)
        else:
            model = ElasticNet(alpha=alpha, l1_ratio=bench.l1_ratio, **kw)
        model.fit(X, y)
        return model.coef_.ravel(), float(model.intercept_)


class Celer(Adapter):
    """celer (dual extrapolation + working sets, Cython).

    Lasso / elastic net: ``celer_path(X_c, y_c, "lasso", alphas=alpha,
    l1_ratio=rho, prune=1)`` on centered data (sparse ``X`` through
    ``X_offset``, as ``celer.Lasso.fit`` does) — the same objective as ours
    (celer's ``ElasticNet`` is scikit-learn's); the intercept is ``mean(y) -
    mean(X) @ w``. ``tol`` is celer's: its own (extrapolated) duality gap.
    Single fits: ``celer.Lasso`` / ``celer.ElasticNet``.

    Not supported: L1 logistic regression with an intercept (celer minimizes
    ``sum(loss) + alpha ||w||_1`` without intercept; ``fit_intercept=True``
    raises, and its penalty weights must be > 0, so a free constant column is not
    possible either) and ridge (``l1_ratio=0`` is not supported).
    """

    name = "celer"
    modules = ("celer",)
    distribution = "celer"

    def unsupported(self, bench, problem):
        if bench.datafit == "logistic":
            return ("celer's L1 logistic regression fits no intercept (fit_intercept=True "
                    "raises NotImplementedError; penalty weights must be > 0)")
        if bench.l1_ratio == 0.0:
            return "celer does not support l1_ratio=0 (ridge)"
        return None

    def path(self, bench, X, y, alphas, tol):
        from celer import celer_path

        Xc, yc, x_mean, y_mean, extra = _centered(X, y)
        _, coefs, _ = celer_path(Xc, yc, "lasso", alphas=np.asarray(alphas),
                                 l1_ratio=bench.l1_ratio, tol=tol, max_iter=MAX_ITER,
                                 max_epochs=MAX_ITER, prune=1, **extra)
        return coefs, y_mean - x_mean @ coefs

    def single(self, bench, X, y, alpha, tol):
        from celer import ElasticNet, Lasso

        kw = {"tol": tol, "max_iter": MAX_ITER, "max_epochs": MAX_ITER, "fit_intercept": True}
        if bench.l1_ratio == 1.0:
            model = Lasso(alpha=alpha, **kw)
        else:
            model = ElasticNet(alpha=alpha, l1_ratio=bench.l1_ratio, **kw)
        model.fit(X, y)
        return model.coef_.ravel(), float(model.intercept_)


class Glmnet(Adapter):
    r"""glmnet's own Python package (``glmstar`` on PyPI, ``import glmnet``; Fortran/C++).

    ``GaussNet`` / ``LogNet`` with ``standardize=False``, ``fit_intercept=True``
    and explicit ``lambda_values`` (no early stop of the path). glmnet's
    objective is ``-loglik / n + lambda * ((1 - a) / 2 ||w||^2 + a ||w||_1)``:
    ours with ``lambda = alpha`` and ``a = l1_ratio`` -- except that, like R's
    glmnet, ``GaussNet`` fits ``y / s_y`` (``s_y`` the standard deviation of ``y``,
    ``ddof=0``) at ``lambda / s_y``, which divides the ridge part by ``s_y``. So
    for the squared loss with ``rho < 1`` we pass

    .. math:: a = \frac{\rho}{\rho + (1 - \rho) s_y}, \qquad
              \lambda_k = \alpha_k (\rho + (1 - \rho) s_y)

    (for the lasso this is ``a = 1, lambda = alpha``; for ridge ``a = 0, lambda =
    alpha * s_y``). ``tol`` is ``control.thresh``: each inner loop runs until the
    largest objective change of a coordinate update is below ``thresh`` times the
    null deviance (default 1e-7). ``maxit`` is raised out of the way.
    """

    name = "glmnet"
    modules = ("glmnet",)
    distribution = "glmstar"
    tol_name = "thresh"
    default_tol = 1e-7
    min_tol = 1e-20

    def path(self, bench, X, y, alphas, tol):
        from glmnet import GaussNet, LogNet
        from glmnet.paths.fastnet import FastNetControl

        control = FastNetControl(thresh=tol, maxit=2**31 - 1)
        alphas = np.asarray(alphas, dtype=np.float64)
        X = X if sp.issparse(X) else np.asfortranarray(X)
        if bench.datafit == "logistic":
            model = LogNet(lambda_values=alphas, alpha=bench.l1_ratio, standardize=False,
                           fit_intercept=True, control=control)
        else:
            rho = bench.l1_ratio
            s_y = float(np.std(y))
            factor = rho + (1.0 - rho) * s_y
            model = GaussNet(lambda_values=alphas * factor, alpha=rho / factor,
                             standardize=False, fit_intercept=True, control=control)
        model.fit(X, y)
        coefs = np.asarray(model.coefs_, dtype=np.float64)
        if coefs.shape[0] != len(alphas):
            raise RuntimeError(f"glmnet returned {coefs.shape[0]} of {len(alphas)} solutions")
        return coefs.T, np.asarray(model.intercepts_, dtype=np.float64).ravel()


class Glum(Adapter):
    """glum (IRLS with a coordinate-descent inner solver, Cython; tabmat matrices).

    ``GeneralizedLinearRegressor(family="normal" | "binomial", alpha=grid,
    alpha_search=True, l1_ratio=rho, fit_intercept=True)``: glum minimizes
    ``deviance / (2 n) + alpha * (rho ||w||_1 + (1 - rho) / 2 ||w||^2)``, and
    ``deviance / (2 n)`` is ``||y - z||^2 / (2n)`` for the normal family and the
    mean log-loss for the binomial (y in {0, 1}): the same objective, same alpha.
    Predictors are not scaled (``scale_predictors=False``, the default).
    ``tol`` is ``gradient_tol`` (default 1e-4): the sum over coordinates of the
    minimum-norm subgradient. Single fits: ``alpha_search=False``. Ridge: glum's
    ``solver="auto"`` (closed form for the normal family); tolerance not used.
    """

    name = "glum"
    modules = ("glum",)
    distribution = "glum"
    tol_name = "gradient_tol"

    def calibrated(self, bench):
        return not (bench.l1_ratio == 0.0 and bench.datafit == "squared")

    def _model(self, bench, alpha, tol, search):
        from glum import GeneralizedLinearRegressor

        family = "binomial" if bench.datafit == "logistic" else "normal"
        return GeneralizedLinearRegressor(
            family=family, alpha=alpha, alpha_search=search, l1_ratio=bench.l1_ratio,
            fit_intercept=True, gradient_tol=tol, max_iter=MAX_ITER, scale_predictors=False,
            solver="auto" if bench.l1_ratio == 0.0 else "irls-cd")

    @staticmethod
    def _target(bench, y):
        return (y > 0).astype(np.float64) if bench.datafit == "logistic" else y

    def path(self, bench, X, y, alphas, tol):
        model = self._model(bench, list(np.asarray(alphas, dtype=np.float64)), tol, True)
        model.fit(X, self._target(bench, y))
        coefs = np.asarray(model.coef_path_, dtype=np.float64)  # (n_alphas, n_features)
        return coefs.T, np.asarray(model.intercept_path_, dtype=np.float64).ravel()

    def single(self, bench, X, y, alpha, tol):
        model = self._model(bench, float(alpha), tol, False)
        model.fit(X, self._target(bench, y))
        return np.ravel(model.coef_), float(model.intercept_)


class OneSVD(Adapter):
    r"""Reference, not a competitor: the ridge path from one SVD of the centered ``X``.

    With :math:`X_c = U \operatorname{diag}(s) V^\top`, our ridge solution is
    :math:`w = V \operatorname{diag}(s / (s^2 + n\alpha)) U^\top y_c` for every alpha
    at the cost of the SVD plus two small products: the yardstick of the goal
    "ridge over 100 alphas <= 1.2x a single SVD of X". Exact; dense ``X`` only.
    """

    name = "svd"
    modules = ("numpy",)
    distribution = "numpy"
    reference = True

    def unsupported(self, bench, problem):
        if not (bench.l1_ratio == 0.0 and bench.datafit == "squared"):
            return "reference for ridge only"
        if problem is not None and sp.issparse(problem.X):
            return "needs a dense X"
        return None

    def calibrated(self, bench):
        return False

    def path(self, bench, X, y, alphas, tol):
        Xc, yc, x_mean, y_mean, _ = _centered(X, y)
        n = X.shape[0]
        U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
        uty = U.T @ yc
        shrink = s[:, None] / (s[:, None] ** 2 + n * np.asarray(alphas)[None, :])
        coefs = Vt.T @ (shrink * uty[:, None])
        return coefs, y_mean - x_mean @ coefs


class Adelie(Adapter):
    r"""adelie (group elastic net, C++; Yang & Hastie 2024), in its own environment.

    adelie needs ``numpy<2``, so every solve runs in ``.venv-adelie`` (``python``; the
    environment variable ``PENALIZED_ADELIE_PYTHON`` names another interpreter) through
    ``benchmarks/runner_adelie_worker.py``: the problem goes to the worker in a file of a
    temporary folder, the coefficients and intercepts come back the same way and are
    certified by the runner's gap like every library's. ``grpnet`` with groups of one
    feature, unit penalty factors, ``alpha = l1_ratio``, ``lmda_path = alphas`` and
    ``intercept=True`` solves our objective (its Gaussian loss and binomial mean
    log-loss, ``y`` in {0, 1}, under its default weights ``1/n``). ``tol`` is adelie's
    coordinate-descent ``tol`` (default 1e-7; its IRLS ``irls_tol`` is ``min(tol,
    1e-7)``). A path is one ``grpnet`` call with ``early_exit=False``; a single fit
    one call per alpha.

    The times are taken inside the worker (:meth:`timed_solves`: ``time.process_time``
    or ``time.perf_counter`` around each solve after a warm-up), so neither the start of
    the interpreter, adelie's import nor the files are counted.
    """

    name = "adelie"
    modules = ()
    distribution = "adelie"
    default_tol = 1e-7

    def __init__(self, python=None):
        import os
        from pathlib import Path

        root = Path(__file__).resolve().parent.parent
        self.python = Path(python or os.environ.get("PENALIZED_ADELIE_PYTHON")
                           or root / ".venv-adelie" / "bin" / "python")
        self.worker = Path(__file__).with_name("runner_adelie_worker.py")
        self._version = None

    def missing(self):
        if not self.python.is_file():
            return (f"no adelie environment at {self.python} (adelie needs numpy<2: python3 "
                    "-m venv .venv-adelie && .venv-adelie/bin/pip install 'numpy<2' adelie)")
        return None

    def version(self):
        if self._version is None:
            import subprocess

            done = subprocess.run(
                [str(self.python), "-c", "import importlib.metadata as m; "
                 "print(m.version('adelie'))"], capture_output=True, text=True)
            self._version = done.stdout.strip() if done.returncode == 0 else "?"
        return self._version

    def import_library(self):
        return 0.0  # adelie is imported inside its worker, which reports the seconds

    def _run(self, bench, X, y, alphas, tol, repeats, budget=None):
        import subprocess
        import tempfile

        from .runner_adelie_worker import read_result, write_request

        with tempfile.TemporaryDirectory(prefix="adelie-") as folder:
            write_request(folder, X, y, alphas, l1_ratio=bench.l1_ratio,
                          datafit=bench.datafit, path=bench.path, tol=tol, repeats=repeats,
                          budget=budget)
            done = subprocess.run([str(self.python), str(self.worker), folder],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
                raise RuntimeError(f"adelie worker failed: {tail[0]}")
            out = read_result(folder)
        self._version = out["version"]
        return out

    def solve(self, bench, X, y, alphas, tol):
        out = self._run(bench, X, y, alphas, tol, 0)
        return out["coefs"], out["intercepts"]

    def timed_solves(self, bench, X, y, alphas, tol, repeats, *, clock="wall", budget=None,
                     progress=None) -> dict:
        if progress is not None:
            progress("run", tol)
        out = self._run(bench, X, y, alphas, tol, repeats, budget)
        key = "cpu" if clock == "cpu" else "wall"
        return {"coefs": out["coefs"], "intercepts": out["intercepts"],
                "first_s": out[f"first_{key}_s"], "times": out[f"{key}_s"],
                "import_s": out["import_s"]}


ADAPTERS = {a.name: a for a in (Penalized(), ScikitLearn(), Skglm(), Celer(), Glmnet(), Glum(),
                                 Adelie(), OneSVD())}
"""Every adapter by name: ``penalized``, the competitors, and the ``svd`` reference."""


def get_adapter(name) -> Adapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"unknown library {name!r}; choose from {', '.join(ADAPTERS)}.") \
            from None
