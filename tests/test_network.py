"""Deep linear network systems: eq. (2), Example 2, and counts against Gröbner bases."""

import numpy as np
import pytest
import sympy as sp

import jaxhc
from jaxhc import Architecture, NetworkData, gradient_sympy, gradient_system, sample_data, solve

from groebner import count_solutions, torus_count


def example2():
    a = Architecture((1,), 2, 2, 2)
    return NetworkData(a, np.array([[1, 2], [3, 4.0]]), np.array([[1, 3], [2, 4.0]]),
                       (np.array([[4, -3.0]]), np.array([[-2], [5.0]])))


def test_example2_expanded_form_is_the_papers():
    polys, (a1, a2, b1, b2) = gradient_sympy(example2())
    paper = [
        5*a1*b1**2 + 5*a1*b2**2 + 11*a2*b1**2 + 11*a2*b2**2 - 7*b1 - 10*b2 + 4*a1,
        11*a1*b1**2 + 11*a1*b2**2 + 25*a2*b1**2 + 25*a2*b2**2 - 15*b1 - 22*b2 - 3*a2,
        5*a1**2*b1 + 22*a1*a2*b1 + 25*a2**2*b1 - 7*a1 - 15*a2 - 2*b1,
        5*a1**2*b2 + 22*a1*a2*b2 + 25*a2**2*b2 - 10*a1 - 22*a2 + 5*b2,
    ]
    assert [sp.expand(p - q) for p, q in zip(polys, paper)] == [0, 0, 0, 0]


def test_example2_solution_counts():
    d = example2()
    res = solve(gradient_system(d), seed=0)
    assert (res.nsolutions, res.ntorus, res.nfailed) == (17, 16, 0)
    polys, syms = gradient_sympy(d)
    assert count_solutions(polys, syms) == 17  # independent: Gröbner basis
    assert torus_count(polys, syms) == 16


@pytest.mark.parametrize("widths,dx,dy,m", [((1,), 1, 1, 1), ((1,), 2, 1, 2), ((2,), 1, 1, 1), ((1, 1), 1, 1, 1)])
def test_small_networks_against_groebner(widths, dx, dy, m):
    a = Architecture(widths, dx, dy, m)
    rng = np.random.default_rng(7)
    # Small rational data keep the exact computation fast.
    rat = lambda shape, lo, hi: rng.integers(lo, hi, shape) / 4.0
    X, Y = rat((dx, m), -8, 9), rat((dy, m), -8, 9)
    X[X == 0], Y[Y == 0] = 1.25, -0.75
    L = tuple(rng.integers(1, 4, s) / 4.0 for s in a.shapes)
    d = NetworkData(a, X, Y, L)
    polys, syms = gradient_sympy(d)
    res = solve(gradient_system(d), seed=3)
    assert res.nfailed == 0
    assert res.nsolutions == count_solutions(polys, syms)
    assert res.ntorus == torus_count(polys, syms)


def test_jax_gradient_is_autodiff_of_loss():
    import jax

    a = Architecture((2, 3), 2, 3, 2)
    d = sample_data(a, 0)
    w = np.random.default_rng(1).standard_normal(a.N)
    g = np.asarray(gradient_system(d)(w))
    g_ad = np.asarray(jax.grad(lambda w: jaxhc.loss(a, w, d.params).real)(w))
    assert np.allclose(g, g_ad, atol=1e-10)


@pytest.mark.parametrize("widths, dx, dy, m", [((3,), 2, 3, 2), ((1,), 3, 2, 1), ((2, 2), 2, 2, 1),
                                              ((3, 2), 2, 3, 2), ((1, 2, 3), 2, 2, 2), ((2,), 1, 1, 3)])
def test_closed_form_hessian_is_autodiff_of_the_gradient(widths, dx, dy, m):
    """``value_and_hessian`` (what the trackers use) against forward-mode autodiff of the
    gradient at random complex points and parameters: the same values and the same matrix,
    which is complex symmetric."""
    import jax
    import jax.numpy as jnp

    from jaxhc.system.gradient import gradient_function, value_and_hessian

    a = Architecture(widths, dx, dy, m)
    f = gradient_function(a)
    rng = np.random.default_rng(7)
    for _ in range(3):
        w = jnp.asarray(rng.standard_normal(a.N) + 1j * rng.standard_normal(a.N))
        p = jnp.asarray(rng.standard_normal(a.nparams) + 1j * rng.standard_normal(a.nparams))
        val, hess = value_and_hessian(a, w, p)
        ref = jax.jacfwd(lambda z: f(z, p), holomorphic=True)(w)
        scale = float(jnp.max(jnp.abs(ref)))
        assert np.allclose(val, f(w, p), rtol=0, atol=1e-13 * float(jnp.max(jnp.abs(val))))
        assert hess.shape == (a.N, a.N)
        assert float(jnp.max(jnp.abs(hess - ref))) <= 1e-13 * scale
        assert float(jnp.max(jnp.abs(hess - hess.T))) <= 1e-13 * scale
    # System.jacobian goes through the closed form too
    d = sample_data(a, 0)
    w0 = jnp.asarray(rng.standard_normal(a.N) + 0j)
    ref = jax.jacfwd(lambda z: f(z, jnp.asarray(d.params, jnp.complex128)), holomorphic=True)(w0)
    assert np.allclose(gradient_system(d).jacobian(w0), ref, rtol=0, atol=1e-12 * float(jnp.max(jnp.abs(ref))))


