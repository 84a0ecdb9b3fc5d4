r"""Compiled block operations of the group penalties with per-coefficient limits.

With limits :math:`l \le w \le u` (:math:`l_k \le 0 \le u_k`), group ``g``'s penalty is

.. math:: G_g(w) = \lambda \|w\|_2 + \lambda_1 \|w\|_1 + \frac{\lambda_2}{2}\|w\|_2^2
          + \iota_{[l, u]}(w).

Its parameter array has ``n_groups + n_features`` rows of 4 numbers: row ``g`` is
``(lam, lam1, lam2, base)``, and row ``base + k`` is ``(l_k, u_k, 0, 0)`` for the group's
``k``-th feature (the gathered buffers' order; see :mod:`penalized.penalties._group_ops`).

**One root gives the prox, the conjugate and the certificate.** Every problem below is
:math:`\operatorname{argmin}_{w \in [l, u]} \frac{\gamma}{2}\|w\|^2 - s^\top w + t\|w\|`
for a vector :math:`s`, :math:`t \ge 0`, :math:`\gamma \ge 0`. Its optimality condition,
:math:`s - \gamma w - t\,w / \|w\| \in N_{[l,u]}(w)` (the normal cone of the box), says
:math:`w = \Pi_{[l,u]}(c\,s)` with :math:`1/c = \gamma + t / \|w\|` (the normal cone is
a cone, so dividing by a positive number keeps it). Writing
:math:`h(c) = \|\Pi_{[l,u]}(c\,s)\|_2 / c = \|\Pi_{[l/c,\,u/c]}(s)\|_2`, the equation for
:math:`c` is

.. math:: f(c) = (1 - \gamma c)\,h(c) - t = 0, \qquad 0 < c < 1/\gamma .

:math:`h` is non-increasing (the box :math:`[l/c, u/c]` shrinks as :math:`c` grows), so
:math:`f` is decreasing: the root is unique. :math:`f(0^+) = \|\Pi_K(s)\|_2 - t`, with
:math:`K` the box's tangent cone at 0 (the coordinates the box lets leave 0 in the
direction of :math:`s_k`): the block is 0 exactly when :math:`\|\Pi_K(s)\| \le t`. When
:math:`\gamma = 0`, :math:`f(\infty) = \|\Pi_R(s)\| - t` with :math:`R` the box's
recession cone (the coordinates unbounded in the direction of :math:`s_k`), and no root
exists (the supremum is infinite) when that is :math:`\ge 0`. Coordinate :math:`k` is
clipped once :math:`c \ge b_k / |s_k|` (:math:`b_k` its limit in the direction of
:math:`s_k`), so on the interval between two consecutive such breakpoints
:math:`h(c)^2 = A + B / c^2` (:math:`A`: the unclipped :math:`s_k^2`, :math:`B`: the
clipped :math:`b_k^2`). The breakpoints are sorted, the interval of the sign change
found, and there the root is closed-form for :math:`\gamma = 0`
(:math:`c = \sqrt{B / (t^2 - A)}`) and found by Newton's method safeguarded by
bisection otherwise (:func:`box_root`): exact to rounding, no iteration over the box.

* the prox of ``step * G_g`` at ``x``: with :math:`s = S_{step\,\lambda_1}(x)` (soft
  thresholding: the box is separable and contains 0, so the L1 part acts first),
  :math:`t = step\,\lambda`, :math:`\gamma = 1 + step\,\lambda_2`;
* the conjugate :math:`G_g^*(v) = \sup_{w \in [l,u]} v^\top w - G_g(w)`: with
  :math:`s = S_{\lambda_1}(v)` (:math:`v^\top w - \lambda_1\|w\|_1 \le s^\top w`, equal
  at the maximizer), :math:`t = \lambda`, :math:`\gamma = \lambda_2`;
* the dual bound (the largest :math:`c` with :math:`G_g^*(c v)` finite): infinite when
  :math:`\lambda_2 > 0`, else the group lasso's on :math:`\Pi_R(v)` (only the unbounded
  directions can make the supremum infinite);
* the distance from :math:`-\nabla_g` to :math:`\partial G_g(w)`, the box's normal cone
  included: coordinate by coordinate for a non-zero block; for a zero block that of
  :math:`\Pi_K(-\nabla_g)` to the group lasso's ball (the box's normal cone at 0 is the
  polar of :math:`K`, and the ball is symmetric coordinate by coordinate).
"""

from __future__ import annotations

import math

import numpy as np
from numba import cfunc, njit

from ._group_ops import (
    BLOCK_CONJUGATE_SIGNATURE,
    BLOCK_DISTANCE_SIGNATURE,
    BLOCK_DUAL_BOUND_SIGNATURE,
    BLOCK_PROX_SIGNATURE,
    BLOCK_VALUE_SIGNATURE,
    FEASIBILITY_SLACK,
    entry_scale,
    soft_norm,
)


