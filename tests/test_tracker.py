"""The tracker against independent truth: numpy.roots, Bézout counts, exact algebra."""

import numpy as np
import pytest
import sympy as sp

import jaxhc
from jaxhc import Status, from_sympy, polynomial_system, solve


def _match(a, b, tol):
    """Every point of a has a distinct partner in b within tol (greedy on sorted distances)."""
    a, b = np.asarray(a), np.asarray(b)
    assert len(a) == len(b)
    used = set()
    for x in a:
        d = [np.max(np.abs(x - y)) if j not in used else np.inf for j, y in enumerate(b)]
        j = int(np.argmin(d))
        assert d[j] < tol, (x, b)
        used.add(j)


@pytest.mark.parametrize("seed", [0, 1])
def test_univariate_against_numpy_roots(seed):
    rng = np.random.default_rng(seed)
    deg = 7
    c = rng.standard_normal(deg + 1) + 1j * rng.standard_normal(deg + 1)  # c[k] x^k
    sys_ = polynomial_system([np.arange(deg + 1)[:, None]], [c])
    res = solve(sys_, seed=seed)
    assert res.nsolutions == deg and res.nfailed == 0
    _match(res.solutions[:, 0], np.roots(c[::-1]), 1e-8)
    assert np.all(res.residuals < 1e-10)


def _dense_system(rng, degrees=(2, 3, 2)):
    """A dense system in len(degrees) unknowns with random complex coefficients (Bézout count prod(degrees))."""
    n = len(degrees)
    sups, coefs = [], []
    for d in degrees:
        mons = [e for e in np.ndindex(*(d + 1,) * n) if sum(e) <= d]
        sups.append(np.array(mons))
        coefs.append(rng.standard_normal(len(mons)) + 1j * rng.standard_normal(len(mons)))
    return polynomial_system(sups, coefs)


def test_dense_system_attains_bezout():
    res = solve(_dense_system(np.random.default_rng(3)), seed=1)
    assert res.nsolutions == 12 and res.nat_infinity == 0 and res.nfailed == 0
    assert np.all(res.conds < 1e8)


def test_singular_endpoints_classified():
    x = sp.Symbol("x")
    res = solve(from_sympy([(x - 1) ** 2 * (x + 2)], [x]), seed=0)
    st = res.paths.status
    assert np.sum(st == Status.SINGULAR) == 2 and np.sum(st == Status.SUCCESS) == 1
    assert res.nsolutions == 1 and abs(res.solutions[0, 0] + 2) < 1e-10
    assert res.nsingular == 1 and abs(res.singular_points[0, 0] - 1) < 1e-4


def test_singular_in_two_variables():
    # A double root at the origin of {x^2 + y^2 - 2y... }: tangency of two conics.
    x, y = sp.symbols("x y")
    res = solve(from_sympy([x**2 + (y - 1) ** 2 - 1, x**2 + (y - 2) ** 2 - 4], [x, y]), seed=2)
    # Circles tangent at the origin: (0, 0) has multiplicity 4 - 0... exact: solve gives y=0 only.
    st = res.paths.status
    assert res.nsolutions == 0
    assert np.sum(st == Status.SINGULAR) + np.sum(st == Status.AT_INFINITY) == 4
    assert np.sum(st == Status.SINGULAR) >= 2
    assert np.all(np.abs(res.singular_points) < 1e-3)


def test_paths_at_infinity_classified():
    x, y = sp.symbols("x y")
    # Bézout 4, but subtracting gives x = 3: one finite solution, three paths diverge.
    res = solve(from_sympy([x * y - 1, x * y - x + 2], [x, y]), seed=0)
    assert res.nsolutions == 1 and res.nat_infinity == 3 and res.nfailed == 0
    _match(res.solutions, np.array([[3.0, 1 / 3]]), 1e-10)


def test_batched_equals_one_at_a_time():
    rng = np.random.default_rng(5)
    sups = [np.array([e for e in np.ndindex(3, 3) if sum(e) <= 2])] * 2
    coefs = [rng.standard_normal(6) + 1j * rng.standard_normal(6) for _ in range(2)]
    F = polynomial_system(sups, coefs)
    G = jaxhc.total_degree_system(F.degrees)
    h = jaxhc.straight_line(F, G, np.exp(0.3j))
    starts = jaxhc.TotalDegreeStarts(F.degrees)
    batched = jaxhc.track(h, starts, keep="all", batch_size=4)
    single = [jaxhc.track(h, starts[[i]], keep="all", batch_size=1) for i in range(len(starts))]
    for i, r in enumerate(single):
        assert r.status[0] == batched.status[i] == Status.SUCCESS
        assert np.max(np.abs(r.x[0] - batched.x[i])) < 1e-12
        assert r.nacc[0] == batched.nacc[i]


