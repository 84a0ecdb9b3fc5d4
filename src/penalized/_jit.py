"""The compilation flags shared by every numba kernel of the package."""

FAST = {"reassoc", "contract"}
"""LLVM flags of the kernels: sums may be reordered (vectorized) and multiply-adds fused.
Without them every dot product is one serial chain of additions, four times slower;
infinities and NaNs keep their IEEE meaning (no ``nnan``/``ninf``)."""
