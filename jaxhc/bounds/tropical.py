"""Mixed cells by tropical homotopy (regeneration), with a numba-compiled inner loop.

Idea (A. N. Jensen, "Tropical homotopy continuation", arXiv:1601.02818).  For
supports ``A_1..A_n`` with a lifting, the mixed cells are the points where the
n tropical hypersurfaces ``T(F_i)``, ``F_i(alpha) = min_{a in A_i} <a, alpha> +
w_i(a)``, meet.  When the lifting moves along a line (parameter ``s``) these
points move along the edges of a balanced tropical curve in ``(alpha, s)``
space, so the mixed cells at the end of the line can be *tracked* from known
ones at its start by pivoting, without any LP.

Regeneration (stage ``k = 1..n``): the system of stage ``k`` is

    A_1, ..., A_{k-1},  A_k u D_k L,  L, ..., L

with ``L = {0, e_1, ..., e_n}`` (a standard simplex, ``D_k L`` scaled by the
degree of ``A_k``).  The points of ``A_j`` carry the target lifting ``w_j``;
the simplices carry fixed integer liftings ``l_j`` and the points of ``D_k L``
in addition the parameter ``s``, which runs from ``-inf`` to ``+inf``:

* at ``s = -inf`` no point of ``A_k`` is minimal anywhere near the cells, which
  are then the cells of stage ``k - 1`` at ``s = +inf`` whose ``k``-th pair lies
  in ``A_{k-1}``, with ``L`` replaced by ``D_k L`` (same normals, volumes times
  ``D_k``); stage 1 starts from the single cell of ``(D_1 L, L, ..., L)``, which
  the choice of ``l_j`` puts at a known normal;
* at ``s = +inf`` the cells whose ``k``-th pair lies in ``A_k`` are exactly the
  mixed cells of ``(A_1, ..., A_k, L, ..., L)``; the others ("divergent") run
  off to infinity and are dropped.  After stage ``n`` the kept cells are the
  mixed cells of ``(A_1, ..., A_n)`` with the target lifting.

Tracking a cell: its normal is affine in ``s`` (``M alpha = c0 + s c1``, ``M`` the
``n x n`` matrix of its edge vectors), and so is every point's slack
``<a - p_j, alpha> + w(a) - w(p_j)``.  The cell lives until the first slack
with negative slope reaches zero: a third point ``a`` joins the pair
``{p, q}`` of some support.  Locally the curve then has three rays, one per
edge of the triangle ``{p, q, a}``; the two new ones are outgoing (continue to
larger ``s``), incoming (another path arrives here) or horizontal (edge
vectors dependent, volume 0).  Balancing says the volume arriving equals the
volume leaving, which is checked at every vertex.  Where two paths merge, only
the one whose missing triangle vertex has the smaller index goes on, so every
piece of the curve is walked exactly once; where a path splits both branches
are followed (depth first, explicit stack).

Arithmetic: all liftings are integers, so every normal is rational with
denominator ``det M``; slopes and slacks are compared after multiplying by
``|det M|`` (integers up to rounding), which makes the sign decisions robust.
The lifting's genericity is checked on the way (no two events at one ``s``, no
zero slope at a vertex, balance at every vertex, volume conservation per
stage); on a failure the caller redraws the random parts of the lifting.  The
kept cells are finally re-verified against the target lifting and their
volumes computed exactly (Bareiss) by :mod:`.mixed_volume`.
"""

from __future__ import annotations

import numpy as np

try:  # numba compiles the tracking loop; without it the method is unavailable
    import numba

    _njit = numba.njit(cache=True, nogil=True)
    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    numba = None
    HAVE_NUMBA = False

    def _njit(f):
        return f


__all__ = ["tropical_cells", "HAVE_NUMBA", "TrackingFailure"]

