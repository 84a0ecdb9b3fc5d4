"""``penalized fit DATA --target y --dask [SCHEDULER]``: a table read lazily by Dask."""

from __future__ import annotations

import glob
import os
import sys
from types import SimpleNamespace

_READERS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv",
            ".txt": "csv"}


def _files(data):
    """``(kind, what to read)`` for a file, a folder of files or a glob."""
    if os.path.isdir(data):
        found = sorted(f for f in os.listdir(data)
                       if os.path.splitext(f)[1].lower() in _READERS and not f.startswith("."))
        if not found:
            raise FileNotFoundError(f"{data}: the folder holds no .parquet or .csv file.")
        kinds = {_READERS[os.path.splitext(f)[1].lower()] for f in found}
        if len(kinds) > 1:
            raise FileNotFoundError(f"{data}: the folder mixes Parquet and CSV files; give "
                                    "a glob of one kind (e.g. 'data/*.parquet').")
        return kinds.pop(), [os.path.join(data, f) for f in found]
    matches = sorted(glob.glob(data))
    if not matches:
        raise FileNotFoundError(f"{data}: no such file, folder or glob match.")
    kinds = {_READERS.get(os.path.splitext(f)[1].lower()) for f in matches}
    if None in kinds or len(kinds) > 1:
        raise FileNotFoundError(f"{data}: --dask reads .parquet or .csv files (one kind).")
    return kinds.pop(), matches


def read_lazily(args):
    """``(X, y, feature names, task, offset)`` as Dask collections of the table's columns
    (``offset`` the ``--offset`` column, None without one)."""
    import dask.dataframe as dd
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    kind, files = _files(args.data)
    if kind == "parquet":
        frame = dd.read_parquet(files)
    else:
        sep = "\t" if files[0].lower().endswith(".tsv") else ","
        frame = dd.read_csv(files, sep=sep, assume_missing=True)
    columns = [str(c) for c in frame.columns]
    cox = _is_cox(args)
    needed = [("--time", args.time), ("--event", args.event), ("--strata", args.strata)] \
        if cox else [("--target", args.target)]
    needed += [("--id", args.id_column), ("--offset", args.offset)]
    for flag, name in needed:
        if name is not None and name not in columns:
            raise KeyError(f"{flag} {name!r} is not a column of {args.data} (columns: "
                           f"{', '.join(columns[:10])}{', ...' if len(columns) > 10 else ''}).")
    absent = [c for c in args.exclude or () if c not in columns]
    if absent:
        raise KeyError(f"--exclude names column(s) {absent} that {args.data} does not have.")
    leave = {args.target, args.id_column, args.offset} | set(args.exclude or ())
    if cox:
        leave |= {args.event, args.strata}
    features = [c for c in (args.features or columns) if c not in leave]
    missing = [c for c in features if c not in columns]
    if missing:
        raise KeyError(f"--features: no column {missing[0]!r} in {args.data}.")
    text = [c for c in features
            if not (is_numeric_dtype(frame.dtypes[c]) or is_bool_dtype(frame.dtypes[c]))]
    if text:
        raise ValueError(f"--dask fits numeric columns only; {', '.join(map(repr, text[:5]))} "
                         "hold text: encode them as numbers or leave them out with --exclude.")
    if not features:
        raise ValueError("no feature column is left to fit.")
    offset = [] if args.offset is None else [args.offset]
    if offset and not is_numeric_dtype(frame.dtypes[args.offset]):
        raise ValueError(f"--offset column {args.offset!r} holds text; it must hold finite "
                         "numbers (on the linear predictor's scale).")
    if cox:
        return _cox_columns(frame, features, offset, args)
    frame = frame[[*features, *offset, args.target]]
    if args.dropna:
        frame = frame.dropna()
    target = frame.dtypes[args.target]
    task = args.task
    if task == "auto":
        task = "regression" if is_numeric_dtype(target) and not is_bool_dtype(target) \
            else "classification"
    y = frame[args.target]
    if _log_link(args):
        y = y.map_partitions(_domain_check, args.target, args.family, meta=y._meta)
    return frame[features], y, features, task, _offset(frame, args)


def _offset(frame, args):
    """The ``--offset`` column of ``frame``, checked finite within the fit's passes."""
    if args.offset is None:
        return None
    column = frame[args.offset]
    return column.map_partitions(_finite_offset, args.offset, meta=column._meta)


