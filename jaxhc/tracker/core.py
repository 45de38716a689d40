"""The jitted core: one predictor-corrector step for one path, vmapped over a batch.

Per path the state holds ``x``, ``t`` (real, from 1 down to 0), the step size,
the tangent ``v = dx/dt`` at ``x`` (reused as the first RK4 stage of the next
step), a status code whose first terminal value sticks, step counters and the
endgame's valuation history.

A step: RK4 predictor from ``t`` to ``t - dt`` (or, for a path the endgame
has found diverging, from ``log t`` to ``log t - dt``); two Newton corrections at
the new ``t``.  It is accepted when the first correction is small (the predictor
stayed inside the corrector's basin: no path jumping) and the second contracts.
The step size then adapts to keep the first correction near ``predictor_tol``.
The second Newton Jacobian also gives the new tangent, so an accepted step
costs five Jacobian evaluations and linear solves.  The cheaper predictors need no
extra Jacobian: ``"hermite"`` extrapolates the last two accepted points and tangents,
``"taylor3"``/``"taylor4"`` evaluate the path's Taylor polynomial, whose derivatives
(Taylor-mode AD along the path, one solve each with the second Jacobian's LU) are stored
in the state at every accepted point.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.experimental.jet import jet
from jax.scipy.linalg import lu_factor, lu_solve

from ..endgame.valuation import endgame_update
from ..status import Status
from .options import TrackerOptions
from .xla_options import kernel_jit

__all__ = ["PathState", "init_state", "init_state_jit", "advance", "split_options"]

# Only the predictor shapes the compiled code; every other option enters the kernels as a traced
# scalar, so trackers that differ in tolerances, norms or step limits (a monodromy loop's options
# and a sample's, the preset redo's and the conservative retries') share one compiled kernel.
_NUMERIC_FIELDS = tuple(f for f in TrackerOptions._fields if f != "predictor")
_NUMERIC_TYPES = {f: (np.bool_ if isinstance(d, bool) else np.int32 if isinstance(d, int) else np.float64)
                  for f, d in TrackerOptions._field_defaults.items() if f != "predictor"}


def split_options(opts: TrackerOptions) -> tuple[str, tuple]:
    """``(predictor, values)``: the static part of ``opts`` and its other fields as typed numpy
    scalars (``float64``, ``int32``, ``bool``; never weakly typed, so no silent recompiles)."""
    return opts.predictor, tuple(_NUMERIC_TYPES[f](getattr(opts, f)) for f in _NUMERIC_FIELDS)


def _joined_options(predictor: str, values: tuple) -> TrackerOptions:
    """Inside a kernel: the options with traced numeric fields."""
    return TrackerOptions(**dict(zip(_NUMERIC_FIELDS, values)), predictor=predictor)


class PathState(NamedTuple):
    """State of a batch of paths; leading axis ``batch`` on every field."""

    x: jax.Array  # Complex[Array, "batch n"]
    v: jax.Array  # Complex[Array, "batch n"]  dx/dt at (x, t)
    t: jax.Array  # Float[Array, "batch"]
    dt: jax.Array  # Float[Array, "batch"]
    status: jax.Array  # Int[Array, "batch"]
    nacc: jax.Array  # Int[Array, "batch"]
    nrej: jax.Array  # Int[Array, "batch"]
    logx: jax.Array  # Float[Array, "batch n"]   log|x| at the last endgame point
    logt: jax.Array  # Float[Array, "batch"]     log t at the last endgame point
    nu: jax.Array  # Float[Array, "batch n"]     last valuation estimate
    ninf: jax.Array  # Int[Array, "batch"]      consecutive passed infinity tests
    logm: jax.Array  # Bool[Array, "batch"]     stepping in log t (dt holds Δ log t)
    xprev: jax.Array  # Complex[Array, "batch n"]  last accepted point before x (Hermite predictor)
    vprev: jax.Array  # Complex[Array, "batch n"]  dx/dt there
    tprev: jax.Array  # Float[Array, "batch"]     its t; > 1 while there is none yet
    dk: jax.Array  # Complex[Array, "batch K-1 n"]  d^j x / dσ^j at x, j = 2..K (Taylor predictor of order K; empty otherwise)


def _eval_jac(hfn, x, t, args):
    """``H``, ``∂H/∂x`` and ``∂H/∂t`` at one point: ``hfn.value_and_jacobians`` when the homotopy
    has it (parameter homotopies: the system's closed-form Jacobian), else one forward-mode pass
    over n+1 directions."""
    own = getattr(hfn, "value_and_jacobians", None)
    if own is not None:
        return own(x, t, args)
    n = x.shape[0]
    z = jnp.concatenate([x, jnp.atleast_1d(t).astype(x.dtype)])
    f = lambda z: hfn(z[:n], z[n], args)
    val, cols = jax.vmap(lambda e: jax.jvp(f, (z,), (e,)), out_axes=(None, 1))(
        jnp.eye(n + 1, dtype=x.dtype))
    return val, cols[:, :n], cols[:, n]


def _tangent(hfn, x, t, args):
    """``dx/dt = -H_x^{-1} H_t``."""
    _, J, Ht = _eval_jac(hfn, x, t, args)
    return jnp.linalg.solve(J, -Ht)


def _rel(dx, x):
    return jnp.max(jnp.abs(dx)) / jnp.maximum(1.0, jnp.max(jnp.abs(x)))


def _hermite(s: PathState, logm, h, k1):
    """Cubic Hermite extrapolation through the last two accepted points and their tangents.

    Uses only on-path data, so a step costs two Jacobians (the corrector's) instead of
    RK4's five; off-path RK4 stages are also worse where cond(J) is large, since the tangent
    field changes by ~cond·δ at a distance δ from the path.  With σ the step variable (t, or
    log t in log mode) and the current point at σ = 0, the previous one sits at ``σ0 > 0``
    (t decreases) and the step goes to ``σ = h < 0``.  First step: Euler's prediction.
    """
    t0 = s.t
    have = s.tprev <= 1.0
    tp = jnp.where(have, s.tprev, t0 + 1.0)
    sig0 = jnp.where(logm, jnp.log(jnp.maximum(tp, 1e-300) / jnp.maximum(t0, 1e-300)), tp - t0)
    m0 = jnp.where(logm, tp, 1.0) * s.vprev
    L = -sig0  # interval length from the previous point to the current one (σ decreases: L < 0)
    L = jnp.where(L == 0.0, -1.0, L)
    u = 1.0 + h / L
    h00 = 2 * u**3 - 3 * u**2 + 1
    h10 = u**3 - 2 * u**2 + u
    h01 = -2 * u**3 + 3 * u**2
    h11 = u**3 - u**2
    herm = h00 * s.xprev + (h10 * L) * m0 + h01 * s.x + (h11 * L) * k1
    return jnp.where(have, herm, s.x + h * k1)


def taylor_order(opts: TrackerOptions) -> int:
    """Order of the Taylor predictor (``"taylor3"`` -> 3, ``"taylor4"`` -> 4); 0 for the others."""
    return int(opts.predictor[6:]) if opts.predictor.startswith("taylor") else 0


def _taylor_derivatives(hfn, x, t, logm, d1, lu, args, order: int):
    """Higher derivatives ``d^j x / dσ^j`` (j = 2..order) of the path through ``(x, t)``.

    ``d1`` is ``dx/dσ`` and ``lu`` a factorization of ``∂H/∂x`` near ``x``.  Along the curve
    ``σ -> (x(σ), t(σ))`` with ``t(σ) = t + σ`` (or ``t e^σ`` in log mode) every derivative of
    ``H`` vanishes; the j-th one is ``H_x x^(j) + (terms in lower derivatives)``, so one Taylor-mode
    pass (:func:`jax.experimental.jet.jet`) with ``x^(j) = 0`` gives the rest and one solve with
    the already factored Jacobian gives ``x^(j)``.  Costs a few evaluations of ``H`` per order,
    against ``n + 1`` for a Jacobian.
    """
    tc = jnp.asarray(t, jnp.complex128)
    g = lambda xx, tt: hfn(xx, tt, args)
    ders = [d1]
    for j in range(2, order + 1):
        tser = [jnp.where(logm, tc, 1.0 + 0j)] + [jnp.where(logm, tc, 0j)] * (j - 1)
        ders.append(lu_solve(lu, -_curve_derivative(g, x, tc, ders + [jnp.zeros_like(x)], tser)))
    return jnp.stack(ders[1:]) if order > 1 else jnp.zeros((0,) + x.shape, x.dtype)


def _curve_derivative(g, x, t, xser, tser):
    """``d^j/ds^j g(x(s), t(s))`` at 0, ``j = len(xser)``, for the curves with derivatives
    ``xser`` and ``tser`` at 0: Taylor mode when every primitive of ``g`` has a jet rule, else
    ``j`` nested forward-mode derivatives (``2^j`` evaluations instead of ~``j``)."""
    j = len(xser)
    try:
        return jet(g, (x, t), (xser, tser))[1][j - 1]
    except (KeyError, NotImplementedError):  # a primitive without a jet rule (e.g. reduce_prod)
        pass
    fact = [1.0]
    for i in range(1, j + 1):
        fact.append(fact[-1] * i)

    def curve(s):
        xs = x + sum(xser[i] * (s ** (i + 1) / fact[i + 1]) for i in range(j))
        ts = t + sum(tser[i] * (s ** (i + 1) / fact[i + 1]) for i in range(j))
        return g(xs, ts)

    f = curve
    for _ in range(j):
        f = (lambda h: lambda s: jax.jvp(h, (s,), (jnp.ones_like(s),))[1])(f)
    return f(jnp.zeros((), x.dtype))


def _step_one(hfn, opts: TrackerOptions, s: PathState, args) -> PathState:
    """One step for one path (unbatched fields).

    The step variable is ``t`` itself, except for paths in log mode (``s.logm``:
    inside ``endgame_start`` with a valuation below ``-infinity_valuation``), where
    it is ``σ = log t`` (``dt`` then holds ``Δσ``): a diverging path ``x ≈ c t^ν`` is
    smooth in ``log t``, and steps in ``log t`` shrink ``t`` by a constant factor
    instead of crawling at step sizes proportional to ``t``.  A path leaves log mode
    when no valuation is clearly negative any more, so finite endpoints are still
    reached at ``t = 0``.
    """
    active = s.status == Status.TRACKING
    logm = s.logm
    dt = jnp.where(logm, s.dt, jnp.minimum(s.dt, s.t))
    h = -dt
    t0r = s.t

    def tmap(sig):  # t at step variable σ (σ = 0 at the current point)
        return jnp.where(logm, t0r * jnp.exp(sig), t0r + sig)

    def dxds(x, sig):  # dx/dσ = (dt/dσ) dx/dt
        tt = tmap(sig)
        return jnp.where(logm, tt, 1.0) * _tangent(hfn, x, tt.astype(jnp.complex128), args)

    k1 = jnp.where(logm, t0r, 1.0) * s.v  # the stored tangent dx/dt, scaled to the step variable
    t1 = tmap(h)
    K = taylor_order(opts)
    if opts.predictor == "hermite":
        xp = _hermite(s, logm, h, k1)
    elif K:
        # Taylor polynomial from the derivatives stored at the last accepted point.
        xp = s.x + h * k1
        hk, fact = h, 1.0
        for j in range(2, K + 1):
            hk, fact = hk * h, fact * j
            xp = xp + (hk / fact) * s.dk[j - 2]
    else:
        # RK4 predictor: three more tangents (Jacobian + solve each) per step.
        k2 = dxds(s.x + 0.5 * h * k1, 0.5 * h)
        k3 = dxds(s.x + 0.5 * h * k2, 0.5 * h)
        k4 = dxds(s.x + h * k3, h)
        xp = s.x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    # Newton corrector at t1: two iterations in a loop, so the Jacobian's code is compiled once
    # (unrolled, twice: measured ~30% longer XLA compiles of the Hermite tracker and ~10% slower
    # steps at N = 8-15; the Taylor tracker's compile is dominated by its jets).  Each iteration
    # also solves for the tangent (one more right-hand side); the second's is the new tangent.
    def newton(x, _):
        H, J, Ht = _eval_jac(hfn, x, tc, args)
        lu = lu_factor(J)
        sol = lu_solve(lu, -jnp.stack([H, Ht], axis=1))
        return x + sol[:, 0], (sol[:, 0], sol[:, 1], lu)

    tc = t1.astype(jnp.complex128)
    x2, (ds, vs, lus) = lax.scan(newton, xp, None, length=2)
    d1, d2, v_new = ds[0], ds[1], vs[1]
    x1 = xp + d1
    lu1 = (lus[0][1], lus[1][1])  # the second iteration's factorization, for the Taylor derivatives
    e1, e2 = _rel(d1, xp), _rel(d2, x1)
    finite = jnp.all(jnp.isfinite(x2)) & jnp.all(jnp.isfinite(v_new))
    # The second correction must contract, unless it is already at the accuracy
    # floor: near singular endpoints round-off (amplified by the conditioning) keeps
    # it from shrinking further even though the point is as accurate as it can be.
    accept = finite & (e1 <= opts.max_correction) & (
        (e2 <= opts.contraction * e1) | (e2 <= opts.accuracy_floor))
    # Step-size control: RK4's local error scales like dt^5, the cubic Hermite extrapolation's like dt^4.
    order = 4.0 if opts.predictor == "hermite" else (K + 1.0 if K else 5.0)
    fac = 0.8 * (opts.predictor_tol / jnp.maximum(e1, 1e-300)) ** (1.0 / order)
    fac_acc = jnp.clip(fac, 0.5, 2.0)
    fac_rej = jnp.where(jnp.isfinite(fac), jnp.clip(fac, 0.1, 0.5), 0.25)
    new_dt = jnp.where(accept, dt * fac_acc, dt * fac_rej)

    xprev = jnp.where(accept, s.x, s.xprev)
    vprev = jnp.where(accept, s.v, s.vprev)
    tprev = jnp.where(accept, s.t, s.tprev)
    x = jnp.where(accept, x2, s.x)
    v = jnp.where(accept, v_new, s.v)
    t = jnp.where(accept, t1, s.t)
    nacc = s.nacc + accept.astype(jnp.int32)
    nrej = s.nrej + (~accept).astype(jnp.int32)
    st = s._replace(x=x, v=v, t=t, dt=new_dt, nacc=nacc, nrej=nrej, xprev=xprev, vprev=vprev, tprev=tprev)

    # Endgame bookkeeping on accepted steps near t = 0: valuations, divergence.
    st = endgame_update(st, accept, opts)
    # A path whose valuations say it diverges switches to steps in log t (Δσ = Δt / t):
    # x ≈ c t^ν is smooth in log t, while steps in t would have to shrink with t.
    # It switches back once no valuation is clearly negative (finite endpoints can show a
    # transiently negative estimate), so that a finite endpoint is reached at t = 0.
    enter_log = (opts.log_endgame & accept & ~logm & (t < opts.endgame_start)
                 & (jnp.min(st.nu) < -opts.infinity_valuation))
    leave_log = accept & logm & (jnp.min(st.nu) > -opts.valuation_stable)
    new_dt = jnp.where(enter_log, new_dt / jnp.maximum(t, 1e-300), jnp.where(leave_log, new_dt * t, new_dt))
    next_log = (logm | enter_log) & ~leave_log
    new_dt = jnp.minimum(new_dt, jnp.where(next_log, opts.max_log_step, opts.max_step))
    st = st._replace(dt=new_dt, logm=next_log)
    if K:
        # Derivatives for the next prediction, in the next step's variable, at the new point
        # (with the Jacobian of the second corrector iteration, already factored).
        d1n = jnp.where(next_log, t1, 1.0) * v_new
        dk = _taylor_derivatives(hfn, x2, t1, next_log, d1n, lu1, args, K)
        st = st._replace(dk=jnp.where(accept, dk, s.dk))

    status = st.status
    status = jnp.where((status == Status.TRACKING) & (t <= 0.0), Status.ENDGAME, status)
    in_endgame = t < opts.endgame_start
    # Outside the endgame a collapsing step size is a failure; inside it, it is the
    # expected sign of a singular or diverging endpoint, which the endgame classifies.
    # The test is absolute: a path passing near a pole of the homotopy at some
    # t* > 0 legitimately needs steps of the size of its distance to the pole.
    tiny = jnp.where(next_log, new_dt < opts.min_log_step, new_dt < opts.min_step)
    status = jnp.where((status == Status.TRACKING) & tiny & ~in_endgame, Status.STEP_SIZE_TOO_SMALL, status)
    # In log t a path never reaches t = 0; once its remaining motion |t dx/dt| is below
    # the accuracy floor, the endpoint is as good as tracking can make it (the endgame
    # Newton-refines it on the target).
    settled = next_log & (t * jnp.max(jnp.abs(v)) < opts.accuracy_floor * jnp.maximum(1.0, jnp.max(jnp.abs(x))))
    status = jnp.where((status == Status.TRACKING) & in_endgame & (tiny | settled | (t < opts.endgame_min_t)),
                       Status.ENDGAME, status)
    status = jnp.where((status == Status.TRACKING) & (nacc + nrej >= opts.max_steps), Status.MAX_STEPS, status)
    status = jnp.where((status == Status.TRACKING) & ~jnp.all(jnp.isfinite(s.x)), Status.NONFINITE, status)
    st = st._replace(status=status)
    # Finished paths keep their state untouched.
    return jax.tree_util.tree_map(lambda new, old: jnp.where(
        jnp.reshape(active, (1,) * new.ndim), new, old), st, s)


def init_state(hfn, x0, args, opts: TrackerOptions, per_path: bool = False) -> PathState:
    """Initial state for a batch of start points ``x0: Complex[Array, "batch n"]`` at t = 1.

    ``per_path``: every leaf of ``args`` has a leading ``batch`` axis (one homotopy per path,
    e.g. one target sample per path), instead of one ``args`` shared by the batch."""
    B, n = x0.shape
    K = taylor_order(opts)

    def start(x, a):
        _, J, Ht = _eval_jac(hfn, x, jnp.complex128(1.0), a)
        lu = lu_factor(J)
        v = lu_solve(lu, -Ht)
        return v, (_taylor_derivatives(hfn, x, 1.0, False, v, lu, a, K) if K
                   else jnp.zeros((0, n), x.dtype))

    v0, dk = jax.vmap(start, in_axes=(0, 0 if per_path else None))(x0, args)
    bad = ~jnp.all(jnp.isfinite(v0), axis=1) | ~jnp.all(jnp.isfinite(dk), axis=(1, 2))
    dk = jnp.where(bad[:, None, None], 0.0, dk)
    f = jnp.float64
    return PathState(
        x=x0, v=jnp.where(bad[:, None], 0.0, v0),
        t=jnp.ones(B, f), dt=jnp.full(B, opts.initial_step, f),
        status=jnp.where(bad, Status.NONFINITE, Status.TRACKING).astype(jnp.int32),
        nacc=jnp.zeros(B, jnp.int32), nrej=jnp.zeros(B, jnp.int32),
        logx=jnp.zeros((B, n), f), logt=jnp.zeros(B, f), nu=jnp.zeros((B, n), f),
        ninf=jnp.zeros(B, jnp.int32), logm=jnp.zeros(B, bool),
        xprev=x0, vprev=jnp.zeros((B, n), x0.dtype), tprev=jnp.full(B, 2.0, f), dk=dk)


def advance(hfn, opts: TrackerOptions, state: PathState, args, nsteps: int, per_path: bool = False) -> PathState:
    """Run up to ``nsteps`` masked steps on the whole batch (stops early if all paths are done).

    ``per_path``: ``args`` leaves have a leading ``batch`` axis (see :func:`init_state`).
    Compiled once per ``(hfn, opts.predictor, nsteps, per_path)`` and batch shape: the other
    options are traced (see :func:`split_options`)."""
    predictor, values = split_options(opts)
    return advance_kernel(hfn, predictor, values, state, args, nsteps, per_path)


@kernel_jit(static_argnums=(0, 1, 5, 6))
def advance_kernel(hfn, predictor: str, values: tuple, state: PathState, args, nsteps: int,
                   per_path: bool = False) -> PathState:
    """The jitted :func:`advance`, options split by :func:`split_options`."""
    opts = _joined_options(predictor, values)
    step = jax.vmap(lambda s, a: _step_one(hfn, opts, s, a), in_axes=(0, 0 if per_path else None))

    def cond(c):
        k, s = c
        return (k < nsteps) & jnp.any(s.status == Status.TRACKING)

    def body(c):
        k, s = c
        return k + 1, step(s, args)

    return lax.while_loop(cond, body, (jnp.int32(0), state))[1]


@kernel_jit(static_argnums=(0, 3, 5))
def _init_state_kernel(hfn, x0, args, predictor: str, values: tuple, per_path: bool) -> PathState:
    return init_state(hfn, x0, args, _joined_options(predictor, values), per_path)


def init_state_jit(hfn, x0, args, opts: TrackerOptions, per_path: bool = False) -> PathState:
    """Jitted :func:`init_state`, compiled once per ``(hfn, opts.predictor, per_path)`` and shape."""
    predictor, values = split_options(opts)
    return _init_state_kernel(hfn, x0, args, predictor, values, bool(per_path))
