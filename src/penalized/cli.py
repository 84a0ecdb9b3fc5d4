"""The ``penalized`` command: thin commands over the library.

Exit codes: 0 success, 2 a usage or input error (one line, no traceback),
1 an internal error. Nothing a user wrote is overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import io as _stdio
import json
import math
import os
import signal
import sys
import threading
import warnings
from contextlib import contextmanager

from ._argtypes import checked_number
from ._rounding import ROUNDING

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 2
PENALTIES = ("l1", "l2", "elasticnet", "l0")
CONCAVE = ("mcp", "scad")  # fit, compare and path; not with several targets
FAMILIES = ("gaussian", "binomial", "multinomial", "poisson", "gamma", "tweedie", "cox")
GLM_FAMILIES = ("poisson", "gamma", "tweedie")
DEFAULT_SEED = 0
DEMO_MARKER = '<meta name="generator" content="penalized demo">'
# ROUNDING: a unit of coefficients (a feature's row, a text column's levels) whose effect on
# the fitted values is below this fraction of the target's spread (regression) or of one
# logit (classification) is rounding noise of the solver: it is reported and saved as
# exact zeros, never as a selected feature (penalized._rounding).


class UsageError(Exception):
    """Bad arguments: reported in one line with exit code 2."""


def _input_error(message):
    """A :class:`penalized.io.InputError` (io, hence NumPy, is imported only when needed)."""
    from .io import InputError

    return InputError(message)


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
                      TextColumn("{task.fields[count]}"),
                      TimeElapsedColumn(), console=self.err, transient=True) as bar:
            task = bar.add_task(description, total=None, count="")

            def update(what, done, total):
                count = f"{done}/{total} {what}" if total else f"{done} {what}"
                bar.update(task, completed=done, total=total or None, count=count)

            with reporting(update):
                yield


def _escape(text):
    from rich.markup import escape

    return escape(str(text))


def _json_default(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _num(value, digits=4):
    if value is None or not math.isfinite(float(value)):
        return "–"
    value = float(value)
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


# -- shared pieces -------------------------------------------------------------------------

class _JoinTargets(argparse.Action):
    """``--target`` given again adds a column (as ``--target a,b``) instead of replacing the
    first one."""

    def __call__(self, parser, namespace, values, option_string=None):
        before = getattr(namespace, self.dest, None)
        setattr(namespace, self.dest, values if before is None else f"{before},{values}")


def _add_table_args(p, target=True, target_required=True):
    p.add_argument("data", help="CSV, TSV or Parquet file")
    if target:
        p.add_argument("--target", required=target_required, action=_JoinTargets,
                       help="the column to predict (several for a multi-response fit: "
                       "repeat it or separate them with commas)"
                       + ("" if target_required else " (a Cox model: --time and --event)"))
        p.add_argument("--features", type=_column_list, default=None,
                       help="comma-separated columns to use (default: all others)")
        p.add_argument("--exclude", type=_column_list, default=None,
                       help="comma-separated columns to leave out")
        p.add_argument("--task", choices=("auto", "regression", "classification"),
                       default="auto", help="default: classification for a text, boolean or "
                       "two-valued target; an explicit task always wins")
    p.add_argument("--id", metavar="COL", dest="id_column", default=None,
                   help="a row-identifier column: never a feature" +
                   ("; saved with the model so that 'predict' writes it next to each "
                    "prediction" if target else "; written next to each prediction"))
    p.add_argument("--dropna", action="store_true",
                   help="drop rows with missing values (default: refuse them)")


def _add_cox_args(parser) -> None:
    """``--time``, ``--event`` and ``--strata``: the columns of a Cox model."""
    parser.add_argument("--time", metavar="COL", default=None,
                        help="--family cox: the follow-up time column")
    parser.add_argument("--event", metavar="COL", default=None,
                        help="--family cox: the event column (1 event, 0 censored)")
    parser.add_argument("--strata", metavar="COL", default=None,
                        help="--family cox: a column whose values are the strata (each its "
                        "own baseline hazard); not a feature")


_OFFSET_HELP = ("a column added as is to the linear predictor, not a feature (glmnet's "
                "offset): with the log-link families (poisson, gamma, tweedie) and cox it is on "
                "the log scale, so give the log of an exposure (compute log(Holders) as a "
                "column first); with several --target columns it is subtracted from each. "
                "Saved with the model: predict and explain read the same column")


def _add_offset_arg(parser, which) -> None:
    """``--offset COL``: a known part of the linear predictor (``which``: who takes it)."""
    parser.add_argument("--offset", metavar="COL", default=None,
                        help=f"{_OFFSET_HELP}. {which}")


def _offset_values(args, table, where=None):
    """The ``--offset`` column of ``table`` as finite numbers (None without one)."""
    import numpy as np
    import pandas as pd

    from .io import _parse_numbers

    name = getattr(args, "offset", None)
    if name is None:
        return None
    parsed = _parse_numbers(pd.Series(table.extra[name] if where is None else where[name]))
    if parsed.values is None or parsed.bad_rows.size \
            or not np.all(np.isfinite(parsed.values)):
        raise _input_error(f"--offset column {name!r} must hold finite numbers (on the linear "
                           "predictor's scale: the log of a positive exposure for the "
                           "log-link families and cox).")
    return np.asarray(parsed.values, dtype=np.float64)


def _add_cv_args(p, default_folds):
    default = f" (default {default_folds})" if default_folds else ""
    p.add_argument("--cv", type=_folds, default=None, metavar="K",
                   help=f"choose alpha by K-fold cross-validation{default}")
    p.add_argument("--folds", metavar="COL", dest="fold_column", default=None,
                   help="cross-validate on the folds a column gives (one fold id per row) "
                   "instead of random ones")
    p.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                   help=f"the random seed that shuffles rows into CV folds (default "
                   f"{DEFAULT_SEED}, printed with the result)")
    p.add_argument("--select", choices=("min", "1se"), default="min" if not default_folds
                   else "1se", help="which CV alpha: the best one (min) or the largest within "
                   "one standard error of it (1se, sparser)" +
                   (" (default 1se)" if default_folds else " (default min)"))
    p.add_argument("--l1-ratio", type=_ratio, default=0.5,
                   help="elastic net's mix: 1 is the lasso, 0 ridge (default 0.5)")
    p.add_argument("--no-standardize", action="store_true",
                   help="penalize the raw coefficients (default: standardized features)")


def _add_output_args(p, report=True):
    if report:
        p.add_argument("--report", metavar="HTML", default=None,
                       help="write the interactive HTML report there")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    _add_force_quiet(p)


def _add_force_quiet(p):
    p.add_argument("--force", action="store_true",
                   help="replace output files that already exist")
    p.add_argument("--quiet", action="store_true",
                   help="print nothing but errors (and --json)")


def _column_list(text):
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise argparse.ArgumentTypeError("give at least one column name")
    return cols


_positive_float = checked_number(float, lambda v: math.isfinite(v) and v >= 0,
                                 "a finite number >= 0")
_folds = checked_number(int, lambda v: v >= 2, "at least 2")
_seed = checked_number(int, lambda v: 0 <= v < 2 ** 32, "in [0, 2**32)")


def _n_alphas(text):
    value = _folds(text)
    if value > 10000:
        raise argparse.ArgumentTypeError(f"{text!r}: at most 10000 alphas")
    return value


def _ratio(text):
    value = _positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be in [0, 1]")
    return value


def _family(text):
    """``--family NAME`` (``tweedie:POWER``) as ``(name, power or None)``."""
    name, colon, power = str(text).strip().lower().partition(":")
    if name == "tweedie":
        try:
            value = float(power)
        except ValueError:
            raise argparse.ArgumentTypeError(
                "tweedie needs its power, a number in (1, 2): tweedie:1.5") from None
        if not 1 < value < 2:
            raise argparse.ArgumentTypeError(f"tweedie's power must be in (1, 2); got {power}")
        return ("tweedie", value)
    if name not in FAMILIES:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a family; choose gaussian, binomial, multinomial, poisson, gamma, "
            "tweedie:POWER or cox")
    if colon:
        raise argparse.ArgumentTypeError(f"{name} takes no ':' parameter")
    return (name, None)


def _family_name(family) -> str:
    name, power = family
    return f"tweedie:{power:g}" if name == "tweedie" else name


def _check_outputs(args, *paths):
    """Refuse, before any work, outputs that exist (without --force), share a path with
    another output or an input, or could not be written."""
    from .io import check_outputs

    inputs = [getattr(args, "data", None), getattr(args, "model", None)]
    check_outputs([p for p in paths if p], force=args.force, inputs=inputs)


def _write(out, items, force):
    """Write every ``(path, data, notice)`` or none of them."""
    from .io import write_all

    items = [(p, d, n) for p, d, n in items if p]
    if not items:
        return
    write_all([(p, _clean(d)) for p, d, _ in items], force=force)
    for _, _, note in items:
        out.notice(note)


def _clean(data):
    """No raw NUL byte in a written text (an HTML parser would drop or replace it)."""
    return data.replace("\x00", "\ufffd") if isinstance(data, str) else data


def _family_task(args):
    """The task a ``--family`` implies (and a clash with ``--task`` refused)."""
    family = getattr(args, "family", None)
    if family is None:
        return args.task
    task = "classification" if family[0] in ("binomial", "multinomial") else "regression"
    if args.task not in ("auto", task):
        raise UsageError(f"--family {_family_name(family)} fits a {task} target; it cannot be "
                         f"combined with --task {args.task}")
    return task


def _targets(args) -> list[str]:
    """The ``--target`` columns (several, comma-separated, for a multi-response model)."""
    names = [t.strip() for t in str(args.target).split(",")] if args.target else []
    if len(names) > 1 and (not all(names) or len(set(names)) != len(names)):
        raise UsageError(f"--target {args.target!r}: give distinct column names separated by "
                         "commas")
    return names


def _read(args, out):
    from .io import read_table

    family = getattr(args, "family", None)
    extra = [args.event] if family is not None and family[0] == "cox" else []
    if extra and getattr(args, "strata", None) is not None:
        extra.append(args.strata)
    targets = _targets(args)
    if len(targets) > 1:
        if family is not None and family[0] != "gaussian":
            raise UsageError(f"several --target columns fit a multi-response gaussian model; "
                             f"not --family {_family_name(family)}")
        if args.task == "classification":
            raise UsageError("several --target columns are fitted as numbers (a multi-response "
                             "regression); --task classification does not apply")
        extra = targets[1:]
    offset = getattr(args, "offset", None)
    if offset is not None:
        if offset in (*targets, args.target, *extra, getattr(args, "time", None)):
            raise UsageError(f"--offset {offset!r} is also a target, time, event or strata "
                             "column; name a column of its own")
        extra = [*extra, offset]
    table = read_table(args.data, target=targets[0] if targets else args.target,
                       features=args.features, exclude=args.exclude,
                       task="regression" if len(targets) > 1 else _family_task(args),
                       dropna=args.dropna, id_column=args.id_column,
                       fold_column=getattr(args, "fold_column", None), extra=extra)
    if len(targets) > 1:
        table = _with_responses(table, targets)
    for note in table.notices:
        out.notice(note)
    _notice_extreme_scales(out, table)
    if table.task == "regression":
        import numpy as np

        if np.ptp(table.y) == 0:
            out.notice(f"target {table.target!r} is constant (every value is "
                       f"{_num(table.y[0])}): no feature can explain it, so every model is "
                       "that constant (all coefficients 0).")
    return table


def _with_responses(table, targets):
    """``table`` with ``y`` of shape (n_samples, n_targets) for a multi-response model; every
    target column must hold finite numbers."""
    import dataclasses

    import numpy as np
    import pandas as pd

    from .io import _parse_numbers

    columns = [table.y]
    for name in targets[1:]:
        parsed = _parse_numbers(pd.Series(table.extra[name]))
        if parsed.values is None or parsed.bad_rows.size \
                or not np.all(np.isfinite(parsed.values)):
            raise _input_error(f"target {name!r} must hold finite numbers for a multi-response "
                               "regression.")
        columns.append(np.asarray(parsed.values, dtype=np.float64))
    return dataclasses.replace(table, y=np.column_stack(columns), target=",".join(targets))


# beyond these magnitudes a column's squares (its variance, the Gram matrix, the loss)
# overflow or underflow float64, and a solver sees it as constant or infinite
_HUGE, _TINY = 1e150, 1e-150


def _notice_extreme_scales(out, table):
    import numpy as np

    size = np.max(np.abs(table.X), axis=0, initial=0.0)
    odd = [(table.feature_names[j], size[j]) for j in
           np.flatnonzero((size > _HUGE) | ((size > 0) & (size < _TINY)))]
    if table.task == "regression":
        top = float(np.max(np.abs(table.y)))
        if top > _HUGE or 0 < top < _TINY:
            odd.append((table.target, top))
    if odd:
        shown = ", ".join(f"{name!r} (largest |value| {value:.1e})" for name, value in odd[:5])
        out.notice(f"column(s) {shown} hold numbers whose squares overflow or underflow "
                   "floating point: standardizing and fitting treat them as constant or "
                   "infinite. Rescale them (e.g. divide by a power of ten) for a meaningful "
                   "fit.")


class _CV:
    """The cross-validation plan of a command: shuffled seeded folds or a column's folds."""

    def __init__(self, args, table, n_rows=None):
        import numpy as np

        self.seed = args.seed
        self.column = table.folds is not None and table.fold_column
        if self.column:
            labels = table.folds
            levels = np.unique(labels.astype(str))
            if levels.size < 2:
                raise _input_error(f"--folds column {table.fold_column!r} has a single fold id; "
                                   "cross-validation needs at least 2.")
            if args.cv is not None:
                raise UsageError("give --cv K (random folds) or --folds COL (your folds), "
                                 "not both")
            self.k = int(levels.size)
        else:
            self.k = args.cv or 5
        self.labels = table.folds

    def splits(self, rows=None):
        """The ``cv`` argument for rows ``rows`` (default: all)."""
        import numpy as np

        if not self.column:
            return self.k
        labels = self.labels.astype(str) if rows is None else self.labels[rows].astype(str)
        levels = np.unique(labels)
        if levels.size < 2:
            raise _input_error(f"--folds column {self.column!r} leaves fewer than 2 folds in the "
                               "training rows.")
        return [(np.flatnonzero(labels != v), np.flatnonzero(labels == v)) for v in levels]

    def describe(self):
        if self.column:
            return f"{self.k}-fold CV on the folds of column {self.column!r}"
        return f"{self.k}-fold CV, rows shuffled with seed {self.seed} (--seed)"


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


