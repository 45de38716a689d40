"""Tests of jaxhc.bounds against independent truths (ConvexHull volumes, known root counts)."""

import csv
import itertools
import math
import pathlib
import shutil
import subprocess

import numpy as np
import pytest
import sympy as sp
from scipy.spatial import ConvexHull

from jaxhc.bounds import affine_bkk, mixed_cells, mixed_volume
from jaxhc.bounds.integer import abs_dets, det_bareiss, rank_int

TABLES = pathlib.Path("/work/shared/reference/paper_tables.csv")


def _supports(polys, xs):
    return [np.array(sp.Poly(f, *xs).monoms(), dtype=np.int64) for f in polys]


def cyclic(n):
    x = sp.symbols(f"x0:{n}")
    polys = [sum(sp.Mul(*[x[(i + j) % n] for j in range(k)]) for i in range(n)) for k in range(1, n)]
    polys.append(sp.Mul(*x) - 1)
    return _supports(polys, x)


def katsura(n):
    """katsura-n: n+1 variables u_0..u_n, u_{-m} = u_m, u_m = 0 for |m| > n."""
    u = sp.symbols(f"u0:{n + 1}")
    U = lambda m: u[abs(m)] if abs(m) <= n else 0
    polys = [sp.expand(sum(U(l) * U(m - l) for l in range(-n, n + 1)) - U(m)) for m in range(n)]
    polys.append(sum(U(l) for l in range(-n, n + 1)) - 1)
    return _supports(polys, u)


def _vol(P):
    P = np.asarray(P, float)
    return ConvexHull(P).volume if len(P) > P.shape[1] else 0.0


def _minkowski(*Ps):
    return np.array([np.sum(c, axis=0) for c in itertools.product(*Ps)])


def test_bareiss_matches_sympy():
    rng = np.random.default_rng(3)
    Ms = rng.integers(-4, 5, size=(50, 7, 7))
    Ms[:5, 2] = Ms[:5, 1]  # some singular ones
    truth = [abs(int(sp.Matrix(M).det())) for M in Ms]
    assert abs_dets(Ms) == truth
    assert [abs(det_bareiss(M)) for M in Ms] == truth


def test_rank_int_matches_sympy():
    rng = np.random.default_rng(4)
    for _ in range(100):
        r, n, k = (int(v) for v in rng.integers(1, 20, 3))
        M = rng.integers(-2, 3, (r, k)) @ rng.integers(-3, 4, (k, n))  # rank <= k
        assert rank_int(M) == sp.Matrix(M).rank()
    assert rank_int(np.zeros((3, 4), dtype=int)) == 0
    assert rank_int(np.array([[2**40, 1], [2**40 + 1, 1]])) == 2  # Python-int fallback


@pytest.mark.parametrize("n", [2, 3, 4])
def test_copies_of_one_polytope(n):
    rng = np.random.default_rng(n)
    for _ in range(3):
        P = rng.integers(0, 4, size=(n + 5, n))
        assert mixed_volume([P] * n) == round(math.factorial(n) * _vol(P))


def test_inclusion_exclusion_n2():
    rng = np.random.default_rng(7)
    for _ in range(5):
        P, Q = rng.integers(0, 5, (6, 2)), rng.integers(0, 5, (5, 2))
        mv = _vol(_minkowski(P, Q)) - _vol(P) - _vol(Q)
        assert mixed_volume([P, Q]) == round(mv)


def test_inclusion_exclusion_n3():
    rng = np.random.default_rng(11)
    for _ in range(3):
        Ps = [rng.integers(0, 3, (6, 3)) for _ in range(3)]
        mv = 0.0
        for r in range(1, 4):  # MV = sum_{J} (-1)^{n-|J|} vol(sum_J P_j)
            for J in itertools.combinations(range(3), r):
                mv += (-1) ** (3 - r) * _vol(_minkowski(*[Ps[j] for j in J]))
        assert mixed_volume(Ps) == round(mv)


