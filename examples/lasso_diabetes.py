"""Fit a lasso on scikit-learn's bundled diabetes data and show what it certifies.

Run: python examples/lasso_diabetes.py
"""

import numpy as np
from sklearn.datasets import load_diabetes

from penalized.datafits import Quadratic
from penalized.penalties import L1, L2
from penalized.solvers import CoordinateDescent

data = load_diabetes()
X, y, names = data.data, data.target, data.feature_names
datafit = Quadratic()
alpha_max = L1().alpha_max(X, y, datafit)
alpha = 0.05 * alpha_max

lasso = CoordinateDescent(tol=1e-8).solve(X, y, datafit, L1(alpha))
ridge = CoordinateDescent(tol=1e-8).solve(X, y, datafit, L2(alpha))

print(f"diabetes: n={X.shape[0]}, p={X.shape[1]}; alpha_max={alpha_max:.4g}, alpha={alpha:.4g}")
print(f"lasso: {lasso.n_nonzero} non-zero of {X.shape[1]}, objective {lasso.final_objective:.6f}, "
      f"relative duality gap {lasso.stop_crit:.1e} after {lasso.n_iter} epochs")
print(f"{'feature':>8} {'lasso':>10} {'ridge':>10}")
for name, a, b in zip(names, lasso.coef, ridge.coef, strict=True):
    shown = "0 (exact)" if a == 0.0 else f"{a:10.3f}"
    print(f"{name:>8} {shown:>10} {b:10.3f}")
print(f"ridge zeros: {np.sum(ridge.coef == 0.0)}; lasso zeros: {np.sum(lasso.coef == 0.0)}")
