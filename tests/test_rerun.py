"""Path-jumping repair: duplicated SUCCESS endpoints are re-tracked with tighter options."""

import numpy as np

import jaxhc
from jaxhc.tracker.rerun import _merge, duplicated_paths, tightened
from jaxhc.tracker.stream import TrackResult


def _tr(status, index, x):
    P = len(status)
    z = np.zeros(P)
    return TrackResult(np.array(status, np.int8), z.astype(np.int32), z.astype(np.int32), z,
                       np.array(index), np.array(x, complex), np.zeros(len(index)), np.ones(len(index)), 0.0, 0)


def test_duplicates_found_and_merged():
    paths = _tr([1, 3, 1, 1], [0, 2, 3], [[1.0, 2.0], [1.0, 2.0 + 1e-12], [5.0, 5.0]])
    assert list(duplicated_paths(paths)) == [0, 2]
    new = _tr([1, 1], [0, 1], [[1.0, 2.0], [7.0, 7.0]])
    merged = _merge(paths, np.array([0, 2]), new)
    assert list(merged.index) == [0, 2, 3]
    assert np.allclose(merged.x, [[1, 2], [7, 7], [5, 5]])
    assert list(duplicated_paths(merged)) == []


def test_tightened_is_stricter():
    o = jaxhc.preset("default")
    t = tightened(o, 1)
    assert t.predictor_tol < o.predictor_tol and t.max_correction < o.max_correction and t.max_steps > o.max_steps


def test_near_degenerate_instance_agrees_across_gammas():
    # H=2, widths (1,1), d_x=d_y=2, sample 92: Y's entries nearly equal, a path jumped
    # with the default settings before the repair. Two γ must give the same solution set.
    data = jaxhc.sample_data(jaxhc.Architecture((1, 1), 2, 2, 1), 92)
    F = jaxhc.gradient_system(data)
    r1, r2 = jaxhc.solve(F, seed=92), jaxhc.solve(F, seed=5092)
    assert r1.nsolutions == r2.nsolutions and r1.nfailed == r2.nfailed == 0
    for x in r1.solutions:
        assert np.min(np.max(np.abs(r2.solutions - x), axis=1)) < 1e-6
    assert len(duplicated_paths(r1.paths)) == 0


def _close_pair(x, p):
    """[x1 - x0^2, x1 - x0^2 + (x0 - p0)(x0 - p0 - p1)]: roots x0 = p0 and p0 + p1, x1 = x0^2;
    the rows of the Jacobian differ by ±p1 there, so cond ~1/p1 even after row scaling."""
    import jax.numpy as jnp

    return jnp.stack([x[1] - x[0] ** 2, x[1] - x[0] ** 2 + (x[0] - p[0]) * (x[0] - p[0] - p[1])])


def test_close_distinct_roots_survive_when_certified():
    # Two distinct simple roots 1e-6 apart (relative), cond ~1e6: clustering alone cannot tell
    # them from one double root and calls both SINGULAR; certified endpoints (extended-precision
    # Newton converged at each) stay two SUCCESS roots.
    from jaxhc.endgame.finalize import resolve_multiplicity
    from jaxhc.status import Status

    d = 1e-6
    p = np.array([1.0, d], complex)
    paths = _tr([1, 1], [0, 1], [[1.0, 1.0], [1.0 + d, (1.0 + d) ** 2]])
    opts = jaxhc.preset("default")
    out, _, demoted = resolve_multiplicity(paths, _close_pair, p, opts)
    assert demoted == 2 and np.all(out.status == Status.SINGULAR)
    out, _, demoted = resolve_multiplicity(paths, _close_pair, p, opts, certified=np.array([True, True]))
    assert demoted == 0 and np.all(out.status == Status.SUCCESS)
    assert abs(out.x[1, 0] - out.x[0, 0] - d) < 1e-12


def test_certified_solutions_use_the_tighter_zero_test():
    # A root of norm 1e6 with a coordinate 2e-3 (as on Table 2 (3,2,3) m=2 sample 26): zero for the
    # double tolerance 1e-8·‖x‖, a torus point once its endpoint is certified; exact zeros stay zero.
    from jaxhc.solutions.result import Result

    x = [[1e6, 2e-3], [2e6, 0.0], [3.0, 4.0]]
    paths = _tr([1, 1, 1], [0, 1, 2], x)
    assert list(Result.from_paths(paths).in_torus) == [False, False, True]
    r = Result.from_paths(paths, certified=np.array([True, True, False]))
    assert list(r.in_torus) == [True, False, True] and r.ntorus == 2 and r.nsolutions == 3


def test_close_ill_conditioned_pairs_are_flagged():
    import dataclasses

    from jaxhc.monodromy.solver import close_ill_conditioned

    x = [[1.0, 2.0], [1.0 + 5e-5, 2.0], [5.0, 5.0], [5.0 + 5e-5, 5.0], [9.0, 9.0]]
    paths = _tr([1, 1, 1, 1, 1], [0, 1, 2, 3, 4], x)
    paths = dataclasses.replace(paths, cond=np.array([1e13, 1e12, 10.0, 10.0, 1e13]))
    # Pair (0, 1) is close and ill-conditioned; (2, 3) is close but well-conditioned (path jumping,
    # handled elsewhere); 4 is alone.
    assert list(close_ill_conditioned(paths, 1e4)) == [0, 1]
