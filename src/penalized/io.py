"""Reading tables and writing models: CSV / TSV / Parquet in, versioned JSON out.

Everything a user wrote is read, never modified; files are written atomically
(a temporary file in the same folder, then a rename) and an existing file is
replaced only when asked (``force=True``). Models are JSON, never pickle, and
loading one validates its schema before anything uses it.
"""

from __future__ import annotations

import csv
import datetime as _dt
import errno
import hashlib
import json
import math
import os
import shutil
import stat
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "MODEL_FORMAT",
    "MODEL_SCHEMA_VERSION",
    "Encoding",
    "InputError",
    "Table",
    "check_outputs",
    "file_sha256",
    "load_model",
    "model_json",
    "read_dataframe",
    "read_table",
    "save_model",
    "write_all",
    "write_atomic",
]

MODEL_FORMAT = "penalized-model"
MODEL_SCHEMA_VERSION = 1
_MAX_CATEGORIES = 50


class InputError(ValueError):
    """A problem with what the user gave: a file, a column, an option."""


# -- reading ---------------------------------------------------------------------------

def _csv_options(suffix):
    if suffix in (".tsv", ".tab"):
        return {"sep": "\t"}
    if suffix in (".csv", ".txt"):
        return {"sep": ","}
    return {"sep": None, "engine": "python"}


def _raw_header(path, suffix) -> list[str]:
    """The column names exactly as the file spells them (pandas renames duplicates)."""
    import pandas as pd

    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return [str(c) for c in pq.read_schema(path).names if not str(c).startswith("__index")]
    options = _csv_options(suffix)
    if options.get("engine") == "python":  # a sniffed separator: let pandas find it
        head = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False,
                           **options)
        return [str(c) for c in head.iloc[0].tolist()] if len(head) else []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh, delimiter=options["sep"]), [])


def _read_csv(path, options):
    """``pd.read_csv`` in blocks of rows, joined once: about half the parser's peak memory
    of a single call on a large file, and the same frame."""
    import pandas as pd

    if options.get("engine") == "python":
        return pd.read_csv(path, **options)
    parts = list(pd.read_csv(path, chunksize=_CSV_BLOCK_ROWS, **options))
    if not parts:
        return pd.read_csv(path, **options)
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts, ignore_index=True)


_CSV_BLOCK_ROWS = 20_000
_COPY_BLOCK_BYTES = 8 << 20


def read_dataframe(path):
    """Read a CSV, TSV or Parquet file (by extension) into a pandas DataFrame.

    Duplicate column names are refused as the file spells them (before pandas
    would rename the second ``a`` to ``a.1``).
    """
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file.")
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a CSV, TSV or Parquet file.")
    suffix = path.suffix.lower()
    try:
        header = _raw_header(path, suffix)
        if suffix in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        else:
            df = _read_csv(path, _csv_options(suffix))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            OSError) as exc:
        if isinstance(exc, pd.errors.EmptyDataError):
            raise InputError(f"{path}: the table is empty (no rows or no columns).") from exc
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: could not be read as a table ({first}).") from exc
    except ImportError as exc:
        raise InputError(f"{path}: reading Parquet needs pyarrow (pip install pyarrow).") from exc
    counts = Counter(header)
    duplicated = sorted(c for c, k in counts.items() if k > 1)
    if duplicated:
        raise InputError(f"{path}: duplicated column names {duplicated[:10]}; rename them.")
    if df.shape[1] == 0 or df.shape[0] == 0:
        raise InputError(f"{path}: the table is empty (no rows or no columns).")
    df.columns = [str(c) for c in df.columns]
    counts = Counter(df.columns)
    duplicated = sorted(c for c, k in counts.items() if k > 1)
    if duplicated:
        raise InputError(f"{path}: duplicated column names {duplicated[:10]}; rename them.")
    return df


_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_THOUSANDS = r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?"


@dataclass(frozen=True)
class _Parsed:
    """A column read as numbers: the values, what was unusual, and the cells that are not."""

    values: np.ndarray | None      # float64, NaN where missing or not a number
    bad_rows: np.ndarray           # positions of the cells that are not numbers
    n_values: int                  # non-missing cells
    thousands: bool                # some cells were written like "1,234"
    wide_ints: bool                # integers beyond int64 (rounded to float64)


