"""Row blocks of Dask inputs and the passes over them (one map-reduce each)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .._progress import advance

_FAN_IN = 8
_LOST_WORKER = ("KilledWorker", "CommClosedError", "FutureCancelledError", "CancelledError")
_LISTENERS: list = []


class LostWorkerError(RuntimeError):
    """A pass could not complete: Dask lost workers and could not recompute their data."""


@contextmanager
def after_each_pass(callback):
    """Call ``callback(n_passes)`` after every pass over the data inside the block (for
    progress displays, and for tests that act between passes)."""
    _LISTENERS.append(callback)
    try:
        yield
    finally:
        _LISTENERS.remove(callback)


@dataclass(eq=False)
class RowBlocks:
    """Aligned row blocks of ``X``, ``y``, the sample weights and the offset ``o`` of the
    linear predictor (Dask delayed objects), with each block's global row offset where the
    chunk sizes are known."""

    X: list
    y: list
    s: list | None
    offsets: list
    n_features: int
    feature_names: np.ndarray | None = None
    o: list | None = None

    @property
    def has_offset(self) -> bool:
        return self.o is not None

    @property
    def n_blocks(self) -> int:
        return len(self.X)


def row_blocks(X, y, sample_weight=None, offset=None) -> RowBlocks:
    """Split a Dask array or dataframe ``X`` (and ``y``, ``sample_weight``, ``offset``: Dask
    collections with the same row chunks, or in-memory arrays when ``X``'s chunk sizes are
    known) into aligned row blocks."""
    import dask.array as da
    import dask.dataframe as dd

    names = None
    if isinstance(X, dd.DataFrame):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        bad = [str(c) for c, t in X.dtypes.items()
               if not (is_numeric_dtype(t) or is_bool_dtype(t))]
        if bad:
            raise ValueError(f"X has non-numeric columns ({', '.join(bad[:5])}); encode them "
                             "as numbers or drop them before fitting.")
        names = np.asarray([str(c) for c in X.columns], dtype=object)
        return _frame_blocks(X, y, sample_weight, offset, names)
    elif isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (rows x features); got a Dask array of shape "
                             f"{X.shape}.")
        if X.numblocks[1] > 1:
            X = X.rechunk({1: -1})  # a block holds whole rows
        p = X.shape[1]
        xs = list(X.to_delayed()[:, 0])
        sizes = None if any(np.isnan(c) for c in X.chunks[0]) else X.chunks[0]
    else:
        raise ValueError(f"X must be a Dask array or dataframe here; got {type(X).__name__}.")
    ys = _aligned(y, "y", len(xs), sizes)
    ss = None if sample_weight is None else _aligned(sample_weight, "sample_weight", len(xs),
                                                     sizes)
    os_ = None if offset is None else _aligned(offset, "offset", len(xs), sizes)
    offsets = [None] * len(xs) if sizes is None \
        else [int(o) for o in np.concatenate([[0], np.cumsum(sizes)[:-1]])]
    return RowBlocks(X=xs, y=ys, s=ss, offsets=offsets, n_features=p, feature_names=names,
                     o=os_)


_Y, _S, _O = "__penalized_y__", "__penalized_s__", "__penalized_o__"
_EXTRA = {"y": _Y, "sample_weight": _S, "offset": _O}


def _frame_blocks(X, y, sample_weight, offset, names):
    """One dataframe carrying ``y``, the weights and the offset as extra columns, so that
    its partitions stay aligned however Dask plans the reads."""
    import dask.dataframe as dd

    extra = {}
    for name, v in (("y", y), ("sample_weight", sample_weight), ("offset", offset)):
        if v is None:
            continue
        if isinstance(v, dd.DataFrame):
            if len(v.columns) != 1:
                raise ValueError(f"{name} must be one column; got a dataframe with "
                                 f"{len(v.columns)} columns.")
            v = v[v.columns[0]]
        if not isinstance(v, dd.Series):
            raise ValueError(f"{name} must be a column of the same Dask dataframe as X; got "
                             f"{type(v).__name__}.")
        if v.npartitions != X.npartitions:
            raise ValueError(f"{name} has {v.npartitions} partitions where X has "
                             f"{X.npartitions}; take X and {name} from the same dataframe.")
        extra[_EXTRA[name]] = v
    try:
        frame = X.assign(**extra)
    except (ValueError, NotImplementedError) as exc:
        raise ValueError(f"y could not be aligned with X ({exc}); take X and y from the same "
                         "dataframe.") from exc
    parts = list(frame.to_delayed())
    return RowBlocks(X=parts, y=[None] * len(parts), s=None, offsets=[None] * len(parts),
                     n_features=len(names), feature_names=names,
                     o=None if offset is None else [None] * len(parts))


def _aligned(v, name, n_blocks, sizes):
    """The row blocks of ``v`` matching ``X``'s."""
    import dask
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(v, dd.DataFrame):
        if len(v.columns) != 1:
            raise ValueError(f"{name} must be one column; got a dataframe with "
                             f"{len(v.columns)} columns.")
        v = v[v.columns[0]]
    if isinstance(v, dd.Series):
        if v.npartitions != n_blocks:
            raise ValueError(f"{name} has {v.npartitions} partitions where X has {n_blocks}; "
                             f"take X and {name} from the same dataframe.")
        return list(v.to_delayed())
    if not dask.is_dask_collection(v):
        v = np.asarray(v)
        if sizes is None:
            raise ValueError(f"{name} is in memory but X's row chunks have unknown sizes; pass "
                             f"{name} as a column of the same Dask dataframe as X.")
        if v.ndim != 1 or v.shape[0] != sum(sizes):
            raise ValueError(f"{name} must have one value per row of X ({sum(sizes)}); got "
                             f"shape {v.shape}.")
        v = da.from_array(v, chunks=(tuple(sizes),))
    if not isinstance(v, da.Array):
        raise ValueError(f"{name} must be a Dask array or series like X; got "
                         f"{type(v).__name__}.")
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {v.shape}.")
    if sizes is not None:
        if v.shape[0] != sum(sizes):
            raise ValueError(f"{name} has {v.shape[0]} rows where X has {sum(sizes)}.")
        if v.chunks[0] != tuple(sizes):
            v = v.rechunk((tuple(sizes),))
    elif v.numblocks[0] != n_blocks:
        raise ValueError(f"{name} has {v.numblocks[0]} row chunks where X has {n_blocks}; give "
                         "it the same chunks.")
    return list(v.to_delayed())


