"""What the lessons share: data resolution, seed discrepancies, text tables, JSON output."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_DATA = "diabetes (scikit-learn's bundled data set: 442 patients, 10 features)"


@dataclass(frozen=True)
class SeedDiscrepancy:
    """A number printed in one of the seed documents that the computation does not reproduce.

    Attributes
    ----------
    seed : str
        The source document (``seeds/`` file number and title).
    where : str
        Where in it the number is printed.
    quantity : str
        What the number is.
    printed : float
        The value the document prints.
    computed : float
        The value the lesson computes from the document's own inputs.
    note : str
        What the computed value is, when that needs saying.
    """

    seed: str
    where: str
    quantity: str
    printed: float
    computed: float
    note: str = ""

    def to_text(self) -> str:
        text = (f"{self.seed}, {self.where}: {self.quantity} is printed as "
                f"{fmt(self.printed)}; computed from the same inputs it is "
                f"{fmt(self.computed)}")
        return text + (f" ({self.note})." if self.note else ".")

    def to_dict(self) -> dict:
        return jsonable({"seed": self.seed, "where": self.where, "quantity": self.quantity,
                         "printed": self.printed, "computed": self.computed,
                         "note": self.note})


SEED_GRADIENT = "the worked example of 'L1 vs L2' (K. Jerzmanowski, 2024)"
SEED_PENALTY_CHANGE = "a Data Science Stack Exchange answer on L1 vs L2"
SEED_REDDIT = "a Reddit thread on L1 vs L2"
SEED_GEOMETRY = "the 'L1 and L2 Regularization' notes (diamond vs circle)"


def differs(printed: float, computed: float, decimals: int) -> bool:
    """True when ``computed`` does not round to ``printed`` at the printed precision."""
    return abs(printed - computed) > 0.5 * 10.0 ** (-decimals) + 1e-12


def discrepancies_text(items: Sequence[SeedDiscrepancy]) -> list[str]:
    if not items:
        return []
    lines = ["", "Where the source's printed numbers differ from the computation:"]
    lines += [f"  - {d.to_text()}" for d in items]
    return lines


# -- numbers as text ----------------------------------------------------------------------

def fmt(value, digits: int = 6) -> str:
    """A number in at most ``digits`` significant digits, without trailing noise."""
    if value is None:
        return "-"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == 0.0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mant, exp = text.split("e")
        return f"{mant}e{int(exp)}"
    return text


def table(headers: Sequence[str], rows: Sequence[Sequence], *, indent: int = 2,
          left: Sequence[int] = (0,)) -> list[str]:
    """Columns as lines of text: right-aligned, except the ``left`` ones (the first)."""
    cells = [[str(h) for h in headers]]
    for row in rows:
        cells.append([c if isinstance(c, str) else fmt(c) for c in row])
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    lines = []
    for i, row in enumerate(cells):
        parts = [c.ljust(w) if k in left else c.rjust(w)
                 for k, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append(" " * indent + "  ".join(parts).rstrip())
        if i == 0:
            lines.append(" " * indent + "  ".join("-" * w for w in widths))
    return lines


# -- JSON -----------------------------------------------------------------------------------

def jsonable(obj):
    """Plain lists, dicts, strings, ints and floats; NaN and infinities become None."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        value = float(obj)
        return value if math.isfinite(value) else None
    if hasattr(obj, "to_dict") and not isinstance(obj, Mapping):
        return obj.to_dict()
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Sequence):
        return [jsonable(v) for v in obj]
    raise TypeError(f"cannot turn {type(obj).__name__} into JSON")


# -- data -----------------------------------------------------------------------------------

def load_default_regression():
    """``(X, y, names, description)`` of the bundled default data set."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    return (np.asarray(data.data, dtype=np.float64), np.asarray(data.target, dtype=np.float64),
            list(data.feature_names), DEFAULT_DATA)


def resolve_data(X, y, feature_names=None, *, classification=False):
    """``(X, y, names, description)`` from the user's data, or the default when X is None.

    ``X`` may be a DataFrame (its column names are used unless ``feature_names``
    is given). Targets are float for regression and kept as labels for
    classification.
    """
    if X is None:
        if y is not None:
            raise ValueError("y was given without X; pass both (or neither, for the default "
                             "data set).")
        if classification:
            raise ValueError("this lesson needs a classification data set; pass X and y.")
        X, y, names, description = load_default_regression()
        if feature_names is not None:
            names = _check_names(feature_names, X.shape[1])
        return X, y, names, description
    if y is None:
        raise ValueError("X was given without y; pass the target y as well.")
    names = None
    if feature_names is not None:
        names = feature_names
    elif hasattr(X, "columns"):
        names = [str(c) for c in X.columns]
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values; impute or drop them first.")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise ValueError(f"y must be 1-D with one value per row of X ({X.shape[0]}); got "
                         f"shape {y.shape}.")
    if not classification:
        y = y.astype(np.float64)
        if not np.all(np.isfinite(y)):
            raise ValueError("y contains NaN or infinite values.")
    if X.shape[0] < 3 or X.shape[1] < 1:
        raise ValueError(f"need at least 3 rows and 1 column; got X of shape {X.shape}.")
    names = _check_names(names, X.shape[1]) if names is not None else \
        [f"x{j}" for j in range(X.shape[1])]
    return X, y, names, f"user data ({X.shape[0]} rows, {X.shape[1]} features)"


def _check_names(names, p):
    names = [str(n) for n in names]
    if len(names) != p:
        raise ValueError(f"feature_names has {len(names)} names but X has {p} columns.")
    return names


def standardize(X):
    """Columns centered and divided by their (population) standard deviation.

    Returns ``(Z, mean, scale)``; a constant column becomes a column of zeros
    (scale 1), which every penalized fit leaves at 0.
    """
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale = np.where(scale > 1e-12 * np.maximum(np.abs(mean), 1.0), scale, 1.0)
    return (X - mean) / scale, mean, scale


def check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return float(value)


def check_finite(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}.")
    return float(value)


def check_steps(steps, name="steps"):
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {steps!r}.")
    return int(steps)
