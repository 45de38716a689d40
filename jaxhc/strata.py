"""Zero-pattern strata of the critical points of a deep linear network.

By Theorem 9 (m = 1; Conjecture 15 for m > 1) a critical point with a zero
weight has whole hidden neurons removed: removing neuron ``i`` of hidden layer
``k`` zeroes row ``i`` of ``W_k`` and column ``i`` of ``W_{k+1}``.  A *stratum*
is a choice of kept neurons per hidden layer.  Its critical points with all
remaining weights nonzero are exactly the torus critical points of the
*reduced* network (the kept widths, same ``d_x``, ``d_y``, ``m``), whose
regularization matrices are the restrictions of the ``Λ_k``; embedding them
with zeros elsewhere gives critical points of the full network (the gradient
components of the removed weights vanish identically on that coordinate
subspace).  If a hidden layer loses all its neurons only the origin remains.

Pattern strings: one bit string per hidden layer (``1`` = neuron kept), joined
by ``|``; e.g. ``"11|10"`` for H = 2.  The origin is ``"00|00"``.
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from .system.network import Architecture

__all__ = ["Stratum", "enumerate_strata", "pattern_of", "pattern_string", "patterns_of", "torus_bound"]


def pattern_string(arch: Architecture, kept) -> str:
    """The pattern string of kept-neuron sets ``kept[k]`` (hidden layer ``k``, 0-based)."""
    return "|".join("".join("1" if i in set(kept[k]) else "0" for i in range(d)) for k, d in enumerate(arch.widths))


@dataclasses.dataclass(frozen=True)
class Stratum:
    """One zero pattern: ``kept[k]`` = sorted kept neurons of hidden layer ``k`` (0-based).

    ``reduced`` is the reduced architecture (None for the origin stratum) and
    ``weight_index`` the positions, in the full flat weight vector, of the
    reduced network's weights in the reduced flat order.
    """

    arch: Architecture
    kept: tuple[tuple[int, ...], ...]
    reduced: Architecture | None
    weight_index: np.ndarray
    pattern: str

    @property
    def is_origin(self) -> bool:
        return self.reduced is None

    @property
    def is_full(self) -> bool:
        return all(len(k) == d for k, d in zip(self.kept, self.arch.widths))

    def restrict_params(self, p_full) -> np.ndarray:
        """Reduced parameters ``(vec X, vec Y, restricted Λ)`` from the full parameter vector."""
        if self.is_origin:
            raise ValueError("the origin stratum has no reduced network")
        a = self.arch
        p_full = np.asarray(p_full, dtype=np.complex128)
        k = a.dx * a.m + a.dy * a.m
        return np.concatenate([p_full[:k], p_full[k:][self.weight_index]])

    def embed(self, w_red) -> np.ndarray:
        """Full weight vectors (zeros on removed weights) from reduced ones, ``(..., N_red) -> (..., N)``."""
        w_red = np.asarray(w_red, dtype=np.complex128)
        out = np.zeros(w_red.shape[:-1] + (self.arch.N,), np.complex128)
        if not self.is_origin:
            out[..., self.weight_index] = w_red
        return out

    def restrict(self, w_full) -> np.ndarray:
        """Reduced weights of full weight vectors."""
        return np.asarray(w_full)[..., self.weight_index]


def _weight_index(arch: Architecture, kept) -> np.ndarray:
    dims = arch.layer_dims
    layers = [tuple(range(arch.dx)), *kept, tuple(range(arch.dy))]
    idx, off = [], 0
    for k in range(arch.H + 1):
        rows, cols = layers[k + 1], layers[k]
        for r in rows:
            for c in cols:
                idx.append(off + r * dims[k] + c)
        off += dims[k + 1] * dims[k]
    return np.array(idx, dtype=np.int64)


def enumerate_strata(arch: Architecture) -> list[Stratum]:
    """All strata: every nonempty choice of kept neurons per hidden layer, then the origin.

    ``prod(2^{d_k} − 1) + 1`` strata; the full network first, the origin last.
    """
    per_layer = []
    for d in arch.widths:
        subsets = [s for r in range(d, 0, -1) for s in itertools.combinations(range(d), r)]
        per_layer.append(subsets)
    out = []
    for kept in itertools.product(*per_layer):
        red = Architecture(tuple(len(s) for s in kept), arch.dx, arch.dy, arch.m)
        out.append(Stratum(arch, tuple(kept), red, _weight_index(arch, kept), pattern_string(arch, kept)))
    empty = tuple(() for _ in arch.widths)
    out.append(Stratum(arch, empty, None, np.zeros(0, np.int64), pattern_string(arch, empty)))
    return out


def pattern_of(arch: Architecture, w, tol: float = 1e-8) -> str:
    """Pattern string of a full weight vector (neuron ``i`` of layer ``k`` kept iff row ``i`` of
    ``W_k`` is nonzero).  A ``*`` is appended when the zeros of ``w`` are not exactly the
    zeros implied by that neuron pattern (which Theorem 9 rules out for m = 1)."""
    w = np.asarray(w)
    scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
    nz = np.abs(w) > tol * scale
    Ws = arch.split(nz)
    kept = [tuple(int(i) for i in np.flatnonzero(Ws[k].any(axis=1))) for k in range(arch.H)]
    pat = pattern_string(arch, kept)
    if any(len(s) == 0 for s in kept):
        expected = np.zeros(arch.N, bool)
    else:
        expected = np.zeros(arch.N, bool)
        expected[_weight_index(arch, kept)] = True
    return pat if np.array_equal(expected, nz) else pat + "*"


def patterns_of(arch: Architecture, W, tol=1e-8) -> list[str]:
    """:func:`pattern_of` of every row of ``W: Complex[ndarray, "k N"]`` at once (``tol``: a
    scalar or one relative tolerance per row); vectorized, for the per-sample counts."""
    W = np.asarray(W).reshape(-1, arch.N)
    if len(W) == 0:
        return []
    scale = np.maximum(1.0, np.max(np.abs(W), axis=1))
    nz = np.abs(W) > np.broadcast_to(np.asarray(tol, float), (len(W),))[:, None] * scale[:, None]
    mats = arch.split(nz)  # per layer: Bool[ndarray, "rows d_{k+1} d_k"]
    kept = [mats[k].any(axis=2) for k in range(arch.H)]  # hidden neurons with a nonzero incoming row
    dims = arch.layer_dims
    ones = lambda d: np.ones((len(W), d), bool)  # noqa: E731
    layers = [ones(dims[0]), *kept, ones(dims[-1])]
    expected = np.concatenate([(layers[k + 1][:, :, None] & layers[k][:, None, :]).reshape(len(W), -1)
                               for k in range(arch.H + 1)], axis=1)
    expected &= np.all([kk.any(axis=1) for kk in kept], axis=0)[:, None]  # an empty layer: the origin
    star = np.any(expected != nz, axis=1)
    out, memo = [], {}
    key = np.concatenate(kept, axis=1)
    for r in range(len(W)):
        kb = key[r].tobytes()
        if kb not in memo:
            memo[kb] = pattern_string(arch, [tuple(np.flatnonzero(kk[r]).tolist()) for kk in kept])
        out.append(memo[kb] + ("*" if star[r] else ""))
    return out


def torus_bound(reduced: Architecture) -> int | None:
    """Theorem 5: at most ``(4 d_y)^{d}`` torus critical points when H = m = 1 (else None).

    Used only to *check* completeness of a monodromy run, never as a count.
    """
    if reduced.H != 1 or reduced.m != 1:
        return None
    return (4 * reduced.dy) ** reduced.widths[0]


def sign_group(arch: Architecture) -> np.ndarray:
    """The neuron sign flips, ``Int[ndarray, "2^D N"]`` with ``D = Σ d_k``: flipping neuron ``i``
    of hidden layer ``k`` negates row ``i`` of ``W_k`` and column ``i`` of ``W_{k+1}``.

    The gradient system is equivariant under every flip (for all parameters), so
    critical points come in orbits; on the torus the action is free (orbits of
    size exactly ``2^D``).  Row 0 is the identity.
    """
    D = sum(arch.widths)
    bits = ((np.arange(2**D)[:, None] >> np.arange(D)[None, :]) & 1).astype(np.int64)
    signs = 1 - 2 * bits  # (2^D, D)
    layer_signs, off = [np.ones((2**D, arch.dx), np.int64)], 0
    for d in arch.widths:
        layer_signs.append(signs[:, off : off + d])
        off += d
    layer_signs.append(np.ones((2**D, arch.dy), np.int64))
    cols = []
    for k in range(arch.H + 1):
        s_out, s_in = layer_signs[k + 1], layer_signs[k]
        cols.append((s_out[:, :, None] * s_in[:, None, :]).reshape(2**D, -1))
    return np.concatenate(cols, axis=1)
