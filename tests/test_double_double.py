"""Double-double arithmetic and the batched mixed-precision tracker, against exact arithmetic
(fractions, FLINT at 60 digits), exact roots and the host-side mpmath tracker."""

from fractions import Fraction

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

from jaxhc.status import Status
from jaxhc.system.gradient import gradient_function, gradient_function_flint, gradient_function_mp
from jaxhc.system.network import Architecture, sample_data
from jaxhc.tracker.dd_tracker import track_dd
from jaxhc.tracker.double_double import (COMPILER_OPTIONS, concat, dd_from_complex, gradient_function_dd, two_prod,
                                         two_sum)
from jaxhc.tracker.mixed_precision import track_mixed
from test_mixed_precision import cancel, near_singular_linear  # the same test systems, in JAX


def test_error_free_transformations_are_exact():
    # s + e = a + b exactly; p + e = a b to 2^-106 relative (exact unless both low halves have
    # 27 bits), over 60 orders of magnitude: no fused multiply-add or reassociation broke them.
    rng = np.random.default_rng(0)
    a = rng.standard_normal(3000) * np.exp(rng.uniform(-70, 70, 3000))
    b = rng.standard_normal(3000) * np.exp(rng.uniform(-70, 70, 3000))
    for opts in (COMPILER_OPTIONS, None):  # as the tracker compiles them, and with XLA's defaults
        _check_eft(a, b, opts)


def _check_eft(a, b, opts):
    s, e = map(np.asarray, jax.jit(two_sum, compiler_options=opts)(a, b))
    p, f = map(np.asarray, jax.jit(two_prod, compiler_options=opts)(a, b))
    for i in range(len(a)):
        fa, fb = Fraction(float(a[i])), Fraction(float(b[i]))
        assert Fraction(float(s[i])) + Fraction(float(e[i])) == fa + fb
        assert abs(Fraction(float(p[i])) + Fraction(float(f[i])) - fa * fb) <= abs(fa * fb) * Fraction(1, 2**106)


@pytest.mark.parametrize("arch", [Architecture((3,), 2, 3, 2), Architecture((2, 2), 3, 2, 1)])
def test_gradient_to_32_digits(arch):
    # The gradient system in double-double against FLINT at 60 digits, at weights of size ~30
    # (terms ~1e6 cancel): 1e-30 relative to the largest entry, where double gets ~1e-16.
    import flint

    rng = np.random.default_rng(arch.N)
    w = 30 * (rng.standard_normal(arch.N) + 1j * rng.standard_normal(arch.N))
    p = np.asarray(sample_data(arch, 2).params)
    r = jax.jit(gradient_function_dd(arch), compiler_options=COMPILER_OPTIONS)(w, p)
    old, flint.ctx.dps = flint.ctx.dps, 60
    try:
        ex = gradient_function_flint(arch)([flint.acb(z.real, z.imag) for z in w], [flint.acb(z.real, z.imag) for z in p])
        parts = [np.asarray(a) for a in (r.rh, r.rl, r.ih, r.il)]
        err = max(float((ex[i] - flint.acb(parts[0][i]) - flint.acb(parts[1][i])
                         - flint.acb(0, parts[2][i]) - flint.acb(0, parts[3][i])).mid().abs_upper()) for i in range(arch.N))
        scale = max(float(abs(z).mid()) for z in ex)
    finally:
        flint.ctx.dps = old
    assert err < 1e-30 * scale
    assert np.max(np.abs(np.asarray(gradient_function(arch)(w, p)) - np.asarray(r.to_complex()))) > 1e-20 * scale


def cancel_dd(x, p):
    return concat([x[0:1] - p[0:1], p[1:2] * x[1:2] + x[0:1] * x[0:1] - p[2:3]])


@pytest.mark.parametrize("predictor", ["rk4", "hermite"])
def test_recovers_a_root_that_double_precision_cannot_resolve(predictor):
    # Root (a, b) of [x1 - a, ε x2 + x1^2 - (a^2 + ε b)], ε = 2^-43 (cond ~1e13): in double the
    # second coordinate is off by ~1e-3; double-double residuals give it to 1e-20 (then refined).
    a, b, eps = 0.75, 0.5, 2.0**-43
    p_target = np.array([a, eps, a * a + eps * b], complex)
    p_start = np.array([0.3 + 0.2j, 1.0 + 0.5j, 0.7 - 0.1j], complex)
    starts = np.array([[p_start[0], (p_start[2] - p_start[0] ** 2) / p_start[1]]] * 3)
    out = track_dd(cancel, cancel_dd, starts, p_start, p_target, np.exp(0.7j), fn_mp=cancel, predictor=predictor)
    assert len(out) == 3
    for o in out:
        assert o.status == Status.SUCCESS and o.last <= 1e-20
        with mpmath.workdps(40):
            assert abs(o.x_mp[0] - mpmath.mpf(a)) < 1e-25 and abs(o.x_mp[1] - mpmath.mpf(b)) < 1e-20


def test_same_route_and_steps_as_the_host_tracker():
    # A gradient-system parameter homotopy: track_dd and track_mixed (same γ, same step rule)
    # take the same steps and reach the same endpoints; the batch shrinks as paths finish.
    from jaxhc.monodromy.core import arch_system, random_params
    from jaxhc.solve import solve

    arch = Architecture((2,), 1, 2, 1)
    rng = np.random.default_rng(3)
    p0 = random_params(arch, rng)
    start = solve(arch_system(arch).with_params(p0), seed=1).solutions[:12]
    p1 = sample_data(arch, 5).params
    fn, fl = gradient_function(arch), gradient_function_flint(arch)
    ref = track_mixed(fn, gradient_function_mp(arch), start, p0, p1, np.exp(2.1j), fn_flint=fl)
    out = track_dd(fn, gradient_function_dd(arch), start, p0, p1, np.exp(2.1j), fn_flint=fl, steps_per_call=8)
    assert [o.status for o in out] == [o.status for o in ref] == [Status.SUCCESS] * len(start)
    assert [o.steps for o in out] == [o.steps for o in ref]
    np.testing.assert_allclose([o.x for o in out], [o.x for o in ref], rtol=0, atol=1e-14)
    assert max(o.residual for o in out) < 1e-25


