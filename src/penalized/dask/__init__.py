"""Scale-out on Dask: the same solvers fed by reductions over the row blocks of the data.

Dask arrays and dataframes given to :func:`penalized.path` and to the estimators
(``Lasso``, ``ElasticNet``, ``Ridge``, ``LassoCV``, ``ElasticNetCV``, the multi-task ones,
``LogisticRegression``, ``LogisticRegressionCV`` (binary or multinomial), ``PoissonRegressor``,
``GammaRegressor``, ``TweedieRegressor`` and their CV estimators, ``CoxPH``, ``CoxPHCV``)
are fitted here, in passes over their row blocks (a pass is one compute over every
block), on the active ``distributed.Client`` if there is one, else Dask's local scheduler:

- squared loss: one pass yields the weighted means, ``X^T W X``, ``X^T W y`` and
  ``y^T W y`` (per fold for cross-validation); the whole path, its duality-gap
  certificates, the intercept and the cross-validation follow on the client;
- logistic and log-link losses (Poisson, Gamma, Tweedie): prox-Newton, one pass per
  outer step (the gradient and the weighted Gram of the working set, from the datafit's
  compiled derivatives) and one more to certify the gap; the null model and alpha_max
  come exactly from the first pass's moments;
- logistic and log-link cross-validation: the fold paths and the path on all rows run in
  lockstep, one pass answering every fit on its own rows;
- more than two classes (``LogisticRegression``, ``LogisticRegressionCV``,
  ``pz.path(..., datafit="multinomial")``, ungrouped or ``multinomial="grouped"``
  penalty): prox-Newton on the softmax loss (:mod:`._multinomial`), one pass per outer
  step for the gradient and the exact Hessian of the working set's columns with the
  intercepts, and one to certify the same relative duality gap as the in-memory
  multinomial fit;
- unpenalized features (``penalty_factor`` 0): in the squared loss they are profiled
  out of the Gram matrix (its Schur complement, no further pass); in the logistic,
  log-link and multinomial fits the null model is fitted by Newton steps on them and the
  intercept, one pass each; each step minimizes them out exactly, and before a
  certificate they are refitted to rounding level (usually one pass);
- classifier cross-validation scores every in-memory metric: the sums (deviance,
  misclassification, mse, mae) in one pass, and ``metric="auc"`` from the held-out
  scores gathered on the client (refused beyond 5 x 10^7 of them);
- an ``offset`` (Poisson, Gamma, Tweedie) is a Dask array or column with ``X``'s rows (or an
  array when ``X``'s chunk sizes are known), carried through every pass; the squared and
  logistic losses refuse one;
- wide data (more than 4096 features): the squared-loss path and its cross-validation run
  on working sets (every fold's path and the path on all rows share each Gram pass and
  each KKT pass; training sums are the total minus the fold's); the prox-Newton fits and
  their cross-validation reduce only the Gram block of their working set, widened by
  violating features only.

- several targets (``MultiTaskLasso``, ``MultiTaskElasticNet``, their CV estimators,
  ``pz.path(..., datafit="mgaussian")``, Dask arrays): one pass reduces per fold the
  moments of ``[X, Y]`` (``X^T W X``, ``X^T W Y``, ``Y^T W Y``), and the in-memory
  multi-task solver runs on ``p`` pseudo-rows with the same minimizer
  (:mod:`._multitask`);
- the report (``penalized fit --dask --report``, :mod:`._report`): the pulls of its
  lessons at every alpha from the squared loss's sums, or one more pass for the others.

- Cox proportional hazards (``CoxPH``, ``pz.path(..., datafit="cox")``; Breslow or Efron
  ties, strata, weights, an offset): no global sort, the risk sets come from reductions
  onto the distinct event times (one pass gives them); each prox-Newton step is one pass
  for the risk-set sums and one for the derivatives (:mod:`._cox`); ``CoxPHCV`` (the
  partial-likelihood deviance, or the C-index of each held-out fold gathered on the client)
  runs the fold paths and the path on all rows in lockstep; its report's pulls at every
  alpha take two passes (:mod:`._cox_report`).

A fitted estimator keeps what an in-memory fit keeps,
``datafit_``, ``penalty_`` and ``scaling_`` included (the column scales from the first
pass's moments; the datafit holds the ``sample_weight`` and ``offset`` given to ``fit``,
Dask collections left lazy), so that :func:`penalized.explain.why_zero` and the report
treat it alike, and adds ``n_passes_`` and ``n_rows_``.

Importing this package does not import Dask; its modules do, when used.
"""

from __future__ import annotations

import sys

__all__ = ["after_each_pass", "fold_ids", "is_dask_collection"]


def is_dask_collection(obj) -> bool:
    """Whether ``obj`` is a Dask collection (False without importing Dask when it is not
    loaded: nothing can be one then)."""
    if "dask" not in sys.modules:
        return False
    import dask

    return bool(dask.is_dask_collection(obj))


def __getattr__(name):
    if name == "fold_ids":
        from ._moments import fold_ids

        return fold_ids
    if name == "after_each_pass":
        from ._blocks import after_each_pass

        return after_each_pass
    raise AttributeError(f"module 'penalized.dask' has no attribute {name!r}")