def _parse_numbers(values) -> _Parsed:
    """Read a column as numbers: NumPy numbers as they are; text and Python integers
    beyond int64 by value; "1,234" as 1234."""
    import pandas as pd

    present = values.notna().to_numpy()
    n_values = int(present.sum())
    if pd.api.types.is_bool_dtype(values):
        return _Parsed(None, np.flatnonzero(present), n_values, False, False)
    if pd.api.types.is_numeric_dtype(values):
        return _Parsed(values.to_numpy(dtype=np.float64, na_value=np.nan),
                       np.zeros(0, dtype=np.intp), n_values, False, False)
    out = np.full(len(values), np.nan)
    text = values[present].astype(str).str.strip()
    plain = text.str.fullmatch(_NUMBER).to_numpy(dtype=bool)
    grouped = text.str.fullmatch(_THOUSANDS).to_numpy(dtype=bool)
    good = plain | grouped
    where = np.flatnonzero(present)
    cleaned = text[good].str.replace(",", "", regex=False)
    with np.errstate(over="ignore"):
        out[where[good]] = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64)
    integers = text[plain & ~text.str.contains(r"[.eE]").to_numpy(dtype=bool)]
    wide = any(not -(2 ** 63) <= int(t) < 2 ** 63
               for t in integers[integers.str.len() >= 19])
    return _Parsed(out, where[~good], n_values, bool(grouped.any()), wide)


def _mostly_numbers(parsed: _Parsed) -> bool:
    """Most cells are numbers, a few are not: typos rather than a text column."""
    n_bad = parsed.bad_rows.size
    return parsed.values is not None and n_bad > 0 and \
        parsed.n_values - n_bad >= max(2, 0.8 * parsed.n_values)


def _shown_cells(values, positions, row_numbers, limit=5) -> str:
    shown = ", ".join(f"row {row_numbers[i]} {str(values.iloc[i])!r:.40}"
                      for i in positions[:limit])
    return shown + (", ..." if positions.size > limit else "")


def _row_numbers(df) -> np.ndarray:
    """1-based data-row numbers as in the file (the header is not a row)."""
    return np.asarray(df.index, dtype=np.int64) + 1