def test_degenerate_inputs():
    # a point support gives 0; lower-dimensional configurations give 0
    assert mixed_volume([np.array([[0, 0], [1, 0]]), np.array([[0, 0]])]) == 0
    assert mixed_volume([np.array([[0, 0], [1, 0]]), np.array([[0, 0], [2, 0]])]) == 0
    with pytest.raises(ValueError):
        mixed_volume([np.array([[0, 0, 0]]), np.array([[0, 1, 0]])])


@pytest.mark.parametrize("n,expected", [(5, 70), (6, 156), (7, 924)])
def test_cyclic(n, expected):
    assert mixed_volume(cyclic(n)) == expected


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_katsura(n):
    # 2^n is the affine root count (the first n equations have no constant term);
    # the torus mixed volume is smaller (2, 6, 12, 30 -- gfan _mixedvolume agrees)
    assert affine_bkk(katsura(n)) == 2**n
    assert mixed_volume(katsura(n)) == {2: 2, 3: 6, 4: 12, 5: 30}[n]


def _gfan_mv(sups):
    inp = "{" + ",".join("{" + ",".join("(" + ",".join(map(str, p)) + ")" for p in S) + "}" for S in sups) + "}"
    out = subprocess.run(["gfan", "_mixedvolume", "--vectorinput"], input=inp, capture_output=True, text=True)
    return int(out.stdout.split()[-1])


@pytest.mark.skipif(shutil.which("gfan") is None, reason="gfan not installed")
def test_against_gfan():
    rng = np.random.default_rng(5)
    for n in [3, 4]:
        sups = [rng.integers(0, 3, (5, n)) for _ in range(n)]
        assert mixed_volume(sups) == _gfan_mv(sups)


@pytest.mark.skipif(shutil.which("gfan") is None, reason="gfan not installed")
def test_sparse_random_against_gfan():
    # sparse 0/1 supports with few points: many partial cells are rank deficient,
    # which exercises the exact Rado pruning (and MV = 0 cases)
    rng = np.random.default_rng(8)
    for trial in range(12):
        n = 4 + trial % 4
        sups = []
        for _ in range(n):
            t = int(rng.integers(2, 5))
            S = (rng.random((t, n)) < 0.3).astype(int)
            sups.append(np.vstack([S, np.zeros((1, n), dtype=int)]) if trial % 2 else S)
        assert mixed_volume(sups) == _gfan_mv(sups), trial


def test_parallel_search_matches_serial():
    sups = cyclic(6)
    lift, cells = mixed_cells(sups, seed=2)
    lift2, cells2 = mixed_cells(sups, lifting=lift, workers=2)
    assert [c.pairs for c in cells2] == [c.pairs for c in cells]
    assert sum(c.volume for c in cells2) == 156


def test_cells_are_consistent():
    sups = cyclic(5)
    lift, cells = mixed_cells(sups, seed=1)
    assert sum(c.volume for c in cells) == 70
    for c in cells:  # each pair is minimal on its lifted support at the cell's normal
        for (p, q), S, w in zip(c.pairs, sups, lift):
            v = S @ c.normal + w
            assert np.isclose(v[p], v.min()) and np.isclose(v[q], v.min())
    # the same lifting reproduces the same subdivision
    lift2, cells2 = mixed_cells(sups, lifting=lift)
    assert sorted(c.pairs for c in cells2) == sorted(c.pairs for c in cells)


def test_example2_affine_bkk():
    from jaxhc.system.gradient import supports
    from jaxhc.system.network import Architecture

    assert affine_bkk(supports(Architecture((1,), 2, 2, 1))) == 33


def _table_rows(max_N):
    with open(TABLES) as f:
        for r in csv.DictReader(f):
            if int(r["N"]) <= max_N and r["table"] in ("1", "3"):
                yield r


@pytest.mark.skipif(not TABLES.exists(), reason="paper tables not available")
def test_small_table_rows():
    from jaxhc.system.gradient import supports
    from jaxhc.system.network import Architecture

    seen = set()
    for r in _table_rows(max_N=6):
        H, d = int(r["H"]), int(r["d_i"])
        a = Architecture((d,) * H, int(r["d_x"]), int(r["d_y"]), int(r["m"]))
        if a in seen:
            continue
        seen.add(a)
        assert affine_bkk(supports(a)) == int(r["BKK"]), r
    assert len(seen) >= 10
