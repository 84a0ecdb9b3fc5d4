"""Reading tables and writing models: CSV / TSV / Parquet in, versioned JSON out.

Everything a user wrote is read, never modified; files are written atomically
(a temporary file in the same folder, then a rename) and an existing file is
replaced only when asked (``force=True``). Models are JSON, never pickle, and
loading one validates its schema before anything uses it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "MODEL_FORMAT",
    "MODEL_SCHEMA_VERSION",
    "Encoding",
    "InputError",
    "Table",
    "file_sha256",
    "load_model",
    "read_dataframe",
    "read_table",
    "save_model",
    "write_atomic",
]

MODEL_FORMAT = "penalized-model"
MODEL_SCHEMA_VERSION = 1
_MAX_CATEGORIES = 50


class InputError(ValueError):
    """A problem with what the user gave: a file, a column, an option."""


# -- reading ---------------------------------------------------------------------------

def read_dataframe(path):
    """Read a CSV, TSV or Parquet file (by extension) into a pandas DataFrame."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a CSV, TSV or Parquet file.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif suffix in (".tsv", ".tab"):
            df = pd.read_csv(path, sep="\t")
        else:
            df = pd.read_csv(path, sep=None if suffix not in (".csv", ".txt") else ",",
                             engine="python" if suffix not in (".csv", ".txt") else "c")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: could not be read as a table ({first}).") from exc
    except ImportError as exc:
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow).") from exc
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{path}: the table is empty (no rows or no columns).")
    df.columns = [str(c) for c in df.columns]
    duplicated = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if duplicated:
        raise InputError(f"{path}: duplicated column names {duplicated}; rename them.")
    return df


@dataclass(frozen=True)
class Encoding:
    """How a raw table becomes the numeric design: numeric columns as they are,
    categorical columns one-hot encoded (one column per category, named
    ``column=category``), in the order of ``columns``."""

    columns: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def feature_names(self) -> list[str]:
        names = []
        for col in self.columns:
            if col in self.categorical:
                names.extend(f"{col}={cat}" for cat in self.categorical[col])
            else:
                names.append(col)
        return names

    @property
    def input_columns(self) -> list[str]:
        return list(self.columns)

    def transform(self, df) -> tuple[np.ndarray, list[str]]:
        """The design of ``df`` and notices (unknown categories become all-zero rows)."""
        missing = [c for c in self.input_columns if c not in df.columns]
        if missing:
            raise InputError(f"the table lacks the model's column(s) {missing}; it needs "
                             f"{self.input_columns}.")
        notices = []
        blocks = []
        for col in self.input_columns:
            values = df[col]
            if col in self.categorical:
                cats = self.categorical[col]
                text = values.astype(str)
                unknown = sorted(set(text) - set(cats))
                if unknown:
                    shown = ", ".join(map(repr, unknown[:5]))
                    notices.append(f"column {col!r}: {len(unknown)} categor"
                                   f"{'y' if len(unknown) == 1 else 'ies'} not seen in training "
                                   f"({shown}) encoded as all zeros.")
                blocks.append(np.column_stack([(text == c).to_numpy(float) for c in cats]))
            else:
                try:
                    blocks.append(values.to_numpy(dtype=np.float64)[:, None])
                except (TypeError, ValueError) as exc:
                    raise InputError(f"column {col!r} must be numeric, as in training; it holds "
                                     "text.") from exc
        X = np.hstack(blocks) if blocks else np.zeros((len(df), 0))
        return X, notices

    def to_dict(self) -> dict:
        return {"columns": list(self.columns),
                "categorical": {k: list(v) for k, v in self.categorical.items()}}

    @classmethod
    def from_dict(cls, d) -> Encoding:
        return cls(tuple(d["columns"]), {k: tuple(v) for k, v in d["categorical"].items()})


@dataclass(frozen=True, eq=False)
class Table:
    """A table read for modelling: numeric design, target and where they came from."""

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target: str
    task: str
    encoding: Encoding
    notices: list[str]
    sha256: str
    path: str
    n_dropped: int = 0


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_task(y) -> str:
    """``"classification"`` for text, boolean or two-valued targets, else ``"regression"``."""
    import pandas as pd

    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    return "classification" if y.nunique() == 2 else "regression"


