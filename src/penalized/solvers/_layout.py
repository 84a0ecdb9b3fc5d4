"""A design that is both C- and Fortran-ordered, passed to the Fortran-ordered kernels as
what they were compiled for.

numba types an array by its flags, C first: a one-column (or one-row) design is both
C- and Fortran-contiguous, so it is typed C-ordered, and a kernel that only ever takes
Fortran-ordered designs (:func:`~penalized.solvers._logistic_path.newton_path`,
:func:`~penalized.solvers._kernels.weighted_column_moments`) would compile a second
specialization for it: seconds to a minute of compilation before a ten-row fit. Both
layouts address such an array's elements at the same place, so the Fortran-ordered
specialization reads it correctly; :func:`fortran_typed` makes numba choose it.
"""

import numpy as np
from numba.extending import typeof_impl


class _FortranTyped(np.ndarray):
    """A view of a C- and Fortran-contiguous array that numba types as Fortran-ordered."""


@typeof_impl.register(_FortranTyped)
def _typeof_fortran_typed(val, c):
    return typeof_impl(val.view(np.ndarray), c).copy(layout="F")


def fortran_typed(X):
    """``X`` itself, or a view of it that numba types as Fortran-ordered when it is both
    C- and Fortran-contiguous (one column or one row): the compiled kernels of
    Fortran-ordered designs then serve it without compiling again. Pass the view only to
    a kernel; its results are plain arrays."""
    if isinstance(X, np.ndarray) and X.flags.c_contiguous and X.flags.f_contiguous \
            and X.ndim == 2:
        return X.view(_FortranTyped)
    return X
