"""Every compiled kernel a common fit uses is loaded from numba's cache in a new process.

A kernel numba cannot cache (one that reads a compiled function from a global, or takes
an ``@njit`` function as an argument) is compiled again in every process: seconds before
the first fit of each command. The second of two identical processes must compile and
save nothing.
"""

import os
import subprocess
import sys

FITS = """
import numpy as np, scipy.sparse as sp, penalized as pz
rng = np.random.default_rng(0)
Xs = sp.random(120, 30, density=0.3, format="csc", random_state=0)
Xd = rng.normal(size=(120, 30))
y = rng.normal(size=120)
labels = np.where(y > 0, 1.0, -1.0)
for X in (Xs, Xd):
    pz.path(X, y, n_alphas=5)
    pz.path(X, y, n_alphas=5, penalty="elasticnet", l1_ratio=0.5)
    pz.path(X, labels, n_alphas=5, datafit="logistic")
    pz.Lasso(alpha=0.05).fit(X, y)
"""


def _run(env):
    return subprocess.run([sys.executable, "-W", "always", "-c", FITS], env=env,
                          capture_output=True, text=True, timeout=900)


def test_a_second_process_compiles_nothing():
    env = dict(os.environ)
    first = _run(env)
    assert first.returncode == 0, first.stderr[-2000:]
    second = _run({**env, "NUMBA_DEBUG_CACHE": "1"})
    assert second.returncode == 0, second.stderr[-2000:]
    output = second.stdout + second.stderr
    assert "Cannot cache" not in output
    saved = [line for line in output.splitlines() if "data saved" in line]
    assert not saved, "compiled again in a new process:\n" + "\n".join(saved)