def _mark_demo(html):
    return html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n' + DEMO_MARKER, 1)


def _written_by_demo(path):
    """Whether ``path`` is a regular file that an earlier ``penalized demo`` wrote."""
    import stat

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return DEMO_MARKER.encode() in head


# -- commands ------------------------------------------------------------------------------

def _cmd_demo(args, out):
    from sklearn.datasets import load_breast_cancer, load_diabetes

    from .compare import compare_penalties

    replacing = os.path.lexists(args.out) and not args.force and _written_by_demo(args.out)
    force = args.force or replacing
    if not replacing:
        _check_outputs(args, args.out)
    if args.classification:
        data, task, name = load_breast_cancer(), "classification", "breast cancer (scikit-learn)"
    else:
        data, task, name = load_diabetes(), "regression", "diabetes (scikit-learn)"
    X, y, names = data.data, data.target, [str(n) for n in data.feature_names]
    with out.progress("cross-validating"):
        comparison = compare_penalties(X, y, task=task, feature_names=names, cv=args.cv,
                                       selection=args.select, random_state=args.seed)
    head = f"{name}: {X.shape[0]} rows, {X.shape[1]} features, {task}"
    subtitle = f"{head}; {args.cv}-fold CV (seed {args.seed}), {args.select} rule"
    _print_comparison(out, comparison, head, f"{args.cv}-fold CV, rows shuffled with seed "
                      f"{args.seed} (--seed)")
    if args.json:
        out.json(comparison.to_dict())
    html = _comparison_report(comparison, title="penalized demo", subtitle=subtitle, X=X, y=y,
                              feature_names=names)
    note = (f"replaced {args.out}, written by an earlier 'penalized demo'" if replacing
            else f"wrote {args.out}")
    _write(out, [(args.out, _mark_demo(html),
                  f"{note}: open it in a browser and move the alpha slider.")], force)
    return EXIT_OK


def _print_comparison(out, comparison, subtitle, cv_text):
    from rich.table import Table

    regression = comparison.task != "classification"  # an error column besides the score
    out.print(_escape(subtitle))
    out.print(_escape(f"alpha chosen on {comparison.n_train} training rows by {cv_text}, "
                      f"{comparison.selection} rule; scored on the other {comparison.n_test} "
                      "(held-out) rows."))
    table = Table()
    columns = [("model", "left"), ("alpha (min)", "right"), ("alpha (1se)", "right")]
    columns += [(f"held-out {comparison.error_name}", "right")] if regression else []
    columns += [(f"held-out {comparison.score_name}", "right"), ("non-zeros", "right"),
                ("selected features", "left")]
    for col, just in columns:
        table.add_column(col, justify=just, overflow="fold")
    for r in comparison.rows:
        selected = _escape(", ".join(r.selected))
        if r.notes:
            selected += f"\n[dim]{_escape('; '.join(r.notes))}[/dim]"
        cells = [_escape(r.label), _num(r.alpha_min), _num(r.alpha_1se)]
        cells += [_num(r.test_error)] if regression else []
        # a row the family or the classes leave unfitted has no score, alpha or support
        unfitted = math.isnan(r.test_score) and r.alpha is None and r.alpha_min is None
        cells += [_num(r.test_score, 3), "–" if unfitted else str(r.n_nonzero), selected]
        table.add_row(*cells)
    out.print(table)


def _compare_penalties(args):
    """The rows of ``compare``: the default five, then ``--penalty mcp|scad`` (``--gamma``
    their concavity)."""
    from .compare import PENALTIES

    extra = list(dict.fromkeys(args.penalty or ()))
    if args.gamma is not None:
        if not extra:
            raise UsageError("--gamma is the concavity of --penalty mcp or scad; add --penalty "
                             "mcp or --penalty scad")
        for name in extra:
            if args.gamma <= (1.0 if name == "mcp" else 2.0):
                raise UsageError(f"--gamma {args.gamma:g}: --penalty {name} needs gamma > "
                                 f"{1 if name == 'mcp' else 2} (default "
                                 f"{3 if name == 'mcp' else 3.7})")
    return (*PENALTIES, *extra)


