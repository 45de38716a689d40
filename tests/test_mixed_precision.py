"""Mixed-precision tracking (extended-precision residuals) against exact roots."""

import jax.numpy as jnp
import mpmath
import numpy as np

from jaxhc.homotopy.base import parameter_homotopy
from jaxhc.status import Status
from jaxhc.system.gradient import gradient_function, gradient_function_mp
from jaxhc.system.network import Architecture, sample_data
from jaxhc.system.system import System
from jaxhc.tracker.mixed_precision import track_mixed
from jaxhc.tracker.options import preset
from jaxhc.tracker.stream import track


def quad(x, p):
    """x^2 + p0 x + p1 (works on jax arrays and on object arrays of mpmath numbers)."""
    return x * x + p[0] * x + p[1]


def cancel(x, p):
    """[x1 - p0, p1 x2 + x1^2 - p2]: with tiny p1 the second row is decided by cancellation."""
    f = [x[0] - p[0], p[1] * x[1] + x[0] * x[0] - p[2]]
    return np.array(f, dtype=object) if isinstance(x, np.ndarray) and x.dtype == object else jnp.stack(f)


def test_recovers_a_root_that_double_precision_cannot_resolve():
    # Root x1 = a = 3/4, x2 = b = 1/2 of [x1 - a, ε x2 + x1^2 - (a^2 + ε b)] with ε = 2^-43:
    # every coefficient is exact in double, but evaluating x1^2 - (a^2 + ε b) in double
    # loses ~eps·a^2/ε ≈ 1e-3 of x2 (condition ~1/ε ≈ 1e13, like the near-degenerate samples).
    a, b, eps = 0.75, 0.5, 2.0**-43
    p_target = np.array([a, eps, a * a + eps * b], complex)
    p_start = np.array([0.3 + 0.2j, 1.0 + 0.5j, 0.7 - 0.1j], complex)
    starts = np.array([[p_start[0], (p_start[2] - p_start[0] ** 2) / p_start[1]]])
    gamma = np.exp(0.7j)
    sysc = System(cancel, 2, (2, 2), p_start, name="cancel")
    r = track(parameter_homotopy(sysc, p_start, p_target, gamma), starts, preset("default"), keep="all")
    double_err = abs(r.x[0, 1] - b) if r.status[0] == Status.SUCCESS else np.inf
    out = track_mixed(cancel, cancel, starts, p_start, p_target, gamma)
    assert out[0].status == Status.SUCCESS
    with mpmath.workdps(40):
        assert abs(out[0].x_mp[0] - mpmath.mpf(a)) < 1e-25
        assert abs(out[0].x_mp[1] - mpmath.mpf(b)) < 1e-20
    # ...which double precision gets only to about eps·cond.
    assert double_err > 1e-8


def test_follows_the_same_route_as_the_double_tracker():
    # A well-conditioned parameter homotopy: both trackers, same gamma, same endpoints.
    arch = Architecture((1,), 1, 1, 1)
    fn = gradient_function(arch)
    from jaxhc.monodromy.core import arch_system, random_params

    rng = np.random.default_rng(3)
    p0 = random_params(arch, rng)
    from jaxhc.solve import solve

    start = solve(arch_system(arch).with_params(p0), seed=1).solutions
    p1 = sample_data(arch, 5).params
    gamma = np.exp(2.1j)
    r = track(parameter_homotopy(arch_system(arch), p0, p1, gamma), start, preset("default"), keep="all")
    assert np.all(r.status == Status.SUCCESS)
    from jaxhc.system.gradient import gradient_function_flint

    fl = gradient_function_flint(arch)
    # mpmath residuals; FLINT residuals; every Jacobian in extended precision through FLINT.
    for kw in ({}, {"fn_flint": fl}, {"fn_flint": fl, "jacobian": "extended", "dps": 50}):
        out = track_mixed(fn, gradient_function_mp(arch), start, p0, p1, gamma, **kw)
        assert all(o.status == Status.SUCCESS for o in out), kw
        xm = np.array([o.x for o in out])
        np.testing.assert_allclose(xm, r.x, atol=1e-8)
        assert max(o.residual for o in out) < 1e-25


