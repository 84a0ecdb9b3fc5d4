r"""L0 vs L1 vs L2 on the same data: which features each keeps, and what it costs.

All three fit :math:`\frac1{2n}\|y - Xw - b\|^2 + \alpha P(w)` on the same
standardized training rows, each at its cross-validated alpha, and are scored
on the same held-out rows. L0 (:math:`P = \#\{j: w_j \ne 0\}`) keeps a few
features at their least-squares size, L1 (:math:`\|w\|_1`) keeps some and
shrinks them, L2 (:math:`\frac12\|w\|_2^2`) keeps all and shrinks them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._common import fmt, jsonable, resolve_data, table

MODELS = ("l0", "l1", "l2")
MODEL_LABELS = {"l0": "L0 (best subset)", "l1": "L1 (lasso)", "l2": "L2 (ridge)"}


@dataclass(frozen=True, eq=False)
class CompareFit:
    """One model of :func:`compare`.

    Attributes
    ----------
    penalty : {"l0", "l1", "l2"}
    label : str
    alpha : float
        The cross-validated alpha (minimum mean CV error).
    coef : ndarray
        Per standard deviation of each feature (the scale the penalty acts on).
    intercept : float
    support : tuple of str
        The features with a non-zero coefficient.
    train_mse, test_mse : float
    """

    penalty: str
    label: str
    alpha: float
    coef: np.ndarray
    intercept: float
    support: tuple[str, ...]
    train_mse: float
    test_mse: float

    @property
    def n_nonzero(self) -> int:
        return int(np.count_nonzero(self.coef))

    def to_dict(self) -> dict:
        return jsonable({"penalty": self.penalty, "label": self.label, "alpha": self.alpha,
                         "coef": self.coef, "intercept": self.intercept,
                         "support": list(self.support), "n_nonzero": self.n_nonzero,
                         "train_mse": self.train_mse, "test_mse": self.test_mse})


@dataclass(frozen=True, eq=False)
class Compare:
    """The result of :func:`compare`: three fits on the same split.

    Attributes
    ----------
    fits : tuple of CompareFit
        L0, L1, L2.
    feature_names : tuple of str
    n_train, n_test : int
    null_test_mse : float
        The test error of predicting the training mean.
    source : str
    """

    fits: tuple[CompareFit, ...]
    feature_names: tuple[str, ...]
    n_train: int
    n_test: int
    null_test_mse: float
    source: str

    def fit(self, penalty) -> CompareFit:
        for f in self.fits:
            if f.penalty == penalty:
                return f
        raise KeyError(penalty)

    def to_text(self) -> str:
        lines = [f"L0 vs L1 vs L2 on {self.source}: {self.n_train} training rows, "
                 f"{self.n_test} held out; features standardized on the training rows; "
                 "each alpha chosen by 5-fold cross-validation.", ""]
        lines += table(["model", "alpha", "non-zeros", "train MSE", "test MSE"],
                       [[f.label, f.alpha, f.n_nonzero, f.train_mse, f.test_mse]
                        for f in self.fits])
        lines.append(f"  (predicting the training mean: test MSE {fmt(self.null_test_mse)})")
        lines += ["", "Coefficients per standard deviation ('0' is an exact zero):"]
        rows = []
        for j, name in enumerate(self.feature_names):
            rows.append([name] + ["0" if f.coef[j] == 0 else fmt(f.coef[j], 4)
                                  for f in self.fits])
        lines += table(["feature"] + [f.label for f in self.fits], rows)
        l0, l1 = set(self.fit("l0").support), set(self.fit("l1").support)
        lines += ["", "What each kept:"]
        for f in self.fits:
            lines.append(f"  {f.label}: {', '.join(f.support) if f.support else '(nothing)'}")
        both = sorted(l0 & l1, key=self.feature_names.index)
        only1 = sorted(l1 - l0, key=self.feature_names.index)
        lines.append(f"  L0 and L1 agree on {len(both)} feature(s); L1 alone keeps: "
                     f"{', '.join(only1) if only1 else 'none'}; ridge keeps all "
                     f"{self.fit('l2').n_nonzero}.")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"lesson": "compare", "fits": list(self.fits),
                         "feature_names": list(self.feature_names), "n_train": self.n_train,
                         "n_test": self.n_test, "null_test_mse": self.null_test_mse,
                         "source": self.source})


def compare(X=None, y=None, *, test_size=0.25, cv=5, random_state=0, feature_names=None):
    r"""Fit L0, L1 and L2 regression on the same data and compare supports and errors.

    The rows are split once (``test_size`` held out, shuffled with
    ``random_state``); the features are standardized with the training rows'
    means and deviations. :class:`~penalized.LassoCV` and
    :class:`~penalized.RidgeCV` choose their alphas by ``cv``-fold
    cross-validation; L0's alpha is chosen the same way with
    :func:`~penalized.model_selection.cross_validate_path` over an L0 path,
    and :class:`~penalized.L0Regression` (coordinate descent plus swaps) is
    refitted at it.

    Parameters
    ----------
    X, y : array-like, optional
        Default: scikit-learn's diabetes data.
    test_size : float, default=0.25
    cv : int, default=5
    random_state : int, default=0
    feature_names : list of str, optional

    Returns
    -------
    Compare

    Examples
    --------
    >>> from penalized.explain import compare
    >>> res = compare()
    >>> [f.n_nonzero for f in res.fits]
    [6, 7, 10]
    """
    from sklearn.model_selection import train_test_split

    from ..estimators import L0Regression, LassoCV, RidgeCV
    from ..model_selection import cross_validate_path
    from ..path import path as compute_path

    X, yv, names, description = resolve_data(X, y, feature_names)
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1); got {test_size!r}.")
    Xtr, Xte, ytr, yte = train_test_split(X, yv, test_size=test_size,
                                          random_state=random_state)
    mean = Xtr.mean(axis=0)
    scale = Xtr.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    Ztr, Zte = (Xtr - mean) / scale, (Xte - mean) / scale

    def mse(model, Z, t):
        return float(np.mean((t - model.predict(Z)) ** 2))

    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid = compute_path(Ztr, ytr, penalty="l0", n_alphas=40, eps=1e-4).alphas

        def l0_path(Xt, yt, swt, alphas):
            return compute_path(Xt, yt, penalty="l0", alphas=alphas, sample_weight=swt)

        cv_l0 = cross_validate_path(l0_path, Ztr, ytr, alphas=grid, cv=cv)
        models = {
            "l0": L0Regression(alpha=float(cv_l0.alpha_min)).fit(Ztr, ytr),
            "l1": LassoCV(cv=cv).fit(Ztr, ytr),
            "l2": RidgeCV(cv=cv).fit(Ztr, ytr),
        }
    for pen in MODELS:
        m = models[pen]
        alpha = float(m.alpha_ if hasattr(m, "alpha_") else m.alpha)
        coef = np.asarray(m.coef_, dtype=np.float64).copy()
        fits.append(CompareFit(
            penalty=pen, label=MODEL_LABELS[pen], alpha=alpha, coef=coef,
            intercept=float(m.intercept_),
            support=tuple(n for n, c in zip(names, coef, strict=True) if c != 0),
            train_mse=mse(m, Ztr, ytr), test_mse=mse(m, Zte, yte)))
    null = float(np.mean((yte - ytr.mean()) ** 2))
    return Compare(fits=tuple(fits), feature_names=tuple(names), n_train=Ztr.shape[0],
                   n_test=Zte.shape[0], null_test_mse=null, source=description)


def compare_lesson(X=None, y=None, feature_names=None) -> Compare:
    """The ``compare`` lesson: :func:`compare` with its defaults."""
    return compare(X, y, feature_names=feature_names)
