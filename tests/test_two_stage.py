"""solver=total_degree's default: all total-degree paths once at generic complex data, then a
parameter homotopy per sample.  Checked against two other methods."""

import numpy as np

from jaxhc import Architecture, gradient_system, preset, sample_data, solve
from jaxhc.monodromy import MonodromySolver
from jaxhc.theorem5 import Theorem5Solver


def _same_set(a, b, tol=1e-6):
    """Every row of ``a`` matches a row of ``b`` (relative tolerance) and the sizes agree."""
    if len(a) != len(b):
        return False
    for x in a:
        d = np.max(np.abs(b - x[None]), axis=1) / max(1.0, np.max(np.abs(x)))
        if d.min() > tol:
            return False
    return True


def test_generic_total_degree_then_parameter_homotopy():
    arch = Architecture((1,), 2, 2, 1)
    solver = MonodromySolver(arch, preset("default"), {"generic": "total_degree", "name": "total_degree"})
    g = solver.generic
    assert g.meta["paths"] == arch.cbb and g.meta["failed_paths"] == 0 and not g.heuristic_stop
    # Ordinary sample: the same solutions as the direct total-degree solve of that sample.
    d = sample_data(arch, 3)
    r, s = solver(d, 3), solve(gradient_system(d), seed=3)
    assert r.info["solver"] == "total_degree" and r.nfailed == 0 and s.nfailed == 0
    assert _same_set(r.solutions, s.solutions)
    # Sample 84 (two nearly equal entries of Λ_2): four critical points of norm ~5e4 with
    # condition number ~5e10, which direct total-degree paths cannot tell from divergence.
    # The parameter homotopy ends on them; Theorem 5's (w, u) homotopy finds the same set.
    d = sample_data(arch, 84)
    r, t = solver(d, 84), Theorem5Solver(arch)(d, 84)
    assert r.nfailed == 0 and np.max(np.abs(r.solutions)) > 1e4
    assert (r.nsolutions, r.ntorus) == (t.nsolutions, t.ntorus)
    assert _same_set(r.solutions, t.solutions)
