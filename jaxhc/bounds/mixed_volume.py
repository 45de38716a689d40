"""Exact mixed volumes via a random lifting and a mixed-cell search.

For supports ``A_1..A_n`` in ``Z^n`` and a generic lifting ``w_i: A_i -> Z``
the lower faces of the lifted Minkowski sum form a fine mixed subdivision;
its *mixed cells* are sums of one edge ``{p_i, q_i}`` per support and the
mixed volume is the sum of their normalised volumes ``|det[p_i - q_i]|``
(Huber–Sturmfels).  A cell is found as a choice of one pair per support for
which some inner normal ``(alpha, 1)`` makes both points of every pair
minimal on their lifted support:

    <a, alpha> + w_i(a) >= beta_i  for all a in A_i,   equality at p_i, q_i.

The search is a depth-first walk over supports (Gao–Li "MixedVol" style):
at each level only pairs that are lower edges of the single lifted support
are tried, the points are first screened with a one-point LP test, and every
node is a feasibility LP, re-solved warm in one persistent HiGHS model.
Volumes are exact integers (Bareiss); the genericity of the lifting is
checked at every cell, and an unlucky random lifting is redrawn.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from ._lp import FeasibilityLP
from .integer import abs_dets

__all__ = ["MixedCell", "mixed_cells", "mixed_volume", "affine_bkk", "add_origin"]

_INF = 1e30


class DegenerateLifting(RuntimeError):
    """The lifting is not generic: some lower face is not a sum of edges/points."""


@dataclasses.dataclass(frozen=True)
class MixedCell:
    """One mixed cell: ``pairs[i] = (p, q)`` row indices into support ``i``.

    ``normal`` is the inner normal ``alpha (n,)`` (float) of the lifted cell,
    ``volume`` the exact normalised volume ``|det[A_i[p] - A_i[q]]_i|``.
    """

    pairs: tuple[tuple[int, int], ...]
    normal: np.ndarray
    volume: int


def _check_supports(supports) -> list[np.ndarray]:
    sups = [np.atleast_2d(np.asarray(S)) for S in supports]
    n = len(sups)
    for i, S in enumerate(sups):
        if S.ndim != 2 or S.shape[1] != n:
            raise ValueError(f"support {i} must have shape (t, n) with n = {n}, got {S.shape}")
        if not np.issubdtype(S.dtype, np.integer):
            if not np.all(S == np.round(S)):
                raise ValueError(f"support {i} has non-integer entries")
        if S.shape[0] == 0:
            raise ValueError(f"support {i} is empty")
    return [S.astype(np.int64) for S in sups]


def add_origin(supports) -> list[np.ndarray]:
    """Each support with the origin added (if absent): the Li–Wang affine supports."""
    out = []
    for S in _check_supports(supports):
        if not np.any(np.all(S == 0, axis=1)):
            S = np.vstack([S, np.zeros((1, S.shape[1]), dtype=np.int64)])
        out.append(S)
    return out


def _lower_edges(A: np.ndarray, w: np.ndarray) -> list[tuple[int, int]]:
    """Edges ``(p, q)``, p < q, of the lower hull of the lifted points ``(A, w)``.

    For a generic lifting the lower hull is a regular triangulation, so two
    points lie on a common lower face iff they span a lower edge: one LP each.
    """
    t, n = A.shape
    lp = FeasibilityLP(n + 1)  # columns: alpha (n), beta
    first = lp.add_rows(np.hstack([A, -np.ones((t, 1))]), -w.astype(float), np.full(t, _INF))
    pts = []
    for p in range(t):  # one-point test: is p a vertex of the lower hull?
        lp.set_bounds(first + p, -w[p], -w[p])
        if lp.feasible():
            pts.append(p)
        lp.set_bounds(first + p, -w[p], _INF)
    edges = []
    for i, p in enumerate(pts):
        lp.set_bounds(first + p, -w[p], -w[p])
        for q in pts[i + 1 :]:
            lp.set_bounds(first + q, -w[q], -w[q])
            if lp.feasible():
                edges.append((p, q))
            lp.set_bounds(first + q, -w[q], _INF)
        lp.set_bounds(first + p, -w[p], _INF)
    return edges


def _default_lifting(U: np.ndarray, rng) -> np.ndarray:
    """Random integer lifting ``(t,)`` of the points ``U (t, n)``, biased to be concave.

    The concave part ``-c |a|^2`` lifts interior and "spread-out" exponents
    high, so the subdivision has fewer, larger mixed cells (about half as many
    on the network systems); the random part makes it generic.  Genericity is
    verified at every cell, and the lifting redrawn if needed.
    """
    return (-(2**12) * (U**2).sum(1) + rng.integers(0, 2**12, len(U))).astype(np.int64)


def _check_cell(sups, lift, pairs, tol=1e-7):
    """Float inner normal of a candidate cell, verifying the lifting is generic there.

    Returns ``(alpha, M)`` with the integer edge matrix ``M (n, n)``.
    """
    n = len(sups)
    M = np.array([sups[i][p] - sups[i][q] for i, (p, q) in enumerate(pairs)], dtype=np.int64)
    rhs = np.array([lift[i][q] - lift[i][p] for i, (p, q) in enumerate(pairs)], dtype=np.float64)
    if abs(np.linalg.det(M.astype(float))) < 0.5:  # integer det, so |det| < 1/2 means 0
        # a generic lifting makes dependent edge systems inconsistent (LP infeasible)
        raise DegenerateLifting(f"feasible cell with dependent edges {pairs}")
    alpha = np.linalg.solve(M.astype(float), rhs)
    for i, (p, q) in enumerate(pairs):
        v = sups[i] @ alpha + lift[i]
        beta = v[p]
        scale = 1.0 + np.abs(v).max()
        gap = (v - beta) / scale
        gap[[p, q]] = np.inf
        if gap.min() <= tol:  # a third point (nearly) on the face: not a fine subdivision
            raise DegenerateLifting(f"support {i}: lifting not generic at cell {pairs}")
    return alpha, M


def _search(sups, lift, order, edges):
    """Depth-first enumeration of mixed cells; returns a list of pair tuples."""
    n = len(sups)
    lp = FeasibilityLP(2 * n)  # columns: alpha (n), beta_0..beta_{n-1}
    found = []
    chosen: list[tuple[int, int] | None] = [None] * n

    def rec(level):
        if level == n:
            found.append(tuple(chosen))
            return
        k = order[level]
        A, w = sups[k], lift[k]
        t = A.shape[0]
        rows = np.zeros((t, 2 * n))
        rows[:, :n] = A
        rows[:, n + k] = -1.0
        first = lp.add_rows(rows, -w.astype(float), np.full(t, _INF))
        # one-point test restricted to points of lower edges
        cand = sorted({p for e in edges[k] for p in e})
        ok = set()
        for p in cand:
            lp.set_bounds(first + p, -w[p], -w[p])
            if lp.feasible():
                ok.add(p)
            lp.set_bounds(first + p, -w[p], _INF)
        for p, q in edges[k]:
            if p not in ok or q not in ok:
                continue
            lp.set_bounds(first + p, -w[p], -w[p])
            lp.set_bounds(first + q, -w[q], -w[q])
            if lp.feasible():
                chosen[k] = (p, q)
                rec(level + 1)
                chosen[k] = None
            lp.set_bounds(first + p, -w[p], _INF)
            lp.set_bounds(first + q, -w[q], _INF)
        lp.pop_rows(t)

    rec(0)
    return found


def _dedupe(sups):
    """Remove repeated points; returns unique supports and index maps back to the input."""
    uniq, maps = [], []
    for S in sups:
        U, idx = np.unique(S, axis=0, return_index=True)
        uniq.append(U)
        maps.append(idx)
    return uniq, maps


def mixed_cells(supports, lifting=None, seed: int = 0, max_tries: int = 5):
    """Mixed cells of the fine mixed subdivision induced by a lifting.

    Args:
      supports: n integer arrays ``(t_i, n)``.
      lifting: optional list of n integer arrays ``(t_i,)``; random if None.
      seed: seed of the random lifting.
    Returns:
      ``(lifting, cells)``: the lifting used (list of int arrays ``(t_i,)``) and a
      list of :class:`MixedCell` whose ``pairs`` index rows of the input supports.
    Raises:
      DegenerateLifting if a given lifting is not generic.
    """
    sups = _check_supports(supports)
    n = len(sups)
    if n == 0:
        return [], []
    uniq, maps = _dedupe(sups)
    rng = np.random.default_rng(seed)
    for attempt in range(max_tries if lifting is None else 1):
        if lifting is None:
            lift_u = [_default_lifting(U, rng) for U in uniq]
            full = [None] * n
        else:
            full = [np.asarray(l, dtype=np.int64) for l in lifting]
            lift_u = [full[i][maps[i]] for i in range(n)]
        if any(U.shape[0] < 2 for U in uniq):  # a point support has no edges: MV = 0
            cells_u = []
        else:
            edges = [_lower_edges(U, w) for U, w in zip(uniq, lift_u)]
            order = sorted(range(n), key=lambda i: len(edges[i]))  # few candidates first
            try:
                cells_u = _search(uniq, lift_u, order, edges)
                checked = [(c, _check_cell(uniq, lift_u, c)) for c in cells_u]
            except DegenerateLifting:
                if lifting is not None or attempt == max_tries - 1:
                    raise
                continue
            cells_u = checked
        break
    vols = abs_dets(np.array([r[1] for _, r in cells_u])) if cells_u else []
    cells = []
    for (c, (alpha, _)), v in zip(cells_u, vols):
        pairs = tuple((int(maps[i][p]), int(maps[i][q])) for i, (p, q) in enumerate(c))
        cells.append(MixedCell(pairs, alpha, int(v)))
    if lifting is None:  # report a lifting of the input supports (duplicates get equal values)
        full = []
        for i, S in enumerate(sups):
            _, inv = np.unique(S, axis=0, return_inverse=True)
            full.append(lift_u[i][inv.ravel()])
    return full, cells


def mixed_volume(supports, seed: int = 0) -> int:
    """Exact mixed volume of n supports ``(t_i, n)`` in ``Z^n``, normalised so that
    n copies of a polytope P give ``n! vol(P)`` (the BKK root count in the torus)."""
    _, cells = mixed_cells(supports, seed=seed)
    return int(sum(c.volume for c in cells))


def affine_bkk(supports, seed: int = 0) -> int:
    """Li–Wang affine BKK bound: mixed volume with the origin added to every support."""
    return mixed_volume(add_origin(supports), seed=seed)