@pytest.mark.parametrize("widths, dx, dy, m", [((3,), 2, 3, 2), ((2, 2), 2, 2, 1), ((1, 2, 3), 2, 2, 2)])
def test_extended_precision_hessian(widths, dx, dy, m):
    """``value_and_hessian_flint`` (the escalation's extended Jacobians) against the double
    closed form (tested against autodiff above) to rounding, and against forward differences
    of the extended gradient at 60 digits to ~10^-25: exact far below double precision."""
    flint = pytest.importorskip("flint")
    import jax.numpy as jnp

    from jaxhc.system.gradient import gradient_function_flint, value_and_hessian

    a = Architecture(widths, dx, dy, m)
    rng = np.random.default_rng(11)
    w = rng.standard_normal(a.N) + 1j * rng.standard_normal(a.N)
    p = rng.standard_normal(a.nparams) + 1j * rng.standard_normal(a.nparams)
    old = flint.ctx.dps
    flint.ctx.dps = 60
    try:
        fl = gradient_function_flint(a)
        wa, pa = [flint.acb(complex(z)) for z in w], [flint.acb(complex(z)) for z in p]
        F, J = fl.value_and_jacobian(wa, pa)
        assert (J.nrows(), J.ncols()) == (a.N, a.N)
        Jc = np.array([[complex(v) for v in r] for r in J.tolist()])
        val, hess = value_and_hessian(a, jnp.asarray(w), jnp.asarray(p))
        scale = float(np.max(np.abs(hess)))
        assert np.max(np.abs(Jc - np.asarray(hess))) <= 1e-13 * scale
        assert np.max(np.abs(np.array([complex(v) for v in F]) - np.asarray(val))) <= 1e-13 * float(np.max(np.abs(val)))
        # Forward differences at 60 digits (step 1e-30): error ~1e-30 relative.
        h = flint.acb(10) ** -30
        F0 = fl(wa, pa)
        worst = 0.0
        for j in range(a.N):
            wj = list(wa)
            wj[j] = wa[j] + h
            col = [(u - v) / h for u, v in zip(fl(wj, pa), F0)]
            worst = max(worst, max(abs(complex(col[i] - J[i, j])) for i in range(a.N)))
        assert worst <= 1e-25 * scale
    finally:
        flint.ctx.dps = old


def test_sampling_is_seeded():
    a = Architecture((2,), 3, 2, 2)
    d1, d2, d3 = sample_data(a, 5), sample_data(a, 5), sample_data(a, 6)
    assert np.array_equal(d1.params, d2.params) and not np.array_equal(d1.params, d3.params)
    assert np.all((d1.Lambdas[0] >= 0) & (d1.Lambdas[0] < 1))


def test_architecture_validation():
    with pytest.raises(ValueError, match="positive integer"):
        Architecture((0,), 1, 1, 1)
    with pytest.raises(ValueError, match="positive integer"):
        Architecture((1,), 1.5, 1, 1)
    with pytest.raises(ValueError, match="at least one hidden layer"):
        Architecture((), 1, 1, 1)
    a = Architecture((2,), 2, 2, 1)
    assert (a.N, a.cbb, a.theorem5_bounds) == (8, 6561, (81, 64))
    with pytest.raises(ValueError, match="X must have shape"):
        NetworkData(a, np.zeros((3, 1)), np.zeros((2, 1)), tuple(np.ones(s) for s in a.shapes))
    with pytest.raises(ValueError, match="non-finite"):
        NetworkData(a, np.array([[np.nan], [1.0]]), np.zeros((2, 1)), tuple(np.ones(s) for s in a.shapes))
    with pytest.raises(ValueError, match="regularization"):
        NetworkData(a, np.zeros((2, 1)), np.zeros((2, 1)), (np.ones((2, 2)),))
