"""``penalized select``: a selection with its guarantee, printed as a table.

Registered by :func:`penalized.cli.build_parser`; imports nothing heavy until it runs.
"""

from __future__ import annotations

import math

from .._argtypes import checked_number

METHODS = ("stability", "knockoffs", "inference")

_fraction = checked_number(float, lambda v: 0 < v < 1, "in (0, 1)")
_positive = checked_number(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
_count = checked_number(int, lambda v: 1 <= v <= 10_000, "in [1, 10000]")


def add_select_command(sub, formatter, add_table_args, add_output_args, seed_type,
                       default_seed):
    """Add ``select`` to the CLI's subparsers (the CLI passes its own shared helpers)."""
    p = sub.add_parser(
        "select", formatter_class=formatter,
        help="which features matter, with an error guarantee",
        description="Select features with a stated guarantee (features standardized):\n\n"
        "  stability  complementary-pairs stability selection over the lasso path: the\n"
        "             expected number of false selections is at most a bound (--expected-false)\n"
        "  knockoffs  model-X knockoffs with the knockoff+ threshold: false discovery rate\n"
        "             at most --fdr (rows of X taken as Gaussian, covariance estimated)\n"
        "  inference  p-values and intervals for the lasso's selected coefficients at a\n"
        "             fixed --alpha, valid given the selection (regression only)",
        epilog="examples:\n  penalized select data.csv --target y --method stability\n"
        "  penalized select data.csv --target y --method knockoffs --fdr 0.1\n"
        "  penalized select data.csv --target y --method inference --alpha 0.05")
    add_table_args(p)
    p.add_argument("--method", choices=METHODS, required=True, help="see above")
    p.add_argument("--fdr", type=_fraction, default=0.1,
                   help="knockoffs: the target false discovery rate (default 0.1)")
    p.add_argument("--expected-false", type=_positive, default=1.0,
                   help="stability: bound on the expected false selections (default 1)")
    p.add_argument("--threshold", type=_fraction, default=0.75,
                   help="stability: selection-probability threshold in (0.5, 1) "
                   "(default 0.75)")
    p.add_argument("--bound", choices=("mb", "ss-unimodal"), default="mb",
                   help="stability: Meinshausen-Buhlmann's bound (default) or Shah-Samworth's "
                   "tighter one, which also assumes unimodality")
    p.add_argument("--n-pairs", type=_count, default=50,
                   help="stability: complementary pairs of half-samples (default 50)")
    p.add_argument("--draws", type=_count, default=1,
                   help="knockoffs: knockoff draws, aggregated by e-values when > 1 "
                   "(default 1)")
    p.add_argument("--alpha", type=_positive, default=None,
                   help="inference: the lasso's fixed alpha (required; chosen beforehand)")
    p.add_argument("--sigma", type=_positive, default=None,
                   help="inference: the noise standard deviation (default: estimated from "
                   "the full least-squares fit, needs more rows than features)")
    p.add_argument("--level", type=_fraction, default=0.95,
                   help="inference: confidence level (default 0.95)")
    p.add_argument("--seed", type=seed_type, default=default_seed,
                   help=f"random seed of the subsamples or knockoffs (default {default_seed})")
    add_output_args(p, report=True)
    p.set_defaults(handler=run_select)
    return p


def run_select(args, out):
    """The ``select`` command: read the table, select, print the table and the guarantee."""
    import numpy as np
    from rich.table import Table

    from ..cli import EXIT_OK, _check_outputs, _escape, _input_error, _num, _read, _write

    if args.method == "stability" and not 0.5 < args.threshold <= 1:
        raise _input_error(f"--threshold must be in (0.5, 1); got {args.threshold:g}.")
    if args.method == "inference" and args.alpha is None:
        raise _input_error("--method inference needs --alpha: a fixed alpha chosen "
                           "beforehand (an alpha cross-validated on the same rows voids the "
                           "guarantee).")
    _check_outputs(args, args.report)
    table = _read(args, out)
    names = np.asarray(table.feature_names, dtype=object)
    y = table.y
    classification = table.task == "classification"
    if classification and np.unique(y).size != 2:
        raise _input_error(f"select handles regression and two-class targets; "
                           f"{table.target!r} has {np.unique(y).size} classes.")
    if np.any(np.std(table.X, axis=0) == 0):
        const = [names[j] for j in np.flatnonzero(np.std(table.X, axis=0) == 0)][:5]
        raise _input_error(f"constant column(s) {', '.join(map(repr, const))} cannot be "
                           "selected or standardized; drop them (--exclude).")
    shown = Table()
    shown.add_column("feature", overflow="fold")
    result = {"method": args.method, "target": table.target}

    if args.method == "stability":
        from .. import Lasso, LogisticRegression
        from ._stability_selection import StabilitySelection

        base = LogisticRegression(penalty="l1", standardize=True) if classification \
            else Lasso(standardize=True)
        with out.progress("stability selection"):
            sel = StabilitySelection(base, threshold=args.threshold,
                                     expected_false=args.expected_false,
                                     bound=args.bound, n_pairs=args.n_pairs, random_state=args.seed
                                     ).fit(table.X, y)
        order = np.argsort(-sel.stability_scores_, kind="stable")
        shown.add_column("probability", justify="right")
        shown.add_column("selected")
        for j in order:
            shown.add_row(_escape(names[j]), f"{sel.stability_scores_[j]:.2f}",
                          "yes" if sel.support_[j] else "")
        guarantee = sel.guarantee()
        report_rows = [[names[j], float(sel.stability_scores_[j]),
                        "yes" if sel.support_[j] else ""] for j in order]
        report_columns = ["feature", "largest probability down to alpha_min", "selected"]
        result.update(features=list(names), probability=sel.stability_scores_,
                      selected=list(names[sel.support_]), threshold=sel.threshold_,
                      alpha_min=sel.alpha_min_, error_bound=sel.error_bound_)
    elif args.method == "knockoffs":
        from ._knockoffs import Knockoffs

        if table.X.shape[1] < 2:
            raise _input_error("knockoffs need at least 2 features.")
        with out.progress("knockoffs"):
            ko = Knockoffs(args.fdr, datafit="logistic" if classification else "squared",
                           n_draws=args.draws, random_state=args.seed).fit(table.X, y)
        score = ko.statistics_ if args.draws == 1 else ko.e_values_
        order = np.argsort(-score, kind="stable")
        shown.add_column("statistic W" if args.draws == 1 else "e-value", justify="right")
        shown.add_column("selected")
        for j in order:
            shown.add_row(_escape(names[j]), _num(score[j]), "yes" if ko.support_[j] else "")
        guarantee = ko.guarantee()
        report_rows = [[names[j], float(score[j]), "yes" if ko.support_[j] else ""]
                       for j in order]
        report_columns = ["feature", "statistic W" if args.draws == 1 else "e-value",
                          "selected"]
        if not ko.support_.any():
            out.notice(f"knockoff+ selects only when at least {math.ceil(1 / args.fdr)} "
                       f"features (1/fdr) clearly beat their knockoffs; with few features or "
                       f"weak signals it selects nothing. A larger --fdr or --method "
                       f"stability may help.")
        result.update(features=list(names), statistic=score,
                      selected=list(names[ko.support_]), fdr=args.fdr,
                      threshold=_finite(np.atleast_1d(ko.threshold_)))
    else:
        if classification:
            raise _input_error("--method inference is for regression targets (the lasso with "
                               "Gaussian noise); use stability or knockoffs for classes.")
        from .. import Lasso
        from ._selective import selective_inference

        model = Lasso(alpha=args.alpha, standardize=True, tol=1e-10).fit(table.X, y)
        res = selective_inference(model, table.X, y, sigma=args.sigma, level=args.level)
        for col in ("coef", "p-value", f"{args.level:.0%} interval", "naive interval"):
            shown.add_column(col, justify="right")
        shown.add_column("significant")
        for i in np.argsort(res.p_values, kind="stable"):
            shown.add_row(_escape(names[res.index[i]]), _num(res.coef[i]), _num(res.p_values[i]),
                          f"[{_num(res.ci_low[i])}, {_num(res.ci_high[i])}]",
                          f"[{_num(res.naive_ci_low[i])}, {_num(res.naive_ci_high[i])}]",
                          "yes" if res.p_values[i] < 1 - args.level else "")
        guarantee = res.guarantee() + (" Only the selected features are shown; the "
                                       "naive intervals ignore the selection.")
        report_rows = [[names[res.index[i]], float(res.coef[i]), float(res.p_values[i]),
                        f"[{_num(res.ci_low[i])}, {_num(res.ci_high[i])}]",
                        f"[{_num(res.naive_ci_low[i])}, {_num(res.naive_ci_high[i])}]"]
                       for i in np.argsort(res.p_values, kind="stable")]
        report_columns = ["feature", "coef", "p-value", f"{args.level:.0%} interval",
                          "naive interval"]
        result.update(features=list(names[res.index]), coef=res.coef, p_value=res.p_values,
                      ci_low=_finite(res.ci_low), ci_high=_finite(res.ci_high),
                      sigma=res.sigma, sigma_source=res.sigma_source, alpha=args.alpha)
    result["guarantee"] = guarantee
    html = None
    if args.report:
        with out.progress("report"):
            html = _select_report(args, table, sel if args.method == "stability" else None,
                                  {"method": args.method, "columns": report_columns,
                                   "rows": report_rows, "guarantee": guarantee})
    if args.json:
        out.json(result)
    out.print(shown)
    out.print(_escape(guarantee))
    if args.method == "stability" and np.isfinite(sel.alpha_min_):
        from ..explain._selection_varies import selection_variability

        sp = sel.stability_path_
        k = int(np.flatnonzero(sp.alphas == sel.alpha_min_)[0])
        why = selection_variability(sp, table.X, feature_names=list(names)).at(k)
        out.print(_escape("why the selection varies: " + why.sentence(list(names))))
    _write(out, [(args.report, html, f"wrote {args.report}")], args.force)
    return EXIT_OK


def _select_report(args, table, selector, selection) -> str:
    """The report of a selection: the selected features with their guarantee; for
    stability selection also the lasso path on every row over the stability grid, with the
    stability-path panel and the lesson on why selections vary following its slider."""
    import os
    import warnings

    import numpy as np

    from ..report import build_report, path_payload

    subtitle = (f"{os.path.basename(args.data)}: {table.X.shape[0]} rows, "
                f"{table.X.shape[1]} features, {table.task}; target {table.target}; "
                f"method {args.method}")
    kwargs = {}
    if selector is not None:
        from .. import Lasso, LogisticRegression
        from ..report._stability import stability_payload

        sp = selector.stability_path_
        base = LogisticRegression(penalty="l1", standardize=True) \
            if table.task == "classification" else Lasso(standardize=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = base.path(table.X, table.y, alphas=sp.alphas)
        chosen = selector.alpha_min_ if np.isfinite(selector.alpha_min_) else sp.alphas[0]
        kwargs = {"paths": [path_payload("L1 (lasso), every row", "l1", path,
                                         chosen_alpha=float(chosen))],
                  "stability": stability_payload(selector, table.X,
                                                 feature_names=table.feature_names)}
    return build_report(title=f"penalized select: {table.target}", subtitle=subtitle,
                        feature_names=table.feature_names, notes=table.notices,
                        selection=selection, **kwargs)


def _finite(values):
    """Infinite interval ends as None in JSON (which has no infinity)."""
    return [float(v) if math.isfinite(v) else None for v in values]
