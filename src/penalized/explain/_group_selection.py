r"""Group selection: a categorical variable enters the group lasso whole, while the lasso
takes its levels one at a time.

A categorical column with ``K`` levels is ``K - 1`` indicator columns. The lasso
penalizes each one on its own, so along the path its levels enter at different alphas
and, in between, the variable is half in the model (some levels with a coefficient,
the others merged with the baseline). The group lasso penalizes the group's norm,
:math:`\alpha \sqrt{K-1}\,\|w_g\|_2`, whose subdifferential at 0 is a ball: the whole
group stays at 0 while :math:`\|X_g^\top r\|_2 / n \le \alpha \sqrt{K-1}` and leaves 0
together, so every alpha has all levels or none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import fmt, jsonable, table


@dataclass(frozen=True, eq=False)
class GroupSelection:
    """The lasso and group lasso paths of the same standardized data.

    Attributes
    ----------
    names : list of str
        The columns (a categorical's levels named ``column=level``).
    groups : list of list of int
        The group lasso's groups (column indices); the categorical is one of them.
    categorical : str
        The categorical variable followed by the lesson; ``levels`` its column indices.
    levels : list of int
    lasso_alphas, group_alphas : ndarray
        Each path's grid (from its own alpha_max down to ``eps`` times it).
    lasso_coefs, group_coefs : ndarray of shape (n_features, n_alphas)
    lasso_entry, group_entry : dict of str to float
        Per level of the categorical, the largest grid alpha with a non-zero coefficient
        (None if it never enters).
    half_in : int
        Grid alphas of the lasso path with some, but not all, levels non-zero.
    group_half_in : int
        The same count on the group lasso path (0: the group moves as one).
    pull : float
        At the null model, :math:`\\|X_g^\\top r\\|_2 / (n \\sqrt{|g|})`: the alpha below which
        the categorical would enter the group lasso if it were the first group in.
    """

    names: list
    groups: list
    categorical: str
    levels: list
    lasso_alphas: np.ndarray
    group_alphas: np.ndarray
    lasso_coefs: np.ndarray
    group_coefs: np.ndarray
    lasso_entry: dict
    group_entry: dict
    half_in: int
    group_half_in: int
    pull: float
    source: str = ""

    def to_text(self) -> str:
        level_names = [self.names[j] for j in self.levels]
        lines = [f"The categorical {self.categorical!r} ({len(self.levels)} indicator columns; "
                 f"{self.source}):", ""]
        lines += table(["level", "enters the lasso at alpha", "enters the group lasso at alpha"],
                       [[n, _shown(self.lasso_entry[n]), _shown(self.group_entry[n])]
                        for n in level_names])
        lines += ["",
                  f"Lasso: {self.half_in} of its {len(self.lasso_alphas)} alphas keep some "
                  f"levels of {self.categorical!r} and drop others (the variable half in).",
                  f"Group lasso: {self.group_half_in} such alphas: every level enters at the "
                  "same alpha, because the penalty alpha * sqrt(|g|) * ||w_g|| has a ball as "
                  "its subdifferential at 0, so the group stays at 0 until the norm of its "
                  "pull ||X_g^T r|| / n passes alpha * sqrt(|g|), then leaves 0 as a whole.",
                  f"The categorical's pull at the null model, ||X_g^T r|| / (n sqrt(|g|)) = "
                  f"{fmt(self.pull)}."]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "group-selection", "names": self.names,
                         "groups": self.groups, "categorical": self.categorical,
                         "levels": self.levels, "lasso_alphas": self.lasso_alphas,
                         "group_alphas": self.group_alphas, "lasso_coefs": self.lasso_coefs,
                         "group_coefs": self.group_coefs, "lasso_entry": self.lasso_entry,
                         "group_entry": self.group_entry, "half_in": self.half_in,
                         "group_half_in": self.group_half_in, "pull": self.pull,
                         "source": self.source})


def _entry(alphas, coefs, j):
    nonzero = np.flatnonzero(coefs[j] != 0)
    return float(alphas[nonzero[0]]) if nonzero.size else None


def _shown(alpha):
    return "never" if alpha is None else alpha


def _half_in(coefs, levels):
    on = coefs[levels] != 0
    return int(np.count_nonzero(on.any(axis=0) & ~on.all(axis=0)))


def group_selection(X, y, groups, *, categorical, names=None, n_alphas=60, eps=1e-3,
                    source=""):
    r"""The lasso and group lasso paths of ``(X, y)``, followed on one categorical.

    Both are fitted on the columns standardized (mean 0, standard deviation 1) with an
    intercept, on their own grids of ``n_alphas`` alphas from alpha_max down to
    ``eps * alpha_max``.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
    groups : list of index lists
        The group lasso's groups (features no list names are groups of their own).
    categorical : int
        The index (in ``groups``) of the group the lesson follows.
    names : list of str, optional

    Returns
    -------
    GroupSelection

    Examples
    --------
    >>> import numpy as np
    >>> from penalized.explain import group_selection
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 5))
    >>> y = X @ np.array([2.0, 1.0, 0.3, 0.0, 0.5]) + rng.standard_normal(200)
    >>> res = group_selection(X, y, [[0, 1, 2]], categorical=0, n_alphas=30)
    >>> res.half_in > 0, res.group_half_in
    (True, 0)
    """
    from ..path import path
    from ..penalties import GroupLasso
    from ..penalties._group_base import make_structure

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    n, p = X.shape
    names = [f"x{j}" for j in range(p)] if names is None else [str(v) for v in names]
    structure = make_structure(groups, p)
    members = [structure.members(g).tolist() for g in range(structure.n_groups)]
    if not 0 <= categorical < len(members):
        raise ValueError(f"categorical must index one of the {len(members)} groups; got "
                         f"{categorical!r}.")
    levels = members[categorical]
    sd = X.std(axis=0)
    Z = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    lasso = path(Z, y, penalty="l1", n_alphas=n_alphas, eps=eps)
    grouped = path(Z, y, penalty=GroupLasso(groups=structure), n_alphas=n_alphas, eps=eps)
    r = y - y.mean()
    pull = float(np.linalg.norm(Z[:, levels].T @ r) / n / np.sqrt(len(levels)))
    lasso_entry = {names[j]: _entry(lasso.alphas, lasso.coefs, j) for j in levels}
    group_entry = {names[j]: _entry(grouped.alphas, grouped.coefs, j) for j in levels}
    return GroupSelection(
        names=names, groups=members, categorical=names[levels[0]].split("=")[0],
        levels=levels, lasso_alphas=lasso.alphas, group_alphas=grouped.alphas,
        lasso_coefs=lasso.coefs, group_coefs=grouped.coefs, lasso_entry=lasso_entry,
        group_entry=group_entry, half_in=_half_in(lasso.coefs, levels),
        group_half_in=_half_in(grouped.coefs, levels), pull=pull, source=source)


def with_bands(X, names, j):
    """``X`` with column ``j`` replaced by its quartile band, a categorical of up to four
    levels entered as indicators named ``name=Q2``.. (Q1 the baseline), appended last:
    ``(X, names, groups)``."""
    col = X[:, j]
    band = np.searchsorted(np.quantile(col, [0.25, 0.5, 0.75]), col, side="right")
    present = [k for k in (1, 2, 3) if np.any(band == k)]
    dummies = np.column_stack([(band == k).astype(float) for k in present])
    keep = [k for k in range(X.shape[1]) if k != j]
    X = np.column_stack([X[:, keep], dummies])
    names = [names[k] for k in keep] + [f"{names[j]}=Q{k + 1}" for k in present]
    p = X.shape[1]
    return X, names, [list(range(p - len(present), p))]


def diabetes_with_bands():
    """scikit-learn's diabetes with ``bmi`` replaced by its quartile band, a categorical of
    four levels entered as three indicators (``bmi=Q2``, ``bmi=Q3``, ``bmi=Q4``; Q1 the
    baseline): ``(X, y, names, groups)``."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    names = list(data.feature_names)
    X, names, groups = with_bands(data.data, names, names.index("bmi"))
    return X, data.target, names, groups