def test_mp_gradient_matches_jax():
    arch = Architecture((2, 1), 2, 3, 2)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(arch.N) + 1j * rng.standard_normal(arch.N)
    p = sample_data(arch, 0).params
    with mpmath.workdps(30):
        wm = np.array([mpmath.mpc(complex(c)) for c in w], object)
        pm = np.array([mpmath.mpc(complex(c)) for c in p], object)
        g_mp = np.array([complex(c) for c in gradient_function_mp(arch)(wm, pm)])
    np.testing.assert_allclose(g_mp, np.asarray(gradient_function(arch)(w, p)), rtol=1e-12, atol=1e-12)


def test_huge_root_is_reported_at_infinity():
    # x^2 - 1e4 x + 1: one root near 1e-4, one near 1e4 (beyond infinity_norm = 1e3).
    p_target = np.array([-1e4, 1.0], complex)
    p_start = np.array([0.0, -1.0], complex)
    out = track_mixed(quad, quad, np.array([[1.0], [-1.0]], complex), p_start, p_target, np.exp(0.3j),
                      infinity_norm=1e3)
    st = sorted(o.status for o in out)
    assert st == [Status.SUCCESS, Status.AT_INFINITY]


def near_singular_linear(x, p):
    """[x1 + x2 - p1, x1 + (1 + p0) x2 - p2]: with p0 = 1e-18, 1 + p0 rounds to 1 in double."""
    f = [x[0] + x[1] - p[1], x[0] + (1 + p[0]) * x[1] - p[2]]
    return np.array(f, dtype=object) if isinstance(x, np.ndarray) and x.dtype == object else jnp.stack(f)


def test_extended_jacobian_reaches_a_root_beyond_double_precision():
    # Root (-1, 1) of p = (1e-18, 0, 1e-18): cond ~4e18, so eps·cond > 1 and a double Jacobian
    # (exactly singular after rounding) cannot correct towards it; in 50 digits it is a plain solve.
    # Along the path p2 - p1 = p0, so the solution is (p1 - 1, 1) all the way (no steep part).
    p_target = np.array([1e-18, 0.0, 1e-18], complex)
    p_start = np.array([0.5 + 0.3j, 0.2 - 0.1j, 0.7 + 0.2j], complex)
    starts = np.array([[p_start[1] - 1, 1.0]])
    gamma = np.exp(0.4j)
    fn = near_singular_linear
    dbl = track_mixed(fn, fn, starts, p_start, p_target, gamma)[0]
    assert dbl.status != Status.SUCCESS
    for jac in ("extended", "auto"):
        out = track_mixed(fn, fn, starts, p_start, p_target, gamma, jacobian=jac, dps=50)[0]
        assert out.status == Status.SUCCESS, jac
        with mpmath.workdps(50):
            assert abs(out.x_mp[0] + 1) < 1e-25 and abs(out.x_mp[1] - 1) < 1e-25


def test_hermite_predictor_matches_exact_root_and_rk4_route():
    # The on-path Hermite predictor (default of the extended modes) on the cancellation system
    # above, with the double and the automatic Jacobian: the exact root again.
    a, b, eps = 0.75, 0.5, 2.0**-43
    p_target = np.array([a, eps, a * a + eps * b], complex)
    p_start = np.array([0.3 + 0.2j, 1.0 + 0.5j, 0.7 - 0.1j], complex)
    starts = np.array([[p_start[0], (p_start[2] - p_start[0] ** 2) / p_start[1]]])
    for jac in ("double", "auto"):
        out = track_mixed(cancel, cancel, starts, p_start, p_target, np.exp(0.7j), jacobian=jac, predictor="hermite")[0]
        assert out.status == Status.SUCCESS, jac
        with mpmath.workdps(40):
            assert abs(out.x_mp[0] - mpmath.mpf(a)) < 1e-25
            assert abs(out.x_mp[1] - mpmath.mpf(b)) < 1e-20


