"""Sign-flip orbits: canonical forms, the orbit map, and the exact equivariance it relies on."""

import numpy as np
import pytest

from jaxhc.monodromy.core import orbits
from jaxhc.monodromy.orbits import OrbitMap, canonical_signs
from jaxhc.strata import enumerate_strata, sign_group
from jaxhc.system.gradient import gradient_function
from jaxhc.system.network import Architecture, sample_data

ARCHS = [Architecture((2,), 3, 2, 2), Architecture((2, 2), 1, 2, 1), Architecture((3,), 2, 1, 1)]


def _cplx(rng, *shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.label())
def test_gradient_is_exactly_equivariant(arch):
    # Bitwise: the orbit map copies tracked paths to the other orbit points, so the
    # flipped computation must be the same floating-point computation up to signs.
    rng = np.random.default_rng(1)
    fn = gradient_function(arch)
    p = sample_data(arch, 3).params
    G = sign_group(arch)
    w = _cplx(rng, arch.N)
    f = np.asarray(fn(w, p))
    for g in G:
        assert np.array_equal(np.asarray(fn(g * w, p)), g * f)


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.label())
def test_canonical_form_is_constant_on_orbits(arch):
    rng = np.random.default_rng(2)
    G = sign_group(arch)
    x = _cplx(rng, 5, arch.N)
    xc, g = canonical_signs(arch, x)
    np.testing.assert_array_equal(G[g] * x, xc)
    for k in rng.integers(len(G), size=6):
        yc, _ = canonical_signs(arch, G[k] * x)
        np.testing.assert_array_equal(yc, xc)


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.label())
def test_orbit_map_on_torus_and_strata_points(arch):
    # Whole orbits of random torus points, plus points with dead neurons (smaller orbits:
    # the dead neuron's flip fixes them) and the origin.
    rng = np.random.default_rng(3)
    G = sign_group(arch)
    reps = [_cplx(rng, arch.N) for _ in range(3)]
    pts = [orbits(np.array(reps), G)]
    nstrata_orbits = 0
    for s in enumerate_strata(arch)[1:-1][:3]:  # strata with some neurons removed
        y = s.embed(_cplx(rng, 1, s.reduced.N))
        pts.append(np.unique(orbits(y, G), axis=0))
        nstrata_orbits += 1
    pts.append(np.zeros((1, arch.N), complex))
    X = rng.permutation(np.concatenate(pts))
    om = OrbitMap.build(arch, X)
    assert om.norbits == len(reps) + nstrata_orbits + 1
    np.testing.assert_array_equal(om.images(X[om.rep]), X)
    # expand() maps per-orbit results back: here the "endpoints" are the representatives themselves.
    assert sorted(np.bincount(om.cls)) == sorted(len(np.unique(orbits(X[r][None], G), axis=0)) for r in om.rep)


def test_trivial_map():
    arch = ARCHS[0]
    X = _cplx(np.random.default_rng(0), 4, arch.N)
    om = OrbitMap.trivial(arch, len(X))
    assert om.norbits == 4
    np.testing.assert_array_equal(om.images(X), X)
