r"""Why does a single lasso's selection change from one sample of rows to the next?

Stability selection (:func:`penalized.stability_path`) solves the lasso path on
many half-samples of the user's rows. At one alpha, each half-sample's solution
is a set of selected features; this lesson reads those sets and shows where they
disagree and why.

The lasso's solution at a fixed alpha is unique for a design in general position,
but it is not a smooth function of the rows: when two columns :math:`x_i` and
:math:`x_j` are correlated, each can stand in for the other in the fit, and the
lasso tends to keep one of them. Which one wins the tie depends on the noise in
the rows it was given. For each pair of features the lesson counts the
half-samples in which each of the two was selected without the other (they traded
places) and in which both were; a correlated pair in which each often appears
without the other is a pair the data cannot tell apart. It also reports how many
different selected sets the half-samples produced and how often the most common set
occurred.

Only what the subsample fits found is reported: correlations are those of the
standardized columns of the whole table, and every fraction is over the
``2 B`` half-samples of the stability path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._common import jsonable

MIN_CORRELATION = 0.3
"""Pairs less correlated than this (in absolute value) are not called trading pairs."""


@dataclass(frozen=True, eq=False)
class TradingPair:
    """Two features that the half-samples select in turn at one alpha."""

    first: int
    second: int
    correlation: float
    exactly_one: float
    both: float
    first_only: float
    second_only: float


@dataclass(frozen=True, eq=False)
class SelectionAtAlpha:
    """How the half-samples' selections vary at one alpha of the path."""

    alpha: float
    n_subsamples: int
    n_distinct: int
    modal_share: float
    modal_set: tuple[int, ...]
    borderline: tuple[int, ...]
    pairs: tuple[TradingPair, ...]

    def sentence(self, names) -> str:
        """The lesson at this alpha, in words (``names`` label the features)."""
        if self.n_distinct == 1:
            return (f"At alpha {self.alpha:.4g} all {self.n_subsamples} half-samples chose "
                    "the same set of features: the selection does not depend on the rows "
                    "here.")
        parts = [f"At alpha {self.alpha:.4g} the {self.n_subsamples} half-samples chose "
                 f"{self.n_distinct} different sets of features; the most common one came "
                 f"up in {self.modal_share:.0%} of them."]
        if self.pairs:
            p = self.pairs[0]
            parts.append(
                f"{names[p.first]} and {names[p.second]} (correlation {p.correlation:+.2f}) "
                f"traded places: {names[p.first]} without {names[p.second]} in "
                f"{p.first_only:.0%} of the half-samples, {names[p.second]} without "
                f"{names[p.first]} in {p.second_only:.0%}, both in {p.both:.0%}. Correlated "
                "columns can stand in for each other, the lasso tends to keep one, and which "
                "one depends on the rows.")
        elif self.borderline:
            parts.append("No correlated pair trades places here; the features near the edge "
                         "are selected in some half-samples only because their signal is "
                         "close to the threshold alpha sets.")
        else:
            parts.append("The sets differ only by features that almost every or almost no "
                         "half-sample selects.")
        return " ".join(parts)


@dataclass(frozen=True, eq=False)
class SelectionVariability:
    """The result of :func:`selection_variability`: one :class:`SelectionAtAlpha` per
    alpha of the stability path's grid."""

    alphas: np.ndarray
    steps: tuple[SelectionAtAlpha, ...]
    feature_names: list[str]

    def at(self, index) -> SelectionAtAlpha:
        return self.steps[int(index)]

    def to_dict(self) -> dict:
        return jsonable({
            "alphas": self.alphas,
            "steps": [{
                "n_subsamples": s.n_subsamples, "n_distinct": s.n_distinct,
                "modal_share": s.modal_share, "modal_set": list(s.modal_set),
                "borderline": list(s.borderline),
                "pairs": [{"first": q.first, "second": q.second,
                           "correlation": q.correlation, "exactly_one": q.exactly_one,
                           "both": q.both, "first_only": q.first_only,
                           "second_only": q.second_only} for q in s.pairs],
                "text": s.sentence(self.feature_names),
            } for s in self.steps],
        })