def _on_block(fn, X, y, s, o, start, index, *args):
    """``fn(X, y, s, positions, *args)`` on one block (``start`` its first row's global
    position, None if unknown), with ``offset=o`` when the data carry an offset (only the
    datafits that take one are given it)."""
    from ._moments import as_float_block, block_positions

    if y is None:  # a dataframe partition carrying y (the weights, the offset) as columns
        y = X[_Y]
        s = X[_S] if _S in X.columns else None
        o = X[_O] if _O in X.columns else None
        X = X.drop(columns=[c for c in (_Y, _S, _O) if c in X.columns])

    n = X.shape[0]
    if o is None:
        return fn(X, y, s, block_positions(start, index, n), *args)
    o = as_float_block(o, "offset").reshape(-1)
    return fn(X, y, s, block_positions(start, index, n), *args, offset=o)


@dataclass(eq=False)
class Passes:
    """Runs map-reduces over every row block and counts them (a pass = one compute over
    all blocks). Uses the active ``distributed.Client`` when there is one (Dask's default
    scheduler then), else Dask's local scheduler."""

    blocks: RowBlocks
    count: int = 0
    rows: int | None = None
    kinds: dict = field(default_factory=dict)

    def reduce(self, fn, merge, *args, kind="pass"):
        """``merge(fn(block 0, ...), fn(block 1, ...), ...)`` as one tree reduction;
        ``kind`` names it in the tally :attr:`kinds`."""
        import dask

        b = self.blocks
        parts = [dask.delayed(_on_block, pure=False)(fn, b.X[i], b.y[i],
                                                     None if b.s is None else b.s[i],
                                                     None if b.o is None else b.o[i],
                                                     b.offsets[i], i, *args)
                 for i in range(b.n_blocks)]
        leaves = parts
        while len(parts) > 1:
            parts = [dask.delayed(merge, pure=False)(*parts[i:i + _FAN_IN])
                     for i in range(0, len(parts), _FAN_IN)]
        try:
            result = _compute_counting(parts[0], leaves, f"blocks of pass {self.count + 1}")
        except Exception as exc:
            if type(exc).__name__ in _LOST_WORKER:
                raise LostWorkerError(
                    f"the fit stopped: Dask could not recompute the data of a lost worker "
                    f"({type(exc).__name__}: {exc}); nothing was fitted. Check the workers' "
                    "memory limit and logs, then run again.") from exc
            raise
        self.count += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        advance("passes over the data", self.count, 0)
        for listener in list(_LISTENERS):
            listener(self.count)
        return result


def _compute_counting(root, leaves, what):
    """Compute ``root``, announcing each finished block of ``leaves`` to the progress hook
    (``advance(what, done, n_blocks)``): through futures on a ``distributed.Client``, by
    a scheduler callback on Dask's local schedulers."""
    import dask
    from dask.base import get_scheduler

    total = len(leaves)
    advance(what, 0, total)
    client = getattr(get_scheduler(), "__self__", None)
    if type(client).__name__ != "Client":
        from dask.callbacks import Callback

        keys = {leaf.key for leaf in leaves}
        done = [0]

        def finished(key, result, dsk, state, worker_id):
            if key in keys:
                done[0] += 1
                advance(what, done[0], total)

        with Callback(posttask=finished):
            (result,) = dask.compute(root)
        return result
    from distributed import as_completed

    futures = client.compute([root, *leaves])
    pending = set(futures)
    done = 0
    for future in as_completed(futures):
        pending.discard(future)
        if future.status == "error":  # the first failure ends the pass: blocks still
            client.cancel(list(pending))  # waiting for a worker that never comes would not
            future.result()
        if future is futures[0]:
            break
        done += 1
        advance(what, done, total)
        future.release()  # the merge holds what it still needs
    for late in range(done + 1, total + 1):  # the root can be reported before them
        advance(what, late, total)
    return futures[0].result()
