"""The paper's route (proof of Theorem 5): eq. (7) per stratum with a total-degree start.

On a stratum ``I`` of ``d'`` nonzero rows of ``A`` the unknowns are ``S_i`` (``i ∈ I``),
a nonzero multiple of the paper's ``a_i1`` (eq. (6): ``S_i = C_i (λ_i1/x_1) a_i1``), and

    (7)   Π_k (1 + T_k)² / C_i − Σ_k (y_k²/σ_ki) Π_{l≠k} (1 + T_l)² = 0,   i ∈ I,

with ``T_k = Σ_{i∈I} S_i²/σ_ki``: ``d'`` equations of degree ``4p``, tracked from the
total-degree start ``S_i^{4p} = 1``, ``(4p)^{d'}`` paths; over all strata (the origin
counted as one path) ``Σ_{d'} C(d, d') (4p)^{d'} = B_C = (1 + 4p)^d`` paths.

Junk.  Where ``1 + T_k = 0`` for one ``k`` only, (7) reduces to a product of the other
``(1 + T_l)²``, so every solution with some ``1 + T_k = 0`` lies on
``{1 + T_k = 1 + T_l = 0}`` (``k ≠ l``): codimension two, positive-dimensional for
``d' ≥ 3`` and isolated double points for ``d' = 2``, and (7) vanishes to second
order there, so every junk endpoint is singular; a path whose endpoint (at
``t <= 1e-4``) lies on the junk is reported SINGULAR even when the endgame could
not converge there (``info["junk_endpoints"]`` counts them).  The paper
regularises the system to make junk isolated; we do not need to: the true critical
points are the endpoints with every ``1 + T_k ≠ 0``, and there (7) equals
``Π_k (1 + T_k)²`` times ``1/C_i − Σ_k y_k²/(σ_ki (1 + T_k)²)``, so they are
nonsingular roots of (7) exactly when they are nonsingular critical points.
Total-degree homotopies reach every isolated nonsingular root, so nothing is lost.
We lift every endpoint that reached ``t ≈ 0`` away from the junk
(``u_k = 1/(1 + T_k)``, then ``a``, ``b`` as in :func:`jaxhc.theorem5.wu.weights_from_S`),
and the full-system Newton check of the solver accepts or rejects each one;
junk endpoints are never lifted and count as singular, not failed, paths.
"""

from __future__ import annotations

import functools
import itertools
import math

import jax.numpy as jnp
import numpy as np

from ..homotopy.base import straight_line
from ..start.total_degree import TotalDegreeStarts, total_degree_system
from ..status import Status
from ..system.system import System
from ..tracker.stream import TrackResult, track
from .wu import data_constants, weights_from_S

__all__ = ["reduced7_function", "reduced7_system", "track_reduced7"]


@functools.lru_cache(maxsize=None)
def reduced7_function(dp: int, p: int):
    """``fn(S, q)``: eq. (7) on a stratum of size ``dp``; ``q = (1/σ (p·dp), y²/σ (p·dp), 1/C (dp))``."""

    def fn(S, q):
        isig = q[: p * dp].reshape(p, dp)
        y2s = q[p * dp : 2 * p * dp].reshape(p, dp)
        invC = q[2 * p * dp :]
        v = 1.0 + (isig * (S * S)[None, :]).sum(axis=1)  # 1 + T_k, (p,)
        v2 = v * v
        full = jnp.prod(v2)
        # Π_{l≠k} v_l², without division (exact where some v_k = 0).
        others = jnp.stack([jnp.prod(jnp.where(jnp.arange(p) == k, 1.0, v2)) for k in range(p)])
        return full * invC - (y2s * others[:, None]).sum(axis=0)

    return fn


def reduced7_system(data, I) -> System:
    a = data.arch
    p = a.dy
    _, y, _, sig, C = data_constants(data)
    I = list(I)
    s = sig[:, I]
    q = np.concatenate([(1.0 / s).ravel(), (y[:, None] ** 2 / s).ravel(), 1.0 / C[I]])
    return System(reduced7_function(len(I), p), len(I), (4 * p,) * len(I), q, name=f"eq7_{len(I)}_{a.label()}")


def track_reduced7(solver, data, gamma, opts):
    """Per stratum one total-degree track call; returns (paths over all strata, candidates, owners, info)."""
    d, p = solver.d, solver.p
    _, _, _, sig, _ = data_constants(data)
    N = data.arch.N
    parts = []  # (status, nacc, nrej, t_end, x (P, d), residual, cond, time, slot_steps)
    cands, owner = [np.zeros((1, N), complex)], [0]  # the origin: the d' = 0 stratum, one "path"
    parts.append((np.array([Status.SUCCESS], np.int8), np.zeros(1, np.int32), np.zeros(1, np.int32),
                  np.zeros(1), np.zeros((1, d), complex), np.zeros(1), np.ones(1), 0.0, 0))
    offset, junk = 1, 0
    for dp in range(1, d + 1):
        for I in itertools.combinations(range(d), dp):
            F = reduced7_system(data, I)
            G = total_degree_system(F.degrees)
            tr = track(straight_line(F, G, gamma), TotalDegreeStarts(F.degrees), opts,
                       batch_size=solver.batch_size, steps_per_call=solver.steps_per_call, keep="all",
                       desc=F.name)
            X = np.zeros((tr.npaths, d), complex)
            X[:, list(I)] = tr.x
            parts.append((tr.status, tr.nacc, tr.nrej, tr.t_end, X, tr.residual, tr.cond, tr.time, tr.slot_steps))
            S = tr.x
            absS = np.max(np.abs(S), axis=1)
            finite = np.isfinite(absS) & (absS < opts.hard_infinity_norm)
            v = 1.0 + (np.where(finite[:, None], S, 0) ** 2) @ (1.0 / sig[:, list(I)]).T  # (P, p)
            scale = np.maximum(1.0, absS ** 2)
            off_junk = np.min(np.abs(v), axis=1) > 1e-4 * scale
            on_junk = finite & ~off_junk & (tr.t_end <= 1e-4)
            junk += int(np.sum(on_junk))
            # A path that ends on the junk {1 + T_k = 1 + T_l = 0} is a singular endpoint by construction,
            # even where the endgame could not converge there: report it as SINGULAR, not as a failure.
            tr.status[on_junk & (tr.status >= Status.MAX_STEPS)] = Status.SINGULAR
            take = (tr.status == Status.SUCCESS) | (
                finite & (tr.t_end <= 1e-8) & np.isin(tr.status, [Status.SINGULAR, Status.AT_INFINITY]))
            take &= finite & off_junk
            for j in np.flatnonzero(take):
                Sf = np.zeros(d, complex)
                Sf[list(I)] = S[j]
                cands.append(weights_from_S(Sf[None, :], (1.0 / v[j])[None, :], data))
                owner.append(offset + j)
            offset += tr.npaths
    cat = lambda k: np.concatenate([q[k] for q in parts])
    status = cat(0)
    paths = TrackResult(status, cat(1), cat(2), cat(3), np.arange(len(status)), cat(4), cat(5), cat(6),
                        float(sum(q[7] for q in parts)), int(sum(q[8] for q in parts)))
    assert paths.npaths == solver.B_C
    extra = {"paths_by_size": {str(k): math.comb(d, k) * (4 * p) ** k for k in range(d + 1)},
             "junk_endpoints": junk}
    return paths, np.concatenate(cands), np.asarray(owner, np.int64), extra
