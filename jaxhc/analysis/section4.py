"""Section 4 of the paper: patterns of zeros in critical points.

Checks, on one critical point ``w`` (flat weights, W_1 row by row, then W_2, ...):

* ``prop8``  Proposition 8: a zero entry (i, j) of any W_k has its whole row i or
  its whole column j zero.
* ``thm9``   Theorem 9: row i of W_{k-1} is zero  <=>  column i of W_k is zero
  (for every hidden neuron i of layer k-1).
* ``cor10``  Corollary 10: a zero entry (i, j) of W_1 has its whole row i zero.
* ``cor11``  Corollary 11: a zero entry (i, j) of W_{H+1} has its whole column j zero.

They are theorems for m = 1 and generic data, and Conjecture 15 for m >= 2.

Zero-pattern *types* (Examples 13 and 14): by Proposition 8 and Theorem 9 the
zeros of a critical point are those of a set of "dead" hidden neurons (neuron
i of layer k dead = row i of W_k and column i of W_{k+1} zero).  If a whole
layer is dead the point is the origin.  The possible types are therefore one
proper subset of dead neurons per hidden layer, plus the origin:
``prod_k (2^{d_k} - 1) + 1`` types (4 for H=1, d_1=2; 10 for H=2, d_1=d_2=2).
A point whose zeros are not of this form gets an "irregular" type.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np

__all__ = ["CLAIMS", "check_point", "check_points", "dead_neurons", "pattern_picture", "possible_types",
           "type_counts", "type_key", "type_label", "zero_mask"]

CLAIMS = ("prop8", "thm9", "cor10", "cor11")
DEFAULT_TOL = 1e-8


def zero_mask(w, tol: float = DEFAULT_TOL) -> np.ndarray:
    """Entries counted as zero: ``|w_i| <= tol * max(1, ||w||_inf)`` (relative tolerance)."""
    w = np.asarray(w)
    scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
    return np.abs(w) <= tol * scale


def _zero_mats(arch, w, tol):
    return [np.asarray(z) for z in arch.split(zero_mask(w, tol))]


def check_point(arch, w, tol: float = DEFAULT_TOL) -> dict:
    """Violations of Proposition 8, Theorem 9 and Corollaries 10, 11 at one point.

    Returns a dict with, for each claim, the number of offending entries (prop8,
    cor10, cor11) or hidden neurons (thm9), and ``zeros`` (number of zero entries).
    """
    Z = _zero_mats(arch, w, tol)
    out = {"zeros": int(sum(z.sum() for z in Z))}
    p8 = 0
    for z in Z:
        row0 = z.all(axis=1)[:, None]
        col0 = z.all(axis=0)[None, :]
        p8 += int((z & ~row0 & ~col0).sum())
    out["prop8"] = p8
    t9 = 0
    for k in range(1, len(Z)):  # hidden layer k: rows of W_k (Z[k-1]) vs columns of W_{k+1} (Z[k])
        t9 += int((Z[k - 1].all(axis=1) != Z[k].all(axis=0)).sum())
    out["thm9"] = t9
    z1 = Z[0]
    out["cor10"] = int((z1 & ~z1.all(axis=1)[:, None]).sum())
    zl = Z[-1]
    out["cor11"] = int((zl & ~zl.all(axis=0)[None, :]).sum())
    return out


def dead_neurons(arch, w, tol: float = DEFAULT_TOL) -> tuple[frozenset, ...]:
    """Per hidden layer k = 1..H, the (1-based) neurons i with row i of W_k or column i of W_{k+1} zero."""
    Z = _zero_mats(arch, w, tol)
    dead = []
    for k in range(1, len(Z)):
        rows = Z[k - 1].all(axis=1)
        cols = Z[k].all(axis=0)
        dead.append(frozenset(int(i) + 1 for i in np.flatnonzero(rows | cols)))
    return tuple(dead)


def _canonical_mask(arch, dead) -> list[np.ndarray]:
    """Zero masks of W_1..W_{H+1} predicted by a set of dead neurons (all zero if a layer is fully dead)."""
    full = any(len(d) == arch.widths[k] for k, d in enumerate(dead))
    masks = []
    for k, (r, c) in enumerate(arch.shapes):  # matrix W_{k+1}
        m = np.zeros((r, c), bool)
        if full:
            m[:] = True
        else:
            if k < arch.H:
                for i in dead[k]:
                    m[i - 1, :] = True
            if k >= 1:
                for j in dead[k - 1]:
                    m[:, j - 1] = True
        masks.append(m)
    return masks


def _mask_string(arch, masks) -> str:
    return " ".join(f"W{k + 1}=[" + ";".join("".join("0" if v else "*" for v in row) for row in m) + "]"
                    for k, m in reversed(list(enumerate(masks))))


def type_key(arch, w, tol: float = DEFAULT_TOL) -> tuple:
    """Hashable zero-pattern type of a point.

    ``("dead", (frozenset_layer1, ..., frozenset_layerH))`` when its zeros are
    exactly those of its dead neurons (the origin has every neuron dead),
    otherwise ``("irregular", mask_string)``.
    """
    Z = _zero_mats(arch, w, tol)
    if all(z.all() for z in Z):
        return ("dead", tuple(frozenset(range(1, d + 1)) for d in arch.widths))
    dead = dead_neurons(arch, w, tol)
    canon = _canonical_mask(arch, dead)
    if any(len(d) == arch.widths[k] for k, d in enumerate(dead)) or any(
            (a != b).any() for a, b in zip(Z, canon)):
        return ("irregular", _mask_string(arch, Z))
    return ("dead", dead)


def possible_types(arch) -> list[tuple]:
    """All types allowed by Proposition 8 / Theorem 9: proper dead subsets per layer, plus the origin."""
    per_layer = []
    for d in arch.widths:
        subs = [frozenset(s) for r in range(d) for s in itertools.combinations(range(1, d + 1), r)]
        per_layer.append(subs)
    out = [("dead", tuple(c)) for c in itertools.product(*per_layer)]
    out.append(("dead", tuple(frozenset(range(1, d + 1)) for d in arch.widths)))
    return out


def type_label(arch, key) -> str:
    """Short text for a type: 'full support', 'origin', 'dead L1{2}', or the irregular mask."""
    kind, val = key
    if kind == "irregular":
        return "irregular " + val
    if all(len(d) == arch.widths[k] for k, d in enumerate(val)):
        return "origin"
    parts = [f"L{k + 1}{{{','.join(map(str, sorted(d)))}}}" for k, d in enumerate(val) if d]
    return "dead " + " ".join(parts) if parts else "full support"


def pattern_picture(arch, key) -> str:
    """The zero/star picture of a type, W_{H+1} first as in the paper, e.g. 'W2=[0*;0*] W1=[00;**]'."""
    kind, val = key
    if kind == "irregular":
        return val
    return _mask_string(arch, _canonical_mask(arch, val))


def type_counts(arch, points, tol: float = DEFAULT_TOL) -> Counter:
    return Counter(type_key(arch, w, tol) for w in points)


def check_points(arch, points, tol: float = DEFAULT_TOL) -> dict:
    """Aggregate Section 4 checks over many points (rows of ``points``).

    Returns ``points``, ``violations`` {claim: number of points violating it},
    ``violating_entries`` {claim: total offending entries/neurons}, ``types``
    {label: count}, ``pictures`` {label: picture}, ``missing_types`` (labels of
    possible types never seen) and ``irregular`` (points of irregular type).
    """
    points = np.asarray(points)
    viol = dict.fromkeys(CLAIMS, 0)
    entries = dict.fromkeys(CLAIMS, 0)
    counts: Counter = Counter()
    for w in points:
        c = check_point(arch, w, tol)
        for k in CLAIMS:
            viol[k] += int(c[k] > 0)
            entries[k] += c[k]
        counts[type_key(arch, w, tol)] += 1
    poss = possible_types(arch)
    labels = {type_label(arch, k): counts.get(k, 0) for k in poss}
    for k, v in counts.items():
        if k not in poss:
            labels[type_label(arch, k)] = v
    return {
        "points": int(len(points)),
        "violations": viol,
        "violating_entries": entries,
        "types": labels,
        "pictures": {type_label(arch, k): pattern_picture(arch, k) for k in list(poss) + list(counts)},
        "n_possible_types": len(poss),
        "missing_types": [type_label(arch, k) for k in poss if counts.get(k, 0) == 0],
        "irregular": int(sum(v for k, v in counts.items() if k[0] == "irregular")),
    }