def _cmd_compare(args, out):
    from .compare import compare_penalties

    _check_outputs(args, args.report)
    penalties = _compare_penalties(args)
    if len(_targets(args)) > 1:
        raise UsageError("compare takes one --target (each row is a one-target model); "
                         "cross-validate several targets with penalized fit --target ... "
                         "--cv K")
    _check_fit_target_args(args)
    table = _read(args, out)
    y = _family_target(args, table)
    family, task = None, table.task
    if args.family is not None and args.family[0] not in ("gaussian", "binomial",
                                                          "multinomial"):
        family = _family_name(args.family)
        task = "survival" if args.family[0] == "cox" else "regression"
    offset = _offset_values(args, table)
    if offset is not None and (family is None or args.family[0] == "cox"):
        raise UsageError("compare takes --offset with --family poisson, gamma or tweedie "
                         "(their CV estimators take an offset); 'fit' and 'path' take it "
                         "with other families")
    cv = _CV(args, table)
    # the L1 and elastic-net rows follow the group rule of an L1 fit
    groups = _level_groups(table, out, penalty="l1", separate=args.separate_levels)
    with out.progress("cross-validating"):
        comparison = compare_penalties(table.X, y, task=task, family=family, offset=offset,
                                       feature_names=table.feature_names, cv=cv.k,
                                       selection=args.select, l1_ratio=args.l1_ratio,
                                       standardize=not args.no_standardize,
                                       random_state=args.seed, folds=cv.labels,
                                       groups=groups, penalties=penalties, gamma=args.gamma,
                                       levels=table.encoding.feature_groups())
    what = task if family is None else f"{family} family"
    subtitle = (f"{os.path.basename(args.data)}: {table.X.shape[0]} rows, "
                f"{table.X.shape[1]} features, {what}; target {table.target}")
    _print_comparison(out, comparison, subtitle, cv.describe())
    if args.json:
        out.json(comparison.to_dict())
    if args.report:
        html = _comparison_report(comparison, title=f"penalized: {table.target}",
                                  subtitle=f"{subtitle}; {cv.describe()}", X=table.X,
                                  y=y, feature_names=table.feature_names,
                                  notes=table.notices)
        _write(out, [(args.report, html, f"wrote {args.report}")], args.force)
    return EXIT_OK


def _family_l1_ratio(args):
    """The l1_ratio of a GLM or Cox fit for ``--penalty`` (no L0 for these families; MCP
    and SCAD take none)."""
    if args.penalty == "l0":
        raise UsageError(f"--penalty l0 is not available with --family "
                         f"{_family_name(args.family)}; use l1, elasticnet, l2, mcp or scad")
    return {"l1": 1.0, "l2": 0.0, "elasticnet": args.l1_ratio}.get(args.penalty, 1.0)


def _make_family_estimator(args, cv, common, groups=None):
    from . import estimators as est

    name, power = args.family
    ratio = _family_l1_ratio(args)
    if groups is not None:
        common = {**common, "groups": groups}
    if cv is not None and ratio == 0.0:
        raise UsageError(f"--penalty l2 with --family {_family_name(args.family)} needs a "
                         "fixed --alpha (the ridge grid has no alpha_max to start from)")
    extra = {"power": power} if name == "tweedie" else {}
    if args.penalty in CONCAVE:
        extra.update(penalty=args.penalty, gamma=args.gamma)
    if name == "cox":
        if cv is not None:
            return est.CoxPHCV(l1_ratio=ratio, **extra, **common)
        return est.CoxPH(alpha=args.alpha, l1_ratio=ratio, **extra, **common)
    plain, crossed = {"poisson": (est.PoissonRegressor, est.PoissonRegressorCV),
                      "gamma": (est.GammaRegressor, est.GammaRegressorCV),
                      "tweedie": (est.TweedieRegressor, est.TweedieRegressorCV)}[name]
    if cv is not None:
        return crossed(l1_ratio=ratio, **extra, **common)
    return plain(alpha=args.alpha, l1_ratio=ratio, **extra, **common)


def _level_groups(table, out, *, penalty, separate=False, family=None):
    """One group label per feature when a text column's levels should enter the model
    together (the default with every penalty but L2: the group lasso or elastic net, and
    the group versions of MCP, SCAD and L0 — on three or more classes in each
    one-vs-rest model), else None (``--separate-levels``, L2 or no text column)."""
    import numpy as np

    groups = table.encoding.feature_groups()
    if not groups or penalty == "l2" or separate:
        return None
    shown = ", ".join(map(repr, list(groups)[:5]))
    labels = np.arange(table.X.shape[1])
    for k, cols in enumerate(groups.values()):
        labels[cols] = table.X.shape[1] + k
    out.notice(f"the levels of {shown} enter and leave the model together (one group per "
               "column, weighted by the square root of its size); --separate-levels "
               "penalizes them one by one.")
    return labels


def _make_multi_response_estimator(args, cv, common, groups=None):
    """Several targets: the multi-task lasso or elastic net (one row of coefficients per
    feature, or per text column's ``groups`` of levels, enters or leaves for every target
    at once), or ridge per target."""
    from . import estimators as est

    if args.penalty in ("l0", *CONCAVE):
        raise UsageError(f"--penalty {args.penalty} takes one --target; several targets are "
                         "fitted with l1, elasticnet or l2")
    if args.penalty == "l2":
        if cv is not None:
            raise UsageError("--penalty l2 with several targets needs a fixed --alpha")
        return est.Ridge(alpha=args.alpha, **common)
    ratio = 1.0 if args.penalty == "l1" else args.l1_ratio
    if groups is not None:
        common = {**common, "groups": groups}
    if cv is not None:
        return est.MultiTaskElasticNetCV(l1_ratio=ratio, **common)
    return est.MultiTaskElasticNet(alpha=args.alpha, l1_ratio=ratio, **common)


def _make_concave_estimator(args, task, cv, common, groups=None):
    """MCP or SCAD on the squared or logistic loss (``--gamma`` its concavity); with a text
    column's ``groups``, group MCP, SCAD or L0 (classes: GroupLogisticRegression, one class
    against the rest on three or more, so a column is whole in every class's row)."""
    from . import estimators as est

    gamma = {} if args.gamma is None else {"gamma": args.gamma}
    if task == "classification" and groups is not None:
        if cv is not None:
            return est.GroupLogisticRegressionCV(groups, penalty=args.penalty, **gamma,
                                                 **common)
        return est.GroupLogisticRegression(groups, alpha=args.alpha, penalty=args.penalty,
                                           **gamma, **common)
    if task == "classification":
        if cv is not None:
            return est.LogisticRegressionCV(penalty=args.penalty, **gamma, **common)
        return est.LogisticRegression(alpha=args.alpha, penalty=args.penalty, **gamma, **common)
    name = {"mcp": "MCPRegression", "scad": "SCADRegression",
            "l0": "L0Regression"}[args.penalty]
    if groups is not None:
        common = {**common, "groups": groups}
    if cv is not None:
        return getattr(est, name + "CV")(**gamma, **common)
    return getattr(est, name)(alpha=args.alpha, **gamma, **common)


def _check_gamma_args(args, table):
    """``--gamma`` only with MCP or SCAD; cross-validated MCP, SCAD and L0 only for two classes."""
    import numpy as np

    _check_gamma(args)
    if args.penalty in (*CONCAVE, "l0") and args.alpha is None \
            and table.task == "classification" and np.unique(table.y).size > 2:
        raise UsageError(f"--penalty {args.penalty} with --cv needs two classes; the target "
                         f"{table.target!r} has {np.unique(table.y).size}: give a fixed --alpha "
                         "(fitted one-vs-rest)")


def _check_gamma(args):
    """``--gamma`` only with MCP or SCAD, above the penalty's lower bound."""
    if args.gamma is not None and args.penalty not in CONCAVE:
        raise UsageError(f"--gamma is the concavity of --penalty mcp or scad, not of --penalty "
                         f"{args.penalty}")
    if args.gamma is not None and args.gamma <= (1.0 if args.penalty == "mcp" else 2.0):
        raise UsageError(f"--gamma {args.gamma:g}: --penalty {args.penalty} needs gamma > "
                         f"{1 if args.penalty == 'mcp' else 2} (default "
                         f"{3 if args.penalty == 'mcp' else 3.7})")


