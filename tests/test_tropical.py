"""Tests of the tropical-homotopy mixed cells (jaxhc.bounds.tropical, method="tropical").

Truths used: the LP-based search (an independent algorithm, on the same and on
different liftings), n! vol(P) for n copies of P (scipy ConvexHull), known
mixed volumes (cyclic-n, katsura), and the paper's BKK for two small networks.
The first test to run pays numba's compile time (~7 s CPU) unless numba's cache
is warm.
"""

import math

import numpy as np
import pytest
from scipy.spatial import ConvexHull

pytest.importorskip("numba")

from jaxhc.bounds import DEFAULT_METHOD, DegenerateLifting, affine_bkk, mixed_cells, mixed_volume
from jaxhc.bounds.tropical import tropical_cells

from test_mixed_volume import cyclic, katsura


def _random_sparse(rng, n, with_origin):
    sups = []
    for _ in range(n):
        t = int(rng.integers(2, 6))
        S = (rng.random((t, n)) < 0.4).astype(np.int64) * rng.integers(1, 3, (t, n))
        if with_origin:
            S = np.vstack([S, np.zeros((1, n), dtype=np.int64)])
        sups.append(S)
    return sups


def test_default_is_tropical():
    assert DEFAULT_METHOD == "tropical"


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_agrees_with_lp_method(n):
    rng = np.random.default_rng(100 + n)
    for trial in range(8):
        sups = _random_sparse(rng, n, with_origin=trial % 2 == 1)
        assert mixed_volume(sups, method="tropical") == mixed_volume(sups, method="lp"), trial


def test_same_lifting_same_cells_as_lp():
    # on one lifting the fine mixed subdivision is unique, so both algorithms must
    # return exactly the same cells (pairs) with the same volumes
    rng = np.random.default_rng(7)
    for n in [3, 4, 5]:
        sups = [rng.integers(0, 3, (5, n)) for _ in range(n)]
        lift, cells_t = mixed_cells(sups, method="tropical", seed=n)
        _, cells_l = mixed_cells(sups, lifting=lift, method="lp")
        assert [(c.pairs, c.volume) for c in cells_t] == [(c.pairs, c.volume) for c in cells_l]
        for c in cells_t:  # every cell is a lower facet: both points of each pair minimal
            for i, (p, q) in enumerate(c.pairs):
                v = sups[i] @ c.normal + lift[i]
                assert abs(v[p] - v[q]) <= 1e-6 * np.abs(v).max()
                assert v.min() >= v[p] - 1e-6 * np.abs(v).max()


@pytest.mark.parametrize("n", [2, 3, 4])
def test_copies_of_one_polytope(n):
    rng = np.random.default_rng(20 + n)
    for _ in range(3):
        P = rng.integers(0, 4, size=(n + 5, n))
        vol = ConvexHull(P.astype(float)).volume
        assert mixed_volume([P] * n, method="tropical") == round(math.factorial(n) * vol)


@pytest.mark.parametrize("n,expected", [(5, 70), (6, 156), (7, 924), (8, 2560)])
def test_cyclic(n, expected):
    assert mixed_volume(cyclic(n), method="tropical") == expected


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_katsura(n):
    assert affine_bkk(katsura(n), method="tropical") == 2**n
    assert mixed_volume(katsura(n), method="tropical") == {2: 2, 3: 6, 4: 12, 5: 30}[n]


def test_negative_exponents_translation_invariant():
    # Laurent supports: the tracker translates each support into the positive orthant
    rng = np.random.default_rng(3)
    for _ in range(5):
        sups = [rng.integers(-2, 3, (5, 3)) for _ in range(3)]
        shifted = [S + rng.integers(-3, 4, 3) for S in sups]
        assert mixed_volume(sups, method="tropical") == mixed_volume(shifted, method="tropical") \
            == mixed_volume(sups, method="lp")


def test_degenerate_inputs():
    assert mixed_volume([np.array([[0, 0], [1, 0]]), np.array([[0, 0]])], method="tropical") == 0
    assert mixed_volume([np.array([[0, 0], [1, 0]]), np.array([[0, 0], [2, 0]])], method="tropical") == 0
    # repeated points are removed before tracking and mapped back
    P = np.array([[0, 0], [1, 0], [0, 1], [1, 0]])
    lift, cells = mixed_cells([P, P], method="tropical")
    assert sum(c.volume for c in cells) == 1
    assert all(max(max(pq) for pq in c.pairs) < 4 for c in cells)


def test_non_generic_lifting_raises():
    # an all-zero lifting is not generic: the homotopy fails on every try, the LP
    # fallback then reports the degenerate lifting
    P = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])
    with pytest.raises(DegenerateLifting):
        mixed_cells([P, P], lifting=[np.zeros(4, int), np.zeros(4, int)], method="tropical")


def test_unknown_method():
    with pytest.raises(ValueError):
        mixed_volume([np.array([[0], [1]])], method="simplex")


def test_tracker_counts():
    stats: dict = {}
    lift, cells = mixed_cells(cyclic(6), method="tropical", stats=stats)
    assert stats["events"] > 0 and stats.get("retries", 0) == 0
    # the raw tracker returns local pairs of the (duplicate-free) supports
    raw = tropical_cells([np.asarray(S) for S in cyclic(6)], lift, np.random.default_rng(0))
    assert raw.shape == (len(cells), 6, 2)


@pytest.mark.parametrize("d,dx,dy,expected", [(1, 2, 2, 33), (2, 2, 2, 1089), (2, 3, 3, 60025)])
def test_network_bkk(d, dx, dy, expected):
    # paper Table 1, H = 1, m = 1; (2,3,3) took 140 s with the LP search
    from jaxhc.system.gradient import supports
    from jaxhc.system.network import Architecture

    sups = supports(Architecture(widths=(d,), dx=dx, dy=dy, m=1))
    assert affine_bkk(sups, method="tropical") == expected
    assert affine_bkk(sups) == expected  # the default method
