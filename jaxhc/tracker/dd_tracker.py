"""Batched mixed-precision tracking: double-double residuals, double Jacobians, all in jit.

The same algorithm as :func:`jaxhc.tracker.mixed_precision.track_mixed` with
``jacobian="double"`` (RK4 predictor in double, Newton corrections whose *residual* is
evaluated in extended precision, so each step contracts by about eps·cond: iterative
refinement), with the residuals in double-double (:mod:`.double_double`, ~32 digits)
instead of mpmath/FLINT, and every path of the batch advanced together by one jitted
masked loop, like the double-precision tracker.  Double-double resolves eps_dd·cond < 1,
far beyond what a double Jacobian allows (eps·cond < 1), so for this stage it is as good
as 40 digits; only the last refinement at t = 0, to ``final_tol`` = 1e-20 relative (which
needs more than double-double at condition numbers above ~1e12), is done per endpoint in
``dps`` digits on the host, exactly as in ``track_mixed``.

Why: the host-side tracker spends milliseconds of Python per step and path; on Table 2
(3,2,3) m = 2 the escalation was 2,093 of 2,927 s over 100 samples (measured, session 7).
"""

from __future__ import annotations

import functools
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from ..status import Status
from ..system.system import value_and_jacobian
from .double_double import DD, dd_from_complex
from .executable_cache import CachedKernel, stable_key
from .mixed_precision import MixedPath
from .stream import _put

__all__ = ["track_dd", "refine_extended"]


class DDConfig(NamedTuple):
    """Static step-control settings (defaults: those of ``track_mixed``)."""

    max_steps: int = 20000
    max_step: float = 0.05
    min_step: float = 1e-12
    predictor_tol: float = 1e-5
    max_correction: float = 1e-3
    step_tol: float = 1e-14
    newton_iters: int = 8
    infinity_norm: float = 1e12
    give_up_cond: float = float("inf")
    predictor: str = "rk4"  # or "hermite": cubic Hermite extrapolation of the last two accepted points


class DDState(NamedTuple):
    """Per-path state; leading axis ``batch`` on every field."""

    xh: jax.Array  # Complex[Array, "batch n"]  x = xh + xl (double-double)
    xl: jax.Array  # Complex[Array, "batch n"]
    v: jax.Array  # Complex[Array, "batch n"]  dx/dt at (xh, t), in double
    t: jax.Array  # Float[Array, "batch"]
    dt: jax.Array  # Float[Array, "batch"]
    status: jax.Array  # Int[Array, "batch"]
    nacc: jax.Array  # Int[Array, "batch"]
    nrej: jax.Array  # Int[Array, "batch"]
    cond: jax.Array  # Float[Array, "batch"]  largest cond(J_x) at accepted points
    xprev: jax.Array  # Complex[Array, "batch n"]  the accepted point before x (Hermite predictor)
    vprev: jax.Array  # Complex[Array, "batch n"]  dx/dt there
    tprev: jax.Array  # Float[Array, "batch"]      its t; > 1 while there is none yet


def _s(g, t):
    """The parameter-path variable ``s(t) = γt / (1 + (γ - 1)t)`` and ``ds/dt``."""
    den = 1 + (g - 1) * t
    return g * t / den, g / den**2