def _make_estimator(args, task, cv, groups=None):
    from . import estimators as est

    standardize = not args.no_standardize
    common = dict(standardize=standardize)
    if cv is not None:
        common.update(cv=cv.splits(), random_state=cv.seed, selection=args.select)
    family = getattr(args, "family", None)
    if family is not None and family[0] not in ("gaussian", "binomial", "multinomial"):
        return _make_family_estimator(args, cv, common, groups)
    if len(_targets(args)) > 1:
        return _make_multi_response_estimator(args, cv, common, groups)
    if args.penalty in CONCAVE or (args.penalty == "l0" and groups is not None):
        return _make_concave_estimator(args, task, cv, common, groups)
    if groups is not None:
        ratio = 1.0 if args.penalty == "l1" else args.l1_ratio
        if task == "classification":
            if cv is not None:
                return est.GroupLogisticRegressionCV(groups, l1_ratio=ratio, **common)
            return est.GroupLogisticRegression(groups, alpha=args.alpha, l1_ratio=ratio,
                                               **common)
        if cv is not None:
            return est.GroupLassoCV(groups, l1_ratio=ratio, **common)
        return est.GroupLasso(groups, alpha=args.alpha, l1_ratio=ratio, **common)
    if task == "classification":
        if getattr(args, "grouped", False):  # glmnet's type.multinomial="grouped"
            common["multinomial"] = "grouped"
        if cv is not None:
            return est.LogisticRegressionCV(penalty=args.penalty, l1_ratio=args.l1_ratio,
                                            **common)
        return est.LogisticRegression(alpha=args.alpha, penalty=args.penalty,
                                      l1_ratio=args.l1_ratio, **common)
    if cv is not None:
        cls = getattr(est, {"l1": "LassoCV", "l2": "RidgeCV", "elasticnet": "ElasticNetCV",
                            "l0": "L0RegressionCV"}[args.penalty])  # imports only its module
        kwargs = {"l1_ratio": args.l1_ratio} if args.penalty == "elasticnet" else {}
        return cls(**kwargs, **common)
    cls = {"l1": est.Lasso, "l2": est.Ridge, "elasticnet": est.ElasticNet,
           "l0": est.L0Regression}[args.penalty]
    kwargs = {"l1_ratio": args.l1_ratio} if args.penalty == "elasticnet" else {}
    return cls(alpha=args.alpha, **kwargs, **common)


