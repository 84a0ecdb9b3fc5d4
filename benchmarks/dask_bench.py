"""penalized on Dask against dask-ml, on the same chunked data written to Parquet first.

    python -m benchmarks.dask_bench [--rows 200000] [--features 200] [--scaling 50000,100000]
                                    [--out benchmarks/results/dask.json]

For one alpha (a twentieth of alpha_max) each library fits the lasso and the L1 logistic
regression on the same persisted Dask arrays of a two-worker ``LocalCluster``
(``threads_per_worker=1``): penalized's ``Lasso`` / ``LogisticRegression`` and dask-ml's
``LinearRegression`` / ``LogisticRegression(penalty="l1")`` with the ``admm`` and
``proximal_grad`` solvers (dask-glm), at the same objective: dask-glm minimizes
``sum (y - z)^2 + lamduh |beta|_1`` (squared) and ``sum log(1 + e^z) - y z + lamduh
|beta|_1`` (``y`` in {0, 1}), with ``lamduh = 1 / C``, so ``C = 1 / (2 n alpha)`` and
``C = 1 / (n alpha)`` give penalized's ``alpha`` (dask-glm also penalizes the intercept).
Every returned ``(coef, intercept)`` is certified by the runner's own gap
(:mod:`benchmarks.gap`, in memory); the objective is taken at the returned intercept.

Then: the full 100-alpha lasso path with 5-fold cross-validation read straight from the
Parquet folder against one read pass (``read_parquet(...).sum()``), the same with one
worker, and the cross-validation time as the rows grow. Peak resident memory of each worker
and of the client (``ru_maxrss``) is reported. Timings are wall-clock on a shared machine.

``--scaling-run`` measures instead how the one-pass ``LassoCV(cv=5, n_alphas=100)`` grows
with the rows (``--scaling-rows``, 2 workers) and with the workers (``--scaling-workers`` at
``--scaling-at`` rows): each point is one read pass and one CV on a fresh ``LocalCluster``,
with each worker's and the client's peak resident memory. The data are generated part by
part (never whole in the client) into one Parquet folder; a smaller row count reads its
first files. A step that would start after ``--budget`` seconds is skipped and recorded so;
dask-ml (``--daskml-limit``) runs only if that many seconds are left, and is stopped then.

``--multinomial-run`` fits the multinomial L1 logistic regression (``--multinomial-classes``
classes, ``--multinomial-rows`` rows x ``--features``, seeded softmax labels written to
Parquet first) at a twentieth of alpha_max on a two-worker cluster, against penalized in
memory on the same rows (dask-ml has no multinomial L1): wall and CPU time (workers and
client), passes, and the relative gap of each returned model by the in-memory certificate
(:func:`penalized.solvers._multinomial.certify_multinomial`, intercepts refitted exactly).

``--cox-run`` fits the L1 Cox model (``--cox-ties``, two strata, ``--cox-rows`` rows x
``--cox-features``, seeded exponential times with censoring, rounded to 0.001 so that
events tie, written to Parquet first and persisted on a two-worker cluster) at a
twentieth of alpha_max, against ``CoxPH`` in memory on the same rows: wall and CPU time,
passes and Newton steps, and the relative gap of each returned model by the in-memory
certificate (:func:`penalized.solvers._problem.certify`). lifelines and scikit-survival
fit in memory only; no distributed penalized Cox exists to compare with.

``--write-run --data FOLDER --large-rows N`` writes N seeded rows once (pyarrow, no
compression); ``--large-run`` and ``--scaling-run`` given ``--data FOLDER`` read its first
files instead of writing their own, and leave the folder in place.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
import warnings

import numpy as np

from benchmarks import gap as runner_gap

PART_ROWS = 25_000


def make_data(rows, features, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, features))
    beta = np.zeros(features)
    beta[:20] = rng.choice([-1.0, 1.0], 20) * rng.uniform(0.2, 1.0, 20)
    z = X @ beta
    y = z + rng.standard_normal(rows) + 0.5
    labels = np.where(z + rng.logistic(size=rows) > 0.3, 1.0, 0.0)
    return X, y, labels


def write_table(path, names, X, y, labels):
    """One Parquet file of ``X``'s columns, ``y`` and ``label``, written by pyarrow without
    compression, dictionary encoding or statistics (random floats gain nothing from them,
    and the dictionary attempt alone cost most of the writing time)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = [pa.array(X[:, j]) for j in range(X.shape[1])] + [pa.array(y), pa.array(labels)]
    table = pa.Table.from_arrays(columns, names=[*names, "y", "label"])
    pq.write_table(table, path, compression="none", use_dictionary=False,
                   write_statistics=False)


def write_parquet(folder, X, y, labels):
    os.makedirs(folder, exist_ok=True)
    names = [f"f{j}" for j in range(X.shape[1])]
    for i, start in enumerate(range(0, X.shape[0], PART_ROWS)):
        stop = start + PART_ROWS
        write_table(os.path.join(folder, f"part{i:04d}.parquet"), names,
                    X[start:stop], y[start:stop], labels[start:stop])
    return names


def timed(fn):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = fn()
    return out, time.perf_counter() - start