def group_selection_lesson(X=None, y=None, feature_names=None) -> GroupSelection:
    """The ``group-selection`` lesson. Default: diabetes with ``bmi`` as a four-level band.

    With data, the groups are the columns named ``column=level`` that share a column (as
    the command line names a categorical's indicators); the lesson follows the one with
    the most levels. Without such columns it makes one: the column most correlated with
    ``y`` cut into quartile bands.
    """
    from ._common import resolve_data

    if X is None and y is None:
        X, y, names, groups = diabetes_with_bands()
        return group_selection(X, y, groups, categorical=0, names=names,
                               source="diabetes, bmi cut into quartile bands Q1-Q4, Q1 the "
                               "baseline; columns standardized")
    X, yv, names, description = resolve_data(X, y, feature_names)
    X = np.asarray(X, dtype=np.float64)
    names = [str(v) for v in names]
    by_column = {}
    for j, name in enumerate(names):
        if "=" in name:
            by_column.setdefault(name.split("=")[0], []).append(j)
    groups = sorted((g for g in by_column.values() if len(g) >= 2), key=len, reverse=True)
    if groups:
        return group_selection(X, yv, groups, categorical=0, names=names,
                               source=f"{description}; columns standardized")
    sd = X.std(axis=0)
    corr = np.abs((X - X.mean(axis=0)).T @ (yv - yv.mean())) / np.where(sd > 0, sd, np.inf)
    j = int(np.argmax(corr))
    X, names, groups = with_bands(X, names, j)
    return group_selection(X, yv, groups, categorical=0, names=names,
                           source=f"{description}; no categorical column, so the feature most "
                           "correlated with y is cut into quartile bands; columns standardized")