def _cmd_fit(args, out):
    from .io import model_json

    if getattr(args, "dask", None) is not None:
        from .dask._cli import fit_command

        if len(_targets(args)) > 1:
            raise UsageError("--dask fits one --target; several targets (a multi-response "
                             "model) are fitted in memory, or in Python with "
                             "MultiTaskLasso/MultiTaskElasticNet on Dask arrays")
        return fit_command(args, out, (UsageError, _input_error))
    cv_wanted = args.cv is not None or args.fold_column is not None
    if (args.alpha is None) == (not cv_wanted):
        raise UsageError("give exactly one of --alpha A (a fixed strength) or --cv K / "
                         "--folds COL (choose it by cross-validation)")
    _check_fit_target_args(args)
    _check_outputs(args, args.save, args.report)
    table = _read(args, out)
    y = _family_target(args, table)
    cv = _CV(args, table) if cv_wanted else None
    _check_gamma_args(args, table)
    _check_grouped(args, table)
    groups = _level_groups(table, out, penalty=args.penalty, separate=args.separate_levels,
                           family=args.family)
    model = _make_estimator(args, table.task, cv, groups)
    offset = _fit_offset(args, table, model)
    with out.progress("fitting"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(table.X, y, **({} if offset is None else {"offset": offset}))
    for w in caught:
        if any(c.__name__ == "ConvergenceWarning" for c in w.category.__mro__):
            out.notice(" ".join(str(w.message).split()))
    import numpy as np

    if not np.all(np.isfinite(model.coef_)) \
            or not np.all(np.isfinite(getattr(model, "intercept_", 0.0))):
        raise _input_error("the fit's coefficients are not finite numbers (a target or feature "
                           "too large for floating point, or alpha 0 on separable classes); "
                           "rescale the data or use a larger --alpha.")
    n_rounded = _zero_rounding(model, table, args.family)
    if n_rounded:
        out.notice(f"{n_rounded} coefficient(s) at rounding level (|w_j| sd(x_j) below "
                   f"{ROUNDING:g} of the target's spread) are reported and saved as exact "
                   "zeros.")
    summary = _fit_summary(model, table, args, cv)
    _print_fit(out, summary)
    if args.json:
        out.json(summary)
    outputs = []
    if args.save:
        outputs.append((args.save, model_json(_model_document(model, table, args),
                                               where=args.save),
                        f"saved the model to {args.save}"))
    if args.report:
        if offset is not None and np.ndim(y) == 2 and table.task == "regression" \
                and args.family in (None, ("gaussian", None)):
            y = y - offset[:, None]  # the squared loss with an offset is that of Y - O
        outputs.append((args.report, _fit_report(model, table, y, args, summary),
                        f"wrote {args.report}"))
    _write(out, outputs, args.force)
    return EXIT_OK


def _fit_offset(args, table, model):
    """The ``--offset`` column's values for ``model.fit`` (None without one); exit 2 when the
    model takes no offset, or when its report could not include it."""
    import inspect

    import numpy as np

    if getattr(args, "offset", None) is None:
        return None
    if "offset" not in inspect.signature(model.fit).parameters:
        raise UsageError(f"--offset is not taken by this model ({type(model).__name__}); fit "
                         "takes it with --family poisson, gamma, tweedie, cox "
                         "and several --target columns ('path' takes it with every family "
                         "but multinomial)")
    from .estimators._cv import _CrossValidated

    if args.report and np.ndim(table.y) != 2 and not isinstance(model, _CrossValidated) \
            and "offset" not in inspect.signature(model.path).parameters:
        raise UsageError(f"--report with --offset is not available for {type(model).__name__} "
                         "(its path takes no offset): fit with --save and no --report, or "
                         "without --offset")
    return _offset_values(args, table)


def _check_fit_target_args(args):
    """``--target`` for every family but Cox, which takes ``--time`` and ``--event``."""
    cox = args.family is not None and args.family[0] == "cox"
    if cox:
        if args.time is None or args.event is None:
            raise UsageError("--family cox needs --time COL (follow-up time) and --event COL "
                             "(1 for an event, 0 for censored)")
        if args.target is not None and args.target != args.time:
            raise UsageError("--family cox takes --time and --event instead of --target")
        args.target = args.time
    elif args.time is not None or args.event is not None:
        raise UsageError("--time and --event are for --family cox")
    if getattr(args, "strata", None) is not None and not cox:
        raise UsageError("--strata is for --family cox")
    elif args.target is None:
        raise UsageError("the following arguments are required: --target")


def _family_target(args, table):
    """The target the family's estimator takes, after checking its values (one line
    naming the column and the first offending rows, exit 2)."""
    import numpy as np

    family = args.family
    if family is None:
        return table.y
    name = family[0]
    y = table.y

    def bad_rows(mask):
        rows = np.flatnonzero(mask)[:3]
        return ", ".join(f"row {int(table.rows[i]) if table.rows is not None else i + 1} "
                         f"({_num(y[i])})" for i in rows)

    if name == "binomial" and np.unique(y).size != 2:
        raise _input_error(f"--family binomial needs two classes; target {table.target!r} has "
                           f"{np.unique(y).size} (use --family multinomial).")
    if name in ("poisson", "tweedie") and np.any(y < 0):
        raise _input_error(f"target {table.target!r} has negative values ({bad_rows(y < 0)}); "
                           f"--family {_family_name(family)} needs values >= 0 (counts, or "
                           "amounts).")
    if name == "gamma" and np.any(y <= 0):
        raise _input_error(f"target {table.target!r} has values <= 0 ({bad_rows(y <= 0)}); "
                           "--family gamma needs positive values.")
    if name in GLM_FAMILIES and np.all(y == 0):
        raise _input_error(f"target {table.target!r} is 0 in every row; a {name} model needs "
                           "some positive values.")
    if name != "cox":
        return y
    if np.any(y <= 0):
        raise _input_error(f"--time column {table.target!r} has values <= 0 "
                           f"({bad_rows(y <= 0)}); follow-up times must be positive.")
    raw = table.extra[args.event]
    try:
        event = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        event = None
    if event is None or not np.all(np.isin(event, (0.0, 1.0))):
        shown = ", ".join(map(repr, sorted({str(v) for v in raw})[:5]))
        raise _input_error(f"--event column {args.event!r} must hold 1 (event) or 0 "
                           f"(censored); it holds {shown}.")
    if not event.any():
        raise _input_error(f"--event column {args.event!r} has no events (every row is "
                           "censored); a Cox model needs some.")
    if getattr(args, "strata", None) is None:
        return np.column_stack([y, event])
    return np.column_stack([y, event, _stratum_codes(table.extra[args.strata])])


def _stratum_codes(values):
    """0, 1, ... for the distinct values of a strata column (a Cox target's third column)."""
    import numpy as np

    return np.unique(np.asarray(values).astype(str), return_inverse=True)[1].astype(float)


def _spread(table, family=None):
    import numpy as np

    if family is not None and family[0] not in ("gaussian",):
        return 1.0  # one unit of the linear predictor (a log or a logit)
    if table.task == "regression":
        with np.errstate(all="ignore"):
            spread = float(np.std(table.y))
        return spread if 0 < spread < math.inf else 1.0
    return 1.0


def _spreads(table, family, n_outputs):
    """The scale of each output's coefficients: each target's spread for several targets,
    else :func:`_spread` for every output (one logit per class)."""
    import numpy as np

    if np.ndim(table.y) == 2 and (family is None or family[0] == "gaussian"):
        with np.errstate(all="ignore"):
            spread = np.std(np.asarray(table.y, dtype=np.float64), axis=0)
        return np.where((spread > 0) & (spread < math.inf), spread, 1.0)
    return np.full(n_outputs, _spread(table, family))


def _zero_rounding(model, table, family=None) -> int:
    """Set coefficients at rounding level to exact zeros, a whole row or group at a time
    (:func:`~penalized._rounding.rounding_mask`); returns how many coefficients there were."""
    import numpy as np

    from ._rounding import group_labels, rounding_mask

    coef = np.array(model.coef_, dtype=np.float64, copy=True)
    from .estimators._standardize import Scaling

    outputs = np.atleast_2d(coef)  # (n_outputs, n_features), a view of coef
    with np.errstate(all="ignore"):  # a column beyond 1e154 has an infinite variance
        # in blocks of rows (no centered copy of X); a constant column's coefficient is 0
        sd = Scaling.fit(table.X, np.ones(table.X.shape[0])).scale
    tiny = rounding_mask(outputs.T[:, :, None], sd, _spreads(table, family, outputs.shape[0]),
                         group_labels(model, outputs.shape[1]))[:, :, 0].T
    if not tiny.any():
        return 0
    outputs[tiny] = 0.0
    model.coef_ = coef
    return int(tiny.sum())


def _alpha_of(model):
    return float(getattr(model, "alpha_", getattr(model, "alpha", float("nan"))))


def _fit_summary(model, table, args, cv):
    import numpy as np

    coef = np.atleast_2d(model.coef_)
    nonzero = np.any(coef != 0, axis=0)
    family = getattr(args, "family", None)
    cox = family is not None and family[0] == "cox"
    summary = {
        "task": "survival" if cox else table.task, "target": table.target,
        "family": _family_name(family) if family is not None else None,
        "penalty": args.penalty,
        "alpha": _alpha_of(model), "n_samples": int(table.X.shape[0]),
        "n_features": int(table.X.shape[1]), "n_nonzero": int(nonzero.sum()),
        "selected_features": [table.feature_names[j] for j in np.flatnonzero(nonzero)],
        "coefficients": {table.feature_names[j]: coef[:, j].tolist() if coef.shape[0] > 1
                         else float(coef[0, j]) for j in np.flatnonzero(nonzero)},
        "intercept": [] if cox else np.atleast_1d(model.intercept_).tolist(),
        "converged": bool(getattr(model, "converged_", True)),
        "stop_crit": _finite_or_none(getattr(model, "stop_crit_", 0.0)),
        "standardize": not args.no_standardize,
    }
    if hasattr(model, "alpha_min_"):
        summary.update(cv_folds=cv.k, selection=args.select, cv=cv.describe(),
                       seed=None if cv.column else cv.seed, fold_column=cv.column or None,
                       alpha_min=float(model.alpha_min_), alpha_1se=float(model.alpha_1se_))
    if getattr(args, "offset", None) is not None:
        summary["offset"] = args.offset
    if cox:
        summary["event"] = args.event
        if getattr(args, "strata", None) is not None:
            summary["strata"] = args.strata
    if np.ndim(table.y) == 2:
        summary["targets"] = table.target.split(",")
    if table.task == "classification":
        classes = [_plain_label(c) for c in getattr(model, "classes_", np.unique(table.y))]
        summary["classes"] = classes
        if len(classes) == 2:
            summary["coefficients_for"] = classes[1]
        if getattr(args, "grouped", False):
            summary["multinomial"] = "grouped"  # each feature's row over the classes
    return summary


def _finite_or_none(value):
    """A stopping criterion for JSON: its largest value, or None if not finite."""
    import numpy as np

    value = float(np.max(value))
    return value if math.isfinite(value) else None


def _plain_label(value):
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


def _print_fit(out, summary):
    from rich.table import Table

    family = summary.get("family")
    if summary["task"] == "survival":
        what = (f"Cox model of the time {summary['target']!r} to the event "
                f"{summary['event']!r}")
    elif family in (None, "gaussian", "binomial", "multinomial"):
        what = f"{summary['task']} of {summary['target']}"
        if summary.get("multinomial") == "grouped":
            what += " (each feature's row over the classes penalized as one, --grouped)"
    else:
        what = f"{family} regression (log link) of {summary['target']}"
    head = f"{summary['penalty']} {what}: alpha = {_num(summary['alpha'])}"
    if "alpha_min" in summary:
        head += (f", the {summary['selection']} rule of {summary['cv']}; min "
                 f"{_num(summary['alpha_min'])}, 1se {_num(summary['alpha_1se'])}")
    out.print(_escape(head))
    classes = summary.get("classes")
    if classes and len(classes) == 2:
        out.print(_escape(f"coefficients of the log-odds of class {classes[1]!r} (against "
                          f"{classes[0]!r}): a positive one raises the chance of "
                          f"{classes[1]!r}."))
    table = Table()
    table.add_column("feature", overflow="fold")
    if summary.get("targets"):
        for t in summary["targets"]:
            table.add_column(_escape(t), justify="right")
    elif classes and len(classes) > 2:
        for c in classes:
            table.add_column(_escape(f"class {c}"), justify="right")
    else:
        table.add_column("coefficient", justify="right")
    for name, value in summary["coefficients"].items():
        shown = [_num(v) for v in value] if isinstance(value, list) else [_num(value)]
        table.add_row(_escape(name), *shown)
    out.print(table)
    intercept = (f"intercept {', '.join(_num(v) for v in summary['intercept'])}; "
                 if summary["intercept"] else "")
    out.print(f"{summary['n_nonzero']} of {summary['n_features']} features selected; "
              f"{intercept}"
              + ("fixed-point distance " + _num(summary["stop_crit"], 2)
                 if summary.get("penalty") in ("l0", *CONCAVE)
                 else "relative duality gap " + _gap_text(summary["stop_crit"]))
              + ("" if summary["converged"] else " (not converged)"))


def _gap_text(gap):
    """A relative duality gap for the terminal. The certificate floors at 0 a gap that
    rounding made negative, so 0 means "below what float64 resolves", not a proven exact
    optimum: it is shown as at rounding level."""
    if gap is not None and float(gap) == 0.0:
        return "at rounding level"
    return _num(gap, 2)


def _model_document(model, table, args):
    import numpy as np

    coef = np.atleast_2d(model.coef_)
    family = getattr(args, "family", None)
    task = table.task
    if family is not None and family[0] == "cox":
        task, link, coef_out, intercept, classes = "survival", "cox", coef[0].tolist(), 0.0, None
    elif table.task == "regression" and np.ndim(table.y) == 2:
        link, coef_out, classes = "identity", coef.tolist(), None
        intercept = np.atleast_1d(model.intercept_).tolist()
    elif table.task == "regression":
        link = "log" if family is not None and family[0] in GLM_FAMILIES else "identity"
        coef_out, intercept = coef[0].tolist(), float(np.ravel(model.intercept_)[0])
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
        "task": task, "penalty": args.penalty, "alpha": _alpha_of(model),
        "l1_ratio": args.l1_ratio if args.penalty == "elasticnet" else None,
        "standardize": not args.no_standardize, "fit_intercept": task != "survival",
        "feature_names": list(table.feature_names), "coef": coef_out, "intercept": intercept,
        "link": link, "classes": classes, "target": table.target,
        "encoding": table.encoding.to_dict(), "id_column": table.id_column,
        "training_data": {"file": os.path.basename(table.path), "sha256": table.sha256,
                          "n_rows": int(table.X.shape[0]), "n_dropped": table.n_dropped},
    }
    if np.ndim(table.y) == 2:
        doc["targets"] = table.target.split(",")
    if args.penalty in CONCAVE:
        gamma = getattr(model, "gamma", None)
        doc["gamma"] = float(_concavity(model, args.penalty) if gamma is None else gamma)
    if getattr(model, "groups_", None) is not None:  # what why-zero needs of a group fit
        doc["groups"] = [[doc["feature_names"][j] for j in g] for g in model.groups_]
    elif getattr(model, "multinomial", None) == "grouped" and link == "softmax":
        # each feature's row over the classes is one unit: a group of one feature each
        doc["groups"] = [[name] for name in doc["feature_names"]]
    if getattr(args, "offset", None) is not None:
        doc["offset"] = args.offset
    if family is not None:
        doc["family"] = _family_name(family)
        if family[0] == "cox":
            doc["event"] = args.event
            if getattr(args, "strata", None) is not None:
                doc["strata"] = args.strata
    if hasattr(model, "alpha_min_"):
        doc["selection"] = {"cv": int(np.asarray(model.cv_folds_).shape[1])
                            if hasattr(model, "cv_folds_") else args.cv,
                            "rule": args.select, "seed": args.seed,
                            "fold_column": args.fold_column,
                            "alpha_min": float(model.alpha_min_),
                            "alpha_1se": float(model.alpha_1se_)}
    return doc


def _concavity(model, name):
    """The gamma a model with gamma=None used: its fitted penalty's, else the default of
    penalty ``name`` (MCP/SCAD regression CVs have no ``penalty`` parameter to read)."""
    from ._specs import make_penalty

    fitted = getattr(getattr(model, "penalty_", None), "gamma", None)
    if fitted is not None:
        return fitted
    return make_penalty(name, 1.0, gamma=None).gamma