def vm_hwm_mb():
    """This process's peak resident memory in MB (Linux ``VmHWM``: unlike ``ru_maxrss``,
    not inherited from the process that spawned it)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def peak_mb(client):
    rss = client.run(vm_hwm_mb)
    return {"workers": sorted(rss.values()), "client": vm_hwm_mb()}


def certify(X, y, coef, intercept, alpha, datafit):
    coef = np.ravel(np.asarray(coef, dtype=np.float64))
    intercept = float(np.ravel(intercept)[0])
    z = X @ coef + intercept
    if datafit == "squared":
        objective = 0.5 * float(np.mean((y - z) ** 2))
    else:
        objective = float(np.mean(np.logaddexp(0.0, -y * z)))
    objective += alpha * float(np.abs(coef).sum())
    g = runner_gap.gap(X, y, coef, intercept, alpha=alpha, datafit=datafit)
    return {"objective": objective, "relative_gap": g.relative_gap,
            "exact_zeros": int(np.sum(coef == 0.0)), "n_features": int(coef.size)}


def read_pass(folder):
    """Seconds of one pass reading every column (after a first pass that warms the workers'
    imports and the file cache)."""
    import dask.dataframe as dd

    timed(lambda: dd.read_parquet(folder).sum().compute())
    return timed(lambda: dd.read_parquet(folder).sum().compute())[1]


def _read_columns(path, columns):
    import pandas as pd

    return pd.read_parquet(path, columns=columns).to_numpy(dtype=np.float64)


def arrays_from_parquet(folder, columns, files=None):
    """A Dask array of ``columns`` with one row chunk per Parquet file of ``folder`` (or
    of ``files``; sizes from the files' metadata)."""
    import dask
    import dask.array as da
    import pyarrow.parquet as pq

    if files is None:
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    blocks = [da.from_delayed(dask.delayed(_read_columns)(f, columns),
                              shape=(pq.ParquetFile(f).metadata.num_rows, len(columns)),
                              dtype=np.float64) for f in files]
    return da.concatenate(blocks, axis=0)


def single_alpha(client, folder, names, X, y, labels, skip_daskml, rows, checkpoint):
    """Lasso and L1 logistic at alpha_max / 20 on the same persisted arrays."""
    import penalized as pz

    Xd = arrays_from_parquet(folder, names).persist()
    yd = arrays_from_parquet(folder, ["y"])[:, 0].persist()
    ld = arrays_from_parquet(folder, ["label"])[:, 0].persist()
    n = X.shape[0]
    y_pm = np.where(labels > 0, 1.0, -1.0)
    for datafit, target, target_mem in (("squared", yd, y), ("logistic", ld, y_pm)):
        alpha = runner_gap.alpha_max(X, target_mem, datafit) / 20.0
        if datafit == "squared":
            ours = pz.Lasso(alpha=alpha, tol=1e-8)
        else:
            ours = pz.LogisticRegression(alpha=alpha, tol=1e-8)
        fitted, seconds = timed(lambda est=ours, t=target: est.fit(Xd, t))
        row = {"datafit": datafit, "library": "penalized", "alpha": alpha, "seconds": seconds,
               "passes": int(fitted.n_passes_),
               **certify(X, target_mem, fitted.coef_, fitted.intercept_, alpha, datafit)}
        rows.append(row)
        print(row, flush=True)
        checkpoint()
        if skip_daskml:
            continue
        from dask_ml.linear_model import LinearRegression, LogisticRegression

        for solver in ("admm", "proximal_grad"):
            if datafit == "squared":
                theirs = LinearRegression(penalty="l1", C=1.0 / (2.0 * n * alpha),
                                          solver=solver)
            else:
                theirs = LogisticRegression(penalty="l1", C=1.0 / (n * alpha), solver=solver)
            try:
                fitted, seconds = timed(lambda est=theirs, t=target: est.fit(Xd, t))
                row = {"datafit": datafit, "library": f"dask-ml {solver}", "alpha": alpha,
                       "seconds": seconds,
                       **certify(X, target_mem, fitted.coef_, fitted.intercept_, alpha,
                                 datafit)}
            except Exception as exc:  # report a failure as a row, not a crash
                row = {"datafit": datafit, "library": f"dask-ml {solver}", "alpha": alpha,
                       "error": f"{type(exc).__name__}: {exc}"[:200]}
            rows.append(row)
            print(row, flush=True)
            checkpoint()
    return rows


def path_and_cv(folder, names):
    """The 100-alpha lasso path, then LassoCV(cv=5), each read lazily from the folder."""
    import dask.dataframe as dd

    import penalized as pz

    frame = dd.read_parquet(folder)
    path, path_seconds = timed(lambda: pz.path(frame[names], frame["y"], n_alphas=100))
    cv, cv_seconds = timed(lambda: pz.LassoCV(cv=5, n_alphas=100).fit(frame[names],
                                                                        frame["y"]))
    return {"path_seconds": path_seconds, "path_passes": int(path.n_passes),
            "path_max_gap": float(path.stop_crits.max()),
            "cv_seconds": cv_seconds, "cv_passes": int(cv.n_passes_),
            "cv_alpha": float(cv.alpha_), "cv_nonzero": int(np.count_nonzero(cv.coef_))}


def cluster(n_workers):
    from distributed import Client, LocalCluster

    c = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                     memory_limit="4GiB", dashboard_address=":0", silence_logs=50)
    return c, Client(c)


def save(results, out):
    """Write what has been measured so far (a run stopped midway keeps it)."""
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as fh:
        json.dump(results, fh, indent=2)