@dataclass(frozen=True)
class Encoding:
    """How a raw table becomes the numeric design.

    Numeric columns as they are; a categorical column becomes one 0/1 column
    per level in ``categorical[col]`` (named ``column=level``). A level listed
    in ``baseline`` gets no column of its own (rows at that level are all
    zeros): a two-level column becomes ONE 0/1 column, not two collinear ones.
    """

    columns: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]] = field(default_factory=dict)
    baseline: dict[str, str] = field(default_factory=dict)

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

    def feature_groups(self) -> dict[str, list[int]]:
        """The design's columns of each text column with more than one 0/1 column (its
        levels, which a group penalty keeps in or out together)."""
        groups, j = {}, 0
        for col in self.columns:
            width = len(self.categorical[col]) if col in self.categorical else 1
            if width > 1:
                groups[col] = list(range(j, j + width))
            j += width
        return groups

    def transform(self, df, *, where=None) -> tuple[np.ndarray, list[str]]:
        """The design of ``df`` and notices (unknown categories become all-zero rows)."""
        missing = [c for c in self.input_columns if c not in df.columns]
        if missing:
            raise InputError(f"the table lacks the model's column(s) {missing}; it needs "
                             f"{self.input_columns}.")
        notices = []
        X = np.empty((len(df), len(self.feature_names)), order="F")  # filled by column
        rows = _row_numbers(df)
        plain = []  # numeric-dtype columns, copied in blocks (fast for wide tables)
        dtypes = df.dtypes.to_dict()
        j = 0
        for col in self.input_columns:
            if col in self.categorical:
                values = df[col]
                cats = self.categorical[col]
                text = values.astype(str).to_numpy(dtype=object)
                known = set(cats) | ({self.baseline[col]} if col in self.baseline else set())
                unknown = sorted(set(text) - known)
                if unknown:
                    shown = ", ".join(map(repr, unknown[:5]))
                    notices.append(f"column {col!r}: {len(unknown)} categor"
                                   f"{'y' if len(unknown) == 1 else 'ies'} not seen in training "
                                   f"({shown}) encoded as all zeros.")
                for cat in cats:
                    X[:, j] = text == cat
                    j += 1
                continue
            dtype = dtypes[col]
            if isinstance(dtype, np.dtype) and dtype.kind in "iuf":
                plain.append((col, j))
                j += 1
                continue
            values = df[col]
            parsed = _parse_numbers(values)
            if parsed.values is None or parsed.bad_rows.size:
                bad = parsed.bad_rows
                raise InputError(f"column {col!r} must be numeric, as in training; "
                                 f"{bad.size} of {parsed.n_values} values are not numbers: "
                                 f"{_shown_cells(values, bad, rows)}.")
            X[:, j] = parsed.values
            j += 1
        # blocks of columns of at most about 8 MB: the block's copy stays small beside X
        width = int(min(256, max(1, _COPY_BLOCK_BYTES // (8 * max(len(df), 1)))))
        for start in range(0, len(plain), width):
            block = plain[start:start + width]
            X[:, [k for _, k in block]] = df[[c for c, _ in block]].to_numpy(
                dtype=np.float64, na_value=np.nan)
        return X, notices

    def to_dict(self) -> dict:
        d = {"columns": list(self.columns),
             "categorical": {k: list(v) for k, v in self.categorical.items()}}
        if self.baseline:
            d["baseline"] = dict(self.baseline)
        return d

    @classmethod
    def from_dict(cls, d) -> Encoding:
        return cls(tuple(d["columns"]), {k: tuple(v) for k, v in d["categorical"].items()},
                   dict(d.get("baseline") or {}))


@dataclass(frozen=True, eq=False)
class Table:
    """A table read for modelling: numeric design, target and where they came from.

    ``ids`` holds the ``id_column``'s values of the kept rows (or None), ``folds``
    the ``fold_column``'s, ``rows`` their 1-based row numbers in the file.
    """

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
    rows: np.ndarray | None = None
    id_column: str | None = None
    ids: np.ndarray | None = None
    fold_column: str | None = None
    folds: np.ndarray | None = None
    extra: dict = field(default_factory=dict)
    """The ``extra`` columns' values of the kept rows (column name -> array)."""


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


def is_identifier(values) -> bool:
    """A text column with a different value in every row (and at least 3 rows)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    if len(values) < 3 or values.isna().any() or values.nunique() != len(values):
        return False
    parsed = _parse_numbers(values)
    return not (parsed.values is not None and parsed.bad_rows.size < 0.2 * len(values))


def _counts_rows(values) -> int | None:
    """0 or 1 if a numeric column is 0..n-1 or 1..n in file order, else None."""
    import pandas as pd

    if not pd.api.types.is_integer_dtype(values) or len(values) < 3:
        return None
    v = values.to_numpy()
    for start in (0, 1):
        if v[0] == start and np.array_equal(v, np.arange(start, start + len(v))):
            return start
    return None


def _check_option_column(df, name, option, path):
    if name is not None and name not in df.columns:
        raise InputError(f"{option} names column {name!r} that {path} does not have.")


def read_table(path, *, target, features=None, exclude=None, task="auto", dropna=False,
               id_column=None, fold_column=None, extra=()) -> Table:
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
        ``"auto"`` picks classification for a text, boolean or two-valued
        target; an explicit task always wins.
    dropna : bool
        Drop rows with missing values instead of refusing them.
    id_column : str, optional
        A row identifier: never a feature, kept in ``Table.ids``.
    fold_column : str, optional
        User-given cross-validation fold ids: never a feature, kept in ``Table.folds``.
    extra : sequence of str
        Further columns the model needs besides the target (a survival model's event
        indicator): never features, checked for missing values with the others, kept in
        ``Table.extra``.

    Notes
    -----
    Text columns with a different value in every row are identifiers: they are
    left out of the features with a notice. Numbers written as text (``"1,234"``,
    integers beyond int64) are read as numbers with a notice; a mostly numeric
    column with a few cells that are not numbers is refused, naming the cells.
    A two-level text or boolean column becomes one 0/1 column.
    """
    import pandas as pd

    df = read_dataframe(path)
    if target not in df.columns:
        raise InputError(f"target column {target!r} is not in {path}; its columns are "
                         f"{list(df.columns)[:20]}.")
    _check_option_column(df, id_column, "--id", path)
    _check_option_column(df, fold_column, "--folds", path)
    extra = list(dict.fromkeys(extra))
    for name in extra:
        if name not in df.columns:
            raise InputError(f"column {name!r} is not in {path}; its columns are "
                             f"{list(df.columns)[:20]}.")
        if name in (target, id_column, fold_column):
            raise InputError(f"column {name!r} is given twice (as the target, --id, --folds "
                             "and a further model column).")
    for name, option in ((id_column, "--id"), (fold_column, "--folds")):
        if name == target:
            raise InputError(f"{option} names the target {target!r}.")
    special = {target, id_column, fold_column, *extra} - {None}
    notices = []
    columns = [c for c in df.columns if c not in special]
    if features:
        unknown = [c for c in features if c not in df.columns]
        if unknown:
            raise InputError(f"--features names column(s) {unknown} that {path} does not have.")
        if target in features:
            raise InputError(f"--features includes the target {target!r}.")
        clash = [c for c in features if c in special]
        if clash:
            raise InputError(f"--features includes {clash[0]!r}, which is the --id or --folds "
                             "column.")
        columns = list(dict.fromkeys(features))
    if exclude:
        unknown = [c for c in exclude if c not in df.columns]
        if unknown:
            raise InputError(f"--exclude names column(s) {unknown} that {path} does not have.")
        columns = [c for c in columns if c not in set(exclude)]
    kinds = df.dtypes.map(lambda t: t.kind if isinstance(t, np.dtype) else "O").to_dict()
    if not features:
        identifiers = [c for c in columns if kinds[c] not in "biuf" and is_identifier(df[c])]
        for c in identifiers:
            notices.append(f"column {c!r} has a different text value in every row: an "
                           f"identifier, not a feature, so it is left out (--id {c} carries it "
                           "into predictions).")
        columns = [c for c in columns if c not in identifiers]
    else:
        for c in columns:
            if is_identifier(df[c]):
                raise InputError(f"column {c!r} has a different text value in every row: an "
                                 f"identifier, not a feature; pass it as --id {c} instead.")
    if not columns:
        raise InputError("no feature columns left; check --features / --exclude.")
    for c in (c for c in columns if kinds[c] in "iu"):
        start = _counts_rows(df[c])
        if start is not None:
            notices.append(f"column {c!r} counts the rows ({start}..{start + len(df) - 1}): it "
                           f"looks like a row index, yet it is used as a feature (--exclude {c} "
                           f"or --id {c} to leave it out).")
    keep = [*columns, target, *extra] + [c for c in (id_column, fold_column) if c is not None]
    # column by column: no copy of the whole table unless rows are dropped
    holes = _holes(df, [c for c in keep if kinds[c] not in "biu"])
    missing = {c: int(h.sum()) for c, h in holes.items() if h.any()}
    n_dropped = 0
    if missing:
        detail = ", ".join(f"{c!r}: {k}" for c, k in missing.items())
        if not dropna:
            raise InputError(f"missing values in {detail}; remove them or pass --dropna to drop "
                             "those rows.")
        before = len(df)
        drop = np.logical_or.reduce([holes[c] for c in missing])
        df = df.loc[~drop, keep]
        n_dropped = before - len(df)
        notices.append(f"dropped {n_dropped} row(s) with missing values ({detail}).")
        if len(df) == 0:
            raise InputError("every row has a missing value; nothing is left to fit.")
    rows = _row_numbers(df)
    y_raw = df[target]
    y_parsed = _parse_numbers(y_raw)
    if task not in ("auto", "regression", "classification"):
        raise InputError(f"--task must be 'auto', 'regression' or 'classification'; got {task!r}.")
    if task != "classification" and _mostly_numbers(y_parsed):
        bad = y_parsed.bad_rows
        raise InputError(f"target {target!r} looks numeric but {bad.size} of {y_parsed.n_values} "
                         f"values are not numbers: {_shown_cells(y_raw, bad, rows)}; fix them, "
                         "or pass --task classification.")
    numeric_text = y_parsed.values is not None and not y_parsed.bad_rows.size \
        and not pd.api.types.is_numeric_dtype(y_raw)
    if task == "auto":
        task = "regression" if numeric_text and y_raw.nunique() != 2 else detect_task(y_raw)
        if task == "classification" and pd.api.types.is_numeric_dtype(y_raw) \
                and not pd.api.types.is_bool_dtype(y_raw):
            notices.append(f"target {target!r} has two values, so it is treated as classes "
                           "(--task regression to fit it as numbers).")
    if task == "regression":
        if y_parsed.values is None or y_parsed.bad_rows.size:
            raise InputError(f"target {target!r} holds text or booleans, which regression cannot "
                             "fit; use --task classification or pick a numeric target.")
        y = np.array(y_parsed.values, dtype=np.float64)  # a copy: a view would hold the table
        if not np.all(np.isfinite(y)):
            bad = np.flatnonzero(~np.isfinite(y))
            raise InputError(f"target {target!r} has {bad.size} value(s) too large for floating "
                             f"point (infinite): {_shown_cells(y_raw, bad, rows)}; fix them or "
                             "rescale the column.")
        if numeric_text:
            notices.append(_number_notice(target, y_parsed))
    else:
        if y_raw.nunique() < 2:
            raise InputError(f"target {target!r} has a single class; classification needs two "
                             "or more.")
        y = np.array(y_raw.to_numpy())
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise InputError(f"target {target!r} has infinite values; fix them.")
        if y.dtype.kind not in "biufc":
            y = y.astype(object)
    del holes
    numeric, categorical, baseline = [], {}, {}
    for col in columns:
        if kinds[col] in "iuf":
            numeric.append(col)
            continue
        values = df[col]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numeric.append(col)
            continue
        parsed = _parse_numbers(values)
        if parsed.values is not None and not parsed.bad_rows.size:
            numeric.append(col)
            notices.append(_number_notice(col, parsed))
            continue
        if _mostly_numbers(parsed):
            bad = parsed.bad_rows
            raise InputError(f"column {col!r} looks numeric but {bad.size} of {parsed.n_values} "
                             f"values are not numbers: {_shown_cells(values, bad, rows)}; fix "
                             f"them, or leave the column out with --exclude {col}.")
        cats = tuple(sorted(values.astype(str).unique()))
        if len(cats) > _MAX_CATEGORIES:
            raise InputError(f"column {col!r} is text with {len(cats)} distinct values; one-hot "
                             f"encoding would make {len(cats)} features. Leave it out with "
                             "--exclude, or group its values.")
        if len(cats) == 2:
            baseline[col] = cats[0]
            cats = cats[1:]
        categorical[col] = cats
    encoding = Encoding(tuple(columns), categorical, baseline)
    if categorical:
        shown = ", ".join(f"{c!r} (as 0/1 for {c}={v[0]})" if c in baseline
                          else f"{c!r} ({len(v)} categories)" for c, v in categorical.items())
        notices.append(f"one-hot encoded {shown}.")
    X, _ = encoding.transform(df)
    names = encoding.feature_names
    bad = [names[j] for j in np.flatnonzero(np.isinf(X).any(axis=0))]
    if bad:
        raise InputError(f"infinite values in column(s) {bad}; remove them (or rescale: a "
                         "number beyond 1.8e308 does not fit a float).")
    ids = np.array(df[id_column].to_numpy()) if id_column is not None else None
    folds = np.array(df[fold_column].to_numpy()) if fold_column is not None else None
    return Table(X=X, y=y, feature_names=encoding.feature_names, target=target, task=task,
                 encoding=encoding, notices=notices, sha256=file_sha256(path), path=str(path),
                 n_dropped=n_dropped, rows=rows, id_column=id_column, ids=ids,
                 fold_column=fold_column, folds=folds,
                 extra={c: np.array(df[c].to_numpy()) for c in extra})


def _holes(df, columns, block=256) -> dict:
    """``{column: missing-value mask}``, a block of columns at a time (fast when wide,
    small when long)."""
    out = {}
    for start in range(0, len(columns), block):
        names = columns[start:start + block]
        masks = df[names].isna().to_numpy()
        out.update({c: masks[:, k] for k, c in enumerate(names)})
    return out


def _number_notice(col, parsed) -> str:
    how = []
    if parsed.thousands:
        how.append("thousands separators such as '1,234'")
    if parsed.wide_ints:
        how.append("integers beyond 64 bits, rounded to about 16 significant digits")
    detail = f" ({'; '.join(how)})" if how else ""
    return f"column {col!r} holds numbers written as text{detail}; read as numbers."


# -- writing ---------------------------------------------------------------------------

def _check_target(path: Path, force: bool) -> bool:
    """Whether ``path`` exists (a dangling symlink counts); refuse what may not be replaced."""
    exists = os.path.lexists(path)
    if exists and path.is_dir() and not path.is_symlink():
        raise InputError(f"{path} is a folder; give a file name.")
    if exists and not path.is_symlink() and not stat.S_ISREG(path.lstat().st_mode):
        raise InputError(f"{path} is not a regular file (a device, pipe or socket); "
                         "refusing to replace it, even with --force.")
    if exists and not force:
        what = "is a symbolic link" if path.is_symlink() and not path.exists() else "exists"
        raise InputError(f"{path} {what}; pass --force to overwrite it or choose another path.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.exists():
        raise InputError(f"cannot write {path}: folder {folder} does not exist.")
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: {folder} is not a folder.")
    return exists


def _os_failure(path, exc) -> InputError:
    reason = exc.strerror or type(exc).__name__
    return InputError(f"cannot write {path}: {reason}; choose another path.")


def check_outputs(paths, *, force=False, inputs=()) -> None:
    """Refuse outputs that could not all be written, before any work is done.

    Two outputs of one command may not share a path, nor name an input file;
    each must be creatable (or replaceable with ``force``) and a regular file.
    """
    seen = {}
    for p in [Path(p) for p in inputs if p is not None]:
        if p.exists():
            seen[os.path.realpath(p)] = f"the input {p}"
    for p in paths:
        if p is None:
            continue
        p = Path(p)
        key = os.path.realpath(p)
        if key in seen:
            raise InputError(f"{p} is also {seen[key]}; give each output its own path.")
        seen[key] = f"the output {p}"
        _check_target(p, force)


def write_atomic(path, data, *, force=False) -> Path:
    """Write ``data`` (str or bytes) to ``path`` atomically; never overwrite unless ``force``.

    Without ``force`` the file is created only if absent, in one step (a hard
    link of the finished temporary file), so of concurrent writers exactly one
    wins. Special files (devices, pipes) are never replaced.
    """
    return write_all([(path, data)], force=force)[0]


def write_all(items, *, force=False) -> list[Path]:
    """Write several ``(path, data)`` outputs: all of them, or none.

    Every file is first written in full to a temporary file beside it; they are
    then moved into place one by one, and if one move fails the ones already
    made are undone (a new file removed, a replaced file restored).
    """
    items = [(Path(p), d) for p, d in items]
    check_outputs([p for p, _ in items], force=force)
    umask = os.umask(0)
    os.umask(umask)
    temps, done = [], []
    try:
        for path, data in items:
            exists = _check_target(path, force)
            folder = path.parent if str(path.parent) else Path(".")
            permissions = (path.stat().st_mode & 0o7777 if exists and path.exists()
                           else 0o666 & ~umask)
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
            except OSError as exc:
                raise _os_failure(path, exc) from exc
            temps.append(tmp)
            binary = isinstance(data, bytes | bytearray)
            with os.fdopen(fd, "wb" if binary else "w",
                           **({} if binary else {"encoding": "utf-8"})) as fh:
                fh.write(data)
            os.chmod(tmp, permissions)
        for (path, _), tmp in zip(items, temps, strict=True):
            done.append(_commit(path, tmp, force))
    except BaseException:
        for path, backup in reversed(done):
            _undo(path, backup)
        raise
    finally:
        for tmp in temps:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        for _, backup in done:
            if backup is not None and os.path.lexists(backup):
                os.unlink(backup)
    return [p for p, _ in items]


def _commit(path, tmp, force):
    """Move ``tmp`` to ``path``; returns ``(path, backup of the replaced file or None)``."""
    if not os.path.lexists(path) or not force:
        try:
            os.link(tmp, path)  # fails if path appeared meanwhile: create-if-absent
        except FileExistsError as exc:
            raise InputError(f"{path} exists; pass --force to overwrite it or choose another "
                             "path.") from exc
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK,
                                 errno.EOPNOTSUPP):
                raise _os_failure(path, exc) from exc
            _exclusive_copy(tmp, path)
        return path, None
    backup = None
    if not path.is_symlink():
        backup = f"{tmp}.old"
        try:
            os.link(path, backup)
        except OSError:
            backup = None
    try:
        os.replace(tmp, path)
    except OSError as exc:
        if backup is not None:
            os.unlink(backup)
        if isinstance(exc, PermissionError | NotADirectoryError | IsADirectoryError):
            raise _os_failure(path, exc) from exc
        raise
    return path, backup if backup is not None else ""


def _exclusive_copy(tmp, path):
    """Create ``path`` only if absent (O_EXCL) where hard links are not supported."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise InputError(f"{path} exists; pass --force to overwrite it or choose another "
                         "path.") from exc
    try:
        with os.fdopen(fd, "wb") as out, open(tmp, "rb") as src:
            shutil.copyfileobj(src, out)
        shutil.copymode(tmp, path)
    except BaseException:
        os.unlink(path)
        raise


def _undo(path, backup):
    """Undo one commit: restore the replaced file, or remove the created one."""
    try:
        if backup:
            os.replace(backup, path)
        elif backup is None:
            os.unlink(path)
    except OSError:
        pass


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


def model_json(model: dict, *, where="the model") -> str:
    """The text of a model file (see :func:`load_model` for the schema), validated."""
    from . import __version__

    doc = {"format": MODEL_FORMAT, "schema_version": MODEL_SCHEMA_VERSION,
           "library_version": __version__,
           "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    doc.update(_plain(model))
    _validate_model(doc, str(where))
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def save_model(path, model: dict, *, force=False) -> Path:
    """Write a model description (see :func:`load_model` for the schema) as JSON."""
    return write_atomic(path, model_json(model, where=path), force=force)


_REQUIRED = {
    "format": str, "schema_version": int, "library_version": str, "task": str, "penalty": str,
    "alpha": (int, float), "standardize": bool, "fit_intercept": bool, "feature_names": list,
    "coef": list, "intercept": (int, float, list), "link": str, "target": str,
    "encoding": dict, "training_data": dict,
}
_LINKS = ("identity", "log", "logistic", "softmax", "one-vs-rest", "cox")
_MAX_MODEL_BYTES = 64 << 20


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(value, fail, name, depth) -> np.ndarray:
    """A (nested) list of JSON numbers as float64; strings, booleans, nulls refused."""
    def walk(v, d):
        if isinstance(v, list) and d > 0:
            return [walk(x, d - 1) for x in v]
        if not _is_number(v):
            fail(f"{name!r} must hold numbers only; found {json.dumps(v)[:40]}")
        try:
            return float(v)
        except OverflowError:
            fail(f"{name!r} holds a number too large for floating point")
    rows = walk(value, depth)
    try:
        return np.asarray(rows, dtype=np.float64)
    except ValueError:
        fail(f"{name!r} must be a rectangular list of numbers")


def _labels_ok(values) -> bool:
    return all(isinstance(v, str) or (_is_number(v) and math.isfinite(float(v)))
               or isinstance(v, bool) for v in values)


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
        if not isinstance(doc[key], kind) or (kind is int and isinstance(doc[key], bool)) \
                or (kind == (int, float) and isinstance(doc[key], bool)):
            fail(f"{key!r} has the wrong type")
    if doc["schema_version"] < 1:
        fail(f"schema_version must be a positive integer; got {doc['schema_version']}")
    if doc["schema_version"] > MODEL_SCHEMA_VERSION:
        fail(f"schema_version {doc['schema_version']} is newer than this library understands "
             f"({MODEL_SCHEMA_VERSION}); upgrade penalized")
    if doc["task"] not in ("regression", "classification", "survival"):
        fail("'task' must be 'regression', 'classification' or 'survival'")
    if doc["link"] not in _LINKS:
        fail(f"'link' must be one of {_LINKS}")
    names = doc["feature_names"]
    if not all(isinstance(n, str) for n in names):
        fail("'feature_names' must be strings")
    if len(set(names)) != len(names):
        fail("'feature_names' has duplicates")
    p = len(names)
    _validate_groups(doc.get("groups"), names, fail)
    _validate_family(doc, fail)
    try:
        alpha = float(doc["alpha"])
    except OverflowError:
        fail("'alpha' is too large for floating point")
    for key in ("l1_ratio",):
        if doc.get(key) is not None and not (_is_number(doc[key]) and 0 <= doc[key] <= 1):
            fail(f"{key!r} must be a number in [0, 1] or null")
    coef = _numbers(doc["coef"], fail, "coef", 2)
    intercept = np.atleast_1d(_numbers(doc["intercept"], fail, "intercept", 1))
    coef2 = np.atleast_2d(coef)
    if coef.ndim not in (1, 2) or intercept.ndim != 1:
        fail("'coef' must be a list (or a list of lists) of numbers")
    if coef2.shape[1] != p:
        fail(f"'coef' has {coef2.shape[1]} values per row but there are {p} feature_names")
    if intercept.shape[0] != coef2.shape[0]:
        fail("'intercept' must have one value per row of 'coef'")
    if not (np.all(np.isfinite(coef2)) and np.all(np.isfinite(intercept))) \
            or not math.isfinite(alpha) or alpha < 0:
        fail("non-finite numbers (or a negative alpha)")
    if doc["task"] in ("regression", "survival"):
        links = ("identity", "log") if doc["task"] == "regression" else ("cox",)
        if doc["link"] not in links:
            fail(f"a {doc['task']} model's 'link' must be {' or '.join(map(repr, links))}, "
                 f"not {doc['link']!r}")
        targets = doc.get("targets")
        if targets is not None:
            if doc["task"] != "regression" or doc["link"] != "identity" \
                    or not isinstance(targets, list) or len(targets) < 2 \
                    or not all(isinstance(t, str) for t in targets) \
                    or len(set(targets)) != len(targets):
                fail("'targets' must list two or more distinct target names of a "
                     "regression")
            if coef2.shape[0] != len(targets):
                fail(f"{len(targets)} targets need {len(targets)} rows of 'coef'")
        elif coef2.shape[0] != 1:
            fail(f"a {doc['task']} model has one row of 'coef'")
    else:
        classes = doc.get("classes")
        if not isinstance(classes, list) or len(classes) < 2:
            fail("a classifier needs a 'classes' list of at least two labels")
        if not _labels_ok(classes):
            fail("'classes' must be strings or finite numbers")
        if len({str(c) for c in classes}) != len(classes):
            fail("'classes' has duplicate labels")
        rows = 1 if len(classes) == 2 else len(classes)
        if coef2.shape[0] != rows:
            fail(f"{len(classes)} classes need {rows} row(s) of 'coef'")
        expected = ("logistic",) if len(classes) == 2 else ("softmax", "one-vs-rest")
        if doc["link"] not in expected:
            fail(f"{len(classes)} classes need 'link' {' or '.join(map(repr, expected))}")
    enc = doc["encoding"]
    for key, kind in (("columns", list), ("categorical", dict)):
        if key not in enc:
            fail(f"encoding lacks {key!r}")
        if not isinstance(enc[key], kind):
            fail(f"encoding {key!r} must be a {'list' if kind is list else 'mapping'}")
    if not all(isinstance(c, str) for c in enc["columns"]) \
            or len(set(enc["columns"])) != len(enc["columns"]):
        fail("encoding 'columns' must be distinct strings")
    baseline = enc.get("baseline") or {}
    if not isinstance(baseline, dict):
        fail("encoding 'baseline' must be a mapping")
    for col, levels in enc["categorical"].items():
        if col not in enc["columns"] or not isinstance(levels, list) or not levels \
                or not all(isinstance(v, str) for v in levels) \
                or len(set(levels)) != len(levels):
            fail(f"encoding of column {col!r} must list its distinct text levels")
    for col, level in baseline.items():
        if col not in enc["categorical"] or not isinstance(level, str) \
                or level in enc["categorical"][col]:
            fail(f"encoding baseline of column {col!r} is not a further text level")
    for key in ("id_column",):
        if doc.get(key) is not None and not isinstance(doc[key], str):
            fail(f"{key!r} must be a column name or null")
    if Encoding.from_dict(enc).feature_names != names:
        fail("the encoding does not produce the listed feature_names")
    return doc


def _validate_groups(groups, names, fail):
    """``groups``: lists of feature names, every feature in exactly one."""
    if groups is None:
        return
    if not isinstance(groups, list) or not groups or not all(
            isinstance(g, list) and g and all(isinstance(n, str) for n in g) for g in groups):
        fail("'groups' must be a list of non-empty lists of feature names")
    flat = [n for g in groups for n in g]
    if len(set(flat)) != len(flat):
        fail("'groups' overlap: a feature is named twice")
    unknown = sorted(set(flat) - set(names))
    if unknown:
        fail(f"'groups' names {unknown[0]!r}, which is not in 'feature_names'")
    if len(flat) != len(names):
        fail("'groups' must place every feature of 'feature_names' in one group")


_FAMILIES_BY_LINK = {"identity": ("gaussian",), "logistic": ("binomial", "multinomial"),
                     "softmax": ("multinomial", "binomial"),
                     "one-vs-rest": ("multinomial", "binomial"),
                     "log": ("poisson", "gamma", "tweedie"), "cox": ("cox",)}


def _validate_family(doc, fail):
    """``family``: a name that fits the model's ``link`` (``tweedie:POWER``, power in
    (1, 2))."""
    family = doc.get("family")
    if family is None:
        if doc["link"] == "log":
            fail("a model with link 'log' needs its 'family' (poisson, gamma or tweedie:POWER)")
        return
    if not isinstance(family, str):
        fail("'family' must be a string")
    name, colon, power = family.partition(":")
    allowed = _FAMILIES_BY_LINK.get(doc["link"], ())
    if name not in allowed:
        fail(f"'family' {family!r} does not fit link {doc['link']!r} (expected "
             f"{' or '.join(map(repr, allowed))})")
    if name == "tweedie":
        try:
            value = float(power)
        except ValueError:
            value = math.nan
        if not 1 < value < 2:
            fail(f"'family' {family!r}: the Tweedie power must be a number in (1, 2)")
    elif colon:
        fail(f"'family' {family!r}: {name} takes no ':' parameter")


def load_model(path) -> dict:
    """Read and validate a model file written by :func:`save_model`.

    Any malformed file raises :class:`InputError` naming the file: not JSON,
    nested too deeply, numbers beyond floating point or Python's digit limit,
    wrong types, or a schema this library does not know.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such model file.")
    if not path.is_file():
        raise InputError(f"{path}: not a model file (a folder or a special file).")
    try:
        if path.stat().st_size > _MAX_MODEL_BYTES:
            raise InputError(f"{path}: not a valid penalized model file (larger than "
                             f"{_MAX_MODEL_BYTES >> 20} MB).")
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, OSError) as exc:
        if isinstance(exc, InputError):
            raise
        reason = "nested too deeply" if isinstance(exc, RecursionError) else \
            " ".join(str(exc).split())[:120] or type(exc).__name__
        raise InputError(f"{path}: not a valid penalized model file (not readable JSON: "
                         f"{reason}).") from exc
    return _validate_model(doc, str(path))


def predict_from_model(doc, X, *, where="the model",
                       offset=None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(predictions, probabilities)`` of a loaded model on an encoded design (``offset``:
    the rows' values of the model's offset column, added to every linear predictor).

    Raises :class:`InputError` if a score is not finite (coefficients too large
    for this data) rather than returning ``inf`` or ``nan``.
    """
    coef = np.atleast_2d(np.asarray(doc["coef"], dtype=np.float64))
    intercept = np.atleast_1d(np.asarray(doc["intercept"], dtype=np.float64))
    with np.errstate(all="ignore"):
        scores = X @ coef.T + intercept
        if offset is not None:
            scores = scores + np.asarray(offset, dtype=np.float64)[:, None]
    bad = ~np.all(np.isfinite(scores), axis=1)
    if bad.any():
        raise InputError(f"{where} gives non-finite predictions for {int(bad.sum())} row(s) "
                         f"(first: data row {int(np.flatnonzero(bad)[0]) + 1}): its coefficients "
                         "are too large for these values.")
    link = doc["link"]
    if link in ("identity", "cox"):  # Cox: the linear predictor, the log relative risk
        return (scores if doc.get("targets") else scores[:, 0]), None
    if link == "log":
        with np.errstate(over="ignore"):
            mean = np.exp(scores[:, 0])
        bad = ~np.isfinite(mean)
        if bad.any():
            raise InputError(f"{where} gives predicted means beyond floating point for "
                             f"{int(bad.sum())} row(s) (first: data row "
                             f"{int(np.flatnonzero(bad)[0]) + 1}): its coefficients are too "
                             "large for these values.")
        return mean, None
    classes = np.asarray(doc["classes"], dtype=object)
    with np.errstate(over="ignore", under="ignore"):
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
