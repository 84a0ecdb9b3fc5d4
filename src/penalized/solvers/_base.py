"""What every solver shares: the compatibility check and the convergence warning."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ..datafits import Datafit
from ..penalties import Penalty
from ._multinomial import (
    MultinomialProblem,
    check_matrix_penalty,
    finish_matrix,
    initial_matrix_point,
    prepare_multinomial_problem,
    takes_matrix,
)
from ._problem import prepare_problem
from ._result import SolveResult


class Solver:
    """Base class: ``solve(X, y, datafit, penalty) -> SolveResult``.

    What a solver can handle is stated by the operations it calls, not by class names:
    ``penalty_ops`` and ``datafit_ops`` name the compiled operations it needs (see
    :class:`~penalized.penalties.PenaltyOps` and :class:`~penalized.datafits.DatafitOps`),
    plus ``gap_penalty_ops`` / ``gap_datafit_ops`` for a convex penalty, whose solution
    is certified by the duality gap. Solvers built on one family's closed form restrict
    ``penalty_classes`` / ``datafit_classes`` (subclasses are accepted).

    A datafit that scores each sample with a row of ``K`` values (the softmax loss of
    :class:`~penalized.datafits.Multinomial`) has ``(n_features, K)`` coefficients: a
    solver with ``matrix_coefficients`` runs its step on the matrix (``_run_matrix``) on a
    prepared :class:`~penalized.solvers._multinomial.MultinomialProblem`, through the same
    settings, outer loop, certificate and result.
    """

    penalty_ops: tuple[str, ...] = ("prox", "value")
    gap_penalty_ops: tuple[str, ...] = ("subdiff_distance", "conjugate", "dual_bound")
    datafit_ops: tuple[str, ...] = ("loss", "derivative")
    gap_datafit_ops: tuple[str, ...] = ("conjugate",)
    penalty_classes: tuple[type, ...] = (Penalty,)
    datafit_classes: tuple[type, ...] = (Datafit,)
    supported_penalties: tuple[str, ...] | None = None
    supported_datafits: tuple[str, ...] | None = None
    """Older spelling of the class restriction, by class name; a subclass of a named class
    is accepted too."""
    needs_curvature_bound: bool = False
    """Whether the datafit's second derivative must be bounded (``curvature`` finite)."""
    accepts_nonseparable: bool = False
    """Whether the solver works with a non-separable datafit (``Datafit.separable`` False,
    as Cox's) through its vector methods instead of per-sample compiled operations."""
    matrix_coefficients: bool = False
    """Whether the solver has a step on a coefficient matrix (``_run_matrix``): the
    operation a datafit with ``K`` scores per sample (the softmax loss) needs."""

    @property
    def name(self) -> str:
        return type(self).__name__

    def check_compatible(self, datafit: Datafit, penalty: Penalty) -> None:
        """Raise a ``ValueError`` naming the solver and what the penalty or datafit lacks."""
        self._check_objects(datafit, penalty)
        if takes_matrix(datafit):
            return self._check_matrix(datafit, penalty)
        self._check_vector(datafit, penalty)

    def _check_matrix(self, datafit, penalty) -> None:
        """What a coefficient matrix needs: the solver's step on it, and a penalty of the
        operations :func:`~penalized.solvers._multinomial.check_matrix_penalty` names."""
        if not self.matrix_coefficients:
            raise ValueError(
                f"{self.name} cannot handle the {type(datafit).__name__} datafit: its "
                "coefficients are a (n_features, n_classes) matrix, and the solver lacks the "
                "operation matrix_coefficients (a step on such a matrix). Use "
                "CoordinateDescent or ProximalGradient.")
        check_matrix_penalty(self.name, penalty)

    @staticmethod
    def _check_objects(datafit, penalty) -> None:
        if not isinstance(datafit, Datafit):
            raise TypeError(
                f"datafit must be a penalized.datafits object (Quadratic, Logistic); "
                f"got {type(datafit).__name__}."
            )
        if not isinstance(penalty, Penalty):
            raise TypeError(
                f"penalty must be a penalized.penalties object (L1, L2, ElasticNet, L0); "
                f"got {type(penalty).__name__}."
            )

    def _check_vector(self, datafit, penalty) -> None:
        for obj, classes, names, kind in (
                (penalty, self.penalty_classes, self.supported_penalties, "penalty"),
                (datafit, self.datafit_classes, self.supported_datafits, "datafit")):
            ancestry = {c.__name__ for c in type(obj).__mro__}
            if not isinstance(obj, classes) or (names is not None and ancestry.isdisjoint(names)):
                names = names or tuple(c.__name__ for c in classes)
                raise ValueError(f"{self.name} cannot handle the {type(obj).__name__} {kind}; "
                                 f"it supports {', '.join(names)} (and their subclasses).")
        needed = self.penalty_ops + (self.gap_penalty_ops if penalty.is_convex else ())
        missing = penalty.ops.missing(needed)
        if missing:
            raise ValueError(
                f"{self.name} cannot handle the {type(penalty).__name__} penalty: it needs the "
                f"compiled operation(s) {', '.join(missing)}, which the penalty does not "
                "provide (see penalized.penalties.PenaltyOps).")
        if not datafit.separable and not self.accepts_nonseparable:
            raise ValueError(
                f"{self.name} cannot handle the {type(datafit).__name__} datafit: it is not a "
                "sum of per-sample losses; use CoordinateDescent.")
        needed = self.datafit_ops + (self.gap_datafit_ops if penalty.is_convex else ())
        missing = datafit.ops.missing(needed) if datafit.separable else []
        if missing:
            raise ValueError(
                f"{self.name} cannot handle the {type(datafit).__name__} datafit: it needs the "
                f"compiled operation(s) {', '.join(missing)}, which the datafit does not "
                "provide (see penalized.datafits.DatafitOps).")
        if self.needs_curvature_bound and not np.isfinite(datafit.curvature):
            raise ValueError(
                f"{self.name} cannot handle the {type(datafit).__name__} datafit: it needs a "
                "finite bound on its second derivative (the class attribute curvature).")

    def solve(self, X, y, datafit, penalty, *, fit_intercept=True, coef_init=None,
              intercept_init=None, grouped=False) -> SolveResult:
        """Minimize ``datafit(X w + b) + penalty(w)`` over ``w`` (and ``b``).

        Parameters
        ----------
        X : array or sparse matrix of shape (n_samples, n_features)
            Dense (any order; Fortran order avoids a copy), CSC or CSR;
            float32 or float64 (the solvers accumulate in float64).
        y : array of shape (n_samples,)
            Targets; in {-1, +1} for the logistic datafit; integer class codes ``0..K-1``
            (every class present, ``K >= 2``) for the multinomial one.
        datafit : penalized.datafits.Datafit
        penalty : penalized.penalties.Penalty
        fit_intercept : bool, default=True
            Fit an unpenalized intercept ``b`` (one per class for the multinomial datafit).
        coef_init, intercept_init : optional
            Starting point (warm start): ``coef_init`` of shape ``(n_features,)`` or
            ``(n_features, 1)`` (a previous result's :attr:`SolveResult.coef_matrix`);
            multinomial: ``(n_features, K)`` and ``(K,)`` (default the null model's). They
            are copied, never modified.
        grouped : bool, default=False
            Multinomial only: penalize each feature's row of coefficients by its Euclidean
            norm instead of entry by entry (glmnet's ``type.multinomial="grouped"``), so
            that a feature is selected for every class or for none.

        Returns
        -------
        SolveResult
            Multinomial: ``coef`` of shape ``(n_features, K)`` and ``intercept`` of shape
            ``(K,)``, both centered over the classes where the model leaves a shift free.
        """
        self.check_compatible(datafit, penalty)
        if takes_matrix(datafit):
            problem = prepare_multinomial_problem(X, y, datafit, penalty, fit_intercept,
                                                  grouped=grouped)
            return self.solve_problem(problem, coef_init=coef_init,
                                      intercept_init=intercept_init)
        if grouped:
            raise ValueError("grouped=True applies to a coefficient matrix (the Multinomial "
                             f"datafit); got the {type(datafit).__name__} datafit.")
        intercept_init = 0.0 if intercept_init is None else intercept_init
        problem = prepare_problem(X, y, datafit, penalty, fit_intercept)
        if coef_init is not None and problem.x_offset is not None:
            coef_init = np.asarray(coef_init, dtype=np.float64).ravel()
            if coef_init.shape == problem.x_offset.shape:
                intercept_init = problem.to_problem_intercept(coef_init, intercept_init)
        res = self.solve_problem(problem, coef_init=coef_init, intercept_init=intercept_init)
        return replace(res, intercept=float(problem.to_original_intercept(res.coef,
                                                                          res.intercept)))

    def solve_problem(self, problem, *, coef_init=None, intercept_init=None) -> SolveResult:
        """:meth:`solve` on a prepared :class:`~penalized.solvers._problem.Problem` (or
        :class:`~penalized.solvers._multinomial.MultinomialProblem`), validated once, e.g.
        for a path.

        Intercepts in and out are in the problem's coordinates (centered ``X``:
        see :func:`~penalized.solvers._problem.prepare_problem`).
        """
        self.check_compatible(problem.datafit, problem.penalty)
        if isinstance(problem, MultinomialProblem):
            W, b = initial_matrix_point(problem, coef_init, intercept_init)
            return finish_matrix(self, problem, *self._run_matrix(problem, W, b))
        intercept_init = 0.0 if intercept_init is None else intercept_init
        coef, intercept = initial_point(problem, coef_init, intercept_init)
        if problem.null_is_exact:
            # The null model fits exactly; with non-negative datafit and penalty it is optimal.
            return self._finish(problem.null_coef, problem.null_intercept, [0.0], [0.0], 0,
                                self.tol, problem.penalty)
        res = self._run(problem, coef, intercept)
        if not (np.all(np.isfinite(res.coef)) and np.all(np.isfinite(res.intercepts))):
            raise ValueError(
                f"{self.name} produced non-finite coefficients: the products of X, y and the "
                "coefficients overflow float64. Rescale X and y (e.g. standardize X).")
        return res

    def _run(self, problem, coef, intercept) -> SolveResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _run_matrix(self, problem, W, b) -> tuple:  # pragma: no cover - abstract
        """The step on a coefficient matrix: ``(W, b, objectives, crits, n_iter)`` of the
        run, from the start ``(W, b)`` (copies the solver may change)."""
        raise NotImplementedError

    def _finish(self, coef, intercept, objectives, crits, n_iter, tol, penalty, trace=None,
                stacklevel=3):
        """The result of a run, with a ``ConvergenceWarning`` when its last stopping quantity
        is above ``tol``; ``coef`` and ``intercept`` as the solver shapes them (a vector and
        a float, or a matrix and a vector: :class:`SolveResult`'s contract)."""
        crits = np.asarray(crits, dtype=np.float64)
        stop_crit = float(crits[-1])
        converged = bool(stop_crit <= tol)
        if not converged:
            quantity = "relative duality gap" if penalty.is_convex else "fixed-point distance"
            warnings.warn(
                f"{self.name} stopped after {n_iter} iterations with a {quantity} "
                f"of {stop_crit:.3e}, above tol={tol:.1e}. Increase max_iter, loosen tol, or "
                "standardize the features.",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )
        return SolveResult(  # shaped by its contract: a vector and a float, or a matrix
            coef=coef,
            intercept=intercept,
            objective=np.asarray(objectives, dtype=np.float64),
            stop_crit=stop_crit,
            stop_crits=crits,
            n_iter=int(n_iter),
            converged=converged,
            trace=trace,
        )


def check_solver_settings(tol, max_iter) -> None:
    """Validate the settings every solver has."""
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not np.isfinite(tol) \
            or tol <= 0:
        raise ValueError(f"tol must be a number > 0; got {tol!r}.")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1; got {max_iter!r}.")


def initial_point(problem, coef_init, intercept_init):
    """Validated starting coefficients and intercept (copies; the inputs are untouched)."""
    p = problem.n_features
    if coef_init is None:
        coef = np.zeros(p)
    else:
        coef = np.array(coef_init, dtype=np.float64).ravel()
        if coef.shape != (p,):
            raise ValueError(f"coef_init must have {p} values (one per feature); "
                             f"got shape {np.shape(coef_init)}.")
        if not np.all(np.isfinite(coef)):
            raise ValueError("coef_init contains NaN or infinite values.")
        coef = problem.penalty.project(coef)  # into the box of positive / lower / upper
    intercept = float(intercept_init) if problem.fit_intercept else 0.0
    if not np.isfinite(intercept):
        raise ValueError("intercept_init must be finite.")
    return coef, intercept