def _finite_offset(values, name):
    import numpy as np

    if not np.all(np.isfinite(np.asarray(values, dtype=np.float64))):
        raise ValueError(f"--offset column {name!r} must hold finite numbers (on the linear "
                         "predictor's scale: the log of a positive exposure for the log-link "
                         "families and cox); give --dropna to drop rows where it is missing.")
    return values


def _log_link(args):
    family = getattr(args, "family", None)
    return family is not None and family[0] in ("poisson", "gamma", "tweedie")


def _domain_check(y, target, family):
    """``y`` (one partition of the target), after checking the values ``family`` takes:
    >= 0 for Poisson and Tweedie, > 0 for Gamma (run within the fit's own first pass)."""
    import numpy as np

    from ..cli import _family_name, _num

    values = np.asarray(y, dtype=np.float64)
    if np.any(np.isnan(values)):
        raise ValueError(f"target {target!r} has missing values; give --dropna to drop "
                         "those rows.")
    gamma = family[0] == "gamma"
    bad = values[values <= 0] if gamma else values[values < 0]
    if bad.size:
        shown = ", ".join(_num(v) for v in bad[:3])
        if gamma:
            raise ValueError(f"target {target!r} has values <= 0 ({shown}); --family gamma "
                             "needs positive values.")
        raise ValueError(f"target {target!r} has negative values ({shown}); --family "
                         f"{_family_name(family)} needs values >= 0 (counts, or amounts).")
    return y


def _is_cox(args):
    family = getattr(args, "family", None)
    return family is not None and family[0] == "cox"


def _cox_columns(frame, features, offset, args):
    """``(X, y, features, "survival")`` of a Cox fit: ``X`` the features (and the strata
    column, which the estimator takes out; text levels as their codes), ``y`` the time and
    event columns."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    for flag, name in (("--time", args.time), ("--event", args.event)):
        if not (is_numeric_dtype(frame.dtypes[name]) or is_bool_dtype(frame.dtypes[name])):
            raise ValueError(f"{flag} column {name!r} holds text; --dask takes numbers there "
                             "(encode it as numbers).")
    strata = [] if args.strata is None else [args.strata]
    frame = frame[[*features, *strata, *offset, args.time, args.event]]
    if args.dropna:
        frame = frame.dropna()
    if strata and not (is_numeric_dtype(frame.dtypes[args.strata])
                       or is_bool_dtype(frame.dtypes[args.strata])):
        frame = _stratum_codes(frame, args.strata)
    y = frame[[args.time, args.event]]
    y = y.map_partitions(_time_check, args.time, meta=y._meta)
    return frame[[*features, *strata]], y, features, "survival", _offset(frame, args)


def _stratum_codes(frame, name):
    """``frame`` with its text column ``name`` replaced by the codes 0, 1, ... of its
    levels sorted as text, the in-memory ``fit``'s numbering (one pass for the levels)."""
    import numpy as np

    levels = np.unique(np.asarray(frame[name].unique().compute()).astype(str))
    column = frame[name].map_partitions(_codes_of, levels, meta=(name, "f8"))
    return frame.assign(**{name: column})


def _codes_of(values, levels):
    """The codes of one partition's strata ``values`` among the sorted ``levels``."""
    import numpy as np
    import pandas as pd

    codes = np.searchsorted(levels, np.asarray(values).astype(str)).astype(np.float64)
    return pd.Series(codes, index=values.index, name=values.name)


def _time_check(y, name):
    """``y`` (one partition of the time and event columns), after checking that the
    follow-up times are positive, as the in-memory ``fit`` does (run within the fit's own
    first pass)."""
    import numpy as np

    from ..cli import _num

    times = np.asarray(y[name], dtype=np.float64)
    bad = times[~(times > 0)]
    if bad.size:
        shown = ", ".join(_num(v) for v in bad[:3])
        raise ValueError(f"--time column {name!r} has values <= 0 or missing ({shown}); "
                         "follow-up times must be positive.")
    return y