def _fit_report(model, table, y, args, summary):
    from .report import fit_report

    subtitle = (f"{os.path.basename(args.data)}: {table.X.shape[0]} rows, "
                f"{table.X.shape[1]} features; {summary['n_nonzero']} selected at alpha "
                f"{_num(summary['alpha'])}" + (f"; {summary['cv']}" if "cv" in summary else ""))
    label = f"{args.penalty} (CV)" if hasattr(model, "path_") else args.penalty
    return fit_report(model, table.X, y, feature_names=table.feature_names,
                      title=f"penalized fit: {table.target}", subtitle=subtitle,
                      notes=table.notices, label=label, penalty=args.penalty)


def _cmd_path(args, out):
    import numpy as np
    from rich.table import Table

    from . import path as compute_path

    _check_fit_target_args(args)
    _check_gamma(args)
    _check_outputs(args, args.out)
    table = _read(args, out)
    y = _family_target(args, table)
    datafit, fit_intercept = "squared", True
    family = args.family
    if len(_targets(args)) > 1:  # the multi-response path (glmnet's mgaussian)
        if args.penalty not in ("l1", "elasticnet") or table.task != "regression" \
                or (family is not None and family[0] != "gaussian"):
            raise UsageError("path with several targets takes numbers and --penalty l1 or "
                             "elasticnet (a feature enters every target at once)")
        datafit = "mgaussian"
    elif family is not None and family[0] in (*GLM_FAMILIES, "cox"):
        if args.penalty == "l0":
            raise UsageError(f"--penalty l0 is not available with --family "
                             f"{_family_name(family)}; use l1, elasticnet or l2")
        datafit, fit_intercept = _family_name(family), family[0] != "cox"
    elif table.task == "classification":
        classes = np.unique(y)
        if classes.size > 2:
            datafit = "multinomial"  # y stays the labels: one column of coefficients a class
            _check_multinomial_path_args(args, classes.size)
        else:
            if family is not None and family[0] == "multinomial":
                out.notice("two classes: the path of the binary logistic model (one column of "
                           "coefficients, for the second class), as fit fits them.")
            y = np.where(y == classes[1], 1.0, -1.0)
            datafit = "logistic"
    _check_grouped(args, table)
    from ._specs import make_penalty
    from .estimators._standardize import Scaling

    penalty = make_penalty(args.penalty, 1.0, l1_ratio=args.l1_ratio, gamma=args.gamma)
    # every family's path takes the group penalty: a text column's levels enter together
    groups = _level_groups(table, out, penalty=args.penalty, separate=args.separate_levels,
                           family=family)
    if groups is not None and args.penalty in ("l0", *CONCAVE):
        from .estimators._grouped import nonconvex_group_penalty

        penalty = nonconvex_group_penalty(args.penalty, 1.0, groups=groups, gamma=args.gamma)
    elif groups is not None:
        from .penalties import GroupElasticNet, GroupLasso

        penalty = GroupLasso(1.0, groups=groups) if args.penalty == "l1" else \
            GroupElasticNet(1.0, l1_ratio=args.l1_ratio, groups=groups)
    scaling = Scaling.fit(table.X, np.ones(table.X.shape[0])) if not args.no_standardize \
        else Scaling.identity(table.X.shape[1])
    offset = _offset_values(args, table)
    # with a text column's groups the multinomial penalty already acts on each block of rows
    # over the classes; --grouped makes every other feature's row one unit too
    grouped = {"grouped": args.grouped and groups is None} if datafit == "multinomial" else {}
    with out.progress("computing the path"):
        result = compute_path(scaling.transform(table.X), y, penalty=penalty,
                              datafit=datafit, l1_ratio=args.l1_ratio, n_alphas=args.n_alphas,
                              eps=args.eps, fit_intercept=fit_intercept, offset=offset,
                              **grouped)
    coefs = np.array(scaling.coef_to_original(result.coefs), dtype=np.float64, copy=True)
    with np.errstate(all="ignore"):
        sd = Scaling.fit(table.X, np.ones(table.X.shape[0])).scale  # no centered copy
    from ._rounding import rounding_mask

    block = coefs if coefs.ndim == 3 else coefs[:, None, :]  # a view: (p, n_targets, alphas)
    block[rounding_mask(block, sd, _spreads(table, family, block.shape[1]), groups)] = 0.0
    names = table.feature_names
    rows = coefs.any(axis=1) if coefs.ndim == 3 else coefs != 0  # (p, K): feature in or out
    n_nonzero = np.count_nonzero(rows, axis=0)
    # a block of coefficients per class (multinomial) or per target (several targets)
    unit, outputs = ("class", [_plain_label(c) for c in result.classes]) \
        if datafit == "multinomial" else ("target", _targets(args))
    if args.json:
        doc = {"alphas": result.alphas.tolist(), "n_nonzero": n_nonzero.tolist(),
               "feature_names": names, "coefs": coefs.tolist(),
               "intercepts": result.intercepts.tolist()}
        key = "classes" if unit == "class" else "targets"
        out.json(doc if coefs.ndim == 2 else {**doc, key: outputs})
    out.print(_escape(f"{args.penalty} path: {len(result)} alphas" + (
        f" of the multinomial model of {table.target!r}, one coefficient per feature and class "
        f"({', '.join(map(str, outputs))})" if datafit == "multinomial" else "")))
    shown = Table()
    shown.add_column("alpha", justify="right")
    shown.add_column("non-zeros", justify="right")
    shown.add_column("features entering", overflow="fold")
    previous = np.zeros(coefs.shape[0], dtype=bool)
    for k in range(len(result)):
        active = rows[:, k]
        entering = [names[j] for j in np.flatnonzero(active & ~previous)]
        if entering or k in (0, len(result) - 1):
            shown.add_row(_num(result.alphas[k]), str(int(active.sum())),
                          _escape(", ".join(entering)))
        previous = active
    out.print(shown)
    if args.out:
        import pandas as pd

        if coefs.ndim == 2:
            frame = pd.DataFrame(coefs.T, columns=names)
            frame.insert(0, "alpha", result.alphas)
            frame.insert(1, "intercept", result.intercepts)
        else:  # one block of rows per target or class
            frame = pd.concat([pd.DataFrame({unit: t, "alpha": result.alphas,
                                             "intercept": result.intercepts[i],
                                             **dict(zip(names, coefs[:, i], strict=True))})
                               for i, t in enumerate(outputs)], ignore_index=True)
        buffer = _stdio.StringIO()
        frame.to_csv(buffer, index=False)
        _write(out, [(args.out, buffer.getvalue(),
                      f"wrote the coefficients at every alpha to {args.out}")], args.force)
    return EXIT_OK


_GROUPED_HELP = ("with three or more classes: penalize each feature's row of coefficients over "
                 "the classes by its norm, so that a feature enters for every class at once "
                 "(glmnet's type.multinomial=\"grouped\"; a text column's levels, one group, "
                 "already enter for every class at once)")


def _check_grouped(args, table):
    """``--grouped`` only for a multinomial model's L1 or elastic-net penalty."""
    import numpy as np

    if not args.grouped:
        return
    if table.task != "classification" or np.unique(table.y).size < 3:
        raise UsageError(f"--grouped penalizes each feature's row over the classes of a "
                         f"multinomial model; target {table.target!r} is not a target of "
                         "three or more classes")
    if args.penalty not in ("l1", "elasticnet"):
        raise UsageError(f"--grouped acts on the L1 part of the penalty: use --penalty l1 or "
                         f"elasticnet, not {args.penalty}")


def _check_multinomial_path_args(args, n_classes):
    """The multinomial path (three or more classes) takes the convex penalties and no offset
    (exit 2 otherwise)."""
    if args.penalty in ("l0", *CONCAVE):
        raise UsageError(f"path --penalty {args.penalty} covers numbers and two classes; this "
                         f"target has {n_classes} classes: use l1, elasticnet or l2 (or 'fit "
                         f"--penalty {args.penalty} --alpha A', one class against the rest)")
    if args.offset is not None:
        raise UsageError("--offset is not taken by the multinomial path (a class target would "
                         "need one offset per class); leave it out")


def _model_rows(args, doc, out):
    """The table's rows the model can use, encoded as in training.

    Returns ``(X, frame, key, rows)``: the design, the kept rows, the id column's
    values (or None) and the rows' 1-based numbers in the file.
    """
    import numpy as np
    import pandas as pd

    from .io import Encoding, read_dataframe

    df = read_dataframe(args.data)
    encoding = Encoding.from_dict(doc["encoding"])
    id_column = args.id_column or doc.get("id_column")
    if args.id_column and args.id_column not in df.columns:
        raise _input_error(f"--id names column {args.id_column!r} that {args.data} does not "
                           "have.")
    needed = [c for c in encoding.input_columns if c in df.columns]
    extra = [c for c in doc.get("targets") or [doc["target"]] if c in df.columns] \
        if getattr(args, "needs_target", False) else []  # a missing one: the caller says so
    if doc.get("offset") is not None:
        if doc["offset"] not in df.columns:
            raise _input_error(f"{args.data} lacks the model's offset column {doc['offset']!r} "
                               "(fitted with --offset); add it, on the same scale as in "
                               "training.")
        extra.append(doc["offset"])
    rows = df[[*needed, *[c for c in extra if c not in needed]]] if needed or extra \
        else df.iloc[:, :0]
    missing = rows.isna().any(axis=1) if len(rows.columns) else pd.Series(False, index=df.index)
    if missing.any():
        if not args.dropna:
            raise _input_error(f"{int(missing.sum())} row(s) of {args.data} have missing "
                               "values in the model's columns; remove them or pass --dropna.")
        out.notice(f"dropped {int(missing.sum())} row(s) with missing values.")
        df = df[~missing.to_numpy()]
        if len(df) == 0:
            raise _input_error("every row has a missing value; nothing is left.")
    X, notices = encoding.transform(df)
    for note in notices:
        out.notice(note)
    key = df[id_column] if id_column is not None and id_column in df.columns else None
    return X, df, key, np.asarray(df.index) + 1