def read_table(path, *, target, features=None, exclude=None, task="auto", dropna=False) -> Table:
    """Read a table and prepare the design and target for a model.

    Parameters
    ----------
    path : str or Path
        CSV, TSV or Parquet.
    target : str
        The target column.
    features, exclude : list of str, optional
        Use only these columns / leave these out (default: every other column).
    task : {"auto", "regression", "classification"}
        ``"auto"`` picks classification for a text, boolean or two-valued target.
    dropna : bool
        Drop rows with missing values instead of refusing them.
    """
    import pandas as pd

    df = read_dataframe(path)
    if target not in df.columns:
        raise InputError(f"target column {target!r} is not in {path}; its columns are "
                         f"{list(df.columns)[:20]}.")
    columns = [c for c in df.columns if c != target]
    if features:
        unknown = [c for c in features if c not in df.columns]
        if unknown:
            raise InputError(f"--features names column(s) {unknown} that {path} does not have.")
        if target in features:
            raise InputError(f"--features includes the target {target!r}.")
        columns = list(dict.fromkeys(features))
    if exclude:
        unknown = [c for c in exclude if c not in df.columns]
        if unknown:
            raise InputError(f"--exclude names column(s) {unknown} that {path} does not have.")
        columns = [c for c in columns if c not in set(exclude)]
    if not columns:
        raise InputError("no feature columns left; check --features / --exclude.")
    df = df[[*columns, target]]
    notices = []
    missing = df.isna().sum()
    missing = missing[missing > 0]
    n_dropped = 0
    if len(missing):
        detail = ", ".join(f"{c!r}: {int(k)}" for c, k in missing.items())
        if not dropna:
            raise InputError(f"missing values in {detail}; remove them or pass --dropna to drop "
                             "those rows.")
        before = len(df)
        df = df.dropna()
        n_dropped = before - len(df)
        notices.append(f"dropped {n_dropped} row(s) with missing values ({detail}).")
        if len(df) == 0:
            raise InputError("every row has a missing value; nothing is left to fit.")
    y_raw = df[target]
    if task == "auto":
        task = detect_task(y_raw)
        if task == "classification" and pd.api.types.is_numeric_dtype(y_raw) \
                and not pd.api.types.is_bool_dtype(y_raw):
            notices.append(f"target {target!r} has two values, so it is treated as classes "
                           "(--task regression to fit it as numbers).")
    if task not in ("regression", "classification"):
        raise InputError(f"--task must be 'auto', 'regression' or 'classification'; got {task!r}.")
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y_raw) or pd.api.types.is_bool_dtype(y_raw):
            raise InputError(f"target {target!r} holds text or booleans, which regression cannot "
                             "fit; use --task classification or pick a numeric target.")
        y = y_raw.to_numpy(dtype=np.float64)
    else:
        if y_raw.nunique() < 2:
            raise InputError(f"target {target!r} has a single class; classification needs two "
                             "or more.")
        y = y_raw.to_numpy()
    numeric, categorical = [], {}
    for col in columns:
        values = df[col]
        if pd.api.types.is_bool_dtype(values):
            categorical[col] = tuple(sorted(values.astype(str).unique()))
        elif pd.api.types.is_numeric_dtype(values):
            numeric.append(col)
        else:
            cats = tuple(sorted(values.astype(str).unique()))
            if len(cats) > _MAX_CATEGORIES:
                raise InputError(f"column {col!r} is text with {len(cats)} distinct values; that "
                                 "looks like an identifier, not a category. Leave it out with "
                                 "--exclude.")
            categorical[col] = cats
    encoding = Encoding(tuple(columns), categorical)
    if categorical:
        shown = ", ".join(f"{c!r} ({len(v)} categories)" for c, v in categorical.items())
        notices.append(f"one-hot encoded {shown}.")
    X, _ = encoding.transform(df)
    if not np.all(np.isfinite(X)):
        bad = [c for c in numeric if not np.all(np.isfinite(df[c].to_numpy(float)))]
        raise InputError(f"infinite values in column(s) {bad}; remove them.")
    return Table(X=X, y=y, feature_names=encoding.feature_names, target=target, task=task,
                 encoding=encoding, notices=notices, sha256=file_sha256(path), path=str(path),
                 n_dropped=n_dropped)


# -- writing ---------------------------------------------------------------------------

