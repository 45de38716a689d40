"""Total-degree start system ``G_i(x) = x_i^{d_i} - 1`` and its start solutions.

Start solutions are enumerated lazily by index (mixed radix over the degrees),
so millions of paths can stream through the tracker without being stored.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np

from ..system.system import System

__all__ = ["total_degree_system", "TotalDegreeStarts"]


@functools.lru_cache(maxsize=None)
def _start_fn(degrees: tuple[int, ...]):
    d = jnp.asarray(degrees)

    def fn(x, p):
        # x**d with integer exponents via repeated multiplication (exact, no log).
        out = jnp.ones_like(x)
        for k in range(max(degrees)):
            out = jnp.where(k < d, out * x, out)
        return out - 1.0

    return fn


def total_degree_system(degrees) -> System:
    """``G(x) = (x_i^{d_i} - 1)_i``, one compiled function per degree tuple."""
    degrees = tuple(int(v) for v in degrees)
    return System(_start_fn(degrees), len(degrees), degrees, np.zeros(0), name="total_degree")


class TotalDegreeStarts:
    """The ``prod(d_i)`` start solutions of :func:`total_degree_system`, by index.

    ``starts[i]`` for integer arrays of indices gives ``Complex[ndarray, "k n"]``:
    the path with index ``i`` starts at ``x_j = exp(2πi k_j / d_j)`` where
    ``(k_1..k_n)`` are the mixed-radix digits of ``i``.
    """

    def __init__(self, degrees):
        self.degrees = np.asarray(degrees, dtype=np.int64)
        self._len = int(np.prod([int(v) for v in degrees], dtype=object))

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, idx) -> np.ndarray:
        idx = np.atleast_1d(np.asarray(idx, dtype=np.int64))
        if np.any(idx < 0) or np.any(idx >= self._len):
            raise IndexError("start-solution index out of range")
        digits = np.empty((idx.size, self.degrees.size), dtype=np.int64)
        rem = idx.copy()
        for j in range(self.degrees.size - 1, -1, -1):
            digits[:, j] = rem % self.degrees[j]
            rem //= self.degrees[j]
        return np.exp(2j * np.pi * digits / self.degrees[None, :])