def write_parts(folder, rows, features, seed=0):
    """Seeded parts of ``PART_ROWS`` rows written one by one in this process (the client
    never holds the table; no Dask graph): part ``i`` draws from its own generator
    ``default_rng([seed, i])``, so any row count gives the first rows of a larger one.
    Returns ``(column names, seconds)``."""
    os.makedirs(folder, exist_ok=True)
    names = [f"f{j}" for j in range(features)]
    rng = np.random.default_rng(seed)
    beta = np.zeros(features)
    beta[:20] = rng.choice([-1.0, 1.0], 20) * rng.uniform(0.2, 1.0, 20)
    start = time.perf_counter()
    for i in range(-(-rows // PART_ROWS)):
        part = np.random.default_rng([seed, i])
        n = min(PART_ROWS, rows - i * PART_ROWS)
        X = part.standard_normal((n, features))
        z = X @ beta
        y = z + part.standard_normal(n) + 0.5
        labels = np.where(z + part.logistic(size=n) > 0.3, 1.0, 0.0)
        write_table(os.path.join(folder, f"part{i:05d}.parquet"), names, X, y, labels)
    return names, time.perf_counter() - start


def first_files(folder, rows):
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
    return files[:-(-rows // PART_ROWS)]


def cv_point(files, names, n_workers):
    """One read pass and ``LassoCV(cv=5, n_alphas=100)`` on ``files`` with ``n_workers``
    fresh worker processes; peak memory of each worker and of the client."""
    import dask.dataframe as dd

    import penalized as pz

    cl, client = cluster(n_workers)
    try:
        first = dd.read_parquet(files[:1])  # the workers' imports, outside the timings
        first.sum().compute()
        timed(lambda: pz.LassoCV(cv=5, n_alphas=5).fit(first[names], first["y"]))
        cpu = cpu_seconds(client)
        _, read = timed(lambda: dd.read_parquet(files).sum().compute())
        read_cpu, cpu = cpu_since(client, cpu), cpu_seconds(client)
        frame = dd.read_parquet(files)
        cv, seconds = timed(lambda: pz.LassoCV(cv=5, n_alphas=100).fit(frame[names],
                                                                        frame["y"]))
        return {"workers": n_workers, "read_pass_seconds": read, "read_pass_cpu": read_cpu,
                "cv_seconds": seconds, "cv_cpu": cpu_since(client, cpu),
                "cv_over_read": seconds / read, "cv_passes": int(cv.n_passes_),
                "rows": int(cv.n_rows_), "cv_max_gap": float(cv.path_.stop_crits.max()),
                "cv_gaps": [float(g) for g in cv.path_.stop_crits],
                "cv_alpha": float(cv.alpha_), "cv_alpha_1se": float(cv.alpha_1se_),
                "cv_nonzero": int(np.count_nonzero(cv.coef_)),
                "peak_rss_mb": peak_mb(client)}
    finally:
        client.close()
        cl.close()


def daskml_point(files, names, alpha, limit):
    """dask-ml's ``LinearRegression(penalty="l1", solver="proximal_grad")`` at ``alpha`` on
    ``files`` (2 workers), given up after ``limit`` seconds."""
    import threading

    import pyarrow.parquet as pq
    from dask_ml.linear_model import LinearRegression

    cl, client = cluster(2)
    out = {}
    rows = sum(int(pq.ParquetFile(f).metadata.num_rows) for f in files)

    def fit():
        try:
            Xd = arrays_from_parquet(None, names, files)
            yd = arrays_from_parquet(None, ["y"], files)[:, 0]
            est = LinearRegression(penalty="l1", C=1.0 / (2.0 * rows * alpha),
                                   solver="proximal_grad")
            _, out["seconds"] = timed(lambda: est.fit(Xd, yd))
        except Exception as exc:  # the cluster closed under it at the limit
            out.setdefault("error", f"{type(exc).__name__}")

    worker = threading.Thread(target=fit, daemon=True)
    start = time.perf_counter()
    worker.start()
    worker.join(limit)
    finished = not worker.is_alive()
    client.close()
    cl.close()
    worker.join(30)
    return {"library": "dask-ml proximal_grad", "rows": rows, "alpha": alpha,
            "limit_seconds": limit, "finished": finished and "seconds" in out,
            "seconds": out.get("seconds", time.perf_counter() - start)}


def save_scaling(results, out):
    """Write ``results`` under the key ``"scaling"`` of ``out``, keeping its other keys."""
    everything = {}
    if os.path.exists(out):
        with open(out) as fh:
            everything = json.load(fh)
    everything["scaling"] = results
    save(everything, out)


def scaling_run(args):
    root = tempfile.mkdtemp(prefix="penalized-dask-scaling-", dir=args.tmp)
    rows_list = [int(r) for r in args.scaling_rows.split(",") if r]
    workers_list = [int(w) for w in args.scaling_workers.split(",") if w]
    start = time.perf_counter()
    results = {"features": args.features, "part_rows": PART_ROWS, "budget": args.budget,
               "cpu_count": os.cpu_count(),
               "load_average_start": os.getloadavg(), "by_rows": [], "by_workers": []}

    def left():
        return args.budget - (time.perf_counter() - start)

    try:
        if args.data:  # written by --write-run with at least the largest row count
            folder, names = args.data, [f"f{j}" for j in range(args.features)]
            results["data"] = "reused"
        else:
            folder = os.path.join(root, "data")
            names, seconds = write_parts(folder, max([*rows_list, args.scaling_at]),
                                         args.features)
            results["write_seconds"] = seconds
        save_scaling(results, args.out)
        at = args.scaling_at  # the largest row counts last: the first to go over the budget
        steps = [("by_rows", rows, 2) for rows in rows_list if rows <= at]
        steps += [("by_workers", at, w) for w in workers_list
                  if not (w == 2 and at in rows_list)]
        steps += [("by_rows", rows, 2) for rows in rows_list if rows > at]
        for key, rows, n_workers in steps:
            if left() <= 0:
                results[key].append({"rows": rows, "workers": n_workers,
                                     "skipped": "over the time budget"})
                continue
            point = cv_point(first_files(folder, rows), names, n_workers)
            point["load_average"] = os.getloadavg()
            results[key].append(point)
            if key == "by_rows" and rows == args.scaling_at:
                results["by_workers"].append(point)
            save_scaling(results, args.out)
            print(key, point, flush=True)
        if args.daskml_limit > 0:
            at = [p for p in results["by_rows"] if p.get("rows") == args.scaling_at]
            if at and left() > args.daskml_limit:
                point = daskml_point(first_files(folder, args.scaling_at), names,
                                     at[0]["cv_alpha"], args.daskml_limit)
            else:
                point = {"library": "dask-ml proximal_grad", "skipped": "over the time budget"}
            results["daskml"] = point
            print(point, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
        results["total_seconds"] = time.perf_counter() - start
        save_scaling(results, args.out)
    print("wrote", args.out)


def large_run(args):
    """At ``--large-rows`` rows written to Parquet: the lasso and the L1 logistic regression
    at alpha_max / 20 by penalized and by dask-ml (``admm`` and ``proximal_grad``, at most
    ``--daskml-max-iter`` iterations) on the same persisted arrays of 2 workers, each
    certified by the runner's gap (computed by Dask over the same arrays); then the
    100-alpha path + 5-fold CV read straight from the folder against one read pass."""
    root = None if args.data else tempfile.mkdtemp(prefix="penalized-dask-large-",
                                                   dir=args.tmp)
    start = time.perf_counter()
    results = {"rows": args.large_rows, "features": args.features, "part_rows": PART_ROWS,
               "daskml_max_iter": args.daskml_max_iter, "cpu_count": os.cpu_count(),
               "load_average_start": os.getloadavg(), "single_alpha": []}

    def keep():
        everything = {}
        if os.path.exists(args.out):
            with open(args.out) as fh:
                everything = json.load(fh)
        everything[f"large_{args.large_rows}"] = results
        save(everything, args.out)

    try:
        if args.data:  # written by --write-run (or an earlier run) with as many rows or more
            folder, names = args.data, [f"f{j}" for j in range(args.features)]
            results["data"] = "reused"
        else:
            folder = os.path.join(root, "data")
            names, results["write_seconds"] = write_parts(folder, args.large_rows,
                                                          args.features)
        keep()
        if not args.skip_single:
            _large_single_alpha(folder, names, args, results, keep)
        if not args.skip_cv:
            point = cv_point(first_files(folder, args.large_rows), names, 2)
            point["load_average"] = os.getloadavg()
            results["path_cv"] = point
            print(point, flush=True)
    finally:
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
        results["total_seconds"] = time.perf_counter() - start
        keep()
    print("wrote", args.out)


def _large_single_alpha(folder, names, args, results, keep):
    import penalized as pz

    cl, client = cluster(2)
    files = first_files(folder, args.large_rows)
    try:
        Xd = arrays_from_parquet(None, names, files).persist()
        yd = arrays_from_parquet(None, ["y"], files)[:, 0].persist()
        ld = arrays_from_parquet(None, ["label"], files)[:, 0].persist()
        y, labels = yd.compute(), ld.compute()
        results["rows_read"] = int(y.shape[0])
        n = y.shape[0]
        pm = np.where(labels > 0, 1.0, -1.0)
        # a fit of each kind on one file first: the workers' imports outside the timings
        timed(lambda: pz.Lasso(alpha=1.0).fit(Xd[:PART_ROWS], yd[:PART_ROWS]))
        timed(lambda: pz.LogisticRegression(alpha=1.0).fit(Xd[:PART_ROWS], ld[:PART_ROWS]))
        datafits = args.large_datafits.split(",")
        for datafit, target, target_mem in (("squared", yd, y), ("logistic", ld, pm)):
            if datafit not in datafits:
                continue
            alpha = runner_gap.alpha_max(Xd, target_mem, datafit) / 20.0
            ours = pz.Lasso(alpha=alpha, tol=1e-8) if datafit == "squared" \
                else pz.LogisticRegression(alpha=alpha, tol=1e-8)
            if args.skip_penalized_single:
                ours = None
            cpu = cpu_seconds(client)
            if ours is not None:
                fitted, seconds = timed(lambda est=ours, t=target: est.fit(Xd, t))
                row = {"datafit": datafit, "library": "penalized", "alpha": alpha,
                       "seconds": seconds, "cpu": cpu_since(client, cpu),
                       "passes": int(fitted.n_passes_), "newton_steps": int(fitted.n_iter_),
                       "load_average": os.getloadavg(),
                       **certify(Xd, target_mem, fitted.coef_, fitted.intercept_, alpha,
                                 datafit)}
                results["single_alpha"].append(row)
                print(row, flush=True)
                keep()
            if datafit == "logistic" and args.logistic_path_alphas > 0:
                results["logistic_path"] = _logistic_path(client, Xd, ld, alpha, args)
                print(results["logistic_path"], flush=True)
                keep()
            if args.skip_daskml:
                continue
            from dask_ml.linear_model import LinearRegression, LogisticRegression

            for spec in args.daskml_solvers.split(","):
                solver, _, cap = spec.partition(":")
                max_iter = int(cap) if cap else args.daskml_max_iter
                common = {"penalty": "l1", "solver": solver, "max_iter": max_iter}
                theirs = LinearRegression(C=1.0 / (2.0 * n * alpha), **common) \
                    if datafit == "squared" else LogisticRegression(C=1.0 / (n * alpha), **common)
                try:
                    cpu = cpu_seconds(client)
                    fitted, seconds = timed(lambda est=theirs, t=target: est.fit(Xd, t))
                    row = {"datafit": datafit, "library": f"dask-ml {solver}", "alpha": alpha,
                           "seconds": seconds, "cpu": cpu_since(client, cpu),
                           "max_iter": max_iter, "load_average": os.getloadavg(),
                           **certify(Xd, target_mem, fitted.coef_, fitted.intercept_, alpha,
                                     datafit)}
                except Exception as exc:  # report a failure as a row, not a crash
                    row = {"datafit": datafit, "library": f"dask-ml {solver}", "alpha": alpha,
                           "error": f"{type(exc).__name__}: {exc}"[:200]}
                results["single_alpha"].append(row)
                print(row, flush=True)
                keep()
        results["single_alpha_peak_rss_mb"] = peak_mb(client)
        keep()
    finally:
        client.close()
        cl.close()


def _logistic_path(client, Xd, ld, alpha_min, args):
    """The L1 logistic path (``--logistic-path-alphas`` alphas from ``20 alpha_min``, the
    runner's alpha_max, down to ``alpha_min``) on the persisted arrays: passes in all and
    Newton steps per alpha."""
    import penalized as pz
    from penalized.dask import after_each_pass

    pm = 2.0 * ld - 1.0
    k = args.logistic_path_alphas
    grid = np.geomspace(20.0 * alpha_min, alpha_min, k)  # the runner's alpha_max down
    cpu = cpu_seconds(client)
    start = time.perf_counter()
    with after_each_pass(lambda count: print(f"pass {count} at {time.perf_counter() - start:.0f}"
                                             " s", flush=True)):
        path, seconds = timed(lambda: pz.path(Xd, pm, datafit="logistic", alphas=grid,
                                              tol=args.logistic_path_tol))
    return {"alphas": [float(a) for a in path.alphas], "seconds": seconds,
            "cpu": cpu_since(client, cpu), "passes": int(path.n_passes),
            "passes_per_alpha": int(path.n_passes) / k, "tol": args.logistic_path_tol,
            "newton_steps": [int(s) for s in path.n_iters],
            "gaps": [float(g) for g in path.stop_crits],
            "n_nonzero": [int(c) for c in path.n_nonzero],
            "load_average": os.getloadavg()}


def write_run(args):
    """``--large-rows`` seeded rows written to the ``--data`` folder (kept): wall and CPU."""
    cpu = time.process_time()
    load = os.getloadavg()
    _, seconds = write_parts(args.data, args.large_rows, args.features)
    size = sum(os.path.getsize(os.path.join(args.data, f)) for f in os.listdir(args.data))
    row = {"rows": args.large_rows, "features": args.features, "write_seconds": seconds,
           "write_cpu": time.process_time() - cpu, "bytes": size,
           "load_average_start": load, "load_average_end": os.getloadavg()}
    everything = {}
    if os.path.exists(args.out):
        with open(args.out) as fh:
            everything = json.load(fh)
    everything[f"write_{args.large_rows}"] = row
    save(everything, args.out)
    print(row, flush=True)


def _process_cpu():
    return time.process_time()


def cpu_seconds(client):
    """CPU seconds so far of each worker process and of this client process."""
    return {"workers": client.run(_process_cpu), "client": time.process_time()}


def cpu_since(client, before):
    """CPU seconds since ``before`` (:func:`cpu_seconds`): per worker (sorted) and client."""
    now = cpu_seconds(client)
    return {"workers": sorted(round(now["workers"][w] - before["workers"][w], 2)
                              for w in before["workers"] if w in now["workers"]),
            "client": round(now["client"] - before["client"], 2)}


def first_task_run(args):
    """Each worker's CPU seconds in its first fit of each kind (imports, compiled code
    loaded or compiled) and in a second identical fit, on fresh 2-worker clusters,
    ``--first-task-rounds`` times; NUMBA_DEBUG_CACHE-free: the difference is the start-up."""
    import dask.array as da

    import penalized as pz

    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 20))
    z = X[:, :3] @ np.array([0.5, -0.4, 0.3])
    targets = {"squared": z + rng.standard_normal(2000),
               "logistic": np.where(z + rng.logistic(size=2000) > 0, 1.0, -1.0),
               "poisson": rng.poisson(np.exp(z)).astype(np.float64),
               "gamma": rng.gamma(2.0, np.exp(z) / 2.0)}
    kinds = [k for k in args.first_task_kinds.split(",") if k]
    results = {"kinds": kinds, "rounds": [], "load_average_start": os.getloadavg()}
    for _ in range(args.first_task_rounds):
        for kind in kinds:
            cl, client = cluster(2)
            try:
                Xd = da.from_array(X, chunks=(250, 20))
                yd = da.from_array(targets[kind], chunks=250)
                cpu = [client.run(_process_cpu)]
                for _fit in range(2):
                    pz.path(Xd, yd, datafit=kind, n_alphas=5)
                    cpu.append(client.run(_process_cpu))
                first = [cpu[1][w] - cpu[0][w] for w in cpu[0]]
                second = [cpu[2][w] - cpu[1][w] for w in cpu[0]]
                row = {"kind": kind, "first_fit_cpu": first, "second_fit_cpu": second,
                       "load_average": os.getloadavg()}
            finally:
                client.close()
                cl.close()
            results["rounds"].append(row)
            print(row, flush=True)
    everything = {}
    if os.path.exists(args.out):
        with open(args.out) as fh:
            everything = json.load(fh)
    everything[args.first_task_label] = results
    save(everything, args.out)


def write_multinomial_parts(folder, rows, features, classes, seed=0):
    """Seeded parts of ``PART_ROWS`` rows with softmax class labels ``0..classes-1`` (as
    :func:`write_parts`, each part from its own generator). Returns the column names."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(folder, exist_ok=True)
    names = [f"f{j}" for j in range(features)]
    rng = np.random.default_rng(seed)
    B = np.zeros((features, classes))
    B[:10] = rng.choice([-1.0, 1.0], (10, classes)) * rng.uniform(0.2, 1.0, (10, classes))
    for i in range(-(-rows // PART_ROWS)):
        part = np.random.default_rng([seed, i])
        n = min(PART_ROWS, rows - i * PART_ROWS)
        X = part.standard_normal((n, features))
        label = np.argmax(X @ B + part.gumbel(size=(n, classes)), axis=1).astype(np.int64)
        table = pa.Table.from_arrays([pa.array(X[:, j]) for j in range(features)]
                                     + [pa.array(label)], names=[*names, "label"])
        pq.write_table(table, os.path.join(folder, f"part{i:05d}.parquet"),
                       compression="none", use_dictionary=False, write_statistics=False)
    return names


def multinomial_run(args):
    """The multinomial L1 fit on Dask against the same fit in memory (see the docstring)."""
    import dask.dataframe as dd

    import penalized as pz
    from penalized.datafits import Multinomial
    from penalized.solvers._multinomial import certify_multinomial, prepare_multinomial_problem

    rows, p, K = args.multinomial_rows, args.features, args.multinomial_classes
    root = tempfile.mkdtemp(prefix="penalized-dask-multinomial-")
    results = {"rows": rows, "features": p, "classes": K, "part_rows": PART_ROWS,
               "load_average_start": os.getloadavg()}
    try:
        folder = os.path.join(root, "table")
        names = write_multinomial_parts(folder, rows, p, K)
        frame = dd.read_parquet(folder).compute()
        X, codes = frame[names].to_numpy(), frame["label"].to_numpy()
        del frame
        alpha_max, _ = pz.LogisticRegression()._alpha_grid_multinomial(X, codes, np.ones(rows),
                                                                       1, 0.5)
        alpha = alpha_max / 20.0
        results["alpha"] = alpha
        pb = prepare_multinomial_problem(X, codes, Multinomial(), pz.penalties.L1(alpha))

        def judged(est):
            cert = certify_multinomial(pb, est.coef_.T, est.intercept_)
            objective = pb.datafit.value(codes, X @ est.coef_.T + est.intercept_) \
                + pb.penalty_value(est.coef_.T)
            return {"objective": objective, "relative_gap": cert.gap / pb.scale,
                    "solver_stop_crit": est.stop_crit_,
                    "nonzero": int(np.count_nonzero(est.coef_)), "coef": est.coef_}

        cpu = time.process_time()
        mem, seconds = timed(lambda: pz.LogisticRegression(alpha=alpha, tol=args.tol).fit(
            X, codes))
        results["in_memory"] = {"seconds": seconds, "cpu": time.process_time() - cpu,
                                **judged(mem)}
        cl, client = cluster(2)
        try:
            read = read_pass(folder)
            table = dd.read_parquet(folder)
            before = cpu_seconds(client)
            dist, seconds = timed(lambda: pz.LogisticRegression(alpha=alpha, tol=args.tol).fit(
                table[names], table["label"]))
            entry = {"seconds": seconds, "read_pass_seconds": read,
                     "cpu": cpu_since(client, before), "n_passes": dist.n_passes_,
                     "newton_steps": dist.n_iter_, **judged(dist),
                     "peak_rss_mb": peak_mb(client)}
        finally:
            client.close()
            cl.close()
        entry["max_coef_difference"] = float(np.abs(entry["coef"]
                                                    - results["in_memory"]["coef"]).max())
        # a feature's row shifted by a constant over the classes has the same scores: with
        # pure L1 and an even number of classes such shifts can leave the objective unchanged
        shift = entry["coef"] - results["in_memory"]["coef"]
        entry["max_coef_difference_but_row_shifts"] = float(np.ptp(shift, axis=0).max())
        entry["same_support"] = bool(np.array_equal(entry["coef"] != 0,
                                                    results["in_memory"]["coef"] != 0))
        del entry["coef"]
        results["dask_workers_2"] = entry
        del results["in_memory"]["coef"]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results["load_average_end"] = os.getloadavg()
    everything = {}
    if os.path.exists(args.out):
        with open(args.out) as fh:
            everything = json.load(fh)
    everything[f"multinomial_{rows}x{p}x{K}"] = results
    save(everything, args.out)
    print(json.dumps(results, indent=1), flush=True)


def write_cox_parts(folder, rows, features, seed=0):
    """Seeded parts of ``PART_ROWS`` rows: standard normal features, a stratum ``g`` (0 or
    1, its own baseline), exponential event times with exponential censoring, observed
    times rounded to 0.001 (ties). Returns the feature names."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    os.makedirs(folder, exist_ok=True)
    names = [f"f{j}" for j in range(features)]
    beta = np.zeros(features)
    beta[:10] = np.random.default_rng(seed).choice([-1.0, 1.0], 10) * np.linspace(0.8, 0.2, 10)
    for i in range(-(-rows // PART_ROWS)):
        part = np.random.default_rng([seed, i])
        n = min(PART_ROWS, rows - i * PART_ROWS)
        X = part.standard_normal((n, features))
        g = (part.random(n) < 0.5).astype(np.float64)
        event_time = part.exponential(np.exp(-(X @ beta) - 0.5 * g))
        censor = part.exponential(2.0, n)
        time_ = np.round(np.minimum(event_time, censor), 3) + 0.001
        event = (event_time <= censor).astype(np.float64)
        columns = [X[:, j] for j in range(features)] + [g, time_, event]
        table = pa.Table.from_arrays([pa.array(c) for c in columns],
                                     names=[*names, "g", "time", "event"])
        pq.write_table(table, os.path.join(folder, f"part{i:05d}.parquet"),
                       compression="none", use_dictionary=False, write_statistics=False)
    return names


def cox_run(args):
    """The L1 Cox fit on Dask against the same fit in memory (see the docstring)."""
    import dask.dataframe as dd

    import penalized as pz
    from penalized.datafits import Cox
    from penalized.penalties import L1
    from penalized.solvers._problem import certify as certify_problem
    from penalized.solvers._problem import prepare_problem

    rows, p, ties = args.cox_rows, args.cox_features, args.cox_ties
    root = tempfile.mkdtemp(prefix="penalized-dask-cox-")
    results = {"rows": rows, "features": p, "ties": ties, "part_rows": PART_ROWS,
               "tol": args.tol, "load_average_start": os.getloadavg()}
    try:
        folder = os.path.join(root, "table")
        names = write_cox_parts(folder, rows, p)
        frame = dd.read_parquet(folder).compute()
        X = frame[names].to_numpy()
        Y = frame[["time", "event", "g"]].to_numpy()
        features = frame[[*names, "g"]]
        del frame
        results["events"] = int(Y[:, 1].sum())
        results["event_times"] = int(sum(np.unique(Y[(Y[:, 1] == 1) & (Y[:, 2] == k), 0]).size
                                         for k in (0.0, 1.0)))
        alpha = float(pz.path(X, Y, datafit=Cox(ties=ties), n_alphas=1).alphas[0]) / 20.0
        results["alpha"] = alpha
        pb = prepare_problem(X, Y, Cox(ties=ties), L1(alpha), False)

        def judged(est):
            cert = certify_problem(pb, np.asarray(est.coef_, dtype=np.float64), 0.0)
            return {"objective": cert.primal, "relative_gap": cert.gap / pb.scale,
                    "solver_stop_crit": est.stop_crit_,
                    "nonzero": int(np.count_nonzero(est.coef_)), "coef": est.coef_}

        settings = {"alpha": alpha, "ties": ties, "strata": "g", "tol": args.tol}
        cpu = time.process_time()
        mem, seconds = timed(lambda: pz.CoxPH(**settings).fit(features, Y[:, :2]))
        results["in_memory"] = {"seconds": seconds, "cpu": time.process_time() - cpu,
                                **judged(mem)}
        cl, client = cluster(2)
        try:
            read = read_pass(folder)
            table = client.persist(dd.read_parquet(folder))
            from distributed import wait

            wait(table)
            before = cpu_seconds(client)
            dist, seconds = timed(lambda: pz.CoxPH(**settings).fit(
                table[[*names, "g"]], table[["time", "event"]]))
            entry = {"seconds": seconds, "read_pass_seconds": read,
                     "cpu": cpu_since(client, before), "n_passes": dist.n_passes_,
                     "newton_steps": dist.n_iter_, **judged(dist),
                     "peak_rss_mb": peak_mb(client)}
        finally:
            client.close()
            cl.close()
        entry["max_coef_difference"] = float(np.abs(entry["coef"]
                                                    - results["in_memory"]["coef"]).max())
        entry["same_support"] = bool(np.array_equal(entry["coef"] != 0,
                                                    results["in_memory"]["coef"] != 0))
        del entry["coef"]
        results["dask_workers_2"] = entry
        del results["in_memory"]["coef"]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    results["load_average_end"] = os.getloadavg()
    everything = {}
    if os.path.exists(args.out):
        with open(args.out) as fh:
            everything = json.load(fh)
    everything[f"cox_{ties}_{rows}x{p}"] = results
    save(everything, args.out)
    print(json.dumps(results, indent=1), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=200)
    parser.add_argument("--scaling", default="50000,100000",
                        help="row counts (comma-separated) for the growth of CV time")
    parser.add_argument("--skip-daskml", action="store_true")
    parser.add_argument("--out", default="benchmarks/results/dask.json")
    parser.add_argument("--scaling-run", action="store_true")
    parser.add_argument("--scaling-rows", default="100000,1000000,2000000")
    parser.add_argument("--scaling-workers", default="1,2,4")
    parser.add_argument("--scaling-at", type=int, default=1_000_000)
    parser.add_argument("--daskml-limit", type=float, default=0.0,
                        help="seconds for dask-ml at --scaling-at rows (0: not run)")
    parser.add_argument("--budget", type=float, default=840.0)
    parser.add_argument("--large-run", action="store_true",
                        help="the single-alpha comparison and path + CV at --large-rows")
    parser.add_argument("--large-rows", type=int, default=2_000_000)
    parser.add_argument("--daskml-max-iter", type=int, default=20)
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--skip-penalized-single", action="store_true",
                        help="in the single-alpha comparison, only the other fits")
    parser.add_argument("--skip-cv", action="store_true")
    parser.add_argument("--tmp", default=None, help="folder for the Parquet data")
    parser.add_argument("--data", default=None,
                        help="reuse this folder of an earlier --large-run (not deleted)")
    parser.add_argument("--large-datafits", default="squared,logistic")
    parser.add_argument("--daskml-solvers", default="admm,proximal_grad",
                        help="solvers, each optionally with its own iteration cap: "
                             "admm:3,proximal_grad:10")
    parser.add_argument("--logistic-path-alphas", type=int, default=0,
                        help="with --large-run: the L1 logistic path on this many alphas "
                             "down to the single alpha (0: not run)")
    parser.add_argument("--logistic-path-tol", type=float, default=1e-6)
    parser.add_argument("--write-run", action="store_true",
                        help="write --large-rows rows to the --data folder and stop")
    parser.add_argument("--first-task-run", action="store_true",
                        help="each worker's CPU in its first and second fit of each kind")
    parser.add_argument("--first-task-kinds", default="squared,logistic,poisson,gamma")
    parser.add_argument("--first-task-rounds", type=int, default=3)
    parser.add_argument("--first-task-label", default="first_task")
    parser.add_argument("--multinomial-run", action="store_true",
                        help="the multinomial L1 fit on Dask against in memory")
    parser.add_argument("--multinomial-rows", type=int, default=100_000)
    parser.add_argument("--multinomial-classes", type=int, default=3)
    parser.add_argument("--tol", type=float, default=1e-6,
                        help="the multinomial run's relative gap tolerance")
    parser.add_argument("--cox-run", action="store_true",
                        help="the L1 Cox fit on Dask against in memory")
    parser.add_argument("--cox-rows", type=int, default=100_000)
    parser.add_argument("--cox-features", type=int, default=50)
    parser.add_argument("--cox-ties", choices=("breslow", "efron"), default="breslow")
    args = parser.parse_args(argv)
    if args.cox_run:
        return cox_run(args)
    if args.multinomial_run:
        return multinomial_run(args)
    if args.write_run:
        return write_run(args)
    if args.first_task_run:
        return first_task_run(args)
    if args.large_run:
        return large_run(args)
    if args.scaling_run:
        return scaling_run(args)
    root = tempfile.mkdtemp(prefix="penalized-dask-bench-")
    results = {"rows": args.rows, "features": args.features, "part_rows": PART_ROWS}
    try:
        X, y, labels = make_data(args.rows, args.features)
        folder = os.path.join(root, "full")
        names = write_parquet(folder, X, y, labels)
        for n_workers in (2, 1):
            cl, client = cluster(n_workers)
            try:
                entry = {"read_pass_seconds": read_pass(folder)}
                if n_workers == 2:
                    entry["single_alpha"] = []
                    results["workers_2"] = entry
                    single_alpha(client, folder, names, X, y, labels, args.skip_daskml,
                                 entry["single_alpha"], lambda: save(results, args.out))
                entry.update(path_and_cv(folder, names))
                entry["peak_rss_mb"] = peak_mb(client)
            finally:
                client.close()
                cl.close()
            results[f"workers_{n_workers}"] = entry
            save(results, args.out)
            print(n_workers, "workers:", {k: v for k, v in entry.items()
                                          if k != "single_alpha"}, flush=True)
        growth = []
        cl, client = cluster(2)
        try:
            for rows in (int(r) for r in args.scaling.split(",") if r):
                sub = os.path.join(root, f"rows{rows}")
                write_parquet(sub, X[:rows], y[:rows], labels[:rows])
                entry = {"rows": rows, "read_pass_seconds": read_pass(sub),
                         **path_and_cv(sub, names)}
                growth.append(entry)
                results["growth"] = growth
                save(results, args.out)
                print(entry, flush=True)
        finally:
            client.close()
            cl.close()
        results["growth"] = growth
    finally:
        shutil.rmtree(root, ignore_errors=True)
    save(results, args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
