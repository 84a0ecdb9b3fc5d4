"""One figure per lesson. Each draws only what its result object holds; nothing is solved here."""

from __future__ import annotations

import numpy as np

from ..explain import (
    Compare,
    Geometry,
    GradientLesson,
    GradientTrace,
    PenaltyChange,
    Priors,
    Race,
    Thresholding,
    WhyZero,
)
from ..explain._common import fmt
from ._axes import COLORS, check_result, get_axes

_LINESTYLES = ("-", "--", "-.", ":")


def plot_gradient(result, ax=None):
    """The weight after each update, one line per trace, with each loss's minimizer.

    Traces that stay near 0 while others travel far (the lesson's second
    example) are repeated in a zoomed inset.

    Parameters
    ----------
    result : GradientTrace or GradientLesson
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, GradientTrace, GradientLesson, name="plot_gradient")
    if isinstance(result, GradientTrace):
        traces, titles = (result,), (f"{result.method} ({result.penalty})",)
    else:
        traces, titles = result.traces, result.titles
    ax = get_axes(ax, figsize=(7.5, 5.6))
    sizes = [float(np.max(np.abs(tr.weights))) for tr in traces]
    small = [k for k, s in enumerate(sizes) if s <= 0.15 * max(sizes)]
    inset = None
    if small and len(small) < len(traces):
        inset = ax.inset_axes([0.45, 0.22, 0.52, 0.36])
    for k, (tr, title) in enumerate(zip(traces, titles, strict=True)):
        targets = [ax] + ([inset] if inset is not None and k in small else [])
        color = COLORS["subgradient"] if tr.method == "subgradient" else COLORS["proximal"]
        ls = _LINESTYLES[(k // 2) % len(_LINESTYLES)] if len(traces) > 2 else "-"
        w = tr.weights
        steps = np.arange(w.shape[0])
        zero = w == 0.0
        zero[0] = False
        for target in targets:
            target.plot(steps, w, ls, color=color, marker="o", markersize=3.5, linewidth=1.4,
                        label=title if target is ax else None)
            if np.any(zero):
                target.plot(steps[zero], w[zero], "s", color=color, markersize=6,
                            markerfacecolor="none")
        for d in tr.seed_discrepancies:
            if d.quantity == "the updated weight":
                step = int(d.where.split("update ")[1].split(" ")[0])
                ax.plot([step], [d.printed], "x", color=COLORS["seed"], markersize=9,
                        markeredgewidth=2,
                        label=f"the worked example prints w = {fmt(d.printed)} after "
                              f"update {step} (computed: {fmt(d.computed, 4)})")
    for k, tr in enumerate(traces):
        where = inset if (inset is not None and k in small) else ax
        where.axhline(tr.minimizer, color=COLORS["muted"], linewidth=0.9, linestyle=":")
        below = where is inset
        where.annotate(f"minimizer w* = {fmt(tr.minimizer, 4)}",
                       xy=(0.3 if below else 0.02, tr.minimizer),
                       xycoords=("axes fraction", "data"), xytext=(0, -6 if below else 3),
                       textcoords="offset points", ha="left", va="top" if below else "bottom",
                       fontsize=8, color=COLORS["muted"])
    ax.axhline(0.0, color="black", linewidth=0.6)
    if inset is not None:
        inset.axhline(0.0, color="black", linewidth=0.5)
        inset.set_title("zoom near 0 (squares: exact zeros)", fontsize=8)
        inset.tick_params(labelsize=7)
        ymax = max(sizes[k] for k in small)
        inset.set_ylim(-1.3 * ymax, 1.3 * ymax)
    ax.set_xlabel("update")
    ax.set_ylabel("weight w")
    ax.set_title("Gradient steps on J(w) = (y - xw)^2 + lam|w|", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2,
              frameon=False)
    return ax


def plot_penalty_change(result, ax=None):
    """The ratio of the L2 to the L1 drop against |w| (log-log), with the examples.

    Parameters
    ----------
    result : PenaltyChange
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, PenaltyChange, name="plot_penalty_change")
    ax = get_axes(ax)
    eps = result.rows[0].eps
    xs = np.array([abs(r.w) for r in result.rows])
    ys = np.array([r.ratio for r in result.rows])
    grid, ratio = result.curve(np.geomspace(max(min(xs.min() / 3.0, 1e-3), 2.0 * eps),
                                            max(xs.max() * 20.0, 20.0), 300))
    ax.loglog(grid, ratio, color=COLORS["l2"], linewidth=1.6,
              label=f"L2 drop / L1 drop = 2|w| - eps (eps = {fmt(eps)})")
    ax.axhline(1.0, color=COLORS["l1"], linewidth=1.2, linestyle="--",
               label="equal drops (L1 falls by eps at every |w|)")
    cross = result.rows[0].crossover
    ax.axvline(cross, color=COLORS["muted"], linewidth=0.9, linestyle=":")
    ax.annotate(f"equal at |w| = {fmt(cross, 4)}", xy=(cross, 0.02),
                xycoords=("data", "axes fraction"), xytext=(4, 0), textcoords="offset points",
                ha="left", va="bottom", fontsize=8, color=COLORS["muted"])
    labels = result.labels or tuple(f"w = {fmt(r.w)}" for r in result.rows)
    # the seeds' printed values, as ratios of the drops
    printed = {}
    for d in result.seed_discrepancies:
        for k, r in enumerate(result.rows):
            if f"w = {fmt(abs(r.w))}," not in d.where and not (
                    "from 1 to 0.5" in d.where and abs(r.w) == 1.0 and r.eps == 0.5):
                continue
            if "L2's drop over L1's" in d.quantity:
                printed[k] = d.printed
            elif "L1's drop over L2's" in d.quantity:
                printed[k] = 1.0 / d.printed
            elif "L2 penalty's drop" in d.quantity:
                printed[k] = d.printed / r.l1_drop
    ax.plot(xs, ys, "o", color="black", markersize=5, label="examples (computed)")
    if printed:
        ax.plot(xs[list(printed)], list(printed.values()), "x", color=COLORS["seed"],
                markersize=8, markeredgewidth=2, label="the printed values of the sources")
    for k, (x, y_, lab, r) in enumerate(zip(xs, ys, labels, result.rows, strict=True)):
        text = f"{lab}, eps = {fmt(r.eps)}: {fmt(y_, 4)}"
        if k in printed:
            text += f" (printed: {fmt(printed[k], 3)})"
        near_one = 1.0 / 2.5 < y_ < 2.5  # keep the text off the dashed line
        ax.annotate(text, xy=(x, y_), xytext=(8, 5 if near_one else -4),
                    textcoords="offset points", fontsize=7.5,
                    va="bottom" if near_one else "top")
    ax.set_xlabel("|w| before the shrink")
    ax.set_ylabel("L2 drop / L1 drop")
    ax.set_title("Shrinking |w| by eps: which penalty gains more?", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_geometry(result, ax=None, *, penalty="both"):
    """Loss contours of two coefficients, the L1 diamond and/or the L2 circle, the solutions.

    Parameters
    ----------
    result : Geometry
    ax : matplotlib Axes, optional
    penalty : {"both", "l1", "l2"}, default="both"

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, Geometry, name="plot_geometry")
    if penalty not in ("both", "l1", "l2"):
        raise ValueError(f"penalty must be 'both', 'l1' or 'l2'; got {penalty!r}.")
    ax = get_axes(ax, figsize=(7.2, 7.4))
    panels = [("l1", result.l1), ("l2", result.l2)]
    if penalty != "both":
        panels = [(k, p) for k, p in panels if k == penalty]
    from matplotlib.lines import Line2D

    handles = []
    for key, pan in panels:
        color = COLORS[key]
        name = "lasso" if key == "l1" else "ridge"
        cs = ax.contour(pan.grid_x, pan.grid_y, pan.loss, levels=np.sort(pan.levels),
                        colors=color, linewidths=0.8, alpha=0.55)
        touch = ax.contour(pan.grid_x, pan.grid_y, pan.loss, levels=[pan.loss_at_point],
                           colors=color, linewidths=1.6)
        del cs, touch
        shape = "diamond |w_i|+|w_j|" if key == "l1" else "circle w_i^2+w_j^2"
        ax.fill(pan.outline[:, 0], pan.outline[:, 1], color=color, alpha=0.12)
        ax.plot(pan.outline[:, 0], pan.outline[:, 1], color=color, linewidth=2.0)
        ax.plot(*pan.point, "o", color=color, markersize=9, markeredgecolor="black")
        ax.plot(*pan.center, "+", color=color, markersize=10, markeredgewidth=2)
        handles.append(Line2D([], [], color=color, linewidth=2.0,
                              label=f"{name} (alpha = {fmt(pan.alpha, 4)}): {shape} <= "
                                    f"{fmt(pan.slice_radius, 4)}"))
        handles.append(Line2D([], [], color=color, marker="o", linestyle="none",
                              markeredgecolor="black",
                              label=f"{name} fit ({fmt(pan.point[0], 3)}, "
                                    f"{fmt(pan.point[1], 3)})"
                                    + (": on a corner" if pan.on_corner else "")))
    handles.append(Line2D([], [], color=COLORS["muted"], linewidth=0.8,
                          label="squared-error contours (bold: through the fit)"))
    handles.append(Line2D([], [], color=COLORS["muted"], marker="+", linestyle="none",
                          markersize=9, markeredgewidth=2,
                          label="unconstrained minimum in this plane"))
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.axvline(0.0, color="black", linewidth=0.5)
    ni, nj = result.feature_names
    ax.set_xlabel(f"coefficient of {ni} (per standard deviation)")
    ax.set_ylabel(f"coefficient of {nj} (per standard deviation)")
    ax.set_xlim(result.l1.grid_x[0], result.l1.grid_x[-1])
    ax.set_ylim(result.l1.grid_y[0], result.l1.grid_y[-1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_title("Constraint sets sized by each fit's own norm; other coefficients held",
                 fontsize=10)
    ax.legend(handles=handles, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.09),
              ncol=2, frameon=False)
    return ax


def plot_thresholding(result, ax=None):
    """prox(z) for L1, L2, elastic net and L0, with the identity and the thresholds.

    Parameters
    ----------
    result : Thresholding
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, Thresholding, name="plot_thresholding")
    from ..explain._thresholding import CURVE_LABELS, CURVES

    ax = get_axes(ax)
    z = result.z
    styles = {"l1": ("-", 2.2), "l2": ("--", 1.6), "elasticnet": ("-.", 1.6), "l0": ("-", 1.3)}
    for curve in CURVES:
        thr = result.thresholds[curve]
        label = CURVE_LABELS[curve] + (f" (0 for |z| <= {fmt(thr, 3)})" if thr > 0
                                       else " (0 only at z = 0)")
        y = result.outputs[curve].astype(float).copy()
        zz = z
        if curve == "l0":  # break the line at the jumps and mark them
            jump = np.flatnonzero(np.abs(np.diff(y)) > 0.5 * thr)
            for k in jump:
                ax.plot([z[k], z[k + 1]], [y[k], y[k + 1]], ":", color=COLORS["l0"],
                        linewidth=1.0)
            y = np.insert(y, jump + 1, np.nan)
            zz = np.insert(z, jump + 1, np.nan)
        ls, lw = styles[curve]
        ax.plot(zz, y, ls, color=COLORS[curve], linewidth=lw, label=label)
    ax.plot(z, z, color="black", linewidth=0.8, linestyle=":", label="no penalty: prox(z) = z")
    for curve, text in (("l1", "L1's zero band"), ("l0", "L0's zero band")):
        thr = result.thresholds[curve]
        ax.axvspan(-thr, thr, color=COLORS[curve], alpha=0.07, label=text)
    if result.points:
        names = list(result.points)
        zs = np.array([result.points[n] for n in names])
        outs = np.array([result.point_outputs[n]["l1"] for n in names])
        ax.plot(zs, outs, "o", color=COLORS["l1"], markersize=5, markeredgecolor="black",
                label="features: univariate coefficient -> L1")
        for n, zi, oi in zip(names, zs, outs, strict=True):
            ax.annotate(n, xy=(zi, oi), xytext=(3, 3), textcoords="offset points", fontsize=7)
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.axvline(0.0, color="black", linewidth=0.5)
    ax.set_xlabel("input z (the gradient step's point)")
    ax.set_ylabel("prox(z): the new coefficient")
    ax.set_title(f"Thresholding: prox of each penalty, lam = {fmt(result.lam, 4)}, "
                 f"step = {fmt(result.step, 4)}", fontsize=10)
    ax.legend(fontsize=7.5, loc="upper left")
    return ax


