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

Iterative refinement with a double Jacobian stops contracting once eps·cond
reaches 1.  Roots that close to the discriminant (cond 4.8e16 at norm 7.4e5,
measured on Table 2 (3,2,2) m=2 sample 37, det X = −0.0096) need
``jacobian="extended"``: Jacobians, tangents and solves in ``dps`` digits too
(Jacobian by forward differences with step 10^(−dps/2), ~N+1 residuals).  Such
paths also need an on-path predictor: off the solution curve the tangent field
−J⁻¹F_t changes by ~cond·δ for a distance δ, so RK4's intermediate stages are
worse than Euler there (measured: RK4 6e-6 against Euler 1e-6 at h = 1e-3 t).
``predictor="hermite"`` extrapolates the cubic Hermite interpolant of the last
two accepted points and their tangents, which uses on-path data only (one
tangent per step): 142 steps from t = 1.2e-3 to 0 where RK4 took 4,600 steps
to reach t = 1.1e-4.

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
from ..system.system import value_and_jacobian

__all__ = ["MixedPath", "track_mixed"]


@dataclasses.dataclass
class MixedPath:
    """Outcome of one mixed-precision path.

    ``x``: endpoint in double; ``x_mp``: the same in extended precision
    (object array of ``mpmath.mpc``); ``last``: last relative Newton correction at t = 0;
    ``max_cond``: largest condition number of the double Jacobian at the accepted points
    where it was computed (NaN where the tangent came from the extended Jacobian only);
    ``time``: seconds spent on this path.
    """

    status: Status
    x: np.ndarray
    x_mp: np.ndarray
    t_end: float
    steps: int
    rejected: int
    last: float
    residual: float
    max_cond: float = float("nan")
    time: float = float("nan")


@functools.lru_cache(maxsize=None)
def _double_kernels(fn):
    """Jitted ``J_x`` and ``(J_x, F_p·dp)`` of ``fn(x, p)`` in double (cached per system)."""

    @jax.jit
    def jac_x(x, p):
        return value_and_jacobian(fn, x, p)[1]

    @jax.jit
    def jac_and_dt(x, p, dp):
        J = value_and_jacobian(fn, x, p)[1]
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


def _flint(backend: str):
    """The python-flint module for ``backend`` "auto" (None if not installed), "flint" or "mpmath" (None)."""
    if backend == "mpmath":
        return None
    try:
        import flint
    except ImportError:
        if backend == "flint":
            raise
        return None
    return flint


class _flint_dps:
    """Context manager: FLINT's working precision set to ``dps`` digits (no-op without flint)."""

    def __init__(self, flint, dps):
        self.flint, self.dps = flint, dps

    def __enter__(self):
        if self.flint is not None:
            self.old, self.flint.ctx.dps = self.flint.ctx.dps, self.dps

    def __exit__(self, *exc):
        if self.flint is not None:
            self.flint.ctx.dps = self.old


def _solve_ext(cols, b, dps: int, backend: str = "auto"):
    """Solve ``J y = b`` with ``J`` given as columns of ``mpmath.mpc`` (or a ``flint.acb_mat``), in ``dps`` digits.

    With python-flint installed the LU runs in FLINT's C (``acb_mat.solve``, floating-point
    LU without error balls): 0.7 ms against mpmath's 42 ms for N = 15 at 50 digits
    (measured), which made the linear solves most of the cost of ``jacobian="extended"``.
    Without it (or with ``backend="mpmath"``), ``mpmath.lu_solve``.  Returns an object
    array of ``mpc``, or None.
    """
    import mpmath

    n = len(b)
    flint = _flint(backend)
    if flint is not None:
        old = flint.ctx.dps
        flint.ctx.dps = dps
        try:
            if isinstance(cols, flint.acb_mat):
                A = cols
            else:
                A = flint.acb_mat(n, n, [flint.acb(cols[j][i].real, cols[j][i].imag)
                                         for i in range(n) for j in range(n)])
            rhs = flint.acb_mat(n, 1, [flint.acb(v.real, v.imag) for v in b])
            y = A.solve(rhs, algorithm="approx")
            out = np.array([mpmath.mpc(y[i, 0].real, y[i, 0].imag) for i in range(n)], dtype=object)
        except ZeroDivisionError:
            return None
        finally:
            flint.ctx.dps = old
        return out if all(mpmath.isfinite(v) for v in out) else None
    J = mpmath.matrix(n, n)
    for j in range(n):
        for i in range(n):
            J[i, j] = cols[j][i]
    try:
        y = mpmath.lu_solve(J, mpmath.matrix(list(b)))
    except ZeroDivisionError:
        return None
    return np.array([y[i] for i in range(n)], dtype=object)


