"""Trace test (jaxhc.monodromy.trace): certifies complete monodromy sets, refutes incomplete ones."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxhc.monodromy.core import monodromy_solve
from jaxhc.monodromy.solver import compute_generic_set
from jaxhc.monodromy.trace import _slice_start, pencil_system, slice_system, trace_test
from jaxhc.system.network import architecture


@pytest.fixture(scope="module")
def small():
    """H = m = 1, widths (1,), d_x = d_y = 1: Theorem 5 says 4 torus points, and monodromy reaches them."""
    arch = architecture([1], 1, 1, 1)
    mr = monodromy_solve(arch, seed=1, bound=None)
    assert mr.nsolutions == 4  # the Theorem-5 count (an independent closed form)
    return arch, mr


@pytest.mark.parametrize("direction", ["lambda", "all"])
def test_complete_set_is_certified(small, direction):
    arch, mr = small
    r = trace_test(arch, mr.solutions, mr.params, seed=0, direction=direction)
    assert r.complete is True
    assert r.trace < 1e-10
    assert r.failed == 0 and r.n_slice > 0


@pytest.mark.parametrize("drop", [0, 3])
def test_missing_point_is_detected(small, drop):
    arch, mr = small
    S = np.delete(mr.solutions, drop, axis=0)
    r = trace_test(arch, S, mr.params, seed=0)
    assert r.complete is False
    assert r.trace > 1e-4  # the missing point's own non-linear path, far above rounding


def test_m2_network_certified_and_refuted():
    """m = 2 (no Theorem 5): the trace certifies the monodromy set and refutes it without one orbit."""
    arch = architecture([1], 2, 1, 2)
    mr = monodromy_solve(arch, seed=2)
    assert mr.nsolutions > 0
    assert trace_test(arch, mr.solutions, mr.params, seed=1).complete is True
    # Drop a whole sign-flip orbit (monodromy's set is grouped by orbit, |G| = 2 here).
    assert trace_test(arch, mr.solutions[2:], mr.params, seed=1).complete is False


def test_start_pair_solves_slice_and_pencil():
    arch = architecture([2], 2, 2, 2)
    rng = np.random.default_rng(0)
    z0, q0 = _slice_start(arch, rng, np.ones(arch.nparams))
    r = np.asarray(slice_system(arch).fn(jnp.asarray(z0), jnp.asarray(q0)))
    assert np.max(np.abs(r)) < 1e-12
    # The pencil at t = 0 vanishes on the slice points (a·x = 1) and on λ = 0 fibre points.
    q = np.concatenate([[0.0], q0]).astype(np.complex128)
    assert np.max(np.abs(np.asarray(pencil_system(arch).fn(jnp.asarray(z0), jnp.asarray(q))))) < 1e-12


def test_bad_direction():
    arch, = (architecture([1], 1, 1, 1),)
    with pytest.raises(ValueError, match="direction"):
        trace_test(arch, np.ones((1, arch.N)), np.ones(arch.nparams), direction="x")


def test_generic_set_certified_by_trace():
    """compute_generic_set(trace_max_points>0): an m = 2 network's strata certified by trace tests."""
    arch = architecture([1], 1, 1, 2)
    g = compute_generic_set(arch, seed=0, use_bounds=False, trace_max_points=64)
    red = g.meta["reduced"]
    assert red and all(v["certified_by"] in ("trace", "empty") for v in red.values())
    assert any(v["certified_by"] == "trace" for v in red.values())
    assert not g.heuristic_stop
