"""Theorem-5 solver (H = 1, m = 1): residuals, agreement with the total-degree solver, path bounds."""

import math

import numpy as np
import pytest

from jaxhc import Architecture, gradient_system, sample_data, solve
from jaxhc.theorem5 import Theorem5Solver, lift, wu_path_count, wu_start_points, wu_start_system, wu_system


def _same_points(a, b, tol=1e-6):
    """a and b hold the same points (a bijection within tol, relative to max(1, |x|))."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    used = np.zeros(len(b), bool)
    for x in a:
        dist = np.max(np.abs(b - x[None, :]), axis=1) / max(1.0, np.max(np.abs(x)))
        dist[used] = np.inf
        j = int(np.argmin(dist))
        assert dist[j] < tol, f"no partner for {x}: nearest at {dist[j]}"
        used[j] = True


def _full_residual(data, x):
    return float(np.max(np.abs(np.asarray(gradient_system(data)(x))))) if len(x) else 0.0


@pytest.mark.parametrize("dnp", [(1, 2, 2), (2, 1, 2), (2, 2, 1), (3, 1, 1)])
def test_agrees_with_total_degree(dnp):
    d, n, p = dnp
    arch = Architecture((d,), n, p, 1)
    solver = Theorem5Solver(arch)
    for seed in (3,):
        data = sample_data(arch, seed)
        res = solver(data, seed)
        ref = solve(gradient_system(data), seed=seed, batch_size=128)  # one compiled batch size: fast test
        assert ref.nfailed == 0 and res.nfailed == 0
        assert (res.nsolutions, res.ntorus) == (ref.nsolutions, ref.ntorus)
        _same_points(res.solutions, ref.solutions)
        assert res.nreal == ref.nreal
        assert res.info["paths"] == res.npaths == wu_path_count(d, p) <= arch.theorem5_bounds[0]
        assert sum(res.info["patterns"].values()) == res.nsolutions
        assert res.info["patterns"]["rows:" + "1" * d] == res.ntorus


def test_residuals_patterns_and_bounds():
    arch = Architecture((3,), 2, 3, 1)  # the largest Table-1 rows: 245 critical points
    solver = Theorem5Solver(arch, cfg={"formulation": "wu"})
    data = sample_data(arch, 7)
    res = solver(data, 7)
    B_C, B_Cstar = arch.theorem5_bounds
    assert res.nfailed == 0 and res.info["rejected_candidates"] == 0
    assert res.info["paths"] <= B_C and res.nsolutions <= B_C and res.ntorus <= B_Cstar
    scale = np.maximum(1.0, np.max(np.abs(res.solutions), axis=1)) ** 3
    r = np.max(np.abs(np.asarray(gradient_system(data)(res.solutions))), axis=1)
    assert np.all(r <= 1e-9 * scale) and np.all(res.residuals <= 1e-9 * scale)
    assert np.all(res.conds < 1e10)
    # Zero patterns are unions of zero rows of W1 and the same columns of W2 (Cor. 10, Thm. 9).
    d, n, p = 3, 2, 3
    for x in res.solutions:
        A, B = x[: d * n].reshape(d, n), x[d * n :].reshape(p, d)
        s = max(1.0, np.max(np.abs(x)))
        zr = np.max(np.abs(A), axis=1) <= 1e-8 * s
        assert np.all((np.abs(A) <= 1e-8 * s) == zr[:, None])
        assert np.all((np.abs(B) <= 1e-8 * s) == zr[None, :])
    # Every stratum of size d' has C(p, d') 4^{d'} points here (the count the homotopy can reach).
    pats = res.info["patterns"]
    assert len(pats) == 2**d
    for key, c in pats.items():
        k = key.count("1")
        assert c == math.comb(p, k) * 4**k
    assert res.nsolutions == len(np.unique(np.round(res.solutions, 6), axis=0))


def test_start_points_solve_start_system_and_lift():
    d, p = 2, 2
    arch = Architecture((d,), 1, p, 1)  # shares compiled code with test_agrees_with_total_degree
    data = sample_data(arch, 0)
    G = wu_start_system(d, p, np.random.default_rng(0))
    pts, strata = wu_start_points(G, d, p)
    assert len(pts) == wu_path_count(d, p) == 1 + 2 * 2 * 2 + 1 * 1 * 4
    assert np.max(np.abs(np.asarray(G(pts)))) < 1e-10
    assert len(np.unique(np.round(pts, 8), axis=0)) == len(pts)
    for z, I in zip(pts, strata):
        assert set(np.flatnonzero(np.abs(z[:d]) > 0)) == set(I)
    # lift of an exact (w, u) solution is a critical point: check on a tracked one.
    res = Theorem5Solver(arch)(data, 0)
    F = wu_system(data)
    assert res.paths.x.shape[1] == d + p
    ok = res.paths.status[res.paths.index] == 1
    z = res.paths.x[ok][-1]
    assert np.max(np.abs(np.asarray(F(z)))) < 1e-10
    I = tuple(np.flatnonzero(np.abs(z[:d]) > 1e-10))
    assert _full_residual(data, lift(z, data, I)) < 1e-9


@pytest.mark.parametrize("H,m", [(2, 1), (1, 2)])
def test_rejects_other_architectures(H, m):
    arch = Architecture((2,) * H, 2, 2, m)
    with pytest.raises(ValueError, match="H = 1, m = 1"):
        Theorem5Solver(arch)


def test_rejects_unknown_formulation():
    with pytest.raises(ValueError, match="formulation"):
        Theorem5Solver(Architecture((1,), 1, 1, 1), cfg={"formulation": "nope"})


def test_reduced7_formulation_agrees_with_wu():
    arch = Architecture((2,), 1, 2, 1)  # d' = 2 strata carry the junk 1 + T_1 = 1 + T_2 = 0
    data = sample_data(arch, 1)
    r7 = Theorem5Solver(arch, cfg={"formulation": "reduced7"})(data, 1)
    rw = Theorem5Solver(arch)(data, 1)
    assert r7.info["formulation"] == "reduced7" and r7.npaths == arch.theorem5_bounds[0] == 81
    assert r7.nfailed == 0 and r7.info["junk_endpoints"] > 0
    assert (r7.nsolutions, r7.ntorus) == (rw.nsolutions, rw.ntorus) == (33, 16)
    _same_points(r7.solutions, rw.solutions)
    assert r7.info["patterns"] == rw.info["patterns"]