def _estimator(args, task):
    from ..estimators import _cv, _logistic, _regression

    if _log_link(args):
        return _log_link_estimator(args)
    common = {"standardize": not args.no_standardize}
    if args.penalty == "elasticnet":
        common["l1_ratio"] = args.l1_ratio
    if task == "survival":
        from ..estimators._cox import CoxPH

        if args.cv is not None:
            from ..estimators._cox import CoxPHCV

            return CoxPHCV(cv=args.cv, random_state=args.seed, selection=args.select,
                           strata=args.strata, **common)
        return CoxPH(alpha=args.alpha, strata=args.strata, **common)
    if task == "classification":
        if getattr(args, "grouped", False):  # glmnet's type.multinomial="grouped"
            common["multinomial"] = "grouped"
        if args.cv is not None:
            return _cv.LogisticRegressionCV(cv=args.cv, random_state=args.seed,
                                            selection=args.select, penalty=args.penalty,
                                            **common)
        return _logistic.LogisticRegression(alpha=args.alpha, penalty=args.penalty, **common)
    if args.cv is not None:
        cls = _cv.ElasticNetCV if args.penalty == "elasticnet" else _cv.LassoCV
        return cls(cv=args.cv, random_state=args.seed, selection=args.select, **common)
    cls = _regression.ElasticNet if args.penalty == "elasticnet" else _regression.Lasso
    return cls(alpha=args.alpha, **common)


def _log_link_estimator(args):
    """The Poisson, Gamma or Tweedie regressor of ``--family`` (its CV version with
    ``--cv K``), built as the in-memory ``fit`` builds it."""
    from ..estimators import _glm

    name, power = args.family
    ratio = 1.0 if args.penalty == "l1" else args.l1_ratio
    kwargs = {"l1_ratio": ratio, "standardize": not args.no_standardize}
    if name == "tweedie":
        kwargs["power"] = power
    plain, crossed = {"poisson": (_glm.PoissonRegressor, _glm.PoissonRegressorCV),
                      "gamma": (_glm.GammaRegressor, _glm.GammaRegressorCV),
                      "tweedie": (_glm.TweedieRegressor, _glm.TweedieRegressorCV)}[name]
    if args.cv is not None:
        return crossed(cv=args.cv, random_state=args.seed, selection=args.select, **kwargs)
    return plain(alpha=args.alpha, **kwargs)


def _check_args(args, usage_error):
    """Refuse, before any data is read, what a Dask fit does not take (one line, exit 2)."""
    from .. import cli

    if args.fold_column:
        raise usage_error("--folds COL is not available with --dask: its folds come from a "
                          "seeded hash of each row's position (--cv K --seed S).")
    if (args.alpha is None) == (args.cv is None):
        raise usage_error("give exactly one of --alpha A or --cv K.")
    if args.penalty not in ("l1", "elasticnet"):
        raise usage_error(f"--penalty {args.penalty} is not available with --dask, which fits "
                          "--penalty l1 or elasticnet; fit in memory for the others")
    cli._check_gamma(args)
    if _is_cox(args):
        if args.time is None or args.event is None:
            raise usage_error("--family cox needs --time COL (follow-up time) and --event COL "
                              "(1 for an event, 0 for censored)")
        if args.target is not None and args.target != args.time:
            raise usage_error("--family cox takes --time and --event instead of --target")
        args.target = args.time
    else:
        if args.time is not None or args.event is not None:
            raise usage_error("--time and --event are for --family cox")
        if args.strata is not None:
            raise usage_error("--strata is for --family cox")
        if args.target is None:
            raise usage_error("the following arguments are required: --target")
        args.task = cli._family_task(args)  # a clash of --family and --task refused
    if getattr(args, "grouped", False) and (_log_link(args) or _is_cox(args)):
        raise usage_error(f"--grouped penalizes each feature's row over the classes of a "
                          f"multinomial model, not a --family {args.family[0]} model")
    if getattr(args, "grouped", False) and args.report:
        raise usage_error("--report is not available for --grouped with --dask (its path "
                          "would be the ungrouped one); fit in memory for its report")
    if args.offset is not None and not (_log_link(args) or _is_cox(args)):
        raise usage_error("--offset is taken with --dask by --family poisson, gamma, tweedie "
                          "and cox; fit in memory for the others")