@functools.lru_cache(maxsize=None)
def _kernels(fn, fn_dd, cfg: DDConfig):
    """Jitted ``init(x0, ps, pt, g)`` and ``advance(state, ps, pt, g, nsteps)`` for one system."""

    def tangent(x, t, ps, pt, g):
        s, ds = _s(g, t)
        p = (1 - s) * pt + s * ps
        J = value_and_jacobian(fn, x, p)[1]
        _, Ft = jax.jvp(lambda q: fn(x, q), (p,), ((ps - pt) * ds,))
        return jnp.linalg.solve(J, -Ft), J

    def cond(J):
        sv = jnp.linalg.svd(J, compute_uv=False)
        return sv[0] / sv[-1]

    def rel(dx, x):
        return jnp.max(jnp.abs(dx)) / jnp.maximum(1.0, jnp.max(jnp.abs(x)))

    def newton(xp, t1, ps, pt, dp_dd, pt_dd, g, active):
        """Newton at ``t1`` from the double point ``xp``: double-double residual, double Jacobian.
        The first correction must be below ``max_correction`` (no path jumping), later ones
        must contract, until one is below ``step_tol``.  Returns (xh, xl, converged, first).
        Finished paths (``~active``) do no iteration: under vmap the loop runs until the last
        lane stops, and a finished lane's garbage point would keep it running."""
        s, _ = _s(g, t1)
        p_d = (1 - s) * pt + s * ps
        p_dd = pt_dd + dp_dd * s  # the same point of the path, to double-double accuracy

        def body(c):
            k, xh, xl, first, last, conv, fail = c
            r = fn_dd(DD(xh.real, xl.real, xh.imag, xl.imag), p_dd).to_complex()
            dx = jnp.linalg.solve(value_and_jacobian(fn, xh, p_d)[1], -r)
            e = rel(dx, xh)
            bad = ~jnp.all(jnp.isfinite(dx)) | ((k == 0) & (e > cfg.max_correction)) | (
                (k > 0) & (e > 0.5 * last) & (e > cfg.step_tol))
            x = dd_from_complex(xh, xl) + dx
            xh2, xl2 = jnp.where(bad, xh, x.hi), jnp.where(bad, xl, x.lo)
            return (k + 1, xh2, xl2, jnp.where(k == 0, e, first), e, ~bad & (e <= cfg.step_tol), bad)

        def more(c):
            k, *_, conv, fail = c
            return (k < cfg.newton_iters) & ~conv & ~fail

        z = jnp.zeros_like(xp)
        c = lax.while_loop(more, body, (0, xp, z, jnp.inf, jnp.inf, False, ~active))
        return c[1], c[2], c[5], c[3]

    def step(st: DDState, ps, pt, dp_dd, pt_dd, g) -> DDState:
        active = st.status == Status.TRACKING
        h = jnp.minimum(st.dt, st.t)
        t1 = jnp.where(h >= st.t, 0.0, st.t - h)
        xd = st.xh + st.xl
        if cfg.predictor == "hermite":
            # Cubic Hermite through (tprev, xprev, vprev) and (t, x, v): on-path data only, no
            # extra Jacobian; Euler on the first step.  (Off the path the tangent field changes
            # by ~cond·δ at a distance δ, which spoils RK4's stages near ill-conditioned roots.)
            have = st.tprev <= 1.0
            D = jnp.where(have, st.t - st.tprev, -1.0)
            u = (t1 - st.tprev) / D
            herm = ((2 * u**3 - 3 * u**2 + 1) * st.xprev + (u**3 - 2 * u**2 + u) * D * st.vprev
                    + (-2 * u**3 + 3 * u**2) * xd + (u**3 - u**2) * D * st.v)
            xp = jnp.where(have, herm, xd - h * st.v)
            order, grow = jnp.where(have, 4.0, 2.0), 3.0
        else:
            # RK4 in double: the corrector, not the predictor, carries the precision.
            k1 = st.v
            k2 = tangent(xd - 0.5 * h * k1, st.t - 0.5 * h, ps, pt, g)[0]
            k3 = tangent(xd - 0.5 * h * k2, st.t - 0.5 * h, ps, pt, g)[0]
            k4 = tangent(xd - h * k3, t1, ps, pt, g)[0]
            xp = xd - (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
            order, grow = 5.0, 2.0
        ok_p = jnp.all(jnp.isfinite(xp))
        xh, xl, conv, e1 = newton(jnp.where(ok_p, xp, xd), t1, ps, pt, dp_dd, pt_dd, g, active & ok_p)
        acc = ok_p & conv
        fac = 0.8 * (cfg.predictor_tol / jnp.maximum(e1, 1e-300)) ** (1.0 / order)
        dt_acc = jnp.minimum(cfg.max_step, h * jnp.minimum(grow, jnp.maximum(0.5, fac)))
        v, J = tangent(xh, t1, ps, pt, g)
        c = jnp.maximum(st.cond, cond(J))
        status = st.status
        big = jnp.max(jnp.abs(xh)) > cfg.infinity_norm
        status = jnp.where(acc & big, Status.AT_INFINITY, status)
        status = jnp.where(acc & ~big & (t1 == 0.0), Status.ENDGAME, status)
        going = acc & ~big & (t1 > 0.0)
        status = jnp.where(going & ~jnp.all(jnp.isfinite(v)), Status.NONFINITE, status)
        status = jnp.where(going & (status == Status.TRACKING) & (c > cfg.give_up_cond), Status.ILL_CONDITIONED,
                           status)
        dt_rej = 0.5 * h
        status = jnp.where(~acc & (dt_rej < cfg.min_step), Status.STEP_SIZE_TOO_SMALL, status)
        nacc, nrej = st.nacc + acc, st.nrej + ~acc
        status = jnp.where((status == Status.TRACKING) & (nacc + nrej >= cfg.max_steps), Status.MAX_STEPS, status)
        new = DDState(jnp.where(acc, xh, st.xh), jnp.where(acc, xl, st.xl), jnp.where(going, v, st.v),
                      jnp.where(acc, t1, st.t), jnp.where(acc, dt_acc, dt_rej), status, nacc, nrej,
                      jnp.where(going, c, st.cond), jnp.where(acc, xd, st.xprev), jnp.where(acc, st.v, st.vprev),
                      jnp.where(acc, st.t, st.tprev))
        return jax.tree_util.tree_map(lambda a, b: jnp.where(active, a, b), new, st)

    def params_dd(ps, pt):
        pt_dd = dd_from_complex(pt)
        return dd_from_complex(ps) - pt_dd, pt_dd

    # XLA's default emitters, not kernel_jit's: XLA:CPU's loop emitter runs these kernels ~2x
    # faster but took over 5 minutes to compile them at N = 18 (Table 2 (3,4,2) m = 2; 7 s at
    # N = 15), against ~10 s with the default emitters (measured).  Through the executable cache
    # (off unless turned on) when both systems name themselves: the sample workers meet
    # near-degenerate samples of the same architecture, and the first one to compile these shares them.
    fkeys = (stable_key(fn), stable_key(fn_dd), stable_key(tuple(cfg)))
    keyed = all(k is not None for k in fkeys)

    def jit(name, static_argnums=()):
        return lambda f: CachedKernel(f, static_argnums, key=("jaxhc.dd_tracker", name, fkeys) if keyed else None)

    @jit("init")
    def init(x0, ps, pt, g, dt0):
        v, J = jax.vmap(lambda x: tangent(x, 1.0, ps, pt, g))(x0)
        c = jax.vmap(cond)(J)
        bad = ~jnp.all(jnp.isfinite(v), axis=1)
        B = x0.shape[0]
        return DDState(x0, jnp.zeros_like(x0), jnp.where(bad[:, None], 0.0, v), jnp.ones(B), jnp.full(B, dt0),
                       jnp.where(bad, Status.NONFINITE, Status.TRACKING).astype(jnp.int32),
                       jnp.zeros(B, jnp.int32), jnp.zeros(B, jnp.int32), jnp.where(bad, jnp.inf, c),
                       x0, jnp.zeros_like(x0), jnp.full(B, 2.0))

    @jit("advance", static_argnums=(4,))
    def advance(st, ps, pt, g, nsteps):
        dp_dd, pt_dd = params_dd(ps, pt)
        one = jax.vmap(lambda s: step(s, ps, pt, dp_dd, pt_dd, g))

        def body(c):
            return c[0] + 1, one(c[1])

        def more(c):
            return (c[0] < nsteps) & jnp.any(c[1].status == Status.TRACKING)

        return lax.while_loop(more, body, (0, st))[1]

    return init, advance


DD_BATCH = 8
"""Slots of the double-double tracker's batch, refilled from the queue as paths finish, so a
long last path never drags a larger batch along, and one compiled shape per system and process
(the first call compiled in ~4 s at N = 15 on an idle 2-core CPU).  Neutral on time against the
earlier powers of two from 8 halved as paths finished (measured: further shapes compiled in
~0.05 s there; Table 2 (3,2,3) m = 2 seeds 3 / 26, stage 1 21.0 / 16.6 s against 22.0 / 16.7 s)."""


def track_dd(fn, fn_dd, starts, p_start, p_target, gamma: complex, *, max_time: float | None = None,
             initial_step: float = 0.02, final_tol: float = 1e-20, dps: int = 40, fn_mp=None, fn_flint=None,
             steps_per_call: int = 32, **config) -> list[MixedPath]:
    """Track ``F(x; p(s(t))) = 0`` from t = 1 to 0 for every row of ``starts``, all at once.

    The route is that of :func:`jaxhc.homotopy.parameter_homotopy` with this ``gamma``
    (``p(s) = (1 - s) p_target + s p_start``, ``s = γt / (1 + (γ - 1)t)``).

    Args:
        fn: ``fn(x, p)`` in JAX, complex128 (e.g. ``gradient_function(arch)``).
        fn_dd: the same in double-double (e.g. :func:`.double_double.gradient_function_dd`).
        starts: ``Complex[ndarray, "k n"]`` solutions at ``p_start``.
        max_time: seconds for all paths together; unfinished paths end with MAX_STEPS.
        final_tol: relative size of the last Newton correction at t = 0 for SUCCESS, reached
            in ``dps`` digits on the host with ``fn_flint`` (python-flint) or ``fn_mp``
            (mpmath; one of them is required).
        steps_per_call: masked steps per jitted call between host checks (time budget, shrinking).
        **config: :class:`DDConfig` fields (``max_steps``, ``predictor_tol``, ``give_up_cond``, ...;
            ``give_up_cond=None`` means never).
    Returns:
        one :class:`~jaxhc.tracker.mixed_precision.MixedPath` per start (``x_mp``: the
        endpoint as mpmath numbers; ``max_cond``: largest cond(J) at accepted points).
    """
    if fn_mp is None and fn_flint is None:
        raise ValueError("track_dd needs fn_flint or fn_mp for the final refinement at t = 0")
    if config.get("give_up_cond", 0) is None:
        config["give_up_cond"] = float("inf")
    cfg = DDConfig(**config)
    starts = np.asarray(starts, np.complex128)
    k, n = starts.shape
    if k == 0:
        return []
    init, advance = _kernels(fn, fn_dd, cfg)
    ps, pt = jnp.asarray(p_start, jnp.complex128), jnp.asarray(p_target, jnp.complex128)
    g = jnp.complex128(gamma)
    t0 = time.perf_counter()
    # A fixed batch of DD_BATCH slots, refilled from the queue as paths finish (one compiled shape).
    B = DD_BATCH
    rows = np.full(B, -1)  # path in each slot (-1: free; its state is inactive)
    host = None
    nxt = 0
    final = {}
    while True:
        free = np.flatnonzero(rows < 0)
        if nxt < k and len(free):
            take = free[: k - nxt]
            new = np.arange(nxt, nxt + len(take))
            nxt += len(take)
            x0 = np.repeat(starts[new[:1]], B, axis=0)
            x0[: len(new)] = starts[new]
            fresh = jax.tree_util.tree_map(np.asarray, init(jnp.asarray(x0), ps, pt, g, jnp.float64(initial_step)))
            if host is None:
                host = fresh._replace(status=np.full(B, Status.MAX_STEPS, fresh.status.dtype))
            host = jax.tree_util.tree_map(lambda a, f: _put(a, take, f[: len(take)]), host, fresh)
            rows[take] = new
        st = advance(jax.tree_util.tree_map(jnp.asarray, host), ps, pt, g, steps_per_call)
        host = jax.tree_util.tree_map(np.asarray, st)
        done = np.flatnonzero((host.status != Status.TRACKING) & (rows >= 0))
        for i in done:
            final[int(rows[i])] = jax.tree_util.tree_map(lambda a: a[i], host)
        rows[done] = -1
        if max_time is not None and time.perf_counter() - t0 > max_time:
            # Out of time: the live paths and those never started end unfinished.
            for i in np.flatnonzero(rows >= 0):
                final[int(rows[i])] = jax.tree_util.tree_map(lambda a: a[i], host)._replace(status=Status.MAX_STEPS)
            ini = jax.tree_util.tree_map(lambda a: a[0], host)
            for j in range(nxt, k):
                final[j] = ini._replace(xh=starts[j], xl=np.zeros_like(starts[j]), t=1.0, nacc=0, nrej=0,
                                        status=Status.MAX_STEPS)
            break
        if nxt >= k and not np.any(rows >= 0):
            break
    return [_finish(final[i], fn, fn_mp, fn_flint, p_target, dps, final_tol, t0) for i in range(k)]


def _finish(s: DDState, fn, fn_mp, fn_flint, p_target, dps, final_tol, t0) -> MixedPath:
    """Refine an ENDGAME endpoint at t = 0 in ``dps`` digits; wrap as a MixedPath."""
    import mpmath

    status = Status(int(s.status))
    with mpmath.workdps(dps):
        xm = np.array([mpmath.mpc(mpmath.mpf(float(a.real)) + float(b.real), mpmath.mpf(float(a.imag)) + float(b.imag))
                       for a, b in zip(s.xh, s.xl)], dtype=object)
        last = res = np.inf
        if status == Status.ENDGAME:
            xm, conv, last, res = _refine(fn, fn_mp, fn_flint, xm, p_target, dps, final_tol)
            status = Status.SUCCESS if conv else Status.ENDPOINT_NOT_CONVERGED
        x = np.array([complex(z) for z in xm], np.complex128)
    return MixedPath(status, x, xm, float(s.t), int(s.nacc), int(s.nrej), float(last), float(res),
                     float(s.cond), time.perf_counter() - t0)


def refine_extended(fn, fn_mp, fn_flint, x, p_target, dps: int = 40, tol: float = 1e-20,
                    max_cond: float = 1e14):
    """Newton refinement of one double-precision point ``x: Complex[ndarray, "n"]`` at the
    target, residuals in ``dps`` digits (see :func:`_refine`), for a regular root: converged
    means corrections below ``tol`` relative AND a scaled condition number
    (:func:`jaxhc.endgame.finalize.scaled_cond`) below ``max_cond`` at the result.  The second
    test is needed: at a double root the corrections only halve, which still gets below ``tol``
    within the 60 iterations from 1e-4 away, but the Jacobian there is singular to working
    precision.  Returns (x rounded to double, converged, max |F| in double, that scaled
    condition number; inf where the corrections did not converge)."""
    import mpmath

    from ..endgame.finalize import scaled_cond
    from .mixed_precision import _double_kernels

    with mpmath.workdps(dps):
        xm = np.array([mpmath.mpc(complex(z)) for z in np.asarray(x, np.complex128)], dtype=object)
        xm, conv, _, res = _refine(fn, fn_mp, fn_flint, xm, p_target, dps, tol)
        xd = np.array([complex(z) for z in xm], np.complex128)
    cond = np.inf
    if conv:
        J = np.asarray(_double_kernels(fn)[0](xd, np.asarray(p_target, np.complex128)))
        cond = float(scaled_cond(J, xd))
        conv = cond < max_cond
    return xd, conv, float(res), cond


def _refine(fn, fn_mp, fn_flint, xm, p_target, dps, tol, iters: int = 60):
    """Newton at the target with ``dps``-digit residuals and double Jacobians (iterative
    refinement), each correction contracting, until one is below ``tol`` relative.
    Returns (x, converged, last relative correction, max |F| in double)."""
    import mpmath

    from .mixed_precision import _double_kernels

    jac_x = _double_kernels(fn)[0]
    pd = np.asarray(p_target, np.complex128)
    if fn_flint is not None:
        import flint

        def F(x):
            old, flint.ctx.dps = flint.ctx.dps, dps
            try:
                pa = [flint.acb(complex(z).real, complex(z).imag) for z in pd]
                r = fn_flint([flint.acb(z.real, z.imag) for z in x], pa)
                return np.array([mpmath.mpc(v.real, v.imag) for v in r], dtype=object)
            finally:
                flint.ctx.dps = old
    else:
        pm = np.array([mpmath.mpc(complex(z)) for z in pd], dtype=object)

        def F(x):
            return np.asarray(fn_mp(x, pm), dtype=object).ravel()

    last, conv = np.inf, False
    for k in range(iters):
        xd = np.array([complex(z) for z in xm])
        r = np.array([complex(z) for z in F(xm)])
        try:
            dx = np.linalg.solve(np.asarray(jac_x(xd, pd)), -r)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(dx)):
            break
        e = float(np.max(np.abs(dx)) / max(1.0, float(np.max(np.abs(xd)))))
        if k > 0 and e > 0.5 * last and e > tol:
            break
        xm = xm + np.array([mpmath.mpc(complex(z)) for z in dx], dtype=object)
        last = e
        if e <= tol:
            conv = True
            break
    res = float(np.max(np.abs(np.array([complex(z) for z in F(xm)]))))
    return xm, conv, last, res