def test_presets_and_option_errors():
    assert jaxhc.preset("conservative").predictor_tol < jaxhc.preset("fast").predictor_tol
    with pytest.raises(ValueError, match="unknown tracker preset"):
        jaxhc.preset("bogus")
    with pytest.raises(ValueError, match="unknown tracker options"):
        jaxhc.preset("default", nonsense=1)


def test_polynomial_system_validation():
    with pytest.raises(ValueError, match="shape"):
        polynomial_system([np.array([[1, 0]])])
    with pytest.raises(ValueError, match="coefficients"):
        polynomial_system([np.array([[1]])], [np.array([1.0, 2.0])])


def test_scaled_condition_number():
    from jaxhc.endgame.finalize import scaled_cond

    # f = (x1 - 1, 1e-8 (x2 - 1e8)): a regular root at (1, 1e8) whose Jacobian diag(1, 1e-8) has
    # sigma_max/sigma_min = 1e8 only because of the scales of x2 and of f2.
    J = np.diag([1.0, 1e-8]).astype(complex)
    x = np.array([1.0, 1e8], complex)
    assert np.linalg.cond(J) > 1e7 and abs(float(scaled_cond(J, x)) - 1.0) < 1e-12
    # A rank-deficient Jacobian stays singular in every scaling.
    assert float(scaled_cond(np.ones((2, 2), complex), x)) > 1e15


def test_ill_conditioned_simple_root_counts_once():
    # (1, 1) is a simple root with scaled condition number ~1e12 > singular_cond: the lines
    # x + y = 2 and x + (1+d) y = 2 + d meet at a tiny angle.  One path ends there and no other,
    # so it is a root of multiplicity 1 (a double root would be the end of two paths).
    x, y = sp.symbols("x y")
    d = sp.Rational(1, 10**12)
    polys = [x + y - 2, x + (1 + d) * y - (2 + d)]
    assert sp.solve(polys, [x, y], dict=True) == [{x: 1, y: 1}]
    res = solve(from_sympy(polys, [x, y]), seed=0)
    assert res.nsolutions == 1 and res.nsingular == 0 and res.nfailed == 0
    assert res.info["promoted_isolated"] == 1 and res.conds.max() > 1e10
    assert np.max(np.abs(res.solutions[0] - 1.0)) < 1e-3


@pytest.mark.parametrize("predictor,tol", [("hermite", 1e-5), ("hermite", 1e-3), ("taylor3", 1e-3),
                                           ("taylor4", 1e-5), ("taylor4", 1e-3)])
def test_cheap_predictors_find_the_same_roots(predictor, tol):
    # The cubic Hermite predictor (no extra Jacobians) and the Taylor predictors (derivatives by
    # Taylor-mode AD) against numpy.roots and the Bézout count, with the default tolerance and
    # the loose one the monodromy first pass uses.
    rng = np.random.default_rng(5)
    deg = 7
    c = rng.standard_normal(deg + 1) + 1j * rng.standard_normal(deg + 1)
    opts = jaxhc.preset("default", predictor=predictor, predictor_tol=tol)
    res = solve(polynomial_system([np.arange(deg + 1)[:, None]], [c]), options=opts, seed=0)
    assert res.nsolutions == deg and res.nfailed == 0
    _match(res.solutions[:, 0], np.roots(c[::-1]), 1e-8)
    sys3 = _dense_system(rng)
    a = solve(sys3, options=opts, seed=1)
    b = solve(sys3, seed=1)
    assert a.nsolutions == b.nsolutions == 12 and a.nfailed == 0
    _match(a.solutions, b.solutions, 1e-8)


def test_unknown_predictor_refused():
    with pytest.raises(ValueError, match="predictor"):
        jaxhc.preset("default", predictor="euler")


def test_taylor_derivatives_match_the_analytic_path():
    # H(x, t) = x^2 - (1 + t): the path from x = sqrt(2) is x(t) = sqrt(1 + t), whose
    # derivatives at t are known in closed form; in log mode (σ = log t) x(σ) = sqrt(1 + t e^σ).
    import jax.numpy as jnp
    from jax.scipy.linalg import lu_factor

    from jaxhc.tracker.core import _taylor_derivatives

    hfn = lambda x, t, args: x * x - (1.0 + t)
    t = 0.3
    x = jnp.array([np.sqrt(1 + t)], jnp.complex128)
    lu = lu_factor(jnp.array([[2 * x[0]]]))
    r = np.sqrt(1 + t)
    d1 = 0.5 / r
    got = np.asarray(_taylor_derivatives(hfn, x, t, False, jnp.array([d1], jnp.complex128), lu, (), 4))[:, 0]
    exact = [-0.25 * (1 + t) ** -1.5, 0.375 * (1 + t) ** -2.5, -0.9375 * (1 + t) ** -3.5]
    np.testing.assert_allclose(got, exact, rtol=1e-12)
    # log mode: d/dσ x = t x'(t); d²/dσ² = t x' + t² x''
    got = np.asarray(_taylor_derivatives(hfn, x, t, True, jnp.array([t * d1], jnp.complex128), lu, (), 2))[:, 0]
    np.testing.assert_allclose(got, [t * d1 + t * t * exact[0]], rtol=1e-12)