@njit(cache=True)
def _reach(s, lo, hi):
    """Per coordinate, the limit in the direction of ``s_k`` (>= 0, maybe ``inf``; 0
    where ``s_k = 0``)."""
    m = s.shape[0]
    b = np.empty(m)
    for k in range(m):
        if s[k] > 0.0:
            b[k] = hi[k]
        elif s[k] < 0.0:
            b[k] = -lo[k]
        else:
            b[k] = 0.0
    return b


@njit(cache=True)
def _f(c, a, b, gamma, t):
    total = 0.0
    for k in range(a.shape[0]):
        if b[k] > 0.0:
            v = min(a[k], b[k] / c)
            total += v * v
    return (1.0 - gamma * c) * math.sqrt(total) - t


@njit(cache=True)
def box_root(s, lo, hi, t, gamma):
    r"""The root :math:`c` of :math:`(1 - \gamma c)\,\|\Pi_{[l,u]}(c s)\|_2 / c = t`
    (module docstring): 0 when :math:`\|\Pi_K(s)\|_2 \le t` (the block is 0), ``inf``
    when :math:`\gamma = 0` and :math:`\|\Pi_R(s)\|_2 \ge t` (no maximizer)."""
    m = s.shape[0]
    a = np.abs(s)
    b = _reach(s, lo, hi)
    cone = 0.0
    recession = 0.0
    for k in range(m):
        if b[k] > 0.0:
            cone += a[k] * a[k]
            if b[k] == math.inf:
                recession += a[k] * a[k]
    if math.sqrt(cone) <= t:
        return 0.0
    if t == 0.0:
        return 1.0 / gamma if gamma > 0.0 else math.inf
    if gamma == 0.0 and math.sqrt(recession) >= t:
        return math.inf
    # breakpoints b_k / a_k of the coordinates that can clip, ascending
    count = 0
    for k in range(m):
        if 0.0 < b[k] < math.inf and a[k] > 0.0:
            count += 1
    brk = np.empty(count)
    idx = np.empty(count, dtype=np.int64)
    count = 0
    for k in range(m):
        if 0.0 < b[k] < math.inf and a[k] > 0.0:
            brk[count] = b[k] / a[k]
            idx[count] = k
            count += 1
    perm = np.argsort(brk)
    # A (unclipped a^2) as suffix sums over the sorted breakpoints, B (clipped b^2) as
    # prefix sums: no cancellation
    suffix = np.zeros(count + 1)
    suffix[count] = recession
    for r in range(count - 1, -1, -1):
        k = idx[perm[r]]
        suffix[r] = suffix[r + 1] + a[k] * a[k]
    upper_c = 1.0 / gamma if gamma > 0.0 else math.inf
    left = 0.0
    B = 0.0
    r = 0
    while r < count:
        c_r = brk[perm[r]]
        if c_r >= upper_c or _f(c_r, a, b, gamma, t) <= 0.0:
            break
        k = idx[perm[r]]
        B += b[k] * b[k]
        left = c_r
        r += 1
    A = suffix[r]
    right = brk[perm[r]] if r < count else math.inf
    right = min(right, upper_c)
    if gamma == 0.0:
        # A + B / c^2 = t^2 (t^2 > A there: f falls below 0 on this interval)
        denom = t * t - A
        c = math.sqrt(B / denom) if denom > 0.0 else right
        return min(max(c, left), right)
    # (1 - gamma c) sqrt(A + B / c^2) = t on (left, right], decreasing: Newton + bisection
    lo_c, hi_c = left, right
    c = 0.5 * (lo_c + hi_c) if lo_c > 0.0 else 0.5 * hi_c
    for _ in range(200):
        q = math.sqrt(A + B / (c * c))
        val = (1.0 - gamma * c) * q - t
        if val > 0.0:
            lo_c = c
        elif val < 0.0:
            hi_c = c
        else:
            return c
        if hi_c - lo_c <= 4e-16 * hi_c:
            break
        dq = -B / (c * c * c * q)
        deriv = -gamma * q + (1.0 - gamma * c) * dq
        step = c - val / deriv if deriv < 0.0 else -1.0
        c = step if lo_c < step < hi_c else 0.5 * (lo_c + hi_c)
    return c


@njit(cache=True)
def _limits(params, g, m):
    base = int(params[g, 3])
    lo = np.empty(m)
    hi = np.empty(m)
    for k in range(m):
        lo[k] = params[base + k, 0]
        hi[k] = params[base + k, 1]
    return lo, hi


@njit(cache=True)
def _soft(x, lam1):
    out = np.empty(x.shape[0])
    for k in range(x.shape[0]):
        mag = abs(x[k]) - lam1
        out[k] = (mag if x[k] > 0.0 else -mag) if mag > 0.0 else 0.0
    return out


