"""Exact integer determinants (fraction-free Bareiss elimination).

Cell volumes of a mixed subdivision are ``|det|`` of integer ``n x n``
matrices of edge vectors; floats would round wrongly for large ``n``, so
we use Bareiss, whose intermediate values are minors of the input and hence
bounded by Hadamard's bound.  When that bound fits into int64 a whole batch
of matrices is eliminated at once with numpy; otherwise Python ints are used.
"""

from __future__ import annotations


import numpy as np

__all__ = ["det_bareiss", "abs_dets", "rank_int"]


def det_bareiss(M) -> int:
    """Exact determinant of one square integer matrix ``M (n, n)`` with Python ints."""
    A = [[int(v) for v in row] for row in np.asarray(M)]
    n = len(A)
    sign, prev = 1, 1
    for k in range(n - 1):
        if A[k][k] == 0:  # pivot: swap in a row with a nonzero entry in column k
            for i in range(k + 1, n):
                if A[i][k] != 0:
                    A[k], A[i] = A[i], A[k]
                    sign = -sign
                    break
            else:
                return 0
        akk = A[k][k]
        for i in range(k + 1, n):
            aik = A[i][k]
            Ai, Ak = A[i], A[k]
            for j in range(k + 1, n):
                # exact division: the quotient is a (k+1)-minor of M
                Ai[j] = (Ai[j] * akk - aik * Ak[j]) // prev
        prev = akk
    return sign * A[n - 1][n - 1] if n else 1


def _hadamard_log2(M: np.ndarray) -> float:
    """log2 of Hadamard's bound (product of row norms), maximised over a batch."""
    norms = np.sqrt((M.astype(np.float64) ** 2).sum(-1))  # (b, n)
    with np.errstate(divide="ignore"):
        return float(np.max(np.log2(np.maximum(norms, 1.0)).sum(-1), initial=0.0))


def abs_dets(Ms: np.ndarray) -> list[int]:
    """``|det|`` of a batch of integer matrices ``Ms (b, n, n)``, exactly, as Python ints."""
    Ms = np.asarray(Ms)
    if Ms.ndim != 3 or Ms.shape[1] != Ms.shape[2]:
        raise ValueError(f"expected a batch of square matrices (b, n, n), got {Ms.shape}")
    b, n, _ = Ms.shape
    if b == 0:
        return []
    # products of two minors must fit into int64 inside the update step
    if 2 * _hadamard_log2(Ms) + 2 >= 62:
        return [abs(det_bareiss(M)) for M in Ms]
    A = Ms.astype(np.int64).copy()
    sign = np.ones(b, dtype=np.int64)
    prev = np.ones(b, dtype=np.int64)
    alive = np.ones(b, dtype=bool)
    rows = np.arange(b)
    for k in range(n - 1):
        # partial pivoting per matrix: first row >= k with nonzero entry in column k
        col = A[:, k:, k] != 0
        has = col.any(1)
        alive &= has
        piv = k + np.argmax(col, axis=1)
        swap = piv != k
        if swap.any():
            r = rows[swap]
            tmp = A[r, k].copy()
            A[r, k] = A[r, piv[swap]]
            A[r, piv[swap]] = tmp
            sign[swap] = -sign[swap]
        akk = A[:, k, k].copy()
        akk[~alive] = 1
        aik = A[:, k + 1 :, k]
        upd = A[:, k + 1 :, k + 1 :] * akk[:, None, None] - aik[:, :, None] * A[:, k, None, k + 1 :]
        A[:, k + 1 :, k + 1 :] = upd // prev[:, None, None]
        prev = akk
    d = np.where(alive, sign * A[:, n - 1, n - 1], 0)
    return [abs(int(v)) for v in d]


def _rank_python(rows: list[list[int]]) -> int:
    """Exact rank of an integer matrix with Python ints (fraction-free elimination)."""
    A = [list(r) for r in rows if any(r)]
    if not A:
        return 0
    ncols, rank = len(A[0]), 0
    for c in range(ncols):
        piv = next((i for i in range(rank, len(A)) if A[i][c] != 0), None)
        if piv is None:
            continue
        A[rank], A[piv] = A[piv], A[rank]
        p = A[rank]
        for i in range(rank + 1, len(A)):
            a = A[i][c]
            if a:
                A[i] = [x * p[c] - a * y for x, y in zip(A[i], p)]
        rank += 1
    return rank


def rank_int(M) -> int:
    """Exact rank (over Q) of an integer matrix ``M (r, n)``.

    Vectorised fraction-free elimination in int64 with every row divided by the
    gcd of its entries after each step; falls back to Python ints if entries
    could overflow.
    """
    A = np.array(M, dtype=np.int64)
    if A.ndim != 2:
        raise ValueError(f"expected a matrix, got shape {A.shape}")
    A = A[np.any(A != 0, axis=1)]
    rank = 0
    for c in range(A.shape[1]):
        if A.shape[0] == 0:
            break
        if np.abs(A).max() >= 2**30:  # products below must stay far from 2^63
            return rank + _rank_python(A.tolist())
        nz = np.flatnonzero(A[:, c])
        if len(nz) == 0:
            continue
        p = nz[np.argmin(np.abs(A[nz, c]))]
        piv = A[p].copy()
        rest = np.delete(A, p, axis=0)
        rest = rest * piv[c] - np.outer(rest[:, c], piv)
        rest = rest[np.any(rest != 0, axis=1)]
        if len(rest):
            g = np.gcd.reduce(rest, axis=1)
            rest //= g[:, None]
        A = rest
        rank += 1
    return rank