def test_refine_padded_compiles_one_kernel_per_system():
    # Any number of rows, shared or per-row parameters and any iteration count share one
    # compiled refine kernel (each shape costs ~0.5 s to compile in every process), and the
    # iteration count is honoured (0: no Newton step at all).
    import jax.numpy as jnp

    from jaxhc.endgame.finalize import refine, refine_padded

    def fn(x, p):  # a fresh function: its own entries in refine's compilation cache
        return x**3 - p[:1]

    rng = np.random.default_rng(5)
    before = refine._cache_size()
    out = {}
    for k in (3, 64, 70, 150):
        c = rng.uniform(1, 2, k) + 0j
        x0 = (np.cbrt(c.real) * (1 + 1e-4 * rng.standard_normal(k)))[:, None] + 0j
        for iters in (0, 3, 7):
            out[k, iters] = (x0, refine_padded(fn, x0, c[:, None], iters), c)
        out[k, "shared"] = refine_padded(fn, x0, jnp.asarray([1.5 + 0j]), 5)
    assert refine._cache_size() - before == 1
    for k in (3, 64, 70, 150):
        x0, r0, c = out[k, 0]
        np.testing.assert_array_equal(r0[0], x0)  # 0 iterations: the points themselves
        x7 = out[k, 7][1][0]
        np.testing.assert_allclose(x7[:, 0] ** 3, c, rtol=1e-13)
        np.testing.assert_allclose(out[k, "shared"][0][:, 0] ** 3, 1.5, rtol=1e-13)


def test_refine_padded_blocks_and_per_row_parameters():
    # Newton on x^2 - c = 0 with one c per row: blocks of REFINE_BLOCK rows and per-row
    # parameters give each row the root of its own c (analytic: sqrt(c)).
    import jax.numpy as jnp

    from jaxhc.endgame.finalize import REFINE_BLOCK, refine_padded

    def fn(x, p):
        return x**2 - p[:1]

    k = REFINE_BLOCK + 45
    rng = np.random.default_rng(3)
    c = rng.uniform(1, 4, k) + 1j * rng.uniform(-1, 1, k)
    root = np.sqrt(c)
    x0 = (root * (1 + 1e-3 * rng.standard_normal(k)))[:, None]
    xr, last, res, cond, _, scond = refine_padded(fn, x0, c[:, None], 6)
    assert xr.shape == (k, 1) and len(res) == k
    np.testing.assert_allclose(xr[:, 0], root, rtol=1e-13)
    # one shared parameter: every row goes to the same root
    xs = refine_padded(fn, x0[:20], jnp.asarray([4.0 + 0j]), 6)[0]
    np.testing.assert_allclose(xs[:, 0], 2.0, rtol=1e-13)


def _cube_family():
    """x^3 = p, a fresh function (its own entries in the kernels' compilation caches)."""
    from jaxhc.system.system import System

    return System(lambda x, p: x**3 - p[:1], 1, (3,), np.array([1.0 + 0j]), name="cube")


def test_options_differing_only_in_numbers_share_one_compiled_tracker():
    # Only the predictor is compiled in; tolerances, norms and limits are traced, so a monodromy
    # loop's options and a sample's (or the preset redo's and the conservative retries') share
    # one kernel.  Each run still follows its own step control, and every endpoint is a cube root.
    from jaxhc.homotopy.base import parameter_homotopy
    from jaxhc.tracker.core import _init_state_kernel, advance_kernel
    from jaxhc.tracker.options import preset
    from jaxhc.tracker.stream import track

    sysf = _cube_family()
    p0, p1 = np.array([1.0 + 0j]), np.array([-2.0 + 1.5j])
    starts = np.exp(2j * np.pi * np.arange(3) / 3)[:, None]
    h = parameter_homotopy(sysf, p0, p1, np.exp(0.4j))
    before = (advance_kernel._cache_size(), _init_state_kernel._cache_size())
    steps = []
    for opts in (preset("default", predictor="hermite", predictor_tol=1e-3),
                 preset("conservative", predictor="hermite", infinity_norm=1e8),
                 preset("fast", predictor="hermite", max_steps=500)):
        r = track(h, starts, opts, batch_size=8, keep="all")
        assert np.all(r.status == Status.SUCCESS)
        np.testing.assert_allclose(r.x[:, 0] ** 3, p1[0], rtol=1e-12)
        assert len(np.unique(np.round(r.x[:, 0], 6))) == 3
        steps.append(r.path_steps)
    assert (advance_kernel._cache_size(), _init_state_kernel._cache_size()) == (before[0] + 1, before[1] + 1)
    assert steps[1] > steps[0] and steps[1] > steps[2]  # the conservative preset's tighter steps