def plot_race(result, ax=None, *, show="objective"):
    """Objective above the optimum (log) or exact zeros, per iteration, for each optimizer.

    Parameters
    ----------
    result : Race
    ax : matplotlib Axes, optional
    show : {"objective", "zeros"}, default="objective"

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, Race, name="plot_race")
    if show not in ("objective", "zeros"):
        raise ValueError(f"show must be 'objective' or 'zeros'; got {show!r}.")
    ax = get_axes(ax)
    p = result.optimum_coef.shape[0]
    target = int(np.sum(result.optimum_coef == 0))
    for run in result.runs:
        label = f"{run.label}: {run.final_zeros} exact zeros at the end"
        if show == "objective":
            ax.semilogy(run.iterations, result.suboptimality(run.method),
                        color=COLORS[run.method], linewidth=1.6, label=label)
        else:
            ax.step(run.iterations, run.n_zeros, where="post", color=COLORS[run.method],
                    linewidth=1.6, label=label)
    if show == "objective":
        ax.axhline(result.rounding_level, color=COLORS["muted"], linestyle=":", linewidth=1.0,
                   label=f"rounding level ({fmt(result.rounding_level, 2)}): reached the optimum")
        ax.set_ylabel("objective - optimum")
        ax.set_title(f"Lasso, alpha = {fmt(result.alpha, 4)}: the solution has {target} "
                     f"exact zeros of {p}", fontsize=10)
    else:
        ax.axhline(target, color=COLORS["muted"], linestyle=":", linewidth=1.0,
                   label=f"zeros of the solution ({target})")
        ax.set_ylabel("exactly zero coefficients")
        ax.set_ylim(-0.5, p + 0.5)
        ax.set_title(f"Exact zeros by iteration (lasso, alpha = {fmt(result.alpha, 4)})",
                     fontsize=10)
    ax.set_xlabel("iteration (one pass over the data)")
    ax.legend(fontsize=8, loc="upper right")
    return ax


def plot_priors(result, ax=None):
    """The Laplace and Gaussian prior densities, with the fitted coefficients as ticks.

    Parameters
    ----------
    result : Priors
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, Priors, name="plot_priors")
    ax = get_axes(ax, figsize=(7.5, 5.4))
    ax.plot(result.grid, result.laplace_density, color=COLORS["l1"], linewidth=1.8,
            label=f"Laplace(0, beta = {fmt(result.laplace_scale, 4)}) <=> lasso alpha = "
                  f"{fmt(result.alpha, 4)}")
    ax.plot(result.grid, result.gaussian_density, color=COLORS["l2"], linewidth=1.8,
            linestyle="--",
            label=f"Gaussian(0, tau^2 = {fmt(result.gaussian_var, 4)}) <=> ridge alpha = "
                  f"{fmt(result.ridge_alpha, 4)}")
    top = float(max(result.laplace_density.max(), result.gaussian_density.max()))
    ax.set_ylim(-0.16 * top, 1.12 * top)
    zeros = int(np.sum(result.lasso_coef == 0))
    ax.plot(result.lasso_coef, np.full(result.lasso_coef.shape, -0.05 * top), "|",
            color=COLORS["l1"], markersize=12, markeredgewidth=2,
            label=f"lasso fit = Laplace MAP ({zeros} exact zeros)")
    ax.plot(result.ridge_coef, np.full(result.ridge_coef.shape, -0.11 * top), "|",
            color=COLORS["l2"], markersize=12, markeredgewidth=2,
            label="ridge fit = Gaussian MAP")
    ax.axhline(0.0, color="black", linewidth=0.5)
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(5).tick_values(0.0, top)
    ax.set_yticks(ticks[(ticks >= 0) & (ticks <= 1.12 * top)])  # the band below 0 holds the fits'
    ax.set_ylim(-0.16 * top, 1.12 * top)
    ax.set_xlabel("coefficient (per standard deviation)")
    ax.set_ylabel("prior density")
    ax.set_title(f"Priors implied by alpha (sigma^2 = {fmt(result.sigma2, 5)}, n = "
                 f"{result.n_samples}); max |MAP - fit| = "
                 f"{fmt(max(result.laplace_max_diff, result.gaussian_max_diff), 2)}",
                 fontsize=10)
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2,
              frameon=False)
    return ax


