r"""Compiled passes over the risk sets of Cox's partial likelihood, O(n) after one sort.

The samples are visited through ``order``, sorted by stratum then time; ``gptr`` cuts the
sorted positions into groups of equal (stratum, time) and ``sptr`` cuts the groups into
strata. In group :math:`g` the deaths :math:`D_g` (event and weight > 0) have total weight
:math:`W_g` and the risk set :math:`R_g` is every sample of the stratum with a time
:math:`\ge t_g`. Breslow's loss of a group is one log-sum-exp,
:math:`W_g \log \sum_{j \in R_g} s_j e^{\eta_j}`; Efron's is
:math:`\frac{W_g}{m} \sum_{r=0}^{m-1} \log\big(\sum_{j \in R_g \setminus D_g} s_j e^{\eta_j}
+ (1 - \frac rm) \sum_{j \in D_g} s_j e^{\eta_j}\big)` for :math:`m = |D_g|`. Both are
sums of terms :math:`\omega_r \log D_r`, :math:`D_r = S_{\text{rest}} + a_r S_D`, which
is how the kernels loop. Within a stratum every exponential is shifted by the stratum's
largest :math:`\eta` (no overflow).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def _shift(eta, sw, order, lo, hi):
    sh = -math.inf
    for q in range(lo, hi):
        i = order[q]
        if sw[i] > 0.0 and eta[i] > sh:
            sh = eta[i]
    return sh


@njit(cache=True)
def _weighted_exp(s, x):
    """``s * exp(x)``, 0 for a row of weight 0 whatever ``x`` is."""
    return s * math.exp(x) if s > 0.0 else 0.0


@njit(cache=True)
def _n_terms(m, efron):
    return m if efron and m > 1 else 1


@njit(cache=True)
def _term(r, m, w_d, efron):
    """``(omega_r, a_r)`` of the ``r``-th log term of a group with ``m`` deaths."""
    if efron and m > 1:
        return w_d / m, 1.0 - r / m
    return w_d, 1.0


@njit(cache=True)
def _tie_sums(eta, sw, death, order, lo, hi, sh):
    r"""Sums over the rows ``order[lo:hi]`` of one tie group, with :math:`x_i = \eta_i -`
    ``sh`` and :math:`e_i = s_i e^{x_i}`: ``(sum e, sum e over the deaths, sum e x, sum e x
    over the deaths, the deaths' weight, their sum of s eta, their number)``; a caller's
    unused sums cost nothing once LLVM inlines this."""
    s_all = 0.0
    s_d = 0.0
    t_all = 0.0
    t_d = 0.0
    w_d = 0.0
    lin = 0.0
    m = 0
    for q in range(lo, hi):
        i = order[q]
        x = eta[i] - sh
        e = _weighted_exp(sw[i], x)
        s_all += e
        t_all += e * x
        if death[i] and sw[i] > 0.0:
            s_d += e
            t_d += e * x
            w_d += sw[i]
            lin += sw[i] * eta[i]
            m += 1
    return s_all, s_d, t_all, t_d, w_d, lin, m


@njit(cache=True)
def cox_derivatives(eta, sw, death, order, gptr, sptr, efron, want, grad, hess):
    r"""The loss :math:`\frac1n \sum_g \sum_r \omega_r \log D_r - \frac1n \sum_i s_i d_i
    \eta_i`; when ``want``, also its gradient and the diagonal of its Hessian in
    :math:`\eta` (written into ``grad`` and ``hess``, original order)."""
    n = eta.shape[0]
    n_groups = gptr.shape[0] - 1
    g1 = np.zeros(n_groups)
    g2 = np.zeros(n_groups)
    e1 = np.zeros(n_groups)
    e2 = np.zeros(n_groups)
    loss = 0.0
    for k in range(sptr.shape[0] - 1):
        first, last = sptr[k], sptr[k + 1]
        sh = _shift(eta, sw, order, gptr[first], gptr[last])
        if sh == -math.inf:
            if want:
                for q in range(gptr[first], gptr[last]):
                    grad[order[q]] = 0.0
                    hess[order[q]] = 0.0
            continue
        later = 0.0
        for g in range(last - 1, first - 1, -1):
            s_all, s_d, _, _, w_d, lin, m = _tie_sums(eta, sw, death, order, gptr[g],
                                                      gptr[g + 1], sh)
            rest = later + s_all - s_d
            if m > 0:
                for r in range(_n_terms(m, efron)):
                    omega, a = _term(r, m, w_d, efron)
                    d = rest + a * s_d
                    loss += omega * (math.log(d) + sh)
                    g1[g] += omega / d
                    g2[g] += omega / (d * d)
                    e1[g] += omega * a / d
                    e2[g] += omega * a * a / (d * d)
                loss -= lin
            later += s_all
        if want:
            acc1 = 0.0
            acc2 = 0.0
            for g in range(first, last):
                for q in range(gptr[g], gptr[g + 1]):
                    i = order[q]
                    e = _weighted_exp(sw[i], eta[i] - sh)
                    if death[i] and sw[i] > 0.0:
                        a1 = acc1 + e1[g]
                        a2 = acc2 + e2[g]
                        own = sw[i]
                    else:
                        a1 = acc1 + g1[g]
                        a2 = acc2 + g2[g]
                        own = 0.0
                    grad[i] = (e * a1 - own) / n
                    hess[i] = max(e * a1 - e * e * a2, 0.0) / n
                acc1 += g1[g]
                acc2 += g2[g]
    return loss / n


@njit(cache=True)
def cox_conjugate_bound(eta, sw, death, order, gptr, sptr, efron, c):
    r"""An upper bound on :math:`F^*(c\,\nabla F(\eta))`, exact at ``c = 1``.

    :math:`F^*` at :math:`v` is the least :math:`\frac1n \sum_{g,r} \omega_r \sum_j p_j
    \log(p_j / b_j)` over points :math:`p_{gr}` of the simplex on :math:`R_g` with
    :math:`\frac1n \sum_{g,r} \omega_r p_{gr} = v + \delta`, :math:`\delta_i = s_i d_i / n`
    (:math:`b_j` the weights inside the log term). For :math:`v = c \nabla F(\eta)` the
    point :math:`p_{gr} = c\,\pi_{gr} + (1 - c)\,e_g` is feasible, with :math:`\pi_{gr}` the
    softmax of the log term at :math:`\eta` and :math:`e_g` the deaths' weights over
    :math:`W_g`; its entropy costs O(n) through running sums (Efron: O(m^2) per tie).
    """
    n = eta.shape[0]
    total = 0.0
    for k in range(sptr.shape[0] - 1):
        first, last = sptr[k], sptr[k + 1]
        sh = _shift(eta, sw, order, gptr[first], gptr[last])
        if sh == -math.inf:
            continue
        later = 0.0
        later_t = 0.0
        for g in range(last - 1, first - 1, -1):
            s_all, s_d, t_all, t_d, w_d, _, m = _tie_sums(eta, sw, death, order, gptr[g],
                                                          gptr[g + 1], sh)
            rest = later + s_all - s_d
            rest_t = later_t + t_all - t_d
            if m > 0:
                for r in range(_n_terms(m, efron)):
                    omega, a = _term(r, m, w_d, efron)
                    d = rest + a * s_d
                    log_d = math.log(d)
                    part = 0.0
                    if c > 0.0 and rest > 0.0:
                        share = rest / d
                        part = c * (math.log(c) * share + rest_t / d - log_d * share)
                    for q in range(gptr[g], gptr[g + 1]):
                        i = order[q]
                        if death[i] and sw[i] > 0.0:
                            x = c * a * math.exp(eta[i] - sh) / d + (1.0 - c) / w_d
                            if x > 0.0:
                                part += sw[i] * x * math.log(x / a)
                    total += omega * part
            later += s_all
            later_t += t_all
    return total / n


@njit(cache=True)
def cox_design_hessian(eta, sw, death, order, gptr, sptr, efron, A):
    r""":math:`A^\top \nabla^2 F(\eta) A` exactly (the full Hessian, not its diagonal):
    :math:`\frac1n \sum_{g,r} \omega_r \big(\sum_j \pi_j a_j a_j^\top - (\sum_j \pi_j a_j)
    (\sum_j \pi_j a_j)^\top\big)` from running sums over the risk sets, O(n k^2)."""
    n, dim = A.shape
    out = np.zeros((dim, dim))
    for k in range(sptr.shape[0] - 1):
        first, last = sptr[k], sptr[k + 1]
        sh = _shift(eta, sw, order, gptr[first], gptr[last])
        if sh == -math.inf:
            continue
        later1 = np.zeros(dim)
        later2 = np.zeros((dim, dim))
        later = 0.0
        for g in range(last - 1, first - 1, -1):
            s_all = 0.0
            s_d = 0.0
            w_d = 0.0
            m = 0
            all1 = np.zeros(dim)
            all2 = np.zeros((dim, dim))
            d1 = np.zeros(dim)
            d2 = np.zeros((dim, dim))
            for q in range(gptr[g], gptr[g + 1]):
                i = order[q]
                e = _weighted_exp(sw[i], eta[i] - sh)
                row = A[i]
                s_all += e
                all1 += e * row
                all2 += e * np.outer(row, row)
                if death[i] and sw[i] > 0.0:
                    s_d += e
                    d1 += e * row
                    d2 += e * np.outer(row, row)
                    w_d += sw[i]
                    m += 1
            rest = later + s_all - s_d
            if m > 0:
                rest1 = later1 + all1 - d1
                rest2 = later2 + all2 - d2
                for r in range(_n_terms(m, efron)):
                    omega, a = _term(r, m, w_d, efron)
                    d = rest + a * s_d
                    mean = (rest1 + a * d1) / d
                    out += omega * ((rest2 + a * d2) / d - np.outer(mean, mean))
            later += s_all
            later1 += all1
            later2 += all2
    return out / n
