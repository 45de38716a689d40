"""Classify and refine endpoints on the target system at t = 0.

Paths that stop near ``t = 0`` (status ENDGAME) get Newton's method on the
target ``F``; a finite endpoint whose Newton iteration converges and whose
Jacobian is well conditioned is a SUCCESS, an ill-conditioned one is SINGULAR,
and a huge one is AT_INFINITY.  Every returned solution carries its residual
``‖F(x)‖_∞`` and its condition number.

The condition number is that of the *scaled* Jacobian ``R F'(x) C`` with
``C = diag(max(1, |x_j|))`` and ``R`` equilibrating the rows (:func:`scaled_cond`).
It does not change when a variable or an equation is rescaled, so a solution
that is merely large (near-degenerate data put critical points at ``|w| ≈ 1e5``
where ``σ_max/σ_min`` of ``F'`` exceeds 1e10) is not mistaken for a singular one,
while a true singular point has ``σ_min = 0`` in every scaling.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..status import Status
from ..system.system import value_and_jacobian
from ..tracker.xla_options import kernel_jit

__all__ = ["refine", "refine_padded", "classify_endpoints", "scaled_cond", "resolve_multiplicity"]


def _row_scaled(J, x):
    """``R J C`` of :func:`scaled_cond`: columns times ``max(1, |x_j|)``, rows to max-norm 1."""
    Js = J * jnp.maximum(1.0, jnp.abs(x))[None, :]
    rmax = jnp.max(jnp.abs(Js), axis=1, keepdims=True)
    return Js / jnp.where(rmax > 0, rmax, 1.0)


def _ratio(s, floor=0.0):
    """``max(σ_max, floor) / σ_min`` from singular values ``s`` (descending); ``inf`` when singular."""
    return jnp.where(s[-1] > 0, jnp.maximum(s[0], floor) / jnp.where(s[-1] > 0, s[-1], 1.0), jnp.inf)


def scaled_cond(J, x):
    """Condition number of ``R J C``: ``C = diag(max(1, |x_j|))``, rows of ``J C`` scaled to max-norm 1.

    ``J: Complex[Array, "n n"]``, ``x: Complex[Array, "n"]``; ``inf`` when singular.
    """
    return _ratio(jnp.linalg.svd(_row_scaled(J, x), compute_uv=False))


def _newton(fn, x, p, iters):
    def body(_, c):
        x, last = c
        val, J = value_and_jacobian(fn, x, p)
        dx = jnp.linalg.solve(J, -val)
        ok = jnp.all(jnp.isfinite(dx))
        return jnp.where(ok, x + dx, x), jnp.where(ok, jnp.max(jnp.abs(dx)), jnp.inf)

    return jax.lax.fori_loop(0, iters, body, (x, jnp.float64(jnp.inf)))


@kernel_jit(static_argnums=(0,))
def refine(fn, x, p, iters=4):
    """Newton-refine a batch ``x: Complex[Array, "batch n"]`` on ``F(·; p)``.

    ``p``: ``Complex[Array, "k"]`` shared by the batch, or ``Complex[Array, "batch k"]``, one
    parameter vector per row (endpoints of several samples at once).  ``iters`` (Newton
    iterations) is traced, not static: every iteration count shares one compiled kernel.
    Returns ``(x, last_correction, residual, cond, cond_before, scond)``, each batched;
    ``cond`` (``cond_before``) is ``σ_max/σ_min`` of ``F'`` at the refined (unrefined) point,
    floored at ``σ_max = 1``; ``scond`` is :func:`scaled_cond` at the refined point.
    """

    def one(x, p):
        x1, last = _newton(fn, x, p, iters)
        # Both points in one evaluation and the three condition numbers in one batched SVD:
        # each piece of code is traced and compiled once (this kernel is compiled in every
        # process for every system, and its compile and trace cost more than its runs).
        vals, Js = jax.vmap(lambda z: value_and_jacobian(fn, z, p))(jnp.stack([x1, x]))
        s = jax.vmap(lambda M: jnp.linalg.svd(M, compute_uv=False))(
            jnp.stack([Js[0], Js[1], _row_scaled(Js[0], x1)]))
        return x1, last, jnp.max(jnp.abs(vals[0])), _ratio(s[0], 1.0), _ratio(s[1], 1.0), _ratio(s[2])

    return jax.vmap(one, in_axes=(0, 0 if p.ndim == 2 else None))(x, p)


REFINE_BLOCK = 64


def refine_padded(fn, x, p, iters: int = 4):
    """:func:`refine` of ``x: Complex[ndarray, "k n"]`` (numpy in, numpy out) in blocks of
    :data:`REFINE_BLOCK` (64) rows, the last one padded, with one parameter vector per row
    (a shared ``p`` is repeated): one compiled kernel per system, whatever ``k``, ``iters``
    and the number of samples batched together (each shape costs ~0.5 s to compile per
    process, more than a row's refinements take to run); returns the same tuple for the k rows.
    ``p``: one parameter vector, or one per row (``"k np"``)."""
    import numpy as np

    x = np.asarray(x)
    p = np.asarray(p)
    k = len(x)
    if p.ndim == 1:
        p = np.broadcast_to(p, (k, len(p)))
    B = REFINE_BLOCK
    size = max(B, -(-k // B) * B)
    if size > k:  # pad with copies of the first row (a finite point: no NaN work)
        x = np.concatenate([x, np.broadcast_to(x[:1] if k else np.ones((1, x.shape[1])), (size - k, x.shape[1]))])
        p = np.concatenate([p, np.broadcast_to(p[:1] if k else np.ones((1, p.shape[1])), (size - k, p.shape[1]))])
    it = jnp.int32(iters)
    parts = [refine(fn, jnp.asarray(x[i:i + B]), jnp.asarray(p[i:i + B]), it) for i in range(0, size, B)]
    return tuple(np.concatenate([np.asarray(a) for a in z])[:k] for z in zip(*parts))


def newton_noise(cond):
    """Relative size at which Newton's corrections stall: ``max(1e-9, 10·eps·cond)``.

    The rounding noise of the linear solve is about eps·σ_max/σ_min of the unscaled
    Jacobian relative to ‖x‖ (badly scaled but regular points of near-degenerate data sit
    at 1e-9 and above); a non-finite ``cond`` gives the 1e-9 floor.
    """
    import numpy as np

    return np.maximum(1e-9, 10 * np.finfo(float).eps * np.where(np.isfinite(cond), cond, 0.0))


def classify_endpoints(fn, x, p, status, opts, iters: int = 4, nu=None):
    """Final classification of endpoints (numpy in, numpy out).

    Args:
        x: ``Complex[ndarray, "k n"]`` endpoints; status: their tracker statuses.
        p: the target's parameters, one vector or one per endpoint (``"k np"``).
        nu: ``Float[ndarray, "k n"]`` last valuation estimates (optional).
    Returns:
        ``(x, status, residual, cond)`` with ENDGAME replaced by a terminal code.
    """
    import numpy as np

    x = np.asarray(x)
    status = np.asarray(status).copy()
    if len(x) == 0:
        z = np.zeros(0)
        return x, status, z, z
    xr, last, res, cond, cond0, scond = refine_padded(fn, x, p, iters)
    scale = np.maximum(1.0, np.max(np.abs(xr), axis=1))
    # Newton must converge *near the tracked endpoint*: a refinement that travels
    # far has fallen into another solution's basin and proves nothing.
    moved = np.max(np.abs(xr - x), axis=1) if len(x) else np.zeros(0)
    converged = (np.isfinite(last) & (last <= newton_noise(cond) * scale) & (res <= 1e-8 * np.maximum(1.0, scale**3))
                 & (moved <= 1e-3 * scale))
    absx = np.max(np.abs(x), axis=1)
    huge = ~np.isfinite(absx) | (absx > opts.hard_infinity_norm)
    ill = ~np.isfinite(scond) | (scond > opts.singular_cond)
    # These paths stopped short of t = 0, which a path to a finite nonsingular
    # solution never does, so a negative valuation alone marks divergence here
    # (inside the tracker the test also needs a large norm: there, a path heading
    # for a distant finite solution can look diverging for a while).
    diverging = np.zeros(len(x), bool) if nu is None else np.any(
        np.asarray(nu) < -opts.infinity_valuation, axis=1)
    eg = status == Status.ENDGAME
    new = status.copy()
    new[eg & huge] = Status.AT_INFINITY
    new[eg & ~huge & converged & ~ill] = Status.SUCCESS
    new[(new == Status.ENDGAME) & diverging] = Status.AT_INFINITY
    # A nonsingular finite endpoint is always reached at t = 0; a path that stopped
    # short, is not diverging and sits where F' is ill-conditioned is singular.
    new[(new == Status.ENDGAME) & (ill | (cond0 > opts.endgame_singular_cond))] = Status.SINGULAR
    new[new == Status.ENDGAME] = Status.ENDPOINT_NOT_CONVERGED
    # Singular endpoints keep the tracker's estimate (Newton is unreliable there).
    ok = new == Status.SUCCESS
    out = np.where(ok[:, None], xr, x)
    return out, new, res, np.where(ok, scond, cond0)


def resolve_multiplicity(paths, fn, p, opts, iters: int = 8, rtol: float = 1e-4, certified=None, orbit_map=None):
    """Singular or not, decided by how many paths end at a point (after path-jumping repair).

    For a complete homotopy (total degree; a parameter homotopy from a complete
    generic solution set) a root of multiplicity ``k`` is the end of ``k`` paths.

    * Several paths at one point whose scaled condition number exceeds
      ``opts.endgame_singular_cond`` there: a multiple root, every one of them SINGULAR
      (tracking can reach t = 0 at a double root and look converged there).  A
      well-conditioned shared endpoint is path jumping instead, and stays SUCCESS.
    * A SINGULAR endpoint no other path comes near, at which Newton converges in place
      and the scaled condition number is below ``opts.isolated_max_cond``: a simple
      root, however ill-conditioned (near-degenerate data give some at 1e10–1e11), so SUCCESS.

    * ``certified`` (``Bool[ndarray, "npaths"]``, by row of ``paths.x``): endpoints whose
      extended-precision Newton iteration converged quadratically below 1e-20 at t = 0
      (the precision escalation) are regular roots, told apart from each other far below
      ``rtol``; they are never demoted, however close and ill-conditioned (seen: Table 2
      (3,2,3) m=2 sample 37, pairs of distinct roots 1.01e-4 apart relative, cond ~1e13,
      which the double-precision clustering had taken for 32 double roots).

    * ``orbit_map`` (a :class:`~jaxhc.monodromy.orbits.OrbitMap` over the rows of ``paths.x``,
      whose rows are exact sign-flip images of each other): Newton refinement and condition
      numbers once per orbit, mapped to the other rows.  The gradient map is equivariant
      (F(Sx) = S F(x), J(Sx) = S J(x) S for the flips S), so every row of an orbit has the
      same residual, correction and singular values: Table 2 (3,2,3) m=2 refines 1377 orbit
      points instead of 8825 endpoints per sample.

    ``paths``: a :class:`~jaxhc.tracker.stream.TrackResult`.  Returns ``(paths, n_promoted, n_demoted)``.
    """
    import dataclasses

    import numpy as np

    from ..solutions.dedup import cluster_labels

    st = paths.status[paths.index]
    rows = np.flatnonzero(np.isin(st, (Status.SUCCESS, Status.SINGULAR)) & np.all(np.isfinite(paths.x), axis=1))
    if len(rows) == 0:
        return paths, 0, 0
    x = paths.x[rows]
    if orbit_map is None:
        xr, last, res, cond, _, scond = refine_padded(fn, x, p, iters)
    else:
        om = orbit_map
        orb, first = np.unique(om.cls[rows], return_index=True)
        r0 = rows[first]
        xo, last, res, cond, _, scond = refine_padded(fn, om.G[om.g[r0]] * paths.x[r0], p, iters)  # rep frames
        per_orbit = np.zeros((om.norbits, x.shape[1]), xo.dtype)
        per_orbit[orb] = xo
        xr = om.images(per_orbit, rows)
        pos = np.searchsorted(orb, om.cls[rows])
        last, res, cond, scond = last[pos], res[pos], cond[pos], scond[pos]
    good = np.all(np.isfinite(xr), axis=1)
    xc = np.where(good[:, None], xr, x)
    lab = cluster_labels(xc, rtol)
    size_of = np.bincount(lab, minlength=len(lab))[lab]
    worst = np.zeros(len(lab))
    np.maximum.at(worst, lab, np.where(np.isfinite(scond), scond, np.inf))
    scale = np.maximum(1.0, np.max(np.abs(xc), axis=1))
    status = paths.status.copy()
    demote = (size_of > 1) & (worst[lab] > opts.endgame_singular_cond) & (st[rows] == Status.SUCCESS)
    if certified is not None:
        demote &= ~np.asarray(certified, bool)[rows]
    promote = ((size_of == 1) & (st[rows] == Status.SINGULAR) & good & np.isfinite(last) & (last <= newton_noise(cond) * scale)
               & (res <= 1e-8 * scale**3) & (np.max(np.abs(xr - x), axis=1) <= 1e-6 * scale)
               & (scond <= opts.isolated_max_cond))
    if not (demote.any() or promote.any()):
        return paths, 0, 0
    status[paths.index[rows[demote]]] = Status.SINGULAR
    status[paths.index[rows[promote]]] = Status.SUCCESS
    X, R, C = paths.x.copy(), paths.residual.copy(), paths.cond.copy()
    r = rows[promote]
    X[r], R[r], C[r] = xr[promote], res[promote], scond[promote]
    return dataclasses.replace(paths, status=status, x=X, residual=R, cond=C), int(promote.sum()), int(demote.sum())
