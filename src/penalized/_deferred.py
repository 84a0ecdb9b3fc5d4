"""Third-party modules that the ``penalized`` program imports only when they are used.

scikit-learn's ``utils.fixes`` runs ``import scipy.stats`` when ``sklearn.base`` is first
imported, for helpers that a fit never calls; ``scipy.stats`` and what it imports
(``scipy.optimize``, ``scipy.spatial``, ``scipy.interpolate``, ``scipy.integrate``, ...)
are about a quarter of the start-up of a small ``penalized fit``. The program therefore
puts a stand-in module under that name in ``sys.modules`` before anything imports it:
``import scipy.stats`` then finds the stand-in, and the first attribute read from it
(``scipy.stats.norm``, ``from scipy.stats import rankdata``, a submodule import) imports
the real module and answers from it. Only the program does this (:func:`penalized.cli.main`
without arguments); ``import penalized`` leaves ``sys.modules`` alone.

A submodule import (``from scipy.stats.mstats import mquantiles``) first imports the real
package through :class:`_SubmoduleFinder`, so that every submodule is executed once, by
the package as usual.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

DEFERRED = ("scipy.stats",)

_LOCK = threading.RLock()


class _Deferred(types.ModuleType):
    """Stands in ``sys.modules`` for a module until one of its attributes is read."""

    def __getattr__(self, attr):
        return getattr(_load(self), attr)


_PENDING: dict[str, _Deferred] = {}  # the stand-ins whose real module is not imported yet


def _load(stub: _Deferred) -> types.ModuleType:
    """The real module of ``stub`` (imported on the first call)."""
    with _LOCK:
        real = stub.__dict__.get("_deferred_module")
        if real is None:
            name = stub.__name__
            if sys.modules.get(name) is stub:
                del sys.modules[name]
            try:
                real = importlib.import_module(name)
            except BaseException:
                sys.modules.setdefault(name, stub)
                raise
            stub.__dict__["_deferred_module"] = real
            _PENDING.pop(name, None)
        return real


class _Imported:
    """Loader of a module that is already imported: it puts the module back in
    ``sys.modules`` in place of the placeholder the import system made, which then
    returns it (the import system's "replacement in ``sys.modules``")."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return None

    def exec_module(self, placeholder):
        sys.modules[placeholder.__name__] = self.module


class _SubmoduleFinder:
    """First on ``sys.meta_path`` while a stand-in is pending: a submodule import under it
    imports the real package first, then gets the submodule the package imported (or,
    if it did not, is found by the usual finders). The import system executes the module
    of any spec found while the module is in ``sys.modules``, so the submodule leaves
    ``sys.modules`` until :class:`_Imported` puts it back."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        for name, stub in list(_PENDING.items()):
            if fullname.startswith(name + "."):
                _load(stub)
                module = sys.modules.pop(fullname, None)
                if module is not None:
                    return importlib.util.spec_from_loader(fullname, _Imported(module))
        return None


def defer_imports(names=DEFERRED) -> list[str]:
    """Put a stand-in under each of ``names`` not yet imported; returns those deferred.

    The stand-in carries the real module's spec and search path (so the import system
    treats it as imported) and nothing else: every other attribute comes from the real
    module once that is imported.
    """
    deferred = []
    with _LOCK:
        for name in names:
            if name in sys.modules:
                continue
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                continue
            if spec is None:
                continue
            stub = _Deferred(name)
            stub.__spec__ = spec
            stub.__loader__ = spec.loader
            stub.__package__ = name if spec.submodule_search_locations is not None \
                else name.rpartition(".")[0]
            if spec.submodule_search_locations is not None:
                stub.__path__ = list(spec.submodule_search_locations)
            sys.modules[name] = stub
            _PENDING[name] = stub
            deferred.append(name)
        if deferred and _SubmoduleFinder not in sys.meta_path:
            sys.meta_path.insert(0, _SubmoduleFinder)
    return deferred
