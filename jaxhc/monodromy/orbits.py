"""Track one path per sign-flip orbit.

Flipping the sign of a hidden neuron (row ``i`` of ``W_k``, column ``i`` of
``W_{k+1}``) maps critical points to critical points for *every* data
``(X, Y, Λ)`` (:func:`jaxhc.strata.sign_group`), so a parameter homotopy
commutes with the flips: the path from ``g·w`` is ``g·`` (the path from ``w``),
and in floating point exactly so (negation is exact and rounding is symmetric).
A solution set made of whole orbits is therefore tracked by tracking one
representative per orbit and mapping the results back — ``2^{Σ d_k}`` times fewer
paths on the torus (4 to 64 in the paper's tables).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..solutions.dedup import cluster_labels
from ..strata import sign_group
from ..system.network import Architecture
from ..tracker.stream import TrackResult

__all__ = ["OrbitMap", "canonical_signs"]


def canonical_signs(arch: Architecture, x: np.ndarray, tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """``(xc, g)`` with ``xc = G[g] · x`` row by row, the same ``xc`` for every point of an orbit.

    Layer by layer, neuron ``i`` of hidden layer ``k`` gets the sign that makes the
    largest entry of its incoming row ``W_k[i, :]`` (after the flips of layer ``k-1``)
    have positive real part (imaginary part if the real part is ~0); a dead incoming
    row falls back to the outgoing column, a dead neuron keeps its sign (it is fixed
    by its flip).  ``x: Complex[ndarray, "k N"]``; ``g: Int[ndarray, "k"]`` indexes
    :func:`jaxhc.strata.sign_group`.
    """
    x = np.array(x, dtype=np.complex128, copy=True)
    k = len(x)
    g = np.zeros(k, np.int64)
    ar = np.arange(k)
    bit = 0
    offs = np.cumsum([0] + [r * c for r, c in arch.shapes])
    for layer, d in enumerate(arch.widths):
        c_in = arch.shapes[layer][1]
        r_out, c_out = arch.shapes[layer + 1]
        for i in range(d):
            row_idx = offs[layer] + i * c_in + np.arange(c_in)  # W_layer[i, :]
            col_idx = offs[layer + 1] + np.arange(r_out) * c_out + i  # W_{layer+1}[:, i]
            row, col = x[:, row_idx], x[:, col_idx]
            dead_row = np.max(np.abs(row), axis=1) <= tol * np.maximum(1.0, np.max(np.abs(x), axis=1))
            lead = np.where(dead_row, col[ar, np.argmax(np.abs(col), axis=1)], row[ar, np.argmax(np.abs(row), axis=1)])
            key = np.where(np.abs(lead.real) > 1e-6 * np.abs(lead), lead.real, lead.imag)
            flip = key < 0
            x[np.ix_(flip, np.concatenate([row_idx, col_idx]))] *= -1
            g[flip] |= 1 << bit
            bit += 1
    return x, g


@dataclasses.dataclass
class OrbitMap:
    """Points ``X`` grouped by sign-flip orbit: ``X[j] = G[g[j]] · X[rep[cls[j]]]``."""

    G: np.ndarray  # Int[ndarray, "2^D N"]
    rep: np.ndarray  # Int[ndarray, "r"]  indices into X, one per orbit
    cls: np.ndarray  # Int[ndarray, "k"]  orbit of each point
    g: np.ndarray  # Int[ndarray, "k"]  group element taking the representative to the point

    @classmethod
    def build(cls, arch: Architecture, X: np.ndarray, rtol: float = 1e-8) -> "OrbitMap":
        """Group ``X`` by orbit; raises if a point is not the claimed image (a safety check)."""
        G = sign_group(arch)
        X = np.asarray(X)
        xc, gidx = canonical_signs(arch, X)
        lab = cluster_labels(xc, rtol)
        uniq, first = np.unique(lab, return_index=True)
        orbit = np.searchsorted(uniq, lab)
        g = gidx ^ gidx[first][orbit]  # G[a] G[b] = G[a xor b]
        m = cls(G, first, orbit, g)
        err = np.max(np.abs(m.images(X[first]) - X), axis=1) if len(X) else np.zeros(0)
        scale = np.maximum(1.0, np.max(np.abs(X), axis=1)) if len(X) else np.zeros(0)
        if np.any(err > 1e3 * rtol * scale):
            raise RuntimeError("sign-flip orbit map failed its check (points are not images of their representatives)")
        return m

    @classmethod
    def trivial(cls, arch: Architecture, n: int) -> "OrbitMap":
        """Every point its own orbit (no reduction)."""
        G = sign_group(arch)[:1]
        return cls(G, np.arange(n), np.arange(n), np.zeros(n, np.int64))

    @property
    def norbits(self) -> int:
        return len(self.rep)

    def images(self, xr: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """``G[g[j]] · xr[cls[j]]`` for ``j`` in ``rows`` (all points by default); ``xr`` per orbit."""
        rows = np.arange(len(self.cls)) if rows is None else np.asarray(rows)
        return self.G[self.g[rows]] * np.asarray(xr)[self.cls[rows]]

    def expand(self, r: TrackResult) -> TrackResult:
        """A ``keep="all"`` result over the representatives → the same over every point."""
        c = self.cls
        return TrackResult(r.status[c], r.nacc[c], r.nrej[c], r.t_end[c], np.arange(len(c)), self.images(r.x),
                           r.residual[c], r.cond[c], r.time, r.slot_steps)