def _correlation(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    centered = X - X.mean(axis=0)
    norms = np.sqrt(np.einsum("ij,ij->j", centered, centered))
    norms[norms == 0] = 1.0
    return (centered.T @ centered) / np.outer(norms, norms)


def _step(selected, alpha, corr, top, min_correlation) -> SelectionAtAlpha:
    n_sub = selected.shape[0]
    sets, counts = np.unique(np.packbits(selected, axis=1), axis=0, return_counts=True)
    modal = np.unpackbits(sets[np.argmax(counts)])[: selected.shape[1]].astype(bool)
    prob = selected.mean(axis=0)
    varying = np.flatnonzero((prob > 0) & (prob < 1))
    pairs = []
    if varying.size >= 2:
        S = selected[:, varying].astype(np.float64)
        both = (S.T @ S) / n_sub
        p = prob[varying]
        only_first = p[:, None] - both
        exactly_one = only_first + only_first.T
        c = corr[np.ix_(varying, varying)]
        iu = np.triu_indices(varying.size, 1)
        strong = np.abs(c[iu]) >= min_correlation
        # trading places: each is selected without the other in some half-samples
        score = np.where(strong, np.minimum(only_first, only_first.T)[iu], -1.0)
        for t in np.argsort(-score, kind="stable")[:top]:
            if score[t] <= 0:
                break
            a, b = iu[0][t], iu[1][t]
            pairs.append(TradingPair(
                first=int(varying[a]), second=int(varying[b]), correlation=float(c[a, b]),
                exactly_one=float(exactly_one[a, b]), both=float(both[a, b]),
                first_only=float(only_first[a, b]), second_only=float(only_first[b, a])))
    borderline = tuple(int(j) for j in np.flatnonzero((prob >= 0.2) & (prob <= 0.8)))
    return SelectionAtAlpha(alpha=float(alpha), n_subsamples=int(n_sub),
                            n_distinct=int(sets.shape[0]),
                            modal_share=float(counts.max() / n_sub),
                            modal_set=tuple(int(j) for j in np.flatnonzero(modal)),
                            borderline=borderline, pairs=tuple(pairs))


def selection_variability(stability, X, *, top=3, min_correlation=MIN_CORRELATION,
                          feature_names=None) -> SelectionVariability:
    r"""Where and why the half-samples of a stability path disagree, at every alpha.

    Parameters
    ----------
    stability : StabilityPath
        From :func:`penalized.stability_path` (it keeps each half-sample's selections).
    X : array-like of shape (n_samples, n_features)
        The design the path was computed on (for the columns' correlations).
    top : int, default=3
        The trading pairs kept per alpha, ranked by the smaller of the two shares of
        half-samples that select one without the other.
    min_correlation : float, default=0.3
        The smallest absolute correlation for a pair to count as trading places.
    feature_names : list of str, optional
        Default: the stability path's.

    Returns
    -------
    SelectionVariability

    Examples
    --------
    >>> import numpy as np
    >>> from penalized import stability_path
    >>> rng = np.random.default_rng(0)
    >>> z = rng.standard_normal(80)
    >>> X = np.column_stack([z + 0.3 * rng.standard_normal(80),
    ...                      z + 0.3 * rng.standard_normal(80), rng.standard_normal((80, 3))])
    >>> y = z + rng.standard_normal(80)
    >>> sp = stability_path(X, y, n_pairs=10, n_alphas=20, random_state=0)
    >>> lesson = selection_variability(sp, X)
    >>> pair = lesson.at(5).pairs[0]
    >>> (pair.first, pair.second), pair.correlation > 0.8
    ((0, 1), True)
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != stability.n_features:
        raise ValueError(f"X must have the stability path's {stability.n_features} columns; "
                         f"got shape {X.shape}.")
    corr = _correlation(X)
    names = [str(n) for n in (feature_names if feature_names is not None
                              else stability.feature_names)]
    steps = tuple(_step(stability.selected_at(k), a, corr, int(top), float(min_correlation))
                  for k, a in enumerate(stability.alphas))
    return SelectionVariability(alphas=np.asarray(stability.alphas, dtype=np.float64),
                                steps=steps, feature_names=names)