def track_mixed(fn, fn_mp, starts, p_start, p_target, gamma: complex, *, dps: int = 40, max_steps: int = 20000,
                initial_step: float = 0.02, max_step: float = 0.05, min_step: float = 1e-12,
                predictor_tol: float = 1e-5, max_correction: float = 1e-3, step_tol: float = 1e-14,
                final_tol: float = 1e-20, infinity_norm: float = 1e12,
                max_time: float | None = None, jacobian: str = "double",
                predictor: str | None = None, switch_cond: float = 1e10,
                give_up_cond: float | None = None, linear_solver: str = "auto",
                fn_flint=None, t_starts=None, x_mp_starts=None) -> list[MixedPath]:
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
        jacobian: ``"double"`` (jitted JAX Jacobian; iterative refinement, for cond up to
            ~1e15), ``"extended"`` (everything in ``dps`` digits; ~N+1 residuals per
            Jacobian, for roots with eps·cond > 1) or ``"auto"`` (double until its Newton
            iteration fails on a path where the extended one succeeds, or the double
            Jacobian's condition number exceeds ``switch_cond``; extended from there on).
        predictor: ``"rk4"`` (in double) or ``"hermite"`` (on-path cubic Hermite
            extrapolation, Euler on the first step); default: ``"rk4"`` with the double
            Jacobian (as measured on the samples it was tuned on), ``"hermite"`` with
            the extended one.
        give_up_cond: with ``jacobian="double"``, a path whose double Jacobian has a
            condition number above this at an accepted point stops with ILL_CONDITIONED
            (None: never).  Iterative refinement still converges there, but the RK4
            stages leave the path and the steps collapse (measured on Table 2 (3,2,3)
            m=2 sample 46: 17 orbits used the whole 600 s budget without finishing), so
            the escalation hands such paths straight to ``jacobian="auto"``.
        linear_solver: extended-precision solves with ``"flint"`` (python-flint, ~60x faster),
            ``"mpmath"``, or ``"auto"`` (flint when installed).
        fn_flint: optional, the same function on lists of ``flint.acb`` returning a list
            (e.g. :func:`jaxhc.system.gradient.gradient_function_flint`); with python-flint
            (and ``linear_solver`` not ``"mpmath"``) the residuals, extended Jacobians and
            tangents are computed with it (19x faster residuals than mpmath at N = 15; a
            stage-2 orbit of Table 2 (3,2,3) m=2 sample 46 took 11.6 s instead of 101.6 s).
        t_starts: optional, per start the ``t`` it sits at (default 1): a path can resume where
            an earlier pass on the same route stopped (its point at that ``t``), with a first
            step of at most 5% of ``t``.
        x_mp_starts: optional, per start the point in extended precision (``mpmath.mpc`` objects;
            e.g. a double-double endpoint), used instead of that row of ``starts`` (None: the row).
    Returns:
        one :class:`MixedPath` per start point.  SUCCESS means the extended-precision
        Newton iteration at t = 0 converged below ``final_tol``: a regular root.
    """
    import mpmath

    if jacobian not in ("double", "extended", "auto"):
        raise ValueError(f"jacobian must be 'double', 'extended' or 'auto', got {jacobian!r}")
    predictor = predictor or ("rk4" if jacobian == "double" else "hermite")
    if predictor not in ("rk4", "hermite"):
        raise ValueError(f"predictor must be 'rk4' or 'hermite', got {predictor!r}")
    if linear_solver not in ("auto", "flint", "mpmath"):
        raise ValueError(f"linear_solver must be 'auto', 'flint' or 'mpmath', got {linear_solver!r}")
    ext_flag = [jacobian == "extended"]  # "auto": per path, switched on by velocity() or newton() below
    jac_x, jac_and_dt = _double_kernels(fn)
    flint = _flint(linear_solver) if fn_flint is not None else None
    with mpmath.workdps(dps), _flint_dps(flint, dps):
        fd_step = mpmath.mpf(10) ** (-(dps // 2))
        fd_step_f = None if flint is None else flint.arb(10) ** (-(dps // 2))

        def to_acb(v):
            return [flint.acb(z.real, z.imag) for z in v]

        def from_acb(v):
            return np.array([mpmath.mpc(z.real, z.imag) for z in v], dtype=object)
        ps, pt = _to_mp(p_start), _to_mp(p_target)
        g = mpmath.mpc(complex(gamma))
        p_start_d = np.asarray(p_start, np.complex128)
        p_target_d = np.asarray(p_target, np.complex128)

        def s_of(t):
            return g * t / (1 + (g - 1) * t)

        def p_mp(t):
            s = s_of(mpmath.mpf(t))
            return pt * (1 - s) + ps * s  # array on the left: mpc * ndarray goes through a slow repr-based conversion attempt first

        def p_d(t):
            s = complex(gamma) * t / (1 + (complex(gamma) - 1) * t)
            return (1 - s) * p_target_d + s * p_start_d

        def tangent(x, t):
            ds = complex(gamma) / (1 + (complex(gamma) - 1) * t) ** 2
            J, Ft = jac_and_dt(x, p_d(t), (p_start_d - p_target_d) * ds)
            try:
                return np.linalg.solve(np.asarray(J), -np.asarray(Ft))
            except np.linalg.LinAlgError:  # singular in double: the step is rejected / the path fails
                return np.full(len(x), np.nan + 0j)

        def jac_mp(xm, pm):
            """Jacobian in ``dps`` digits and F: ``fn_flint.value_and_jacobian`` when it has one,
            else by forward differences (error ~10^(-dps/2) relative).

            Returns ``J`` as a list of columns (object arrays of ``mpc``), or as a
            ``flint.acb_mat`` with ``fn_flint``, and ``F`` (object array of ``mpc``)."""
            if flint is not None and hasattr(fn_flint, "value_and_jacobian"):
                # The closed form (the network's Hessian): exact at this precision, and one pass
                # instead of N + 1 residuals (0.29 ms against 1.7 ms at N = 15, 50 digits).
                f0a, J = fn_flint.value_and_jacobian(to_acb(xm), to_acb(pm))
                return J, from_acb(f0a)
            if flint is not None:
                xa, pa = to_acb(xm), to_acb(pm)
                f0a = fn_flint(xa, pa)
                n = len(xa)
                J = flint.acb_mat(len(f0a), n)
                for j in range(n):
                    hj = fd_step_f * max(1.0, abs(complex(xm[j])))
                    xj = list(xa)
                    xj[j] = xa[j] + hj
                    fj = fn_flint(xj, pa)
                    for i in range(len(f0a)):
                        J[i, j] = (fj[i] - f0a[i]) / hj
                return J, from_acb(f0a)
            f0 = np.asarray(fn_mp(xm, pm), dtype=object).ravel()
            cols = []
            for j in range(len(xm)):
                hj = fd_step * max(1, abs(xm[j]))
                xj = xm.copy()
                xj[j] = xj[j] + hj
                cols.append((np.asarray(fn_mp(xj, pm), dtype=object).ravel() - f0) / hj)
            return cols, f0

        def solve_mp(cols, b):
            """``J y = b`` in ``dps`` digits (``J`` as columns); None if ``J`` is singular."""
            return _solve_ext(cols, b, dps, linear_solver)

        def tangent_mp(xm, t):
            """dx/dt in ``dps`` digits (extended Jacobian; F_t by a forward difference in p)."""
            tm = mpmath.mpf(t)
            pm = p_mp(t)
            J, f0 = jac_mp(xm, pm)
            dp = (ps - pt) * (g / (1 + (g - 1) * tm) ** 2)
            if flint is not None:
                f1 = from_acb(fn_flint(to_acb(xm), to_acb(pm + dp * fd_step)))
            else:
                f1 = np.asarray(fn_mp(xm, pm + dp * fd_step), dtype=object).ravel()
            Ft = (f1 - f0) / fd_step
            return solve_mp(J, -Ft)

        def newton(xm, t, pm, tol, iters, max_first=None):
            """Newton at fixed t; returns (x, converged, first, last).  With ``jacobian="auto"``
            a failure with the double Jacobian is retried with the extended one, which then
            stays on for the rest of the path (cond only grows towards such roots)."""
            out = newton1(xm, t, pm, tol, iters, max_first, ext_flag[0])
            if not out[1] and jacobian == "auto" and not ext_flag[0]:
                out = newton1(xm, t, pm, tol, iters, max_first, True)
                ext_flag[0] = out[1]  # a step that only the extended Jacobian can correct
            return out

        def newton1(xm, t, pm, tol, iters, max_first, extended):
            first = last = np.inf
            for k in range(iters):
                xd = _to_c(xm)
                if extended:
                    Jm, r = jac_mp(xm, pm)
                    dxm = solve_mp(Jm, -r)
                    if dxm is None:
                        return xm, False, first, np.inf
                    dx = _to_c(dxm)
                else:
                    r = _to_c(fn_mp(xm, pm) if flint is None else from_acb(fn_flint(to_acb(xm), to_acb(pm))))
                    J = np.asarray(jac_x(xd, p_d(t)))
                    try:
                        dx = np.linalg.solve(J, -r)
                    except np.linalg.LinAlgError:
                        return xm, False, first, np.inf
                    dxm = None
                if not np.all(np.isfinite(dx)):
                    return xm, False, first, np.inf
                rel = _rel(dx, xd)
                if k == 0:
                    first = rel
                    if max_first is not None and rel > max_first:
                        return xm, False, first, rel
                elif rel > 0.5 * last and rel > tol:  # must contract
                    return xm, False, first, rel
                xm = xm + (dxm if dxm is not None else _to_mp(dx))
                last = rel
                if rel <= tol:
                    return xm, True, first, last
            return xm, False, first, last

        def velocity(xm, t):
            if jacobian == "double":
                ds = complex(gamma) / (1 + (complex(gamma) - 1) * t) ** 2
                J, Ft = jac_and_dt(_to_c(xm), p_d(t), (p_start_d - p_target_d) * ds)
                J = np.asarray(J)
                cond_seen[0] = max(cond_seen[0], float(np.linalg.cond(J)))
                try:
                    return np.linalg.solve(J, -np.asarray(Ft))
                except np.linalg.LinAlgError:
                    return np.full(len(xm), np.nan + 0j)
            if jacobian == "auto" and not ext_flag[0]:
                # A double tangent carries a relative error ~eps·cond: beyond cond ~1e10 it
                # limits the Hermite predictor (measured: 12,464 steps against 444 when the
                # switch waited for a Newton failure), so switch to the extended Jacobian there.
                ds = complex(gamma) / (1 + (complex(gamma) - 1) * t) ** 2
                J, Ft = jac_and_dt(_to_c(xm), p_d(t), (p_start_d - p_target_d) * ds)
                J = np.asarray(J)
                c = float(np.linalg.cond(J))
                cond_seen[0] = max(cond_seen[0], c) if np.isfinite(cond_seen[0]) else c
                if c < switch_cond:
                    return np.linalg.solve(J, -np.asarray(Ft))
                ext_flag[0] = True
            if ext_flag[0]:
                v = tangent_mp(xm, t)
                return None if v is None else _to_c(v)
            return tangent(_to_c(xm), t)

        def hermite(prev, cur, t2):
            """Cubic Hermite interpolant of (t, x, dx/dt) at two accepted points, evaluated at t2."""
            (ta, xa, va), (tb, xb, vb) = prev, cur
            D = tb - ta
            u = (t2 - ta) / D
            return ((2 * u**3 - 3 * u**2 + 1) * xa + (u**3 - 2 * u**2 + u) * D * va
                    + (-2 * u**3 + 3 * u**2) * xb + (u**3 - u**2) * D * vb)

        out = []
        cond_seen = [np.nan]
        t_start = time.perf_counter()
        for i, x0 in enumerate(np.asarray(starts, np.complex128)):
            t_path = time.perf_counter()
            ext_flag[0] = jacobian == "extended"
            cond_seen[0] = 0.0 if jacobian == "double" else np.nan
            x_ext = None if x_mp_starts is None else x_mp_starts[i]
            xm = _to_mp(x0) if x_ext is None else np.array([mpmath.mpc(z) for z in x_ext], dtype=object)
            t = 1.0 if t_starts is None else float(t_starts[i])
            dt, nacc, nrej = min(initial_step, 0.05 * t) if t < 1.0 else initial_step, 0, 0
            status = Status.TRACKING
            v = velocity(xm, t)
            prev = None  # (t, x, v) of the accepted point before this one (Hermite predictor)
            if v is None or not np.all(np.isfinite(v)):
                status = Status.NONFINITE
            while status == Status.TRACKING:
                if nacc + nrej >= max_steps or (max_time is not None and time.perf_counter() - t_start > max_time):
                    status = Status.MAX_STEPS
                    break
                h = min(dt, t)
                t1 = 0.0 if h >= t else t - h
                xd = _to_c(xm)
                if predictor == "rk4":
                    # RK4 in double (the corrector, not the predictor, carries the precision).
                    k1 = v
                    k2 = tangent(xd - 0.5 * h * k1, t - 0.5 * h)
                    k3 = tangent(xd - 0.5 * h * k2, t - 0.5 * h)
                    k4 = tangent(xd - h * k3, t1)
                    xp = xd - (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
                    order = 5
                elif prev is None:
                    xp, order = xd - h * v, 2  # Euler on the first step
                else:
                    xp, order = hermite(prev, (t, xd, v), t1), 4
                ok = np.all(np.isfinite(xp))
                if ok:
                    xn, ok, e1, _ = newton(_to_mp(xp), t1, p_mp(t1), step_tol, 8, max_first=max_correction)
                else:
                    e1 = np.inf
                if ok:
                    v_old = v
                    xm, nacc = xn, nacc + 1
                    fac = 0.8 * (predictor_tol / max(e1, 1e-300)) ** (1.0 / order)
                    grow = 2.0 if predictor == "rk4" else 3.0
                    dt = min(max_step, h * min(grow, max(0.5, fac)))
                    if float(np.max(np.abs(_to_c(xm)))) > infinity_norm:
                        status = Status.AT_INFINITY
                    elif t1 == 0.0:
                        status = Status.ENDGAME
                    else:
                        v = velocity(xm, t1)
                        if v is None or not np.all(np.isfinite(v)):
                            status = Status.NONFINITE
                        elif give_up_cond is not None and jacobian == "double" and cond_seen[0] > give_up_cond:
                            status = Status.ILL_CONDITIONED
                    prev, t = (t, xd, v_old), t1
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
            out.append(MixedPath(status, _to_c(xm), xm, t, nacc, nrej, float(last), res,
                                 float(cond_seen[0]), time.perf_counter() - t_path))
    return out