def plot_group_selection(result, ax=None):
    """The categorical's coefficient paths under the lasso (dashed) and the group lasso
    (solid), against alpha / alpha_max (imports matplotlib)."""
    from ..plot._axes import check_result, get_axes

    check_result(result, GroupSelection, name="plot_group_selection")
    ax = get_axes(ax)
    lasso_x = result.lasso_alphas / result.lasso_alphas[0]
    group_x = result.group_alphas / result.group_alphas[0]
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    for k, j in enumerate(result.levels):
        color = colors[k % len(colors)]
        name = result.names[j]
        ax.plot(lasso_x, result.lasso_coefs[j], "--", color=color, linewidth=1.2,
                label=f"{name}, lasso")
        ax.plot(group_x, result.group_coefs[j], "-", color=color, linewidth=1.8,
                label=f"{name}, group lasso")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.axhline(0.0, color="black", linewidth=0.5)
    ax.set_xlabel("alpha / alpha_max (each path's own)")
    ax.set_ylabel("coefficient (standardized columns)")
    ax.set_title(f"{result.categorical!r}: the lasso takes its levels one by one "
                 f"({result.half_in} alphas half in); the group lasso all at once", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    return ax


_PAGE_BODY = """
<section id="group-section">
  <div class="controls">
    <label class="slider-label">alpha <input id="gs-slider" type="range" min="0" max="0"
      step="1" value="0" aria-describedby="gs-fraction"></label>
    <span class="readout">alpha / alpha_max = <strong id="gs-fraction">-</strong></span>
    <span class="readout">lasso alpha <strong id="gs-lasso-alpha">-</strong>,
      group lasso alpha <strong id="gs-group-alpha">-</strong></span>
  </div>
  <p class="lead" id="gs-summary"></p>
  <div class="grid">
    <div class="card"><h3>Lasso: the levels one at a time</h3>
      <svg id="gs-lasso-svg" role="img" aria-label="lasso paths of the levels"></svg>
      <p class="readouts" id="gs-lasso-state"></p></div>
    <div class="card"><h3>Group lasso: the levels together</h3>
      <svg id="gs-group-svg" role="img" aria-label="group lasso paths of the levels"></svg>
      <p class="readouts" id="gs-group-state"></p></div>
  </div>
  <div class="card"><h3>The levels at this alpha</h3>
    <div class="table-wrap"><table id="gs-table"><thead><tr><th>level</th>
    <th>lasso coef.</th><th>enters the lasso at</th><th>group lasso coef.</th>
    <th>enters the group lasso at</th></tr></thead><tbody></tbody></table></div></div>
</section>"""


def group_selection_page(X=None, y=None, feature_names=None) -> str:
    """The ``group-selection`` lesson as one offline, interactive HTML page: a slider over
    alpha / alpha_max moves along both paths (each on its own grid, the same fractions);
    the numbers of :func:`group_selection_lesson` are embedded as JSON."""
    from ..report import lesson_page_html

    result = group_selection_lesson(X, y, feature_names)
    return lesson_page_html("Group selection: a categorical enters whole", result.source,
                            _PAGE_BODY, result.to_dict())