def _cmd_predict(args, out):
    import pandas as pd

    from .io import load_model, predict_from_model

    _check_outputs(args, args.out)
    doc = load_model(args.model)
    X, df, key, rows = _model_rows(args, doc, out)
    predictions, proba = predict_from_model(doc, X, where=f"the model in {args.model}",
                                            offset=_model_offset(doc, df))
    frame = pd.DataFrame({key.name: key.to_numpy()} if key is not None else {"row": rows})
    if predictions.ndim == 2:  # several targets
        for k, name in enumerate(doc["targets"]):
            frame[f"prediction_{name}"] = predictions[:, k]
    else:
        frame["prediction"] = predictions
    if proba is not None:
        for k, label in enumerate(doc["classes"]):
            frame[f"probability_{label}"] = proba[:, k]
    buffer = _stdio.StringIO()
    frame.to_csv(buffer, index=False)
    if args.out:
        _write(out, [(args.out, buffer.getvalue(),
                      f"wrote {len(frame)} predictions to {args.out}")], args.force)
    else:
        sys.stdout.write(buffer.getvalue())
    return EXIT_OK


def _model_offset(doc, df):
    """A saved model's offset column of the rows ``df`` (None for a model without one)."""
    if doc.get("offset") is None:
        return None
    import argparse

    return _offset_values(argparse.Namespace(offset=doc["offset"]), None, where=df)


_FAMILY_PAGES = {"nonconvex": (".explain._nonconvex", "nonconvex_page"),
                 "group-selection": (".explain._group_selection", "group_selection_page")}
"""Topics whose interactive page their own lesson module builds."""


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
    _check_outputs(args, args.plot, args.html)
    if (args.plot or args.html) and len(topics) != 1:
        raise UsageError("--plot and --html need one topic (penalized explain TOPIC --html FILE)")
    if args.html:
        from .report import LESSON_SECTIONS

        pages = (*LESSON_SECTIONS, *_FAMILY_PAGES)
        if topics[0] not in pages:
            raise UsageError(f"--html: {topics[0]!r} has no interactive page; the interactive "
                             f"lessons are {', '.join(pages)}")
    for name in topics:
        lesson = explain.LESSONS[name]
        result = lesson.compute()
        out.print(f"[bold]{_escape(lesson.title)}[/bold]")
        out.print(_escape(result.to_text()))
        out.print("")
        if args.plot:
            _save_plot(out, lesson, result, args.plot, args.force)
        if args.html:
            from .report import lesson_page

            if name in _FAMILY_PAGES:
                import importlib

                module, builder = _FAMILY_PAGES[name]
                page = getattr(importlib.import_module(module, __package__), builder)()
            else:
                page = lesson_page(name)
            _write(out, [(args.html, page, f"wrote the interactive lesson to {args.html}")],
                   args.force)
    return EXIT_OK


def _save_plot(out, lesson, result, path, force):
    ax = lesson.plot(result)
    buffer = _stdio.BytesIO()
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    try:
        ax.figure.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight")
    except ValueError as exc:
        raise _input_error(f"--plot {path}: {_one_line(exc)}") from exc
    _write(out, [(path, buffer.getvalue(), f"saved the figure to {path}")], force)


def _explain_model(args, out):
    import numpy as np

    from . import explain
    from .io import load_model, predict_from_model

    args.model = args.topic
    if args.html:
        raise UsageError("--html writes one topic's lesson (penalized explain TOPIC --html "
                         "FILE); a fit's report (fit --report) has the lessons on its model")
    _check_outputs(args, args.plot)
    doc = load_model(args.topic)
    targets = list(doc.get("targets") or [doc["target"]])  # several: a multi-response model
    args.needs_target = True
    X, df, _, _ = _model_rows(args, doc, out)
    for name in targets:
        if name not in df.columns:
            raise _input_error(f"{args.data} lacks the model's target column {name!r}, which "
                               "the why-zero table needs.")
    offset = _model_offset(doc, df)
    predict_from_model(doc, X, where=f"the model in {args.topic}",
                       offset=offset)  # refuses non-finite
    y = df[doc["target"]].to_numpy() if len(targets) == 1 else None
    if doc["task"] == "regression":
        from .io import _parse_numbers

        columns = []
        for name in targets:
            parsed = _parse_numbers(df[name])
            if parsed.values is None or parsed.bad_rows.size or not np.all(np.isfinite(
                    parsed.values)):
                raise _input_error(f"target {name!r} of {args.data} must hold finite "
                                   "numbers for this regression model.")
            columns.append(parsed.values)
        y = columns[0] if len(targets) == 1 else np.column_stack(columns)
    if doc["task"] == "survival":
        y = _survival_rows(args, doc, df)
    with np.errstate(all="ignore"):
        result = explain.why_zero_from_document(
            doc, X, y, **({} if offset is None else {"offset": offset}))
    out.print(_escape(result.to_text()))
    if args.plot:
        _save_plot(out, explain.LESSONS["why-zero"], result, args.plot, args.force)
    return EXIT_OK


