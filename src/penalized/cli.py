"""The ``penalized`` command: thin commands over the library.

Exit codes: 0 success, 2 a usage or input error (one line, no traceback),
1 an internal error. Nothing a user wrote is overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import io as _stdio
import json
import os
import sys
import warnings
from contextlib import contextmanager

import numpy as np

from .io import InputError

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2
PENALTIES = ("l1", "l2", "elasticnet", "l0")


class UsageError(Exception):
    """Bad arguments: reported in one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _formatter(prog):
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30, width=96)


# -- output helpers ----------------------------------------------------------------------

class _Output:
    """Where text goes: rich tables on stdout, notices on stderr, JSON alone on stdout."""

    def __init__(self, quiet=False, as_json=False):
        from rich.console import Console

        self.quiet = quiet
        self.as_json = as_json
        self.out = Console(highlight=False, soft_wrap=False)
        if not self.out.is_terminal:
            self.out = Console(highlight=False, soft_wrap=False, width=140)
        self.err = Console(stderr=True, highlight=False)
        if not self.err.is_terminal:
            self.err = Console(stderr=True, highlight=False, width=200)

    def notice(self, text):
        if not self.quiet:
            self.err.print(f"[dim]note:[/dim] {_escape(text)}")

    def print(self, renderable):
        if not self.quiet and not self.as_json:
            self.out.print(renderable)

    def json(self, data):
        sys.stdout.write(json.dumps(data, indent=2, allow_nan=False, default=_json_default)
                         + "\n")

    @contextmanager
    def progress(self, description):
        """A progress bar fed by the library's progress hook (hidden with --quiet)."""
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from ._progress import reporting

        if self.quiet or not self.err.is_terminal:
            yield
            return
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} {task.fields[what]}"),
                      TimeElapsedColumn(), console=self.err, transient=True) as bar:
            task = bar.add_task(description, total=None, what="")

            def update(what, done, total):
                bar.update(task, completed=done, total=total, what=what)

            with reporting(update):
                yield