def test_bad_modes_are_refused():
    import pytest

    s = np.array([[1.0]], complex)
    with pytest.raises(ValueError, match="jacobian"):
        track_mixed(quad, quad, s, np.array([0, -1], complex), np.array([0, -2], complex), 1.0, jacobian="quad")
    with pytest.raises(ValueError, match="predictor"):
        track_mixed(quad, quad, s, np.array([0, -1], complex), np.array([0, -2], complex), 1.0, predictor="euler")
    with pytest.raises(ValueError, match="linear_solver"):
        track_mixed(quad, quad, s, np.array([0, -1], complex), np.array([0, -2], complex), 1.0, linear_solver="lapack")


def test_give_up_cond_hands_ill_conditioned_paths_over():
    # The root above has cond ~4e18: with a give-up threshold the double-Jacobian stage stops
    # as soon as its Jacobian passes it (ILL_CONDITIONED, for the extended stage to take over)
    # instead of crawling; the largest condition number seen is reported either way.
    p_target = np.array([1e-18, 0.0, 1e-18], complex)
    p_start = np.array([0.5 + 0.3j, 0.2 - 0.1j, 0.7 + 0.2j], complex)
    starts = np.array([[p_start[1] - 1, 1.0]])
    fn = near_singular_linear
    out = track_mixed(fn, fn, starts, p_start, p_target, np.exp(0.4j), give_up_cond=1e8)[0]
    assert out.status == Status.ILL_CONDITIONED and out.status.is_failure
    assert 1e8 < out.max_cond < 1e12 and out.t_end > 0 and out.time > 0
    # A well-conditioned path is not affected and reports its (small) condition number.
    a, b, eps = 0.75, 0.5, 2.0**-43
    pt = np.array([a, 0.5, a * a + 0.5 * b], complex)
    ps = np.array([0.3 + 0.2j, 1.0 + 0.5j, 0.7 - 0.1j], complex)
    s = np.array([[ps[0], (ps[2] - ps[0] ** 2) / ps[1]]])
    out = track_mixed(cancel, cancel, s, ps, pt, np.exp(0.7j), give_up_cond=1e8)[0]
    assert out.status == Status.SUCCESS and 1 <= out.max_cond < 1e3


def test_extended_stage_resumes_where_the_double_stage_gave_up():
    # The handed-over path resumes at its last point (t_end, in extended precision) on the same
    # route and reaches the same exact root as a start from t = 1, in fewer steps.
    p_target = np.array([1e-18, 0.0, 1e-18], complex)
    p_start = np.array([0.5 + 0.3j, 0.2 - 0.1j, 0.7 + 0.2j], complex)
    starts = np.array([[p_start[1] - 1, 1.0]])
    fn, g = near_singular_linear, np.exp(0.4j)
    first = track_mixed(fn, fn, starts, p_start, p_target, g, give_up_cond=1e8)[0]
    assert first.status == Status.ILL_CONDITIONED and 0 < first.t_end < 1
    full = track_mixed(fn, fn, starts, p_start, p_target, g, jacobian="auto", dps=50)[0]
    resumed = track_mixed(fn, fn, starts, p_start, p_target, g, jacobian="auto", dps=50,
                          t_starts=[first.t_end], x_mp_starts=[first.x_mp])[0]
    for out in (full, resumed):
        assert out.status == Status.SUCCESS
        with mpmath.workdps(50):
            assert abs(out.x_mp[0] + 1) < 1e-25 and abs(out.x_mp[1] - 1) < 1e-25
    assert resumed.steps < full.steps


