"""Endgame bookkeeping inside the step: valuations and the divergence test.

Near ``t = 0`` a path behaves like ``x_i(t) ≈ c_i t^{ν_i}`` (a Puiseux series).
Finite endpoints have ``ν_i >= 0``; a coordinate with ``ν_i < 0`` diverges.
We estimate ``ν_i = Δ log|x_i| / Δ log t`` between accepted endgame points
(HomotopyContinuation.jl uses the same quantity from derivatives).  A path is
declared at infinity only when a coordinate's valuation is clearly negative,
stable over several consecutive estimates, *and* that coordinate is already
large: a finite endpoint can show a transiently negative estimate, but then
the estimate changes from step to step (it tends to 0 like a power of t):
for a nonsingular endpoint ``|dν/dlog t| = |ν|``, so "stable and below
``-infinity_valuation``" cannot hold while ``valuation_stable < infinity_valuation``.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..status import Status

__all__ = ["endgame_update"]


def endgame_update(s, accept, opts):
    """Update valuation history of one path after a step; may set AT_INFINITY."""
    zone = accept & (s.t < opts.endgame_start) & (s.t > 0.0)
    absx = jnp.abs(s.x)
    logx = jnp.log(jnp.maximum(absx, 1e-300))
    logt = jnp.log(jnp.where(s.t > 0.0, s.t, 1.0))
    have_prev = s.logt < 0.0
    # Valuation estimates need a real decrease of t to be meaningful.
    far_enough = logt < s.logt - 0.1
    use = zone & (~have_prev | far_enough)
    dlogt = jnp.where(have_prev, logt - s.logt, -1.0)
    nu = (logx - s.logx) / dlogt
    # Stability is measured per unit of log t: a finite endpoint has ν ∝ t^{1/c},
    # so |dν/dlog t| = |ν|/c, while on a diverging path ν tends to a constant.
    stable = jnp.abs(nu - s.nu) < opts.valuation_stable * jnp.abs(dlogt)
    diverging = (nu < -opts.infinity_valuation) & stable & (absx > opts.infinity_norm)
    ninf = jnp.where(use & have_prev, jnp.where(jnp.any(diverging), s.ninf + 1, 0), s.ninf)
    status = s.status
    status = jnp.where((status == Status.TRACKING) & (ninf >= opts.infinity_checks), Status.AT_INFINITY, status)
    status = jnp.where((status == Status.TRACKING) & zone & (jnp.max(absx) > opts.hard_infinity_norm),
                       Status.AT_INFINITY, status)
    return s._replace(
        logx=jnp.where(use, logx, s.logx),
        logt=jnp.where(use, logt, s.logt),
        nu=jnp.where(use & have_prev, nu, s.nu),
        ninf=ninf,
        status=status,
    )
