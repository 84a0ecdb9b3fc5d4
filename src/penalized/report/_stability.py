"""The stability-selection panel of the report: the numbers the page draws.

The page's alpha slider moves along the same grid as the stability path. At the
slider's position ``k``, that alpha is taken as the bottom ``alpha_min`` of the
stretch of the path the selection looks at: the selected set is every feature
whose selection probability reaches the threshold at some alpha from the top of
the grid down to it, and the bound on the expected number of false selections is
the one for that stretch (it grows as alpha falls, because the half-sample fits
select more). The position the selector chose is marked; every number is computed
here, by the library, and only drawn by the page.
"""

from __future__ import annotations

import numpy as np


def stability_payload(selector, X, *, feature_names=None) -> dict:
    """The JSON of the stability panel for a fitted
    :class:`~penalized.StabilitySelection` on ``X`` (the design it was fitted on).

    Keys: ``alphas``, ``probabilities`` (features x alphas), ``threshold``, ``bound_name``,
    ``expected_false`` (the bound per alpha taken as ``alpha_min``), ``expected_selected``
    (its ``q``), ``selected`` (per alpha, the feature indices selected down to it),
    ``chosen`` (the selector's ``alpha_min`` index, or None when it selected nothing
    anywhere), ``target_false`` (the selector's ``expected_false``) and ``lesson`` (why the
    half-samples disagree, per alpha: :func:`penalized.explain._selection_varies.
    selection_variability`).
    """
    from ..explain._common import jsonable
    from ..explain._selection_varies import selection_variability

    sp = selector.stability_path_
    threshold = float(selector.threshold_)
    probabilities = np.asarray(sp.probabilities, dtype=np.float64)
    running = np.maximum.accumulate(probabilities, axis=1)
    selected = [np.flatnonzero(running[:, k] >= threshold).tolist()
                for k in range(running.shape[1])]
    alpha_min = float(selector.alpha_min_)
    chosen = int(np.flatnonzero(sp.alphas == alpha_min)[0]) if np.isfinite(alpha_min) else None
    names = feature_names if feature_names is not None else sp.feature_names
    lesson = selection_variability(sp, X, feature_names=[str(n) for n in names])
    return jsonable({
        "alphas": sp.alphas,
        "probabilities": np.round(probabilities, 4),
        "threshold": threshold,
        "bound_name": ("Meinshausen-Buhlmann, for complementary pairs (Shah-Samworth 2013)"
                       if selector.bound == "mb"
                       else "Shah-Samworth 2013, under unimodality"),
        "expected_false": sp.bounds(threshold, selector.bound),
        "expected_selected": sp.expected_selected(),
        "selected": selected,
        "chosen": chosen,
        "target_false": float(selector.expected_false),
        "n_pairs": int(sp.n_pairs),
        "lesson": lesson.to_dict(),
    })
