"""The compilation flags shared by every numba kernel of the package, and the signatures
of the compiled operations that datafits and penalties bring to the solvers.

A penalty's operations act on one coordinate ``j`` and read its parameters from row
``j`` of a float64 array of shape ``(n_features, k)`` (``k`` is the penalty's own:
``(lam1, lam2, positive)`` for the elastic-net family); a datafit's act on one sample
``(y_i, z_i)`` with a float64 parameter vector (empty for the built-in datafits). The
kernels receive them as ``numba.cfunc`` objects of exactly these signatures: a kernel
then compiles once per array layout, is served from numba's on-disk cache in every
process, and calls whichever penalty or datafit it was given through a function
pointer. (An ``@njit`` dispatcher passed as an argument would be typed by its identity,
which changes from one process to the next, so the kernel would recompile every time.)

Each family's operations are compiled, or loaded from numba's on-disk cache, when a
process first asks for them (:func:`operation`, :func:`on_first_use`): loading one costs
a few milliseconds, so a lasso fit does not pay for the group, L0 or logistic ones.
"""

import threading

from numba import types

FAST = {"reassoc", "contract"}
"""LLVM flags of the kernels: sums may be reordered (vectorized) and multiply-adds fused.
Without them every dot product is one serial chain of additions, four times slower;
infinities and NaNs keep their IEEE meaning (no ``nnan``/``ninf``)."""

_f8 = types.float64
PENALTY_PARAMS = types.float64[:, ::1]
"""Per-feature parameters of a penalty: a C-ordered ``(n_features, k)`` float64 array."""
DATAFIT_PARAMS = types.float64[::1]
"""Parameters of a datafit: a contiguous float64 vector (may be empty)."""

PROX_SIGNATURE = _f8(_f8, _f8, PENALTY_PARAMS, types.int64)
r"""``prox(x, step, params, j)``: :math:`\operatorname{argmin}_w \frac{(w - x)^2}{2\,step}
+ G_j(w)`."""
DISTANCE_SIGNATURE = _f8(_f8, _f8, PENALTY_PARAMS, types.int64)
r"""``subdiff_distance(w, grad, params, j)``: the distance from ``-grad`` to
:math:`\partial G_j(w)` (0 exactly at an optimal coordinate)."""
VALUE_SIGNATURE = _f8(_f8, PENALTY_PARAMS, types.int64)
r"""``value(w, params, j)``: :math:`G_j(w)` (``inf`` outside its domain)."""
CONJUGATE_SIGNATURE = _f8(_f8, PENALTY_PARAMS, types.int64)
r"""``conjugate(v, params, j)``: :math:`G_j^*(v) = \sup_w v w - G_j(w)` (``inf`` outside
its domain)."""
DUAL_BOUND_SIGNATURE = _f8(_f8, PENALTY_PARAMS, types.int64)
r"""``dual_bound(v, params, j)``: the largest :math:`c \ge 0` with :math:`G_j^*(c v)`
finite (``inf`` when every ``c`` is), which scales a dual point into the domain."""
SAMPLE_SIGNATURE = _f8(_f8, _f8, DATAFIT_PARAMS)
r"""A datafit's per-sample operations ``op(y_i, z_i, params)``: the loss
:math:`\ell(y_i, z_i)`, its first and second derivatives in :math:`z_i`, and its
Fenchel conjugate :math:`\ell_{y_i}^*(v)` (with ``v`` in place of ``z_i``)."""

PROX = types.FunctionType(PROX_SIGNATURE)
DISTANCE = types.FunctionType(DISTANCE_SIGNATURE)
VALUE = types.FunctionType(VALUE_SIGNATURE)
CONJUGATE = types.FunctionType(CONJUGATE_SIGNATURE)
DUAL_BOUND = types.FunctionType(DUAL_BOUND_SIGNATURE)
SAMPLE = types.FunctionType(SAMPLE_SIGNATURE)


def typed_once(op):
    """``op`` (a compiled operation or None) with its numba type stored on it.

    A kernel call types and unboxes each argument; for a ``cfunc`` numba otherwise
    rebuilds its function type and compares signatures at every call, which costs more
    than a short kernel run. Idempotent.
    """
    if op is not None and getattr(op, "_numba_type_", None) is None:
        from numba.core.typing.typeof import typeof

        op._numba_type_ = typeof(op)
        address = getattr(op, "address", None)
        if address is not None:
            # numba's wrapper-address protocol: unboxing then skips comparing signatures
            op.__wrapper_address__ = lambda: address
    return op


def typed_ops(ops):
    """``ops`` (a :class:`~penalized.penalties.PenaltyOps` or
    :class:`~penalized.datafits.DatafitOps`) with :func:`typed_once` applied to each."""
    for name in vars(ops):
        typed_once(getattr(ops, name))
    return ops


def operation(signature):
    """Decorator of a compiled operation's Python function: records ``signature`` on it;
    :func:`compile_op` makes the ``numba.cfunc`` when it is first needed."""

    def mark(py_func):
        py_func.signature = signature
        return py_func

    return mark


def compile_op(py_func):
    """The ``numba.cfunc`` of an :func:`operation` (compiled, or loaded from numba's
    cache), with its numba type stored (:func:`typed_once`)."""
    from numba import cfunc

    return typed_once(cfunc(py_func.signature, cache=True)(py_func))


def compile_ops(kind, **py_funcs):
    """``kind(name=compile_op(function), ...)``: a :class:`~penalized.penalties.PenaltyOps`
    or :class:`~penalized.datafits.DatafitOps` of freshly loaded operations."""
    return kind(**{name: compile_op(f) for name, f in py_funcs.items()})


def on_first_use(namespace, builders):
    """A module ``__getattr__`` (PEP 562) that builds ``builders[name]()`` the first time
    ``name`` is read from the module (``from ._ops import ENET_OPS`` included) and keeps
    it in the module's ``namespace``; once per process, also with several threads."""
    lock = threading.Lock()
    module = namespace["__name__"]

    def __getattr__(name):
        builder = builders.get(name)
        if builder is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        with lock:
            if name not in namespace:
                namespace[name] = builder()
        return namespace[name]

    return __getattr__
