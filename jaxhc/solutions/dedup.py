"""Deduplication of endpoints (host side, numpy)."""

from __future__ import annotations

import numpy as np

__all__ = ["unique_points", "cluster_labels"]


def unique_points(x: np.ndarray, rtol: float = 1e-6) -> np.ndarray:
    """Indices of representatives of the distinct rows of ``x`` (see :func:`cluster_labels`)."""
    labels = cluster_labels(x, rtol)
    return np.flatnonzero(labels == np.arange(len(labels)))


def cluster_labels(x: np.ndarray, rtol: float = 1e-6) -> np.ndarray:
    """For each row of ``x: Complex[ndarray, "k n"]``, the index of its cluster's representative.

    Two points are the same when ``‖a − b‖_∞ <= rtol · max(1, ‖a‖_∞)``.  Points are
    sorted along a random real projection so only neighbours within the
    tolerance band are compared (near-linear for well-separated solutions).
    """
    x = np.asarray(x)
    k = len(x)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(0)  # fixed: the projection only orders the work
    w = rng.standard_normal(x.shape[1]) + 1j * rng.standard_normal(x.shape[1])
    w /= np.abs(w).sum()
    key = np.real(x @ w)
    order = np.argsort(key)
    scale = np.maximum(1.0, np.max(np.abs(x), axis=1))
    rep = -np.ones(k, dtype=np.int64)
    for a, i in enumerate(order):
        if rep[i] >= 0:
            continue
        rep[i] = i
        tol = rtol * scale[i]
        # |key_j - key_i| <= ‖x_j − x_i‖_∞ since the weights have l1 norm 1.
        for j in order[a + 1 :]:
            if key[j] - key[i] > tol:
                break
            if rep[j] < 0 and np.max(np.abs(x[j] - x[i])) <= tol:
                rep[j] = i
    return rep