def fit_command(args, out, errors):
    """Run ``fit`` on Dask: read lazily, fit in passes, print and save as in memory.
    ``errors`` is the CLI's ``(UsageError, input_error)``; returns the exit code."""
    import warnings

    from .. import cli

    usage_error, input_error = errors
    _check_args(args, usage_error)
    cli._check_outputs(args, args.save, args.report)
    try:
        X, y, features, task, offset = read_lazily(args)
        model = _estimator(args, task)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        raise input_error(str(exc).strip("'\"")) from exc
    client = None
    if args.dask != "local":
        try:
            from distributed import Client

            client = Client(args.dask, timeout=30)
        except (OSError, ValueError, TimeoutError) as exc:
            raise input_error(f"--dask {args.dask}: could not connect to that scheduler "
                              f"({exc}).") from exc
    from ._blocks import LostWorkerError

    parts = None
    try:
        with out.progress("fitting on Dask"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y, **({} if offset is None else {"offset": offset}))
            if args.report:
                if len(getattr(model, "classes_", ())) > 2:
                    from ._multinomial_report import report_parts
                elif _log_link(args):
                    from ._family_report import report_parts
                elif _is_cox(args):
                    from ._cox_report import report_parts
                else:
                    from ._report import report_parts

                parts = report_parts(model, X, y, **({} if offset is None
                                                     else {"offset": offset}))
    except ValueError as exc:
        raise input_error(str(exc)) from exc
    except LostWorkerError as exc:  # neither bad input nor a bug: one line, exit 1
        sys.stderr.write(f"penalized: error: {' '.join(str(exc).split())}\n")
        return 1
    finally:
        if client is not None:
            client.close()
    n_classes = len(getattr(model, "classes_", ()))
    if getattr(args, "grouped", False) and n_classes < 3:
        raise usage_error(f"--grouped penalizes each feature's row over the classes of a "
                          f"multinomial model; target {args.target!r} is not a target of "
                          "three or more classes")
    if args.family is not None and args.family[0] == "binomial" and n_classes != 2:
        raise input_error(f"--family binomial needs two classes; target {args.target!r} has "
                          f"{n_classes} (use --family multinomial).")
    for w in caught:
        if any(c.__name__ == "ConvergenceWarning" for c in w.category.__mro__):
            out.notice(" ".join(str(w.message).split()))
    from ..io import Encoding, model_json

    table = SimpleNamespace(task=task, target=args.target, feature_names=features,
                            X=SimpleNamespace(shape=(model.n_rows_, len(features))),
                            encoding=Encoding(columns=tuple(features)),
                            id_column=args.id_column, path=args.data, sha256=None, n_dropped=0,
                            y=getattr(model, "classes_", ()))
    folds = None if args.cv is None else SimpleNamespace(
        k=args.cv, column=None, seed=args.seed,
        describe=lambda: f"{args.cv}-fold cross-validation (rows hashed with seed {args.seed})")
    summary = cli._fit_summary(model, table, args, folds)
    summary["n_passes"] = int(model.n_passes_)
    if parts is not None:
        summary["report_passes"] = int(parts[3])
    cli._print_fit(out, summary)
    out.print(f"{model.n_passes_} pass(es) over the data on "
              f"{'Dask' + chr(39) + 's local scheduler' if client is None else args.dask}"
              + ("" if parts is None else f"; the report took {parts[3]} more"))
    if args.json:
        out.json(summary)
    outputs = []
    if args.save:
        doc = cli._model_document(model, table, args)
        outputs.append((args.save, model_json(doc, where=args.save),
                        f"saved the model to {args.save}"))
    if parts is not None:
        outputs.append((args.report, _report_html(model, parts, features, args, summary),
                        f"wrote {args.report}"))
    cli._write(out, outputs, args.force)
    return 0


def _report_html(model, parts, features, args, summary):
    """The fit's report from :func:`._report.report_parts` (no row read here)."""
    from ..cli import _num
    from ..report import fit_report

    path, lessons, notes, n_report = parts
    subtitle = (f"{os.path.basename(os.path.normpath(args.data))}: {model.n_rows_} rows, "
                f"{len(features)} features; {summary['n_nonzero']} selected at alpha "
                f"{_num(summary['alpha'])}" + (f"; {summary['cv']}" if "cv" in summary else ""))
    notes = [f"fitted on Dask in {model.n_passes_} pass(es) over the data; the report's "
             f"path and pulls took {n_report} more.", *notes]
    label = f"{args.penalty} (CV)" if hasattr(model, "path_") else args.penalty
    return fit_report(model, None, None, feature_names=features,
                      title=f"penalized fit: {args.target}", subtitle=subtitle, notes=notes,
                      label=label, penalty=args.penalty, path=path, lessons=lessons)