# status codes of the compiled tracker
_OK, _SINGULAR, _TIE, _ZERO_SLOPE, _BALANCE, _INVALID = 0, 1, 2, 3, 4, 5
_STATUS = {
    _SINGULAR: "a tracked cell has dependent edges",
    _TIE: "two events at the same parameter (lifting not generic)",
    _ZERO_SLOPE: "a new ray with zero slope (lifting not generic)",
    _BALANCE: "volume in != volume out at a vertex",
    _INVALID: "a tracked cell is violated at its start",
}


class TrackingFailure(RuntimeError):
    """The tropical homotopy met a non-generic or numerically unclear situation."""


@_njit
def _solve2(M, r0, r1, x0, x1, W):
    """Solve ``M x0 = r0`` and ``M x1 = r1`` (``M (n, n)``, not modified); returns ``det M``.

    Gaussian elimination with partial pivoting in the work matrix ``W (n, n+2)``.
    ``M`` is a small integer matrix, so a pivot below 1e-9 means singular (0 returned).
    """
    n = M.shape[0]
    for i in range(n):
        for j in range(n):
            W[i, j] = M[i, j]
        W[i, n] = r0[i]
        W[i, n + 1] = r1[i]
    det = 1.0
    for c in range(n):
        piv = c
        best = abs(W[c, c])
        for i in range(c + 1, n):
            v = abs(W[i, c])
            if v > best:
                best = v
                piv = i
        if best < 1e-9:
            return 0.0
        if piv != c:
            for j in range(c, n + 2):
                tmp = W[c, j]
                W[c, j] = W[piv, j]
                W[piv, j] = tmp
            det = -det
        pv = W[c, c]
        det *= pv
        for i in range(c + 1, n):
            f = W[i, c] / pv
            if f != 0.0:
                for j in range(c + 1, n + 2):
                    W[i, j] -= f * W[c, j]
    for i in range(n - 1, -1, -1):
        a = W[i, n]
        b = W[i, n + 1]
        for j in range(i + 1, n):
            a -= W[i, j] * x0[j]
            b -= W[i, j] * x1[j]
        x0[i] = a / W[i, i]
        x1[i] = b / W[i, i]
    return det


@_njit
def _build(pts, base, vel, pairs, M, c0, c1):
    """Edge matrix ``M[j] = a_p - a_q`` and right-hand sides of ``M alpha = c0 + s c1``."""
    n = pairs.shape[0]
    for j in range(n):
        p = pairs[j, 0]
        q = pairs[j, 1]
        for c in range(n):
            M[j, c] = pts[p, c] - pts[q, c]
        c0[j] = base[q] - base[p]
        c1[j] = vel[q] - vel[p]


@_njit
def _ray(pts, base, vel, pairs, j, keep, new, out, M, c0, c1, x0, x1, W):
    """The ray of the triangle edge ``{keep, new}`` in support ``j`` at a vertex.

    Returns ``(|det|, slope)``: the volume of the cell with pair ``j`` replaced by
    ``{keep, new}`` and ``|det| *`` the ``s``-slope of the slack of the left-out
    point ``out`` on that cell (> 0: the ray goes to larger ``s``).
    """
    n = pairs.shape[0]
    p0 = pairs[j, 0]
    q0 = pairs[j, 1]
    pairs[j, 0] = keep
    pairs[j, 1] = new
    _build(pts, base, vel, pairs, M, c0, c1)
    pairs[j, 0] = p0
    pairs[j, 1] = q0
    det = _solve2(M, c0, c1, x0, x1, W)
    if abs(det) < 0.5:
        return 0.0, 0.0
    g = vel[out] - vel[keep]
    for c in range(n):
        g += (pts[out, c] - pts[keep, c]) * x1[c]
    return abs(det), g * abs(det)