def test_monodromy_legs_run_in_the_grouped_kernel():
    # track_padded runs a plain parameter homotopy as a one-member grouped one: the kernel that
    # several samples' grouped homotopies use.  Both forms give the same endpoints as the plain
    # homotopy tracked directly.
    from jaxhc.homotopy.base import as_grouped, parameter_homotopies, parameter_homotopy
    from jaxhc.monodromy.core import track_padded
    from jaxhc.tracker.core import advance_kernel
    from jaxhc.tracker.options import preset
    from jaxhc.tracker.stream import track

    sysf = _cube_family()
    p0 = np.array([1.0 + 0j])
    starts = np.exp(2j * np.pi * np.arange(3) / 3)[:, None]
    opts = preset("default", predictor="hermite", predictor_tol=1e-3)
    targets = np.array([[-2.0 + 1.5j], [0.5 - 3j]])
    gammas = np.exp(np.array([0.4j, 1.1j]))
    plain = [track(parameter_homotopy(sysf, p0, t, g), starts, opts, batch_size=64, min_batch=64, keep="all")
             for t, g in zip(targets, gammas)]
    n0 = advance_kernel._cache_size()
    one = track_padded(parameter_homotopy(sysf, p0, targets[0], gammas[0]), starts, opts, batch_size=64)
    both = track_padded(parameter_homotopies(sysf, p0, targets, gammas, np.repeat([0, 1], 3)),
                        np.tile(starts, (2, 1)), opts, batch_size=64)
    assert advance_kernel._cache_size() - n0 == 1
    np.testing.assert_allclose(one.x, plain[0].x, atol=1e-12)
    np.testing.assert_allclose(both.x, np.concatenate([plain[0].x, plain[1].x]), atol=1e-12)
    g = as_grouped(parameter_homotopy(sysf, p0, targets[1], gammas[1]), 3)
    assert g.grouped and list(g.groups) == [0, 0, 0] and g.target_params.shape == (1, 1)
    assert as_grouped(g, 3) is g


@pytest.mark.parametrize("network", [True, False])
def test_parameter_homotopy_jacobians_match_one_forward_pass(network):
    # A parameter homotopy gives the tracker H, ∂H/∂x (the system's closed form when it has one,
    # the network gradient's Hessian here) and ∂H/∂t (one directional derivative) separately;
    # they must equal one forward-mode pass over all n + 1 directions of H(x, t) itself.
    import jax
    import jax.numpy as jnp

    from jaxhc import Architecture, sample_data
    from jaxhc.homotopy.base import parameter_homotopy
    from jaxhc.monodromy.core import arch_system
    from jaxhc.tracker.core import _eval_jac

    rng = np.random.default_rng(3)
    if network:
        a = Architecture((3,), 2, 3, 2)
        sysf, p0, p1 = arch_system(a), sample_data(a, 1).params, sample_data(a, 2).params
    else:
        x, y = sp.symbols("x y")
        sysf = from_sympy([x**3 + 2 * x * y - 1, y**2 - x + 3], [x, y])
        p0, p1 = sysf.params, sysf.params + rng.standard_normal(sysf.params.size)
    h = parameter_homotopy(sysf, p0, p1, np.exp(0.9j))
    assert hasattr(h.fn, "value_and_jacobians")
    plain = lambda z, t, args: h.fn(z, t, args)  # no closed form: the generic forward-mode pass
    args = tuple(jnp.asarray(v) for v in h.args)
    for t in (1.0, 0.37, 0.0):
        z = jnp.asarray(rng.standard_normal(h.nvars) + 1j * rng.standard_normal(h.nvars))
        tc = jnp.complex128(t)
        got = jax.jit(lambda z, tc: _eval_jac(h.fn, z, tc, args))(z, tc)
        ref = jax.jit(lambda z, tc: _eval_jac(plain, z, tc, args))(z, tc)
        for g, r in zip(got, ref):
            assert float(jnp.max(jnp.abs(g - r))) <= 1e-12 * max(1.0, float(jnp.max(jnp.abs(r))))