def near_singular_linear_dd(x, p):
    return concat([x[0:1] + x[1:2] - p[1:2], x[0:1] + (1 + p[0:1]) * x[1:2] - p[2:3]])


def test_give_up_cond_and_time_budget():
    # cond ~4e18 at the root: the double-Jacobian stage hands the path over (ILL_CONDITIONED)
    # once cond(J) passes give_up_cond; a zero time budget stops every path (MAX_STEPS).
    p_target = np.array([1e-18, 0.0, 1e-18], complex)
    p_start = np.array([0.5 + 0.3j, 0.2 - 0.1j, 0.7 + 0.2j], complex)
    starts = np.array([[p_start[1] - 1, 1.0]])
    fn, fdd = near_singular_linear, near_singular_linear_dd
    out = track_dd(fn, fdd, starts, p_start, p_target, np.exp(0.4j), give_up_cond=1e8, fn_mp=fn)[0]
    assert out.status == Status.ILL_CONDITIONED and 1e8 < out.max_cond < 1e12 and out.t_end > 0
    out = track_dd(fn, fdd, starts, p_start, p_target, np.exp(0.4j), max_time=0.0, fn_mp=fn)[0]
    assert out.status == Status.MAX_STEPS
    with pytest.raises(ValueError, match="fn_flint or fn_mp"):
        track_dd(fn, fdd, starts, p_start, p_target, 1.0)
    assert track_dd(fn, fdd, starts[:0], p_start, p_target, 1.0, fn_mp=fn) == []


def test_dd_from_complex_keeps_both_parts():
    z = dd_from_complex(jnp.array([1.0 + 2.0j]), jnp.array([1e-20 - 3e-20j]))
    assert float(z.rh[0]) == 1.0 and float(z.rl[0]) == 1e-20 and float(z.ih[0]) == 2.0 and float(z.il[0]) == -3e-20


def test_escalation_backends_agree():
    # The solver's precision escalation on every orbit of a sample: the batched double-double
    # backend and the host-side mpmath/FLINT one give the same certified endpoints, equal to the
    # double-precision tracker's on this well-conditioned sample.
    from jaxhc.homotopy.base import parameter_homotopy
    from jaxhc.monodromy import MonodromySolver
    from jaxhc.monodromy.core import arch_system, track_padded
    from jaxhc.tracker.options import preset

    arch = Architecture((2,), 1, 2, 1)
    solver = MonodromySolver(arch, preset("default"), {"seed": 0})
    g, om = solver.generic, solver.orbit_map
    data, gamma = sample_data(arch, 0), np.exp(1.3j)
    h = parameter_homotopy(arch_system(arch), g.params, data.params, gamma)
    paths = om.expand(track_padded(h, g.solutions[om.rep], preset("default"), batch_size=64, steps_per_call=16))
    assert np.all(paths.status == Status.SUCCESS)
    rows = np.arange(len(paths.x))
    xs = {}
    for backend in ("double_double", "mpmath"):
        solver.cfg["mixed_precision_backend"] = backend
        out, info = solver._escalate(paths, g.solutions[om.rep], g.params, data, gamma, rows=rows)
        assert info["success"] == len(rows) == len(info["certified_rows"]) and info["orbits"] == om.norbits
        xs[backend] = out.x
    np.testing.assert_allclose(xs["double_double"], xs["mpmath"], rtol=0, atol=1e-13)
    np.testing.assert_allclose(xs["double_double"], paths.x, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="mixed_precision_backend"):
        MonodromySolver(arch, preset("default"), {"mixed_precision_backend": "quad"})


def test_precompile_escalation_compiles_the_one_batch_shape():
    """The sweep's prefetcher compiles the escalation's tracker ahead; any number of paths then
    runs in that one shape (a fixed batch of DD_BATCH slots, refilled), compiling nothing more."""
    from jaxhc import preset
    from jaxhc.monodromy import MonodromySolver
    from jaxhc.system.gradient import gradient_function, gradient_function_mp
    from jaxhc.tracker import dd_tracker
    from jaxhc.tracker.double_double import gradient_function_dd

    arch = Architecture((2,), 1, 2, 1)
    solver = MonodromySolver(arch, preset("default"), {"seed": 0, "mixed_precision_max_paths": 16})
    data = sample_data(arch, 0)
    assert solver.precompile_escalation(data) > 0
    cfg = dd_tracker.DDConfig(give_up_cond=1e14, predictor="hermite")
    init, advance = dd_tracker._kernels(gradient_function(arch), gradient_function_dd(arch), cfg)
    assert (init._cache_size(), advance._cache_size()) == (1, 1)
    g = solver.generic
    starts = g.solutions[solver.orbit_map.rep][: 2 * dd_tracker.DD_BATCH + 3]
    out = solver._stage1(starts, g.params, data, np.exp(0.3j), 600.0, gradient_function_mp(arch), None)
    assert len(out) == len(starts) and all(o.status == 1 for o in out)
    assert (init._cache_size(), advance._cache_size()) == (1, 1)
    mp = MonodromySolver(arch, preset("default"), {"seed": 0, "mixed_precision_backend": "mpmath"})
    assert mp.precompile_escalation(sample_data(arch, 0)) == 0.0