@_njit
def _track(pts, base, vel, off, nA_k, k, starts, rtol):
    """Track the cells ``starts (m, n, 2)`` (global point indices) from ``s = -inf`` to ``+inf``.

    ``pts (T, n)``, ``base (T,)``, ``vel (T,)`` describe the stage's points (the
    lifting of point ``x`` is ``base[x] + s vel[x]``); support ``j`` owns rows
    ``off[j]:off[j+1]``; in support ``k`` the first ``nA_k`` points are ``A_k``.
    Returns ``(kept (K, n, 2), stats (10,) int64)``: the cells living at ``s = +inf``
    whose ``k``-th pair lies in ``A_k``, and ``stats = [status, events, kept volume,
    divergent volume, kept cells, divergent cells, x, y, p, q]`` where the last four
    name the two tying points and the pair they tie with when ``status == _TIE``.
    """
    n = starts.shape[1]
    T = pts.shape[0]
    cap = max(64, 2 * starts.shape[0])
    stack = np.empty((cap, n, 2), np.int64)
    stack_s = np.empty(cap)
    sp = 0
    for i in range(starts.shape[0]):
        stack[sp] = starts[i]
        stack_s[sp] = -np.inf
        sp += 1
    kcap = max(64, starts.shape[0])
    kept = np.empty((kcap, n, 2), np.int64)
    nk = 0
    stats = np.zeros(10, np.int64)
    M = np.empty((n, n))
    c0 = np.empty(n)
    c1 = np.empty(n)
    x0 = np.empty(n)
    x1 = np.empty(n)
    y0 = np.empty(n)
    y1 = np.empty(n)
    W = np.empty((n, n + 2))
    g0 = np.empty(T)
    g1 = np.empty(T)
    cfg = np.empty(T, np.int64)
    for j in range(n):
        for x in range(off[j], off[j + 1]):
            cfg[x] = j
    # the points are sparse (exponent vectors, unit vectors): evaluating all lifted values
    # is the inner loop's main cost, so keep the points' nonzeros in CSR form
    nnz = 0
    for x in range(T):
        for c in range(n):
            if pts[x, c] != 0.0:
                nnz += 1
    rowptr = np.empty(T + 1, np.int64)
    col = np.empty(nnz, np.int64)
    val = np.empty(nnz)
    nnz = 0
    for x in range(T):
        rowptr[x] = nnz
        for c in range(n):
            if pts[x, c] != 0.0:
                col[nnz] = c
                val[nnz] = pts[x, c]
                nnz += 1
    rowptr[T] = nnz
    pairs = np.empty((n, 2), np.int64)
    scale = 1.0  # magnitude of the lifted values (the lifting dominates |<a, alpha>|)
    for x in range(T):
        scale = max(scale, abs(base[x]))
    while sp > 0:
        sp -= 1
        pairs[:, :] = stack[sp]
        s_cur = stack_s[sp]
        while True:
            _build(pts, base, vel, pairs, M, c0, c1)
            det = _solve2(M, c0, c1, x0, x1, W)
            if abs(det) < 0.5:
                stats[0] = _SINGULAR
                return kept[:nk], stats
            ad = abs(det)
            # lifted values (times |det|, near-integers) of every point at the normal
            for x in range(T):
                a = base[x]
                b = vel[x]
                for e in range(rowptr[x], rowptr[x + 1]):
                    a += val[e] * x0[col[e]]
                    b += val[e] * x1[col[e]]
                g0[x] = a * ad
                g1[x] = b * ad
            # next event: smallest s at which a slack with negative slope hits zero
            best = np.inf
            second = np.inf
            bx = -1
            bx2 = -1
            sl1 = 1.0  # |slope| of the best and second-best events
            sl2 = 1.0
            for j in range(n):
                p = pairs[j, 0]
                q = pairs[j, 1]
                gp0 = g0[p]
                gp1 = g1[p]
                for x in range(off[j], off[j + 1]):
                    if x == p or x == q:
                        continue
                    s1 = g1[x] - gp1
                    if s1 < -0.5:
                        sx = -(g0[x] - gp0) / s1
                        if sx < best:
                            second = best
                            bx2 = bx
                            best = sx
                            bx = x
                            sl2 = sl1
                            sl1 = -s1
                        elif sx < second:
                            second = sx
                            bx2 = x
                            sl2 = -s1
            # error bound of an event parameter: the lifted values carry a relative float
            # error ~ rtol of the lifting's scale, times |det| / |slope| in s units
            tol = rtol * (abs(best) + scale) * ad / min(sl1, sl2)
            if bx < 0:  # no event ahead: the cell lives up to s = +inf
                if pairs[k, 0] < off[k] + nA_k and pairs[k, 1] < off[k] + nA_k:
                    if nk == kept.shape[0]:
                        new = np.empty((2 * nk, n, 2), np.int64)
                        new[:nk] = kept[:nk]
                        kept = new
                    kept[nk] = pairs
                    nk += 1
                    stats[2] += np.int64(round(ad))
                else:
                    stats[3] += np.int64(round(ad))
                    stats[5] += 1
                break
            if s_cur != -np.inf and best < s_cur - tol:
                stats[0] = _INVALID
                return kept[:nk], stats
            if second - best <= tol:
                stats[0] = _TIE
                stats[6] = bx
                stats[7] = bx2
                stats[8] = pairs[cfg[bx], 0]
                stats[9] = pairs[cfg[bx], 1]
                return kept[:nk], stats
            stats[1] += 1
            j = cfg[bx]
            p = pairs[j, 0]
            q = pairs[j, 1]
            # the two other edges of the triangle {p, q, bx}: {p, bx} leaves out q, {bx, q} leaves out p
            vA, slA = _ray(pts, base, vel, pairs, j, p, bx, q, M, c0, c1, y0, y1, W)
            vB, slB = _ray(pts, base, vel, pairs, j, q, bx, p, M, c0, c1, y0, y1, W)
            if (vA > 0 and abs(slA) < 0.5) or (vB > 0 and abs(slB) < 0.5):
                stats[0] = _ZERO_SLOPE
                return kept[:nk], stats
            vin = ad
            vout = 0.0
            outA = vA > 0 and slA > 0
            outB = vB > 0 and slB > 0
            inA = vA > 0 and slA < 0
            inB = vB > 0 and slB < 0
            if outA:
                vout += vA
            if outB:
                vout += vB
            if inA:
                vin += vA
            if inB:
                vin += vB
            if abs(vin - vout) > 0.5:
                stats[0] = _BALANCE
                return kept[:nk], stats
            # merge: the incoming edges are {p,q} (leaves out bx) and {p,bx} (leaves out q)
            # or {bx,q} (leaves out p); the one leaving out the smallest index goes on
            if inA and q < bx:
                break
            if inB and p < bx:
                break
            s_cur = best
            if outA and outB:
                if sp == stack.shape[0]:
                    ns = np.empty((2 * sp, n, 2), np.int64)
                    ns[:sp] = stack[:sp]
                    stack = ns
                    nss = np.empty(2 * sp)
                    nss[:sp] = stack_s[:sp]
                    stack_s = nss
                stack[sp] = pairs
                stack[sp, j, 0] = q
                stack[sp, j, 1] = bx
                stack_s[sp] = s_cur
                sp += 1
                pairs[j, 1] = bx
            elif outA:
                pairs[j, 1] = bx
            else:
                pairs[j, 0] = q
                pairs[j, 1] = bx
    stats[4] = nk
    return kept[:nk], stats


