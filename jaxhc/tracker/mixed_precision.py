"""Mixed-precision tracking of a few parameter-homotopy paths (host side, numpy + mpmath).

Some real samples lie close to the discriminant of the family: a few of their
critical points are regular but so ill-conditioned (condition numbers 1e12–1e14
at norms of a few thousand, measured on Table 2 (2,4,2) m=2) that in double
precision Newton's corrections drown in rounding noise (eps·cond ≈ 1e-3
relative) before the path reaches t = 0; nearby distinct roots cannot be told
apart either.  The batched double-precision tracker then stops them early
(called singular or at infinity).

Here the corrector's *residual* is evaluated in extended precision (mpmath,
``dps`` digits) while the Jacobian, the linear solves and the RK4 predictor
stay in double: each Newton step then contracts the error by about eps·cond
(iterative refinement), so the corrector converges to far below double
precision even where eps·cond is 1e-2.  Endpoints are refined at t = 0 to
``final_tol`` relative, which separates roots that double precision merges.

This is slow (milliseconds per residual), so it is meant for the handful of
paths that the batched tracker could not finish — it is the "precision
escalation" step of :class:`jaxhc.monodromy.MonodromySolver`.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import jax
import numpy as np

from ..status import Status

__all__ = ["MixedPath", "track_mixed"]


@dataclasses.dataclass
class MixedPath:
    """Outcome of one mixed-precision path.

    ``x``: endpoint in double; ``x_mp``: the same in extended precision
    (object array of ``mpmath.mpc``); ``last``: last relative Newton correction at t = 0.
    """

    status: Status
    x: np.ndarray
    x_mp: np.ndarray
    t_end: float
    steps: int
    rejected: int
    last: float
    residual: float


@functools.lru_cache(maxsize=None)
def _double_kernels(fn):
    """Jitted ``J_x`` and ``(J_x, F_p·dp)`` of ``fn(x, p)`` in double (cached per system)."""

    @jax.jit
    def jac_x(x, p):
        return jax.jacfwd(fn, holomorphic=True)(x, p)

    @jax.jit
    def jac_and_dt(x, p, dp):
        J = jax.jacfwd(fn, holomorphic=True)(x, p)
        _, Ft = jax.jvp(lambda q: fn(x, q), (p,), (dp,))
        return J, Ft

    return jac_x, jac_and_dt


def _to_mp(a):
    import mpmath

    return np.array([mpmath.mpc(complex(c)) for c in np.ravel(a)], dtype=object)


def _to_c(a):
    return np.array([complex(c) for c in a], dtype=np.complex128)


def _rel(dx, x):
    return float(np.max(np.abs(dx)) / max(1.0, float(np.max(np.abs(x)))))


def track_mixed(fn, fn_mp, starts, p_start, p_target, gamma: complex, *, dps: int = 40, max_steps: int = 20000,
                initial_step: float = 0.02, max_step: float = 0.05, min_step: float = 1e-12,
                predictor_tol: float = 1e-5, max_correction: float = 1e-3, step_tol: float = 1e-14,
                final_tol: float = 1e-20, infinity_norm: float = 1e12,
                max_time: float | None = None) -> list[MixedPath]:
    """Track ``F(x; p(s(t))) = 0`` from t = 1 to t = 0 for each row of ``starts``.

    ``p(s) = (1 - s) p_target + s p_start`` with ``s = γt / (1 + (γ - 1)t)`` — the
    same path as :func:`jaxhc.homotopy.parameter_homotopy` with this ``gamma``.

    Args:
        fn: ``fn(x, p)`` in JAX (double), e.g. ``gradient_function(arch)``.
        fn_mp: the same function on object arrays of ``mpmath.mpc``.
        starts: ``Complex[ndarray, "k n"]`` solutions at ``p_start``.
        dps: decimal digits of the residuals.
        max_steps: steps per path (20000: a path to a root of norm 2e4, cond 5e13, needed more than
            3000 accepted steps, Table 2 (3,2,3) m=2 sample 80; ``max_time`` bounds the cost).
        step_tol: relative Newton accuracy required at every accepted step.
        final_tol: relative size of the last Newton correction at t = 0 for SUCCESS.
        max_time: wall-clock budget in seconds for all paths together; paths not finished
            within it end with MAX_STEPS (the slow extended-precision residuals must not turn
            a few hopeless paths into minutes per sample).
    Returns:
        one :class:`MixedPath` per start point.  SUCCESS means the extended-precision
        Newton iteration at t = 0 converged below ``final_tol``: a regular root.
    """
    import mpmath

    jac_x, jac_and_dt = _double_kernels(fn)
    with mpmath.workdps(dps):
        ps, pt = _to_mp(p_start), _to_mp(p_target)
        g = mpmath.mpc(complex(gamma))
        p_start_d = np.asarray(p_start, np.complex128)
        p_target_d = np.asarray(p_target, np.complex128)

        def s_of(t):
            return g * t / (1 + (g - 1) * t)

        def p_mp(t):
            s = s_of(mpmath.mpf(t))
            return (1 - s) * pt + s * ps

        def p_d(t):
            s = complex(gamma) * t / (1 + (complex(gamma) - 1) * t)
            return (1 - s) * p_target_d + s * p_start_d

        def tangent(x, t):
            ds = complex(gamma) / (1 + (complex(gamma) - 1) * t) ** 2
            J, Ft = jac_and_dt(x, p_d(t), (p_start_d - p_target_d) * ds)
            return np.linalg.solve(np.asarray(J), -np.asarray(Ft))

        def newton(xm, t, pm, tol, iters, max_first=None):
            """Mixed-precision Newton at fixed t; returns (x, converged, first, last)."""
            first = last = np.inf
            for k in range(iters):
                r = _to_c(fn_mp(xm, pm))
                xd = _to_c(xm)
                J = np.asarray(jac_x(xd, p_d(t)))
                try:
                    dx = np.linalg.solve(J, -r)
                except np.linalg.LinAlgError:
                    return xm, False, first, np.inf
                if not np.all(np.isfinite(dx)):
                    return xm, False, first, np.inf
                rel = _rel(dx, xd)
                if k == 0:
                    first = rel
                    if max_first is not None and rel > max_first:
                        return xm, False, first, rel
                elif rel > 0.5 * last and rel > tol:  # must contract
                    return xm, False, first, rel
                xm = xm + _to_mp(dx)
                last = rel
                if rel <= tol:
                    return xm, True, first, last
            return xm, False, first, last

        out = []
        t_start = time.perf_counter()
        for x0 in np.asarray(starts, np.complex128):
            xm = _to_mp(x0)
            t, dt, nacc, nrej = 1.0, initial_step, 0, 0
            status = Status.TRACKING
            v = tangent(x0, t)
            while status == Status.TRACKING:
                if nacc + nrej >= max_steps or (max_time is not None and time.perf_counter() - t_start > max_time):
                    status = Status.MAX_STEPS
                    break
                h = min(dt, t)
                t1 = 0.0 if h >= t else t - h
                xd = _to_c(xm)
                # RK4 in double (the corrector, not the predictor, carries the precision).
                k1 = v
                k2 = tangent(xd - 0.5 * h * k1, t - 0.5 * h)
                k3 = tangent(xd - 0.5 * h * k2, t - 0.5 * h)
                k4 = tangent(xd - h * k3, t1)
                xp = xd - (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
                ok = np.all(np.isfinite(xp))
                if ok:
                    xn, ok, e1, _ = newton(_to_mp(xp), t1, p_mp(t1), step_tol, 8, max_first=max_correction)
                else:
                    e1 = np.inf
                if ok:
                    xm, t, nacc = xn, t1, nacc + 1
                    fac = 0.8 * (predictor_tol / max(e1, 1e-300)) ** 0.2
                    dt = min(max_step, h * min(2.0, max(0.5, fac)))
                    if float(np.max(np.abs(_to_c(xm)))) > infinity_norm:
                        status = Status.AT_INFINITY
                    elif t == 0.0:
                        status = Status.ENDGAME
                    else:
                        v = tangent(_to_c(xm), t)
                else:
                    nrej += 1
                    dt = 0.5 * h
                    if dt < min_step:
                        status = Status.STEP_SIZE_TOO_SMALL
            last = np.inf
            res = np.inf
            if status == Status.ENDGAME:
                xm, conv, _, last = newton(xm, 0.0, pt, final_tol, 60)
                status = Status.SUCCESS if conv else Status.ENDPOINT_NOT_CONVERGED
                res = float(np.max(np.abs(_to_c(fn_mp(xm, pt)))))
            out.append(MixedPath(status, _to_c(xm), xm, t, nacc, nrej, float(last), res))
    return out