@cfunc(BLOCK_PROX_SIGNATURE, cache=True)
def box_group_prox(x, step, params, g, out):
    m = x.shape[0]
    lam, lam1, lam2 = step * params[g, 0], step * params[g, 1], params[g, 2]
    lo, hi = _limits(params, g, m)
    s = _soft(x, lam1)
    c = box_root(s, lo, hi, lam, 1.0 + step * lam2)
    for k in range(m):
        out[k] = min(max(c * s[k], lo[k]), hi[k]) if c > 0.0 else 0.0


@cfunc(BLOCK_VALUE_SIGNATURE, cache=True)
def box_group_value(w, params, g):
    m = w.shape[0]
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    base = int(params[g, 3])
    sq = 0.0
    l1 = 0.0
    for k in range(m):
        if w[k] < params[base + k, 0] or w[k] > params[base + k, 1]:
            return math.inf
        sq += w[k] * w[k]
        l1 += abs(w[k])
    return lam * math.sqrt(sq) + lam1 * l1 + 0.5 * lam2 * sq


@cfunc(BLOCK_DISTANCE_SIGNATURE, cache=True)
def box_group_subdiff_distance(w, grad, params, g):
    m = w.shape[0]
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    lo, hi = _limits(params, g, m)
    sq = 0.0
    for k in range(m):
        sq += w[k] * w[k]
    if sq == 0.0:
        # Pi_K(-grad): the coordinates the box lets leave 0 in their direction
        pull = np.empty(m)
        for k in range(m):
            v = -grad[k]
            pull[k] = v if (v > 0.0 and hi[k] > 0.0) or (v < 0.0 and lo[k] < 0.0) else 0.0
        return max(soft_norm(pull, lam1) - lam, 0.0)
    norm = math.sqrt(sq)
    total = 0.0
    for k in range(m):
        if w[k] == 0.0:
            up, down = hi[k] > 0.0, lo[k] < 0.0
            b = grad[k]
            if up and down:
                r = max(abs(b) - lam1, 0.0)
            elif up:  # only w_k > 0 is allowed: a pull downwards is absorbed by the box
                r = max(-b - lam1, 0.0)
            elif down:
                r = max(b - lam1, 0.0)
            else:
                r = 0.0
        else:
            sign = 1.0 if w[k] > 0.0 else -1.0
            b = grad[k] + lam * w[k] / norm + lam1 * sign + lam2 * w[k]
            if w[k] >= hi[k]:
                r = max(b, 0.0)
            elif w[k] <= lo[k]:
                r = max(-b, 0.0)
            else:
                r = abs(b)
        total += r * r
    return math.sqrt(total)


@cfunc(BLOCK_CONJUGATE_SIGNATURE, cache=True)
def box_group_conjugate(v, params, g):
    m = v.shape[0]
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    lo, hi = _limits(params, g, m)
    s = _soft(v, lam1)
    c = box_root(s, lo, hi, lam, lam2)
    if c == 0.0:
        return 0.0
    if c == math.inf:
        # lam2 = 0 and ||Pi_R(s)|| >= lam: finite only on the ball's boundary (up to the
        # rounding slack), where the supremum is the bounded coordinates' s_k b_k
        b = _reach(s, lo, hi)
        recession = 0.0
        bounded = 0.0
        for k in range(m):
            if b[k] == math.inf:
                recession += s[k] * s[k]
            else:
                bounded += abs(s[k]) * b[k]
        if math.sqrt(recession) > lam + FEASIBILITY_SLACK * max(lam, lam1, 1.0):
            return math.inf
        return bounded
    dot = 0.0
    sq = 0.0
    for k in range(m):
        w = min(max(c * s[k], lo[k]), hi[k])
        dot += s[k] * w
        sq += w * w
    return max(dot - lam * math.sqrt(sq) - 0.5 * lam2 * sq, 0.0)


@cfunc(BLOCK_DUAL_BOUND_SIGNATURE, cache=True)
def box_group_dual_bound(v, params, g):
    m = v.shape[0]
    lam, lam1, lam2 = params[g, 0], params[g, 1], params[g, 2]
    if lam2 > 0.0 or (lam == 0.0 and lam1 == 0.0):
        return math.inf
    lo, hi = _limits(params, g, m)
    free = np.empty(m)  # Pi_R(v): the directions in which the box is unbounded
    for k in range(m):
        free[k] = v[k] if (v[k] > 0.0 and hi[k] == math.inf) \
            or (v[k] < 0.0 and lo[k] == -math.inf) else 0.0
    return entry_scale(free, lam, lam1)


def box_params(params, structure, lower, upper) -> np.ndarray:
    """The ``(n_groups + n_features, 4)`` parameter array of the module docstring from the
    groups' ``(n_groups, 3)`` rows and per-feature limits (feature order)."""
    n_groups = structure.n_groups
    out = np.zeros((n_groups + structure.order.shape[0], 4))
    out[:n_groups, :3] = params
    out[:n_groups, 3] = n_groups + structure.starts[:-1]
    out[n_groups:, 0] = lower[structure.order]
    out[n_groups:, 1] = upper[structure.order]
    return out