def _stage_arrays(sups, lift, ell, deg, k):
    """Points, liftings and velocities of stage ``k`` (0-based) as flat arrays."""
    n = len(sups)
    L = np.vstack([np.zeros((1, n), np.int64), np.eye(n, dtype=np.int64)])
    P, B, V, off = [], [], [], [0]
    for j in range(n):
        if j < k:
            P.append(sups[j]); B.append(lift[j]); V.append(np.zeros(len(sups[j])))
        elif j == k:
            P.append(np.vstack([sups[j], deg[j] * L]))
            B.append(np.concatenate([lift[j], deg[j] * ell[j]]))
            V.append(np.concatenate([np.zeros(len(sups[j])), np.ones(n + 1)]))
        else:
            P.append(L); B.append(ell[j]); V.append(np.zeros(n + 1))
        off.append(off[-1] + len(P[-1]))
    return (np.vstack(P).astype(np.float64), np.concatenate(B).astype(np.float64),
            np.concatenate(V).astype(np.float64), np.array(off, dtype=np.int64))


def tropical_cells(sups, lift, rng, rtol=1e-10, stats=None):
    """Mixed cells of integer supports ``sups[i] (t_i, n)`` (distinct points) lifted by
    the integer ``lift[i] (t_i,)``: an array ``(K, n, 2)`` of local point indices.

    ``rng`` draws the auxiliary simplex liftings.  Raises :class:`TrackingFailure` when
    the homotopy is not generic; the caller then draws a new lifting.
    """
    if not HAVE_NUMBA:  # pragma: no cover
        raise ImportError("method='tropical' needs numba (pip install numba)")
    n = len(sups)
    # translate each support into the positive orthant: the mixed volume and the cells
    # do not change, and then A_j lies in conv(D_j L) with D_j its largest degree
    sups = [S - S.min(0) for S in sups]
    deg = [max(1, int(S.sum(1).max())) for S in sups]
    lift = [np.asarray(w, dtype=np.int64) for w in lift]
    scale = max(2**12, max(int(np.abs(w).max()) for w in lift))
    # simplex liftings l_j(v) = -<v, alpha0> + r_j(v) with r_j = 0 exactly at {e_{j-1}, e_j}
    # (e_{-1} := the origin): the start cell of stage 1 then has normal alpha0
    alpha0 = rng.integers(-scale, scale + 1, n)
    ell = []
    for j in range(n):
        r = rng.integers(scale, 2 * scale, n + 1)
        r[j] = r[j + 1] = 0  # L's row 0 is the origin, row v the unit vector e_{v-1}
        ell.append(-np.concatenate([[0], alpha0]) + r)
    # start cell: support j uses L's rows (j, j+1), i.e. the points e_{j-1} and e_j
    cells = np.array([[[j, j + 1] for j in range(n)]], dtype=np.int64)  # local indices
    total = {"events": 0, "divergent": 0}
    for k in range(n):
        pts, base, vel, off = _stage_arrays(sups, lift, ell, deg, k)
        tk = len(sups[k])
        starts = cells.copy()
        starts[:, k, :] += tk  # L of support k becomes the D_k L part behind A_k
        glob = starts + off[:-1][None, :, None]
        kept, st = _track(pts, base, vel, off, tk, k, glob, rtol)
        if st[0] != _OK:
            msg = f"stage {k}: {_STATUS[int(st[0])]}"
            if st[0] == _TIE:
                msg += f" (points {st[6]}, {st[7]} with pair ({st[8]}, {st[9]}), stage-global indices)"
            raise TrackingFailure(msg)
        # volume conservation: what starts at -inf (volumes already scaled by D_k, the
        # k-th edges lie in D_k L) arrives at +inf, kept or divergent
        start_vol = _volumes(pts, glob)
        if int(st[2] + st[3]) != start_vol:
            raise TrackingFailure(f"stage {k}: volume {int(st[2] + st[3])} arrived, {start_vol} started")
        total["events"] += int(st[1])
        total["divergent"] += int(st[5])
        cells = kept - off[:-1][None, :, None]
    if stats is not None:
        stats.update(events=stats.get("events", 0) + total["events"],
                     divergent=stats.get("divergent", 0) + total["divergent"])
    return cells


def _volumes(pts, glob):
    """Sum of ``|det|`` of the cells' edge matrices (float LU, rounded: small integer entries)."""
    if len(glob) == 0:
        return 0
    E = pts[glob[:, :, 0]] - pts[glob[:, :, 1]]
    return int(np.round(np.abs(np.linalg.det(E))).sum())