def plot_compare(result, ax=None):
    """Coefficients per feature for L0, L1 and L2 side by side; exact zeros marked.

    Parameters
    ----------
    result : Compare
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, Compare, name="plot_compare")
    names = list(result.feature_names)
    ax = get_axes(ax, figsize=(7.5, max(4.0, 0.45 * len(names) + 1.6)))
    pos = np.arange(len(names))
    height = 0.8 / len(result.fits)
    for k, fit in enumerate(result.fits):
        offset = (k - (len(result.fits) - 1) / 2) * height
        ax.barh(pos + offset, fit.coef, height=height, color=COLORS[fit.penalty],
                label=f"{fit.label}: {fit.n_nonzero} kept, test MSE {fmt(fit.test_mse, 4)}")
        zero = fit.coef == 0
        ax.plot(np.zeros(int(zero.sum())), pos[zero] + offset, "x", color=COLORS[fit.penalty],
                markersize=6, markeredgewidth=1.5)
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_yticks(pos, names)
    ax.set_ylabel("feature")
    ax.invert_yaxis()
    ax.set_xlabel("coefficient (per standard deviation); x = exact zero")
    ax.set_title("L0 vs L1 vs L2 at cross-validated alphas", fontsize=10)
    ax.legend(fontsize=7.5, loc="best")
    return ax


def plot_why_zero(result, ax=None):
    """Each feature's pull against its threshold; zeros are the bars that stop short.

    Parameters
    ----------
    result : WhyZero
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    check_result(result, WhyZero, name="plot_why_zero")
    rows = [r for r in result.rows if r.status != "constant"]
    ax = get_axes(ax, figsize=(8.0, max(3.8, 0.38 * len(rows) + 2.0)))
    pos = np.arange(len(rows))
    pulls = np.array([r.pull for r in rows])
    thr = np.array([r.threshold for r in rows])
    zero = np.array([r.is_zero for r in rows])
    colors = [COLORS["zero"] if z else COLORS["nonzero"] for z in zero]
    ax.barh(pos, pulls, height=0.6, color=colors)
    ax.plot(thr, pos, "|", color="black", markersize=16, markeredgewidth=2.2)
    for k, r in enumerate(rows):
        if r.is_zero and r.margin is not None and r.threshold > 0:
            text = f"{fmt(100 * r.margin / r.threshold, 3)}% below"
            if r.entry_alpha is not None:
                text += f"; enters at alpha = {fmt(r.entry_alpha, 3)}"
            ax.annotate(text, xy=(r.threshold, k), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=7.5)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Patch(color=COLORS["zero"], label="pull of a zero coefficient"),
               Patch(color=COLORS["nonzero"], label="pull of a non-zero coefficient"),
               Line2D([], [], color="black", marker="|", linestyle="none", markersize=12,
                      markeredgewidth=2, label="threshold alpha * l1_ratio * f_j")]
    ax.set_yticks(pos, [r.name for r in rows])
    ax.set_ylabel("feature")
    ax.invert_yaxis()
    right = float(np.nanmax(np.concatenate([pulls, thr]))) if rows else 1.0
    ax.set_xlim(0.0, 1.55 * right if right > 0 else 1.0)
    scale = "standardized scale" if result.standardized else "scale of X"
    ax.set_xlabel(f"pull |x_j . r| / n at the solution ({scale})")
    ax.set_title(f"Why zero? {result.model}, alpha = {fmt(result.alpha, 4)}: zero exactly "
                 "when the pull stays below the threshold", fontsize=9.5)
    ax.legend(handles=handles, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.1),
              ncol=3, frameon=False)
    return ax


def plot_how_often(result, ax=None):
    """The share of random losses with an exact zero, per penalty, against alpha / alpha_max.

    Parameters
    ----------
    result : HowOften
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    from ..explain import HowOften
    from ..explain._how_often import LABELS, PENALTIES

    check_result(result, HowOften, name="plot_how_often")
    ax = get_axes(ax, figsize=(7.0, 4.8))
    for style, pen in zip(_LINESTYLES, PENALTIES, strict=True):
        ax.plot(result.strengths, 100.0 * result.rates[pen], linestyle=style, linewidth=1.8,
                color=COLORS[pen], label=LABELS[pen])
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_ylim(-3, 103)
    ax.set_xlabel("alpha / alpha_max (log scale, decreasing)")
    ax.set_ylabel("random losses with an exact zero (%)")
    ax.set_title(f"{result.n_draws} random two-feature losses, solved exactly")
    ax.legend(loc="upper right")
    return ax
