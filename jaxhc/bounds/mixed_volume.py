"""Exact mixed volumes via a random lifting and a mixed-cell search.

For supports ``A_1..A_n`` in ``Z^n`` and a generic lifting ``w_i: A_i -> Z``
the lower faces of the lifted Minkowski sum form a fine mixed subdivision;
its *mixed cells* are sums of one edge ``{p_i, q_i}`` per support and the
mixed volume is the sum of their normalised volumes ``|det[p_i - q_i]|``
(Huber–Sturmfels).  A cell is found as a choice of one pair per support for
which some inner normal ``(alpha, 1)`` makes both points of every pair
minimal on their lifted support:

    <a, alpha> + w_i(a) >= beta_i  for all a in A_i,   equality at p_i, q_i.

The search (:class:`_Searcher`) is a depth-first walk over partial cells
with look-ahead: at every node the points of *every* remaining support that
can still be minimal are determined (LP solutions certify feasible points for
free, infeasible ones stay excluded in the whole subtree), a node is pruned
when some remaining support can no longer contribute an edge or when no
choice of one candidate edge per remaining support can be linearly
independent (Rado's theorem, checked exactly), and the search branches on the
support with the fewest feasible points.  Every test is a feasibility LP
re-solved warm in one persistent HiGHS model; subtrees can be searched in
forked worker processes.  Volumes are exact integers (Bareiss); the
genericity of the lifting is checked at every cell, and an unlucky random
lifting is redrawn.

``method="tropical"`` (the default when numba is installed) finds the same
kind of cells without LPs, by a tropical homotopy with a compiled inner loop
(:mod:`.tropical`); its cells are re-verified here against the lifting and
their volumes computed exactly.  ``method="lp"`` is the search above.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp

import numpy as np

from fractions import Fraction

from . import tropical as _tropical
from ._lp import FeasibilityLP
from .integer import abs_dets, rank_int

__all__ = ["MixedCell", "mixed_cells", "mixed_volume", "affine_bkk", "add_origin", "DEFAULT_METHOD"]

#: the method used when ``method=None``: the tropical homotopy needs numba
DEFAULT_METHOD = "tropical" if _tropical.HAVE_NUMBA else "lp"

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


class _Searcher:
    """Depth-first mixed-cell search with look-ahead, dynamic ordering and certificates.

    A node is a partial cell: one lower edge chosen for each support in a set
    ``S``; its region is the polyhedron ``P`` of normals ``alpha`` at which every
    chosen edge is minimal on its lifted support.  At each node, for every
    remaining support ``j`` the points whose region ``{alpha: a minimal on
    lifted A_j}`` meets ``P`` are determined:

    * *certified* feasible without an LP when they are minimal at some known
      ``alpha`` in ``P`` (every feasible LP returns such an ``alpha``, which
      certifies the minimisers of all supports at once);
    * *proven infeasible* by an LP, and then for the whole subtree, because a
      child's polyhedron lies inside its parent's;
    * otherwise decided by one feasibility LP.

    ``P`` meets the tropical hypersurface of ``A_j`` (the union of the regions'
    walls) iff at least two regions meet ``P`` (``P`` is connected), so a node
    with a support having fewer than two feasible points -- or no lower edge
    between feasible points -- has no mixed cell below it and is pruned; so is
    a node whose candidate edges admit no linearly independent transversal
    (:meth:`_transversal_possible`).  The search branches on the support with
    the fewest feasible points, then the fewest candidate edges (dynamic
    ordering), and tests each candidate edge with one LP.  Supports are looked
    at in increasing order of their feasible-point count at the parent, so that
    a pruning support is usually found first.
    """

    def __init__(self, sups, lift, edges):
        self.sups, self.lift = sups, lift
        n = self.n = len(sups)
        self.T = [len(S) for S in sups]
        self.off = np.concatenate([[0], np.cumsum(self.T)]).astype(np.int64)
        self.A = np.vstack(sups).astype(np.float64)
        self.w = np.concatenate(lift).astype(np.float64)
        self.E = [np.array(e, dtype=np.int64).reshape(-1, 2) for e in edges]
        self.blocks = []
        for i, S in enumerate(sups):
            r = np.zeros((len(S), 2 * n))
            r[:, :n] = S
            r[:, n + i] = -1.0
            self.blocks.append(r)
        self.lp = None
        self.n_lp = 0
        self.n_nodes = 0
        self.n_rado = 0
        self._kept: dict = {}  # support -> rows kept in its block, for each chosen support
        self._rng = np.random.default_rng(12345)

    # -- LP helpers -----------------------------------------------------------------
    def _new_lp(self):
        self.lp = FeasibilityLP(2 * self.n)  # columns: alpha (n), beta_0..beta_{n-1}
        self._h = self.lp.h

    def _add_support(self, j, keep) -> np.ndarray:
        """Append the rows of the points ``keep`` (a bool mask) of support ``j``;
        returns the row of every point (-1 for points left out).

        Points that are minimal nowhere in the node's polyhedron ``P`` may be
        left out: if ``alpha`` in ``P`` satisfies the remaining rows but such a
        point ``a`` lies below them, the minimiser of support ``j`` at ``alpha``
        is a left-out point, which is minimal nowhere in ``P`` -- a contradiction.
        So the LP describes the same set with fewer rows (by induction over the
        chosen supports, each of whose blocks is reduced at the node where it is
        chosen).
        """
        o = self.off
        idx = np.flatnonzero(keep)
        first = self.lp.add_rows(self.blocks[j][idx], -self.w[o[j] + idx], np.full(len(idx), _INF))
        rows = np.full(self.T[j], -1, dtype=np.int64)
        rows[idx] = first + np.arange(len(idx))
        return rows

    def _fix(self, row, g):
        self._h.changeRowBounds(int(row), -self.w[g], -self.w[g])

    def _free(self, row, g):
        self._h.changeRowBounds(int(row), -self.w[g], _INF)

    def _feasible(self) -> bool:
        self.n_lp += 1
        return self.lp.feasible()

    def _certify(self) -> np.ndarray:
        """Points minimal on their lifted support at the current LP solution."""
        alpha = np.asarray(self._h.getSolution().col_value[: self.n])
        v = self.A @ alpha + self.w
        m = np.minimum.reduceat(v, self.off[:-1])
        return v <= np.repeat(m, self.T) + 1e-9 * (1.0 + np.abs(v).max())

    def load(self, chosen, kept):
        """Rebuild the LP of a node from its chosen pairs (in the order they were chosen)."""
        self._new_lp()
        o = self.off
        for j, (p, q) in chosen.items():
            rows = self._add_support(j, kept[j])
            self._fix(rows[p], o[j] + p)
            self._fix(rows[q], o[j] + q)

    def _test_points(self, j, cert, infeas):
        o = self.off
        todo = [b for b in range(self.T[j]) if not (cert[o[j] + b] or infeas[o[j] + b])]
        if not todo:
            return
        rows = self._add_support(j, ~infeas[o[j] : o[j + 1]])
        nrows = int((rows >= 0).sum())
        for b in todo:
            g = o[j] + b
            if cert[g]:  # certified meanwhile by another point's LP solution
                continue
            self._fix(rows[b], g)
            if self._feasible():
                cert |= self._certify()
                cert[g] = True
            else:
                infeas[g] = True
            self._free(rows[b], g)
        self.lp.pop_rows(nrows)

    def _transversal_possible(self, chosen, cands) -> bool:
        """False only if it is *proven* that no choice of one candidate edge per
        remaining support is linearly independent modulo the chosen edges.

        Every mixed cell below the node uses one candidate edge of each remaining
        support, and the ``n`` edges of a cell are linearly independent (its
        volume is nonzero), so such a node has no cell below it.  By Rado's
        theorem no independent choice exists iff some set ``I`` of remaining
        supports has ``dim(span(chosen) + span(edges of I)) - k < |I|``.  A
        random combination of each support's edge vectors, projected off the
        chosen edges, gives a square matrix that is singular for every
        combination in exactly that case (Cauchy–Binet); when it is numerically
        singular, the supports in its left null space are taken as ``I`` and the
        rank inequality is checked in exact integer arithmetic.  Only a verified
        inequality prunes.
        """
        n, k = self.n, len(chosen)
        C = np.array([self.sups[i][p] - self.sups[i][q] for i, (p, q) in chosen.items()],
                     dtype=np.int64).reshape(k, n)
        if k:
            Q = np.linalg.svd(C.astype(np.float64))[2][k:].T  # (n, n-k) complement of span(C)
        else:
            Q = np.eye(n)
        js = list(cands)
        V = {j: self.sups[j][cands[j][:, 0]] - self.sups[j][cands[j][:, 1]] for j in js}
        M = np.array([self._rng.standard_normal(len(V[j])) @ V[j] @ Q for j in js])
        U, sv, _ = np.linalg.svd(M)
        if sv[-1] > 1e-7 * sv[0]:
            return True
        null = U[:, sv <= 1e-7 * sv[0]]
        I = [j for j, row in zip(js, null) if np.abs(row).max() > 1e-6]
        for S in (I, js):
            rows = np.vstack([C] + [V[j] for j in S])
            if rank_int(np.unique(rows, axis=0)) - k < len(S):
                self.n_rado += 1
                return False
        return True

    # -- search ------------------------------------------------------------------------
    def rec(self, remaining, infeas, cert, chosen, prio, found, split=None, frontier=None):
        """Search below one node.  With ``split``, nodes with ``split`` chosen pairs are
        appended to ``frontier`` (to be searched elsewhere) instead of being descended into."""
        self.n_nodes += 1
        if not remaining:
            found.append(tuple(chosen[i] for i in range(self.n)))
            return
        o = self.off
        infeas, cert = infeas.copy(), cert.copy()
        best, cnt, cands = None, {}, {}
        for j in sorted(remaining, key=lambda k: prio.get(k, 0)):
            self._test_points(j, cert, infeas)
            ok = cert[o[j] : o[j + 1]]
            cnt[j] = int(ok.sum())
            if cnt[j] < 2:  # P misses the tropical hypersurface of support j
                return
            ej = self.E[j]
            cand = ej[ok[ej[:, 0]] & ok[ej[:, 1]]]
            if len(cand) == 0:
                return
            cands[j] = cand
            # branch on the support with the fewest feasible points (fewest regions
            # meeting P), then the fewest candidate edges: on (d,dx,dy) = (2,3,2)
            # 2.3x fewer nodes and 3x fewer LPs than fewest candidate edges alone
            if best is None or (cnt[j], len(cand)) < (cnt[best[0]], len(best[1])):
                best = (j, cand)
        if len(remaining) > 1 and not self._transversal_possible(chosen, cands):
            return
        j, cand = best
        rest = [k for k in remaining if k != j]
        keep = ~infeas[o[j] : o[j + 1]]
        rows = self._add_support(j, keep)
        self._kept[j] = keep
        for p, q in cand:
            gp, gq = o[j] + p, o[j] + q
            self._fix(rows[p], gp)
            self._fix(rows[q], gq)
            if self._feasible():
                c2 = self._certify()
                c2[gp] = c2[gq] = True
                chosen[j] = (int(p), int(q))
                if split is not None and len(chosen) == split and rest:
                    frontier.append((rest, infeas.copy(), c2, dict(chosen), cnt, dict(self._kept)))
                else:
                    self.rec(rest, infeas, c2, chosen, cnt, found, split, frontier)
                del chosen[j]
            self._free(rows[p], gp)
            self._free(rows[q], gq)
        del self._kept[j]
        self.lp.pop_rows(int(keep.sum()))

    def run(self, workers=1):
        n, tot = self.n, int(self.off[-1])
        found: list = []
        self._new_lp()
        root = (list(range(n)), np.zeros(tot, bool), np.zeros(tot, bool), {}, {})
        if workers <= 1 or n < 6:
            self.rec(*root, found)
            return found
        frontier: list = []
        self.rec(*root, found, split=2, frontier=frontier)
        global _WORKER
        _WORKER = self
        ctx = mp.get_context("fork")
        with ctx.Pool(workers) as pool:
            for cells, counts in pool.imap_unordered(_search_subtree, frontier, chunksize=1):
                found.extend(cells)
                self.n_lp += counts[0]
                self.n_nodes += counts[1]
                self.n_rado += counts[2]
        _WORKER = None
        return found


_WORKER: _Searcher | None = None  # the searcher a forked worker inherits


def _search_subtree(node):
    s = _WORKER
    rest, infeas, cert, chosen, prio, kept = node
    before = (s.n_lp, s.n_nodes, s.n_rado)
    s._kept = dict(kept)
    s.load(chosen, kept)
    found: list = []
    s.rec(rest, infeas, cert, dict(chosen), prio, found)
    return found, (s.n_lp - before[0], s.n_nodes - before[1], s.n_rado - before[2])


def _search(sups, lift, edges, workers=1, stats=None):
    """All mixed cells (tuples of pairs) of the lifted supports."""
    s = _Searcher(sups, lift, edges)
    found = s.run(workers)
    if stats is not None:
        stats.update(nodes=stats.get("nodes", 0) + s.n_nodes, lps=stats.get("lps", 0) + s.n_lp,
                     rank_pruned=stats.get("rank_pruned", 0) + s.n_rado)
    return found


def _tropical_lifting(U: np.ndarray, rng) -> np.ndarray:
    """Random integer lifting ``(t,)`` for the tropical homotopy: concave like
    :func:`_default_lifting` (fewer, larger cells) but with 30 random bits instead of 12.

    The homotopy passes through many intermediate subdivisions, each of which must
    be generic; with only 12 random bits exact ties between events occurred (cyclic-8),
    with 30 bits they are improbable.  Values stay below 2^50, so the float tracking
    still resolves them.
    """
    sq = (U**2).sum(1)
    bits = 30
    while bits > 12 and 2**bits * (int(sq.max()) + 1) > 2**50:
        bits -= 1
    return (-(2**bits) * sq + rng.integers(0, 2**bits, len(U))).astype(np.int64)


def _exact_cell_gaps(sups, lift, pairs) -> list[Fraction]:
    """Exact smallest gap ``min_{a not in pair} (<a, alpha> + w(a)) - (<p, alpha> + w(p))`` per
    support, with ``alpha`` solved in rational arithmetic (used only for cells whose float
    check is too close to call)."""
    n = len(sups)
    A = [[Fraction(int(v)) for v in (sups[i][p] - sups[i][q])] + [Fraction(int(lift[i][q] - lift[i][p]))]
         for i, (p, q) in enumerate(pairs)]
    for c in range(n):  # Gauss-Jordan over Q
        r = next(r for r in range(c, n) if A[r][c] != 0)
        A[c], A[r] = A[r], A[c]
        piv = A[c][c]
        A[c] = [v / piv for v in A[c]]
        for r in range(n):
            if r != c and A[r][c] != 0:
                f = A[r][c]
                A[r] = [a - f * b for a, b in zip(A[r], A[c])]
    alpha = [A[i][n] for i in range(n)]
    gaps = []
    for i, (p, q) in enumerate(pairs):
        vals = [sum(int(a) * x for a, x in zip(pt, alpha)) + int(w) for pt, w in zip(sups[i], lift[i])]
        gaps.append(min(v - vals[p] for b, v in enumerate(vals) if b not in (p, q)))
    return gaps


def _verify_cells(sups, lift, cells: np.ndarray):
    """Check that every tracked cell ``cells (K, n, 2)`` is a mixed cell of the lifted
    supports with every other point strictly above it (vectorised float check, exact
    rational check where the float margin is too small).

    Returns ``(alpha (K, n) float, M (K, n, n) int)``.  Raises DegenerateLifting where a
    third point ties, :class:`tropical.TrackingFailure` where a point lies below (the
    tracking went wrong) or a cell repeats.
    """
    K, n = cells.shape[0], len(sups)
    if len({c.tobytes() for c in cells}) != K:
        raise _tropical.TrackingFailure("a mixed cell was found twice")
    M = np.stack([sups[i][cells[:, i, 0]] - sups[i][cells[:, i, 1]] for i in range(n)], axis=1)
    rhs = np.stack([lift[i][cells[:, i, 1]] - lift[i][cells[:, i, 0]] for i in range(n)], axis=1)
    Mf = M.astype(np.float64)
    if np.any(np.abs(np.linalg.det(Mf)) < 0.5):  # integer dets: |det| < 1/2 means 0
        raise _tropical.TrackingFailure("a tracked cell has dependent edges")
    alpha = np.linalg.solve(Mf, rhs.astype(np.float64)[..., None])[..., 0]
    unsure = np.zeros(K, dtype=bool)
    rows = np.arange(K)
    for i in range(n):
        V = alpha @ sups[i].T.astype(np.float64) + lift[i][None, :]  # (K, t_i)
        ref = V[rows, cells[:, i, 0]]
        gap = V - ref[:, None]
        gap[rows, cells[:, i, 0]] = np.inf
        gap[rows, cells[:, i, 1]] = np.inf
        # float error of V is ~1e-16 * |V| * cond(M); 1e-9 leaves a wide margin
        tol = 1e-9 * (1.0 + np.abs(V).max(1))
        g = gap.min(1) if V.shape[1] > 2 else np.full(K, np.inf)
        if np.any(g < -tol):
            raise _tropical.TrackingFailure(f"support {i}: a point lies below a tracked cell")
        unsure |= g <= tol
    for k in np.flatnonzero(unsure):
        gaps = _exact_cell_gaps(sups, lift, [tuple(map(int, pq)) for pq in cells[k]])
        if min(gaps) < 0:
            raise _tropical.TrackingFailure("a point lies below a tracked cell")
        if min(gaps) == 0:
            raise DegenerateLifting(f"lifting not generic at cell {cells[k].tolist()}")
    return alpha, M


def _dedupe(sups):
    """Remove repeated points; returns unique supports and index maps back to the input."""
    uniq, maps = [], []
    for S in sups:
        U, idx = np.unique(S, axis=0, return_index=True)
        uniq.append(U)
        maps.append(idx)
    return uniq, maps


def _mixed_cells_tropical(sups, uniq, maps, lifting, rng, max_tries, stats):
    """Tropical-homotopy path of :func:`mixed_cells`: ``(lift_u, [(pairs, (alpha, M))])``.

    A failed homotopy (non-generic situation met on the way) is retried with new
    random parts: the whole lifting when it is ours, only the auxiliary simplex
    liftings when the caller gave one.  Returns None when every try failed.
    """
    n = len(sups)
    for attempt in range(max_tries):
        if lifting is None:
            lift_u = [_tropical_lifting(U, rng) for U in uniq]
        else:
            full = [np.asarray(l, dtype=np.int64) for l in lifting]
            lift_u = [full[i][maps[i]] for i in range(n)]
        if any(U.shape[0] < 2 for U in uniq):  # a point support has no edges: MV = 0
            return lift_u, []
        try:
            cells = np.sort(_tropical.tropical_cells(uniq, lift_u, rng, stats=stats), axis=2)  # p < q
            cells = cells[np.lexsort(cells.reshape(len(cells), -1).T[::-1])] if len(cells) else cells
            alpha, M = _verify_cells(uniq, lift_u, cells) if len(cells) else (None, None)
        except (_tropical.TrackingFailure, DegenerateLifting):
            if stats is not None:
                stats["retries"] = stats.get("retries", 0) + 1
            continue
        return lift_u, [(tuple((int(p), int(q)) for p, q in c), (alpha[k], M[k]))
                        for k, c in enumerate(cells)]
    return None


def mixed_cells(supports, lifting=None, seed: int = 0, max_tries: int = 5, workers: int = 1,
                stats: dict | None = None, method: str | None = None):
    """Mixed cells of the fine mixed subdivision induced by a lifting.

    Args:
      supports: n integer arrays ``(t_i, n)``.
      lifting: optional list of n integer arrays ``(t_i,)``; random if None.
      seed: seed of the random lifting.
      workers: processes searching subtrees in parallel (fork; 1 = in this process;
        ``method="lp"`` only).
      stats: optional dict, filled with counts (``lp``: ``nodes``, ``lps``,
        ``rank_pruned``; ``tropical``: ``events``, ``divergent`` paths, ``retries``).
      method: ``"tropical"`` (tropical homotopy, numba; :mod:`.tropical`), ``"lp"``
        (LP-based search) or None for :data:`DEFAULT_METHOD`.  If the tropical
        homotopy fails on every try (a non-generic lifting), the LP search is used.
        Both give the cells of the same kind; with ``lifting=None`` the random
        liftings (hence the cells) differ between the methods, the volumes do not.
    Returns:
      ``(lifting, cells)``: the lifting used (list of int arrays ``(t_i,)``) and a
      list of :class:`MixedCell` whose ``pairs`` index rows of the input supports.
    Raises:
      DegenerateLifting if a given lifting is not generic.
    """
    method = DEFAULT_METHOD if method is None else method
    if method not in ("tropical", "lp"):
        raise ValueError(f"unknown method {method!r} (use 'tropical' or 'lp')")
    sups = _check_supports(supports)
    n = len(sups)
    if n == 0:
        return [], []
    uniq, maps = _dedupe(sups)
    rng = np.random.default_rng(seed)
    res = None
    if method == "tropical":
        res = _mixed_cells_tropical(sups, uniq, maps, lifting, rng, max_tries, stats)
        if res is None and stats is not None:
            stats["fallback_lp"] = True
    if res is not None:
        lift_u, cells_u = res
        return _finish(sups, maps, lifting, lift_u, cells_u)
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
            try:
                cells_u = sorted(_search(uniq, lift_u, edges, workers, stats))
                checked = [(c, _check_cell(uniq, lift_u, c)) for c in cells_u]
            except DegenerateLifting:
                if lifting is not None or attempt == max_tries - 1:
                    raise
                continue
            cells_u = checked
        break
    return _finish(sups, maps, lifting, lift_u, cells_u)


def _finish(sups, maps, lifting, lift_u, cells_u):
    """Exact volumes; cells and lifting mapped back to the input's rows."""
    if lifting is not None:
        full = [np.asarray(l, dtype=np.int64) for l in lifting]
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


def mixed_volume(supports, seed: int = 0, workers: int = 1, method: str | None = None) -> int:
    """Exact mixed volume of n supports ``(t_i, n)`` in ``Z^n``, normalised so that
    n copies of a polytope P give ``n! vol(P)`` (the BKK root count in the torus).
    ``method``: see :func:`mixed_cells`; ``workers > 1`` searches subtrees of the LP
    method in that many forked processes."""
    _, cells = mixed_cells(supports, seed=seed, workers=workers, method=method)
    return int(sum(c.volume for c in cells))


def affine_bkk(supports, seed: int = 0, workers: int = 1, method: str | None = None) -> int:
    """Li–Wang affine BKK bound: mixed volume with the origin added to every support."""
    return mixed_volume(add_origin(supports), seed=seed, workers=workers, method=method)