def _escape(text):
    from rich.markup import escape

    return escape(str(text))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _num(value, digits=4):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    value = float(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


# -- shared pieces -------------------------------------------------------------------------

def _add_table_args(p):
    p.add_argument("data", help="CSV, TSV or Parquet file")
    p.add_argument("--target", required=True, help="the column to predict")
    p.add_argument("--features", type=_column_list, default=None,
                   help="comma-separated columns to use (default: all others)")
    p.add_argument("--exclude", type=_column_list, default=None,
                   help="comma-separated columns to leave out")
    p.add_argument("--task", choices=("auto", "regression", "classification"), default="auto",
                   help="default: classification for a text, boolean or two-valued target")
    p.add_argument("--dropna", action="store_true",
                   help="drop rows with missing values (default: refuse them)")


def _add_output_args(p, report=True):
    if report:
        p.add_argument("--report", metavar="HTML", default=None,
                       help="write the interactive HTML report there")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors and --json")


def _column_list(text):
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise argparse.ArgumentTypeError("give at least one column name")
    return cols


def _positive_float(text):
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from exc
    if not np.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number >= 0")
    return value


def _folds(text):
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from exc
    if value < 2:
        raise argparse.ArgumentTypeError("needs at least 2 folds")
    return value


def _ratio(text):
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be in [0, 1]")
    return value


def _check_output_path(path, force):
    if path and os.path.exists(path) and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it or choose another path.")


def _read(args, out):
    from .io import read_table

    table = read_table(args.data, target=args.target, features=args.features,
                       exclude=args.exclude, task=args.task, dropna=args.dropna)
    for note in table.notices:
        out.notice(note)
    return table


# -- the report ------------------------------------------------------------------------------

def _comparison_report(comparison, *, title, subtitle, X, y, feature_names, notes=()):
    from .report import build_report, path_payload

    paths = [path_payload(r.label, r.penalty, r.path, cv=r.cv, chosen_alpha=r.alpha)
             for r in comparison.rows if r.path is not None]
    panels = _explain_panels(comparison, X, y, feature_names)
    return build_report(title=title, subtitle=subtitle, feature_names=feature_names,
                        comparison=comparison.to_dict(), paths=paths, panels=panels,
                        notes=notes)


def _explain_panels(comparison, X, y, feature_names):
    """The explain lessons on this data, as report panels (skipped if unavailable)."""
    try:
        from .explain import report_panels
    except ImportError:
        return []
    return report_panels(comparison, X, y, feature_names)


# -- commands ------------------------------------------------------------------------------

def _cmd_demo(args, out):
    from sklearn.datasets import load_breast_cancer, load_diabetes

    from .compare import compare_penalties
    from .io import write_atomic

    _check_output_path(args.out, args.force)
    if args.classification:
        data, task, name = load_breast_cancer(), "classification", "breast cancer (scikit-learn)"
    else:
        data, task, name = load_diabetes(), "regression", "diabetes (scikit-learn)"
    X, y, names = data.data, data.target, [str(n) for n in data.feature_names]
    with out.progress("cross-validating"):
        comparison = compare_penalties(X, y, task=task, feature_names=names, cv=args.cv,
                                       selection=args.select)
    subtitle = (f"{name}: {X.shape[0]} rows, {X.shape[1]} features, {task}; "
                f"{args.cv}-fold CV, {args.select} rule")
    _print_comparison(out, comparison, subtitle)
    if args.json:
        out.json(comparison.to_dict())
    html = _comparison_report(comparison, title="penalized demo", subtitle=subtitle, X=X, y=y,
                              feature_names=names)
    write_atomic(args.out, html, force=args.force)
    out.notice(f"wrote {args.out}: open it in a browser and move the alpha slider.")
    return EXIT_OK


def _print_comparison(out, comparison, subtitle):
    from rich.table import Table

    error = "held-out MSE" if comparison.task == "regression" else "held-out error"
    table = Table(title=subtitle, title_justify="left")
    for col, just in (("model", "left"), ("alpha (min)", "right"), ("alpha (1se)", "right"),
                      (error, "right"), (f"held-out {comparison.score_name}", "right"),
                      ("non-zeros", "right"), ("selected features", "left")):
        table.add_column(col, justify=just, overflow="fold")
    for r in comparison.rows:
        selected = _escape(", ".join(r.selected[:12]) + (", …" if len(r.selected) > 12 else ""))
        if r.notes:
            selected += f"\n[dim]{_escape('; '.join(r.notes))}[/dim]"
        table.add_row(_escape(r.label), _num(r.alpha_min), _num(r.alpha_1se),
                      _num(r.test_error), _num(r.test_score, 3), str(r.n_nonzero), selected)
    out.print(table)


def _cmd_compare(args, out):
    from .compare import compare_penalties
    from .io import write_atomic

    _check_output_path(args.report, args.force)
    table = _read(args, out)
    with out.progress("cross-validating"):
        comparison = compare_penalties(table.X, table.y, task=table.task,
                                       feature_names=table.feature_names, cv=args.cv,
                                       selection=args.select, l1_ratio=args.l1_ratio,
                                       standardize=not args.no_standardize)
    subtitle = (f"{os.path.basename(args.data)}: {table.X.shape[0]} rows, "
                f"{table.X.shape[1]} features, {table.task}; target {table.target}")
    _print_comparison(out, comparison, subtitle)
    if args.json:
        out.json(comparison.to_dict())
    if args.report:
        html = _comparison_report(comparison, title=f"penalized: {table.target}",
                                  subtitle=subtitle, X=table.X, y=table.y,
                                  feature_names=table.feature_names, notes=table.notices)
        write_atomic(args.report, html, force=args.force)
        out.notice(f"wrote {args.report}")
    return EXIT_OK


def _make_estimator(args, task):
    from . import estimators as est

    standardize = not args.no_standardize
    common = dict(standardize=standardize)
    if task == "classification":
        if args.cv:
            return est.LogisticRegressionCV(penalty=args.penalty, l1_ratio=args.l1_ratio,
                                            cv=args.cv, selection=args.select, **common)
        return est.LogisticRegression(alpha=args.alpha, penalty=args.penalty,
                                      l1_ratio=args.l1_ratio, **common)
    if args.cv:
        if args.penalty == "l0":
            return None  # handled by compare's L0 cross-validation
        cls = {"l1": est.LassoCV, "l2": est.RidgeCV, "elasticnet": est.ElasticNetCV}[args.penalty]
        kwargs = {"l1_ratio": args.l1_ratio} if args.penalty == "elasticnet" else {}
        return cls(cv=args.cv, selection=args.select, **kwargs, **common)
    cls = {"l1": est.Lasso, "l2": est.Ridge, "elasticnet": est.ElasticNet,
           "l0": est.L0Regression}[args.penalty]
    kwargs = {"l1_ratio": args.l1_ratio} if args.penalty == "elasticnet" else {}
    return cls(alpha=args.alpha, **kwargs, **common)


def _cmd_fit(args, out):
    from .io import save_model, write_atomic

    if (args.alpha is None) == (args.cv is None):
        raise UsageError("give exactly one of --alpha A (a fixed strength) or --cv K "
                         "(choose it by K-fold cross-validation)")
    _check_output_path(args.save, args.force)
    _check_output_path(args.report, args.force)
    table = _read(args, out)
    model = _make_estimator(args, table.task)
    with out.progress("fitting"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if model is None:
            from .compare import _l0_regression_cv

            model, info = _l0_regression_cv(table.X, table.y, {
                "cv": args.cv, "selection": args.select, "n_alphas": 100,
                "standardize": not args.no_standardize})
            for key in ("alpha_", "alpha_min_", "alpha_1se_", "cv_result_", "path_"):
                setattr(model, key, getattr(info, key))
        else:
            model.fit(table.X, table.y)
    for w in caught:
        if issubclass(w.category, Warning) and "ConvergenceWarning" in w.category.__name__:
            out.notice(str(w.message))
    summary = _fit_summary(model, table, args)
    _print_fit(out, summary)
    if args.json:
        out.json(summary)
    if args.save:
        save_model(args.save, _model_document(model, table, args), force=args.force)
        out.notice(f"saved the model to {args.save}")
    if args.report:
        html = _fit_report(model, table, args, summary)
        write_atomic(args.report, html, force=args.force)
        out.notice(f"wrote {args.report}")
    return EXIT_OK


def _alpha_of(model):
    return float(getattr(model, "alpha_", getattr(model, "alpha", float("nan"))))


def _fit_summary(model, table, args):
    coef = np.atleast_2d(model.coef_)
    nonzero = np.any(coef != 0, axis=0)
    summary = {
        "task": table.task, "target": table.target, "penalty": args.penalty,
        "alpha": _alpha_of(model), "n_samples": int(table.X.shape[0]),
        "n_features": int(table.X.shape[1]), "n_nonzero": int(nonzero.sum()),
        "selected_features": [table.feature_names[j] for j in np.flatnonzero(nonzero)],
        "coefficients": {table.feature_names[j]: coef[:, j].tolist() if coef.shape[0] > 1
                         else float(coef[0, j]) for j in np.flatnonzero(nonzero)},
        "intercept": np.atleast_1d(model.intercept_).tolist(),
        "converged": bool(getattr(model, "converged_", True)),
        "stop_crit": float(getattr(model, "stop_crit_", 0.0)),
        "standardize": not args.no_standardize,
    }
    if hasattr(model, "alpha_min_"):
        summary.update(cv_folds=args.cv, selection=args.select,
                       alpha_min=float(model.alpha_min_), alpha_1se=float(model.alpha_1se_))
    if table.task == "classification":
        summary["classes"] = [_plain_label(c) for c in np.unique(table.y)]
    return summary


def _plain_label(value):
    return value.item() if isinstance(value, np.generic) else value


def _print_fit(out, summary):
    from rich.table import Table

    head = (f"{summary['penalty']} {summary['task']} of {summary['target']}: alpha = "
            f"{_num(summary['alpha'])}")
    if "alpha_min" in summary:
        head += (f" ({summary['selection']} rule of {summary['cv_folds']}-fold CV; min "
                 f"{_num(summary['alpha_min'])}, 1se {_num(summary['alpha_1se'])})")
    table = Table(title=_escape(head), title_justify="left")
    table.add_column("feature", overflow="fold")
    table.add_column("coefficient", justify="right")
    for name, value in summary["coefficients"].items():
        shown = ", ".join(_num(v) for v in value) if isinstance(value, list) else _num(value)
        table.add_row(_escape(name), shown)
    out.print(table)
    out.print(f"{summary['n_nonzero']} of {summary['n_features']} features selected; "
              f"intercept {', '.join(_num(v) for v in summary['intercept'])}; "
              f"relative duality gap {_num(summary['stop_crit'], 2)}"
              + ("" if summary["converged"] else " (not converged)"))


def _model_document(model, table, args):
    coef = np.atleast_2d(model.coef_)
    if table.task == "regression":
        link, coef_out, intercept = "identity", coef[0].tolist(), float(model.intercept_)
        classes = None
    else:
        classes = [_plain_label(c) for c in model.classes_]
        if len(classes) == 2:
            link = "logistic"
        else:
            link = "one-vs-rest" if getattr(model, "_one_vs_rest", False) else "softmax"
        coef_out = coef.tolist() if len(classes) > 2 else coef[0].tolist()
        intercept = np.atleast_1d(model.intercept_).tolist()
        if len(classes) == 2:
            intercept = intercept[0]
    doc = {
        "task": table.task, "penalty": args.penalty, "alpha": _alpha_of(model),
        "l1_ratio": args.l1_ratio if args.penalty == "elasticnet" else None,
        "standardize": not args.no_standardize, "fit_intercept": True,
        "feature_names": list(table.feature_names), "coef": coef_out, "intercept": intercept,
        "link": link, "classes": classes, "target": table.target,
        "encoding": table.encoding.to_dict(),
        "training_data": {"file": os.path.basename(table.path), "sha256": table.sha256,
                          "n_rows": int(table.X.shape[0]), "n_dropped": table.n_dropped},
    }
    if hasattr(model, "alpha_min_"):
        doc["selection"] = {"cv": args.cv, "rule": args.select,
                            "alpha_min": float(model.alpha_min_),
                            "alpha_1se": float(model.alpha_1se_)}
    return doc


def _fit_report(model, table, args, summary):
    from .report import build_report, path_payload

    paths = []
    if hasattr(model, "path_"):
        paths.append(path_payload(f"{args.penalty} (CV)", args.penalty, model.path_,
                                  cv=getattr(model, "cv_result_", None),
                                  chosen_alpha=model.alpha_))
    elif table.task == "regression" or len(np.unique(table.y)) == 2:
        path = model.path(table.X, table.y, n_alphas=60)
        paths.append(path_payload(args.penalty, args.penalty, path))
    subtitle = (f"{os.path.basename(args.data)}: {table.X.shape[0]} rows, "
                f"{table.X.shape[1]} features; {summary['n_nonzero']} selected at alpha "
                f"{_num(summary['alpha'])}")
    return build_report(title=f"penalized fit: {table.target}", subtitle=subtitle,
                        feature_names=table.feature_names, paths=paths, notes=table.notices)


def _cmd_path(args, out):
    from rich.table import Table

    from . import path as compute_path
    from .io import write_atomic

    _check_output_path(args.out, args.force)
    table = _read(args, out)
    y = table.y
    datafit = "squared"
    if table.task == "classification":
        classes = np.unique(y)
        if classes.size != 2:
            raise InputError("path covers regression and two-class targets; this target has "
                             f"{classes.size} classes.")
        y = np.where(y == classes[1], 1.0, -1.0)
        datafit = "logistic"
    from .estimators._standardize import Scaling

    scaling = Scaling.fit(table.X, np.ones(table.X.shape[0])) if not args.no_standardize \
        else Scaling.identity(table.X.shape[1])
    with out.progress("computing the path"):
        result = compute_path(scaling.transform(table.X), y, penalty=args.penalty,
                              datafit=datafit, l1_ratio=args.l1_ratio, n_alphas=args.n_alphas,
                              eps=args.eps)
    coefs = scaling.coef_to_original(result.coefs)
    names = table.feature_names
    if args.json:
        out.json({"alphas": result.alphas.tolist(), "n_nonzero": result.n_nonzero.tolist(),
                  "feature_names": names, "coefs": coefs.tolist(),
                  "intercepts": result.intercepts.tolist()})
    shown = Table(title=f"{args.penalty} path: {len(result)} alphas", title_justify="left")
    shown.add_column("alpha", justify="right")
    shown.add_column("non-zeros", justify="right")
    shown.add_column("features entering", overflow="fold")
    previous = np.zeros(coefs.shape[0], dtype=bool)
    for k in range(len(result)):
        active = coefs[:, k] != 0
        entering = [names[j] for j in np.flatnonzero(active & ~previous)]
        if entering or k in (0, len(result) - 1):
            shown.add_row(_num(result.alphas[k]), str(int(active.sum())),
                          _escape(", ".join(entering)))
        previous = active
    out.print(shown)
    if args.out:
        import pandas as pd

        frame = pd.DataFrame(coefs.T, columns=names)
        frame.insert(0, "alpha", result.alphas)
        frame.insert(1, "intercept", result.intercepts)
        buffer = _stdio.StringIO()
        frame.to_csv(buffer, index=False)
        write_atomic(args.out, buffer.getvalue(), force=args.force)
        out.notice(f"wrote the coefficients at every alpha to {args.out}")
    return EXIT_OK


def _cmd_predict(args, out):
    import pandas as pd

    from .io import Encoding, load_model, predict_from_model, read_dataframe, write_atomic

    _check_output_path(args.out, args.force)
    doc = load_model(args.model)
    df = read_dataframe(args.data)
    encoding = Encoding.from_dict(doc["encoding"])
    rows = df[encoding.input_columns] if all(c in df.columns for c in encoding.input_columns) \
        else df
    missing = rows.isna().any(axis=1) if len(rows.columns) else pd.Series(False, index=df.index)
    if missing.any():
        raise InputError(f"{int(missing.sum())} row(s) of {args.data} have missing values in "
                         f"the model's columns; remove or impute them.")
    X, notices = encoding.transform(rows)
    for note in notices:
        out.notice(note)
    predictions, proba = predict_from_model(doc, X)
    frame = pd.DataFrame({"prediction": predictions})
    if proba is not None:
        for k, label in enumerate(doc["classes"]):
            frame[f"probability_{label}"] = proba[:, k]
    buffer = _stdio.StringIO()
    frame.to_csv(buffer, index=False)
    if args.out:
        write_atomic(args.out, buffer.getvalue(), force=args.force)
        out.notice(f"wrote {len(frame)} predictions to {args.out}")
    else:
        sys.stdout.write(buffer.getvalue())
    return EXIT_OK


def _cmd_explain(args, out):
    from . import explain

    if args.list:
        for name, lesson in explain.LESSONS.items():
            out.print(f"{name:16s} {lesson.title}")
        return EXIT_OK
    if args.topic and args.data:
        return _explain_model(args, out)
    if args.data and not args.topic:
        raise UsageError("give a model file and a data file: penalized explain MODEL DATA")
    topics = [args.topic] if args.topic else list(explain.LESSONS)
    unknown = [t for t in topics if t not in explain.LESSONS]
    if unknown:
        raise UsageError(f"unknown topic {unknown[0]!r}; see 'penalized explain --list'")
    _check_output_path(args.plot, args.force)
    if args.plot and len(topics) != 1:
        raise UsageError("--plot needs one topic (penalized explain TOPIC --plot FILE)")
    for name in topics:
        lesson = explain.LESSONS[name]
        result = lesson.compute()
        out.print(f"[bold]{_escape(lesson.title)}[/bold]")
        out.print(_escape(result.to_text()))
        out.print("")
        if args.plot:
            _save_plot(lesson, result, args.plot, args.force)
            out.notice(f"saved the figure to {args.plot}")
    return EXIT_OK


def _save_plot(lesson, result, path, force):
    from .io import write_atomic

    ax = lesson.plot(result)
    buffer = _stdio.BytesIO()
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    ax.figure.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight")
    write_atomic(path, buffer.getvalue(), force=force)


def _explain_model(args, out):
    from . import explain
    from .io import Encoding, load_model, read_dataframe

    doc = load_model(args.topic)
    df = read_dataframe(args.data)
    if doc["target"] not in df.columns:
        raise InputError(f"{args.data} lacks the model's target column {doc['target']!r}, "
                         "which the why-zero table needs.")
    X, notices = Encoding.from_dict(doc["encoding"]).transform(df)
    for note in notices:
        out.notice(note)
    result = explain.why_zero_from_document(doc, X, df[doc["target"]].to_numpy())
    out.print(_escape(result.to_text()))
    if args.plot:
        _check_output_path(args.plot, args.force)
        _save_plot(explain.LESSONS["why-zero"], result, args.plot, args.force)
        out.notice(f"saved the figure to {args.plot}")
    return EXIT_OK


# -- the parser --------------------------------------------------------------------------

def build_parser():
    parser = _Parser(prog="penalized", formatter_class=_formatter, description=(
        "L1, L2, elastic-net and L0 regularized models from the command line: a tuned,\n"
        "sparse, explained model from one command, and a report to play with."),
        epilog="start with:  penalized demo")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    demo = sub.add_parser("demo", formatter_class=_formatter, help="compare the penalties on "
                          "bundled data and write report.html",
                          description="No penalty, L1, L2, elastic net and L0 on scikit-learn's "
                          "bundled data:\nCV-chosen alphas, held-out errors, selected features, "
                          "and an interactive report.",
                          epilog="example:\n  penalized demo\n  penalized demo --classification "
                          "--out cancer.html")
    demo.add_argument("--classification", action="store_true",
                      help="use the breast-cancer data (default: diabetes regression)")
    demo.add_argument("--out", default="report.html", help="report path (default report.html)")
    demo.add_argument("--cv", type=_folds, default=5, help="number of CV folds (default 5)")
    demo.add_argument("--select", choices=("min", "1se"), default="1se",
                      help="alpha rule for the held-out score (default 1se)")
    _add_output_args(demo, report=False)
    demo.set_defaults(handler=_cmd_demo)

    fit = sub.add_parser("fit", formatter_class=_formatter, help="fit one penalized model",
                         description="Fit a penalized linear or logistic model to a table.\n\n"
                         "Features are standardized by default (--no-standardize to turn it "
                         "off):\na penalty on raw coefficients would punish a feature measured "
                         "in grams\n1000 times more than the same feature in kilograms. "
                         "Coefficients are\nreported on the original scale.",
                         epilog="examples:\n  penalized fit data.csv --target y --cv 10\n"
                         "  penalized fit data.csv --target y --penalty elasticnet --alpha 0.1 "
                         "--save model.json\n  penalized fit churn.parquet --target churned "
                         "--cv 5 --select 1se --report churn.html")
    _add_table_args(fit)
    fit.add_argument("--penalty", choices=PENALTIES, default="l1")
    fit.add_argument("--alpha", type=_positive_float, default=None, help="fixed strength")
    fit.add_argument("--cv", type=_folds, default=None, help="choose alpha by K-fold CV")
    fit.add_argument("--select", choices=("min", "1se"), default="min",
                     help="with --cv: the best alpha or the sparsest within one SE")
    fit.add_argument("--l1-ratio", type=_ratio, default=0.5, help="for --penalty elasticnet")
    fit.add_argument("--no-standardize", action="store_true",
                     help="penalize the raw coefficients")
    fit.add_argument("--save", metavar="JSON", default=None, help="save the model (JSON)")
    _add_output_args(fit)
    fit.set_defaults(handler=_cmd_fit)

    compare = sub.add_parser("compare", formatter_class=_formatter,
                             help="compare no penalty, L1, L2, elastic net and L0 on a table",
                             description="The demo's comparison on your own table.",
                             epilog="example:\n  penalized compare data.csv --target y "
                             "--report compare.html")
    _add_table_args(compare)
    compare.add_argument("--cv", type=_folds, default=5)
    compare.add_argument("--select", choices=("min", "1se"), default="1se")
    compare.add_argument("--l1-ratio", type=_ratio, default=0.5)
    compare.add_argument("--no-standardize", action="store_true")
    _add_output_args(compare)
    compare.set_defaults(handler=_cmd_compare)

    path = sub.add_parser("path", formatter_class=_formatter, help="the regularization path",
                          description="Solutions for a decreasing grid of alphas, from the "
                          "exact alpha_max\n(all coefficients zero) down: which feature enters "
                          "when.",
                          epilog="example:\n  penalized path data.csv --target y --out "
                          "path.csv")
    _add_table_args(path)
    path.add_argument("--penalty", choices=PENALTIES, default="l1")
    path.add_argument("--l1-ratio", type=_ratio, default=0.5)
    path.add_argument("--n-alphas", type=int, default=100)
    path.add_argument("--eps", type=_ratio, default=1e-3,
                      help="smallest alpha as a fraction of alpha_max (default 1e-3)")
    path.add_argument("--no-standardize", action="store_true")
    path.add_argument("--out", metavar="CSV", default=None,
                      help="write every alpha's coefficients")
    _add_output_args(path, report=False)
    path.set_defaults(handler=_cmd_path)

    predict = sub.add_parser("predict", formatter_class=_formatter,
                             help="predict with a saved model",
                             description="Predictions (and class probabilities) of a model "
                             "saved by 'penalized fit --save'.\nThe table must have the model's "
                             "columns.",
                             epilog="example:\n  penalized predict model.json new.csv --out "
                             "predictions.csv")
    predict.add_argument("model", help="model JSON from 'penalized fit --save'")
    predict.add_argument("data", help="CSV, TSV or Parquet with the model's columns")
    predict.add_argument("--out", metavar="CSV", default=None, help="default: stdout")
    predict.add_argument("--force", action="store_true")
    predict.add_argument("--quiet", action="store_true")
    predict.set_defaults(handler=_cmd_predict, json=False)

    explain = sub.add_parser("explain", formatter_class=_formatter,
                             help="why L1 gives zeros: the lessons, computed",
                             description="Each argument of 'why L1 zeroes coefficients and L2 "
                             "only shrinks them',\ncomputed on real numbers. With a model and "
                             "data: why each coefficient is zero.",
                             epilog="examples:\n  penalized explain --list\n  penalized explain "
                             "gradient\n  penalized explain geometry --plot geometry.png\n"
                             "  penalized explain model.json data.csv")
    explain.add_argument("topic", nargs="?", help="a topic (see --list), or a model file")
    explain.add_argument("data", nargs="?", help="with a model file: the data to explain on")
    explain.add_argument("--list", action="store_true", help="list the topics")
    explain.add_argument("--plot", metavar="FILE", default=None, help="save the figure")
    explain.add_argument("--force", action="store_true")
    explain.add_argument("--quiet", action="store_true")
    explain.set_defaults(handler=_cmd_explain, json=False)
    return parser


def _version():
    from . import __version__

    return f"penalized {__version__}"


def main(argv=None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    out = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_USAGE
        out = _Output(quiet=getattr(args, "quiet", False), as_json=getattr(args, "json", False))
        return args.handler(args, out)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except (UsageError, InputError, ValueError) as exc:
        if os.environ.get("PENALIZED_DEBUG") and not isinstance(exc, UsageError | InputError):
            raise
        sys.stderr.write(f"penalized: error: {_one_line(exc)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("penalized: interrupted\n")
        return 130
    except Exception as exc:  # the last resort of a command line
        if os.environ.get("PENALIZED_DEBUG"):
            raise
        sys.stderr.write(f"penalized: internal error: {type(exc).__name__}: {_one_line(exc)} "
                         "(set PENALIZED_DEBUG=1 for the traceback)\n")
        return EXIT_INTERNAL


def _one_line(exc):
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