def test_extended_solves_agree_across_backends():
    # J y = b with cond ~1e30 and the exact solution y = (1, -2, 3): both linear-solver
    # backends (FLINT's C LU and mpmath's) must return it to far below double precision.
    from jaxhc.tracker.mixed_precision import _solve_ext

    with mpmath.workdps(60):
        e = mpmath.mpf(10) ** -30
        J = [[1, 1, 0], [1, 1 + e, 2], [0, 1, 1]]
        y = [mpmath.mpf(1), mpmath.mpf(-2), mpmath.mpf(3)]
        b = np.array([mpmath.mpc(sum(J[i][j] * y[j] for j in range(3))) for i in range(3)], dtype=object)
        cols = [np.array([mpmath.mpc(J[i][j]) for i in range(3)], dtype=object) for j in range(3)]
        for backend in ("flint", "mpmath"):
            out = _solve_ext(cols, b, 60, backend)
            assert max(abs(out[k] - y[k]) for k in range(3)) < 1e-25, backend
        zero = [np.array([mpmath.mpc(0)] * 3, dtype=object)] * 3
        assert _solve_ext(zero, b, 60, "flint") is None and _solve_ext(zero, b, 60, "mpmath") is None


def test_flint_gradient_matches_mpmath():
    # gradient_function_flint (FLINT acb_mat products) against the object-array formula, H = 1, 2, 3.
    import flint

    from jaxhc.system.gradient import gradient_function_flint

    for arch in (Architecture((3,), 2, 3, 2), Architecture((2, 2), 3, 2, 1), Architecture((1, 2, 1), 2, 2, 2)):
        rng = np.random.default_rng(arch.N)
        w = rng.standard_normal(arch.N) + 1j * rng.standard_normal(arch.N)
        p = np.asarray(sample_data(arch, 1).params, complex)
        old = flint.ctx.dps
        flint.ctx.dps = 50
        try:
            with mpmath.workdps(50):
                g_mp = gradient_function_mp(arch)(np.array([mpmath.mpc(c) for c in w], object),
                                                  np.array([mpmath.mpc(c) for c in p], object))
                g_fl = gradient_function_flint(arch)([flint.acb(c.real, c.imag) for c in w],
                                                     [flint.acb(c.real, c.imag) for c in p])
                assert len(g_fl) == arch.N
                err = max(abs(g_mp[i] - mpmath.mpc(g_fl[i].real, g_fl[i].imag)) for i in range(arch.N))
        finally:
            flint.ctx.dps = old
        assert err < 1e-40, arch


def test_refine_extended_settles_an_ill_conditioned_root_and_not_a_double_one():
    # The endpoint refinement of the monodromy solver: the root (3/4, 1/2) of `cancel` with
    # cond ~1e13 is reached from a double-precision point that is off by ~1e-3 in x2 ...
    from jaxhc.tracker.dd_tracker import refine_extended

    a, b, eps = 0.75, 0.5, 2.0**-43
    p = np.array([a, eps, a * a + eps * b], complex)
    x, conv, res, cond = refine_extended(cancel, cancel, None, np.array([a, b + 1e-3]), p)
    assert conv and abs(x[0] - a) < 1e-15 and abs(x[1] - b) < 1e-15
    # ... while the double root where the parabola x2 = x1^2 touches the line x2 = 0 is refused:
    # the corrections only halve (and do get below 1e-20 within 60 steps from 1e-4), but the
    # two rows of the Jacobian become parallel there (scaled condition number ~1/|x1|).
    dbl = lambda x, p: (np.array([x[1] - x[0] * x[0], x[1] - p[0]], dtype=object) if isinstance(x, np.ndarray)
                        and x.dtype == object else jnp.stack([x[1] - x[0] * x[0], x[1] - p[0]]))
    x, conv, res, cond = refine_extended(dbl, dbl, None, np.array([1e-4, 1e-8]), np.array([0j]))
    assert abs(x[0]) < 1e-15
    assert not conv and cond > 1e14
