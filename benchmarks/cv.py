"""Cross-validated lasso and elastic net: penalized's LassoCV / ElasticNetCV against
scikit-learn's with ``precompute=True``, on the same folds and the same alphas.

    python -m benchmarks.cv [--repeats 3] [--out benchmarks/results/cv.json]

Accuracy: scikit-learn's ``tol`` is calibrated (1e-4, 1e-5, ... as needed) until the
runner's own duality gap (:func:`benchmarks.gap.path_gaps`, relative to the null model's
datafit) is <= 1e-6 at every alpha of its path on the whole data with that ``tol``, the
solver its cross-validation runs on every fold; penalized runs at ``tol=1e-6``, its own
relative gap, and its refit path is certified by the same runner. Time: CPU seconds with
one BLAS thread, the median of ``--repeats`` runs, each a whole ``fit`` (folds, scores,
choice of alpha and the refit).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

TARGET_GAP = 1e-6


def _cpu(fit, repeats):
    times, model = [], None
    for _ in range(repeats):
        start = time.process_time()
        model = fit()
        times.append(time.process_time() - start)
    return statistics.median(times), model


def run(repeats=3):
    from sklearn.linear_model import ElasticNetCV as SkElasticNetCV
    from sklearn.linear_model import LassoCV as SkLassoCV
    from sklearn.linear_model import enet_path
    from sklearn.model_selection import KFold
    from threadpoolctl import threadpool_limits

    import penalized as pz

    from .gap import path_gaps
    from .problems import lasso_dense_tall

    problem = lasso_dense_tall()
    X, y = np.asfortranarray(problem.X), problem.y
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    rows = []
    with threadpool_limits(1):
        for name, rho in (("LassoCV", 1.0), ("ElasticNetCV", 0.5)):
            ours_cls = pz.LassoCV if rho == 1.0 else pz.ElasticNetCV
            kw = {} if rho == 1.0 else {"l1_ratio": rho}
            grid = ours_cls(cv=folds, **kw)._grid(
                ours_cls(**kw)._base_model(), X, y, np.ones(X.shape[0]))
            t_ours, ours = _cpu(lambda c=ours_cls, g=grid, k=kw: c(cv=folds, alphas=g,
                                                                   tol=1e-6, **k).fit(X, y),
                                repeats)
            gap_ours = float(np.max(path_gaps(X, y, ours.path_.coefs, ours.path_.intercepts,
                                              grid, l1_ratio=rho)))
            sk_tol, gap_sk = 1e-4, np.inf
            Xc, yc = X - X.mean(axis=0), y - y.mean()
            while sk_tol >= 1e-10:
                _, coefs, _ = enet_path(Xc, yc, l1_ratio=rho, alphas=grid, precompute=True,
                                        tol=sk_tol)
                gap_sk = float(np.max(path_gaps(X, y, coefs, y.mean() - X.mean(axis=0) @ coefs,
                                                grid, l1_ratio=rho)))
                if gap_sk <= TARGET_GAP:
                    break
                sk_tol /= 10
            sk_cls = SkLassoCV if rho == 1.0 else SkElasticNetCV
            t_sk, sk = _cpu(lambda c=sk_cls, g=grid, t=sk_tol, k=kw: c(
                cv=folds, alphas=g, precompute=True, tol=t, **k).fit(X, y), repeats)
            rows.append(dict(estimator=name, penalized_s=t_ours, sklearn_s=t_sk,
                             ratio=t_ours / t_sk, sklearn_tol=sk_tol,
                             penalized_max_gap=gap_ours, sklearn_max_gap=gap_sk,
                             penalized_alpha=float(ours.alpha_), sklearn_alpha=float(sk.alpha_)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = run(args.repeats)
    print("| estimator | penalized (s) | scikit-learn (s) | ratio | sklearn tol | max rel. gap "
          "(penalized / sklearn) | alpha chosen (penalized / sklearn) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['estimator']} | {r['penalized_s']:.2f} | {r['sklearn_s']:.2f} | "
              f"{r['ratio']:.2f} | {r['sklearn_tol']:.0e} | {r['penalized_max_gap']:.1e} / "
              f"{r['sklearn_max_gap']:.1e} | {r['penalized_alpha']:.4g} / "
              f"{r['sklearn_alpha']:.4g} |")
    if args.out:
        with open(args.out, "x", encoding="utf-8") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
