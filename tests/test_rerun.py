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