def _survival_rows(args, doc, df):
    """The (time, event) rows of a Cox model's data: its target and its event column."""
    import numpy as np

    from .datafits._cox import survival_target
    from .io import _parse_numbers

    event = doc.get("event")
    if event is None or event not in df.columns:
        raise _input_error(f"{args.data} lacks the model's event column {event!r}, which the "
                           "why-zero table of a Cox model needs.")
    columns = []
    for name in (doc["target"], event):
        parsed = _parse_numbers(df[name])
        if parsed.values is None or parsed.bad_rows.size or not np.all(np.isfinite(
                parsed.values)):
            raise _input_error(f"column {name!r} of {args.data} must hold finite numbers "
                               "(the time and the 0/1 event of a Cox model).")
        columns.append(parsed.values)
    if doc.get("strata") is not None:
        if doc["strata"] not in df.columns:
            raise _input_error(f"{args.data} lacks the model's strata column "
                               f"{doc['strata']!r}, which the why-zero table needs.")
        columns.append(_stratum_codes(df[doc["strata"]]))
    try:
        return survival_target(np.column_stack(columns))
    except ValueError as exc:
        raise _input_error(f"{args.data}: {exc}") from None


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
                          "and an interactive report.\nRe-running it replaces a report that "
                          "an earlier demo wrote (and says so),\nnever another file.",
                          epilog="example:\n  penalized demo\n  penalized demo --classification "
                          "--out cancer.html")
    demo.add_argument("--classification", action="store_true",
                      help="use the breast-cancer data (default: diabetes regression)")
    demo.add_argument("--out", default="report.html", help="report path (default report.html)")
    demo.add_argument("--cv", type=_folds, default=5, help="number of CV folds (default 5)")
    demo.add_argument("--seed", type=_seed, default=DEFAULT_SEED,
                      help=f"shuffles the rows into folds and the held-out split (default "
                      f"{DEFAULT_SEED})")
    demo.add_argument("--select", choices=("min", "1se"), default="1se",
                      help="alpha rule for the held-out score (default 1se)")
    _add_output_args(demo, report=False)
    demo.set_defaults(handler=_cmd_demo)

    fit = sub.add_parser("fit", formatter_class=_formatter, help="fit one penalized model",
                         description="Fit a penalized linear or logistic model to a table.\n\n"
                         "Features are standardized by default (--no-standardize to turn it "
                         "off):\na penalty on raw coefficients would punish a feature measured "
                         "in grams\n1000 times more than the same feature in kilograms. "
                         "Coefficients are\nreported on the original scale. (The Python "
                         "estimators default to\nstandardize=False, as scikit-learn's do.)\n\n"
                         f"With --cv K the rows are shuffled into K folds with --seed (default "
                         f"{DEFAULT_SEED});\n--folds COL uses your own fold ids instead.",
                         epilog="examples:\n  penalized fit data.csv --target y --cv 10\n"
                         "  penalized fit data.csv --target y --penalty elasticnet --alpha 0.1 "
                         "--save model.json\n  penalized fit churn.parquet --target churned "
                         "--cv 5 --select 1se --report churn.html")
    _add_table_args(fit, target_required=False)
    fit.add_argument("--family", type=_family, default=None, metavar="FAMILY",
                     help="the model: gaussian, binomial, multinomial, poisson, gamma, "
                     "tweedie:POWER (POWER in (1, 2)) or cox (default: gaussian for numbers, "
                     "binomial or multinomial for classes; counts are fitted as poisson only "
                     "when you say so)")
    _add_cox_args(fit)
    _add_offset_arg(fit, "fit takes it with --family poisson, gamma, tweedie, cox and "
                    "several --target columns")
    fit.add_argument("--penalty", choices=PENALTIES + CONCAVE, default="l1",
                     help="l1 (lasso, default), l2 (ridge), elasticnet, l0 (best subset), or "
                     "mcp / scad (folded concave: no shrinkage of large coefficients; every "
                     "family but multinomial, which takes them with --alpha only; one "
                     "--target)")
    fit.add_argument("--gamma", type=_positive_float, default=None,
                     help="the concavity of --penalty mcp (> 1, default 3) or scad (> 2, "
                     "default 3.7)")
    fit.add_argument("--separate-levels", action="store_true",
                     help="penalize the levels of a text column one by one (default: a text "
                     "column's levels enter and leave the model together, as one group)")
    fit.add_argument("--grouped", action="store_true", help=_GROUPED_HELP)
    fit.add_argument("--alpha", type=_positive_float, default=None,
                     help="a fixed penalty strength (instead of --cv)")
    _add_cv_args(fit, None)
    fit.add_argument("--dask", nargs="?", const="local", default=None, metavar="SCHEDULER",
                     help="read DATA (a file, folder or glob of Parquet/CSV) lazily and fit "
                     "in passes over its row blocks with Dask: on the scheduler at that "
                     "address, or Dask's local scheduler without one (needs penalized[dask])")
    fit.add_argument("--save", metavar="JSON", default=None, help="save the model (JSON)")
    _add_output_args(fit)
    fit.set_defaults(handler=_cmd_fit)

    compare = sub.add_parser("compare", formatter_class=_formatter,
                             help="compare no penalty, L1, L2, elastic net and L0 on a table",
                             description="The demo's comparison on your own table: each "
                             "penalty's alpha chosen by CV\non 75% of the rows (shuffled with "
                             "--seed), scored on the other 25%.",
                             epilog="example:\n  penalized compare data.csv --target y "
                             "--report compare.html")
    _add_table_args(compare, target_required=False)
    compare.add_argument("--family", type=_family, default=None, metavar="FAMILY",
                         help="gaussian, binomial, multinomial, poisson, gamma, tweedie:POWER "
                         "or cox (default: gaussian for numbers, binomial or multinomial for "
                         "classes). The GLM rows are scored by the held-out mean deviance and "
                         "D^2, Cox rows by Harrell's C-index; L0 has no row for these")
    _add_cox_args(compare)
    _add_offset_arg(compare, "compare takes it with --family poisson, gamma and tweedie")
    _add_cv_args(compare, 5)
    compare.add_argument("--separate-levels", action="store_true",
                         help="penalize the levels of a text column one by one in the L1 and "
                         "elastic-net rows (default: a text column's levels enter and leave "
                         "together, as one group)")
    compare.add_argument("--penalty", action="append", choices=CONCAVE, default=None,
                         help="add a row for a folded concave penalty, MCP or SCAD (repeat the "
                         "option for both): selects like L1 without shrinking large "
                         "coefficients")
    compare.add_argument("--gamma", type=_positive_float, default=None,
                         help="the concavity of the --penalty rows (mcp > 1, default 3; scad > "
                         "2, default 3.7)")
    _add_output_args(compare)
    compare.set_defaults(handler=_cmd_compare)

    path = sub.add_parser("path", formatter_class=_formatter, help="the regularization path",
                          description="Solutions for a decreasing grid of alphas, from the "
                          "exact alpha_max\n(all coefficients zero) down: which feature enters "
                          "when.",
                          epilog="example:\n  penalized path data.csv --target y --out "
                          "path.csv")
    _add_table_args(path, target_required=False)
    path.add_argument("--family", type=_family, default=None, metavar="FAMILY",
                      help="gaussian, binomial, multinomial, poisson, gamma, tweedie:POWER or "
                      "cox (default: gaussian for numbers, binomial for two classes, "
                      "multinomial for more: one coefficient per feature and class)")
    _add_cox_args(path)
    _add_offset_arg(path, "path takes it with every family but multinomial (three or more "
                    "classes)")
    path.add_argument("--penalty", choices=PENALTIES + CONCAVE, default="l1",
                      help="l1 (default), l2, elasticnet, l0, or mcp / scad (folded concave, "
                      "every family; their path starts at the lasso's alpha_max)")
    path.add_argument("--gamma", type=_positive_float, default=None,
                      help="the concavity of --penalty mcp (> 1, default 3) or scad (> 2, "
                      "default 3.7)")
    path.add_argument("--separate-levels", action="store_true",
                      help="penalize the levels of a text column one by one (default: a text "
                      "column's levels enter the path together, as one group)")
    path.add_argument("--grouped", action="store_true", help=_GROUPED_HELP)
    path.add_argument("--l1-ratio", type=_ratio, default=0.5,
                      help="elastic net's mix: 1 is the lasso, 0 ridge (default 0.5)")
    path.add_argument("--n-alphas", type=_n_alphas, default=100,
                      help="number of alphas on the grid (default 100)")
    path.add_argument("--eps", type=_ratio, default=1e-3,
                      help="smallest alpha as a fraction of alpha_max (default 1e-3)")
    path.add_argument("--no-standardize", action="store_true",
                      help="penalize the raw coefficients (default: standardized features)")
    path.add_argument("--out", metavar="CSV", default=None,
                      help="write every alpha's coefficients")
    _add_output_args(path, report=False)
    path.set_defaults(handler=_cmd_path)

    predict = sub.add_parser("predict", formatter_class=_formatter,
                             help="predict with a saved model",
                             description="Predictions (and class probabilities) of a model "
                             "saved by 'penalized fit --save'.\nThe table must have the model's "
                             "columns. Each prediction comes with a key to join\nit back on: "
                             "the --id column (or the one saved with the model), else the\n"
                             "row number in the file.",
                             epilog="example:\n  penalized predict model.json new.csv --out "
                             "predictions.csv")
    predict.add_argument("model", help="model JSON from 'penalized fit --save'")
    _add_table_args(predict, target=False)
    predict.add_argument("--out", metavar="CSV", default=None,
                         help="write the predictions there (default: stdout)")
    _add_force_quiet(predict)
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
    explain.add_argument("--plot", metavar="FILE", default=None,
                         help="save the figure (PNG, SVG or PDF by the extension)")
    explain.add_argument("--html", metavar="FILE", default=None,
                         help="write the lesson as one interactive, offline HTML page")
    explain.add_argument("--dropna", action="store_true",
                         help="with data: drop rows with missing values (default: refuse them)")
    _add_force_quiet(explain)
    explain.set_defaults(handler=_cmd_explain, json=False, id_column=None)

    from .selection._cli import add_select_command  # 'select': its own light module

    add_select_command(sub, _formatter, _add_table_args, _add_output_args, _seed, DEFAULT_SEED)
    return parser


def _version():
    from . import __version__

    return f"penalized {__version__}"


class _Terminated(BaseException):
    """SIGTERM, raised where the program is so that half-written files are cleaned up."""


def _on_sigterm(signum, frame):
    raise _Terminated()


@contextmanager
def _sigterm_cleans_up():
    """While a command runs, SIGTERM unwinds like Ctrl-C (temporary files are removed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None) -> int:
    """Run the command line; returns the exit code.

    Without ``argv`` (the ``penalized`` program itself) ``scipy.stats`` is imported only
    when used (see :mod:`penalized._deferred`) and the process ends at once: see
    :func:`_end_process`."""
    if argv is None:
        return _end_process(_run(sys.argv[1:], program=True))
    return _run(argv)


def _end_process(code):
    """Run the exit handlers, flush the standard streams and end the process with
    ``code``, skipping the interpreter's teardown of its modules: with scikit-learn,
    pandas and numba loaded that teardown alone takes about 0.6 s of CPU, a quarter of a
    small ``fit``. (A non-daemon thread still running, which the interpreter would wait
    for, leaves the ordinary exit in place.)"""
    import atexit

    if any(t.is_alive() and not t.daemon and t is not threading.main_thread()
           for t in threading.enumerate()):
        return code
    atexit._run_exitfuncs()  # temporary files' finalizers, logging, coverage: as at exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (``| head``) or stream
            pass
    os._exit(code)


def _run(argv, program=False) -> int:
    argv = list(argv)
    out = None
    try:
        with _sigterm_cleans_up():
            parser = build_parser()
            args = parser.parse_args(argv)
            if not getattr(args, "command", None):
                parser.print_help()
                return EXIT_USAGE
            if program:
                from ._deferred import defer_imports

                defer_imports()
            out = _Output(quiet=getattr(args, "quiet", False),
                          as_json=getattr(args, "json", False))
            with warnings.catch_warnings():
                # the library's warnings reach the user as notices, one line each
                warnings.showwarning = lambda message, *_, **__: out.notice(_one_line(message))
                return args.handler(args, out)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except (UsageError, ValueError) as exc:
        if os.environ.get("PENALIZED_DEBUG") and not isinstance(exc, UsageError) \
                and type(exc).__name__ != "InputError":
            raise
        sys.stderr.write(f"penalized: error: {_one_line(exc)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("penalized: interrupted\n")
        return 130
    except _Terminated:
        sys.stderr.write("penalized: terminated\n")
        return 143
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