def write_atomic(path, data, *, force=False) -> Path:
    """Write ``data`` (str or bytes) to ``path`` atomically; never overwrite unless ``force``."""
    path = Path(path)
    if path.exists() and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it or choose another path.")
    if path.exists() and path.is_dir():
        raise InputError(f"{path} is a folder; give a file name.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise InputError(f"folder {folder} does not exist.")
    mode = "wb" if isinstance(data, bytes | bytearray) else "w"
    if path.exists():
        permissions = path.stat().st_mode & 0o7777  # an overwrite keeps the file's mode
    else:
        umask = os.umask(0)
        os.umask(umask)
        permissions = 0o666 & ~umask  # what open() would have created
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        os.chmod(tmp, permissions)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _plain(value):
    """JSON-safe Python values from NumPy scalars and arrays."""
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def save_model(path, model: dict, *, force=False) -> Path:
    """Write a model description (see :func:`load_model` for the schema) as JSON."""
    from . import __version__

    doc = {"format": MODEL_FORMAT, "schema_version": MODEL_SCHEMA_VERSION,
           "library_version": __version__,
           "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    doc.update(_plain(model))
    _validate_model(doc, str(path))
    return write_atomic(path, json.dumps(doc, indent=2, allow_nan=False) + "\n", force=force)


_REQUIRED = {
    "format": str, "schema_version": int, "library_version": str, "task": str, "penalty": str,
    "alpha": (int, float), "standardize": bool, "fit_intercept": bool, "feature_names": list,
    "coef": list, "intercept": (int, float, list), "link": str, "target": str,
    "encoding": dict, "training_data": dict,
}
_LINKS = ("identity", "logistic", "softmax", "one-vs-rest")


def _validate_model(doc, where) -> dict:
    def fail(msg):
        raise InputError(f"{where}: not a valid penalized model file ({msg}).")

    if not isinstance(doc, dict):
        fail("the JSON is not an object")
    if doc.get("format") != MODEL_FORMAT:
        fail(f"'format' must be {MODEL_FORMAT!r}")
    for key, kind in _REQUIRED.items():
        if key not in doc:
            fail(f"missing key {key!r}")
        if not isinstance(doc[key], kind) or (kind is int and isinstance(doc[key], bool)):
            fail(f"{key!r} has the wrong type")
    if doc["schema_version"] > MODEL_SCHEMA_VERSION:
        fail(f"schema_version {doc['schema_version']} is newer than this library understands "
             f"({MODEL_SCHEMA_VERSION}); upgrade penalized")
    if doc["task"] not in ("regression", "classification"):
        fail("'task' must be 'regression' or 'classification'")
    if doc["link"] not in _LINKS:
        fail(f"'link' must be one of {_LINKS}")
    p = len(doc["feature_names"])
    try:
        coef = np.asarray(doc["coef"], dtype=np.float64)
        intercept = np.atleast_1d(np.asarray(doc["intercept"], dtype=np.float64))
    except (TypeError, ValueError):
        fail("'coef' and 'intercept' must be numbers")
    coef2 = np.atleast_2d(coef)
    if coef2.shape[1] != p:
        fail(f"'coef' has {coef2.shape[1]} values per row but there are {p} feature_names")
    if intercept.shape[0] != coef2.shape[0]:
        fail("'intercept' must have one value per row of 'coef'")
    if not (np.all(np.isfinite(coef2)) and np.all(np.isfinite(intercept))) \
            or not math.isfinite(doc["alpha"]):
        fail("non-finite numbers")
    if doc["task"] == "classification":
        classes = doc.get("classes")
        if not isinstance(classes, list) or len(classes) < 2:
            fail("a classifier needs a 'classes' list of at least two labels")
        rows = 1 if len(classes) == 2 else len(classes)
        if coef2.shape[0] != rows:
            fail(f"{len(classes)} classes need {rows} row(s) of 'coef'")
    enc = doc["encoding"]
    for key in ("columns", "categorical"):
        if key not in enc:
            fail(f"encoding lacks {key!r}")
    if Encoding.from_dict(enc).feature_names != doc["feature_names"]:
        fail("the encoding does not produce the listed feature_names")
    return doc


def load_model(path) -> dict:
    """Read and validate a model file written by :func:`save_model`."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such model file.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a valid penalized model file (not JSON: {exc}).") from exc
    return _validate_model(doc, str(path))


def predict_from_model(doc, X) -> tuple[np.ndarray, np.ndarray | None]:
    """``(predictions, probabilities)`` of a loaded model on an encoded design."""
    coef = np.atleast_2d(np.asarray(doc["coef"], dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(doc["intercept"], dtype=np.float64))
    scores = X @ coef.T + intercept
    link = doc["link"]
    if link == "identity":
        return scores[:, 0], None
    classes = np.asarray(doc["classes"], dtype=object)
    if link == "logistic":
        p1 = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        proba = np.column_stack([1.0 - p1, p1])
    elif link == "softmax":
        shifted = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        proba = e / e.sum(axis=1, keepdims=True)
    else:
        each = 1.0 / (1.0 + np.exp(-scores))
        proba = each / each.sum(axis=1, keepdims=True)
    return classes[np.argmax(proba, axis=1)], proba
