"""Deep linear networks: architectures and their data (X, Y, Λ).

An architecture has H hidden layers of widths ``d_1..d_H``, input dimension
``d_x``, output dimension ``d_y`` and ``m`` data points.  Weight matrices are
``W_i`` of shape ``(d_i, d_{i-1})`` with ``d_0 = d_x`` and ``d_{H+1} = d_y``.
The flat weight vector concatenates the ``W_i`` row by row (C order), which is
the variable order of the paper's Example 2.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

__all__ = ["Architecture", "NetworkData", "sample_data"]


@dataclasses.dataclass(frozen=True)
class Architecture:
    """Sizes of a deep linear network; validated on construction."""

    widths: tuple[int, ...]
    dx: int
    dy: int
    m: int = 1

    def __post_init__(self):
        widths = tuple(self.widths) if not isinstance(self.widths, int) else (self.widths,)
        object.__setattr__(self, "widths", widths)
        if len(widths) == 0:
            raise ValueError("an architecture needs at least one hidden layer (widths is empty)")
        for name, v in [("dx", self.dx), ("dy", self.dy), ("m", self.m)] + [
            (f"widths[{i}]", w) for i, w in enumerate(widths)
        ]:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        object.__setattr__(self, "widths", tuple(int(w) for w in widths))
        object.__setattr__(self, "dx", int(self.dx))
        object.__setattr__(self, "dy", int(self.dy))
        object.__setattr__(self, "m", int(self.m))

    @property
    def H(self) -> int:
        """Number of hidden layers."""
        return len(self.widths)

    @property
    def layer_dims(self) -> tuple[int, ...]:
        """``(d_x, d_1, ..., d_H, d_y)``."""
        return (self.dx, *self.widths, self.dy)

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """Shapes of ``W_1, ..., W_{H+1}``: ``(d_i, d_{i-1})``."""
        d = self.layer_dims
        return tuple((d[i + 1], d[i]) for i in range(self.H + 1))

    @property
    def N(self) -> int:
        """Number of weights (= number of variables and equations)."""
        return sum(r * c for r, c in self.shapes)

    @property
    def degree(self) -> int:
        """Degree 2H+1 of every gradient polynomial."""
        return 2 * self.H + 1

    @property
    def cbb(self) -> int:
        """Classical Bézout bound (2H+1)^N (Proposition 1)."""
        return self.degree**self.N

    @property
    def theorem5_bounds(self) -> tuple[int, int] | None:
        """``(B_C, B_C*)`` of Corollary 12 / Theorem 5 when H = m = 1, else None."""
        if self.H != 1 or self.m != 1:
            return None
        d, p = self.widths[0], self.dy
        return (1 + 4 * p) ** d, (4 * p) ** d

    @property
    def nparams(self) -> int:
        """Length of the flat parameter vector (X, Y, Λ_1..Λ_{H+1})."""
        return self.dx * self.m + self.dy * self.m + self.N

    def split(self, w):
        """Split a flat vector of length N into the weight matrices (numpy or jax)."""
        out, k = [], 0
        for r, c in self.shapes:
            out.append(w[..., k : k + r * c].reshape(w.shape[:-1] + (r, c)))
            k += r * c
        return out

    def label(self) -> str:
        return f"H{self.H}_w{'-'.join(map(str, self.widths))}_dx{self.dx}_dy{self.dy}_m{self.m}"


@dataclasses.dataclass(frozen=True)
class NetworkData:
    """Data of one instance: ``X (d_x, m)``, ``Y (d_y, m)``, ``Λ_i`` shaped like ``W_i``.

    Entries may be real or complex (complex data are used by parameter
    homotopies and monodromy).  ``seed`` records where sampled data came from.
    """

    arch: Architecture
    X: np.ndarray
    Y: np.ndarray
    Lambdas: tuple[np.ndarray, ...]
    seed: int | None = None

    def __post_init__(self):
        a = self.arch
        X, Y = np.asarray(self.X), np.asarray(self.Y)
        if X.shape != (a.dx, a.m):
            raise ValueError(f"X must have shape (d_x, m) = {(a.dx, a.m)}, got {X.shape}")
        if Y.shape != (a.dy, a.m):
            raise ValueError(f"Y must have shape (d_y, m) = {(a.dy, a.m)}, got {Y.shape}")
        L = tuple(np.asarray(l) for l in self.Lambdas)
        if len(L) != a.H + 1:
            raise ValueError(f"need {a.H + 1} regularization matrices, got {len(L)}")
        for i, (l, s) in enumerate(zip(L, a.shapes)):
            if l.shape != s:
                raise ValueError(f"Lambda_{i + 1} must have shape {s}, got {l.shape}")
        for name, arr in [("X", X), ("Y", Y)] + [(f"Lambda_{i + 1}", l) for i, l in enumerate(L)]:
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} has non-finite entries")
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "Y", Y)
        object.__setattr__(self, "Lambdas", L)

    @property
    def params(self) -> np.ndarray:
        """Flat complex parameter vector ``(vec X, vec Y, vec Λ_1, ..., vec Λ_{H+1})``."""
        parts = [self.X.ravel(), self.Y.ravel()] + [l.ravel() for l in self.Lambdas]
        return np.concatenate(parts).astype(np.complex128)

    @classmethod
    def from_params(cls, arch: Architecture, p, seed=None) -> "NetworkData":
        p = np.asarray(p)
        if p.shape != (arch.nparams,):
            raise ValueError(f"parameter vector must have length {arch.nparams}, got {p.shape}")
        X = p[: arch.dx * arch.m].reshape(arch.dx, arch.m)
        k = arch.dx * arch.m
        Y = p[k : k + arch.dy * arch.m].reshape(arch.dy, arch.m)
        k += arch.dy * arch.m
        return cls(arch, X, Y, tuple(arch.split(p[k:])), seed)

    @property
    def is_real(self) -> bool:
        return bool(np.isrealobj(self.params) or np.all(np.imag(self.params) == 0))


def sample_data(arch: Architecture, seed: int) -> NetworkData:
    """Sample data as in Section 5: X, Y iid N(0, 1) and Λ_i iid U(0, 1), from ``seed``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((arch.dx, arch.m))
    Y = rng.standard_normal((arch.dy, arch.m))
    L = tuple(rng.uniform(0.0, 1.0, s) for s in arch.shapes)
    return NetworkData(arch, X, Y, L, seed=seed)


def architecture(widths: Sequence[int] | int, dx: int, dy: int, m: int = 1) -> Architecture:
    """Convenience constructor accepting a list (e.g. from a config)."""
    if isinstance(widths, (int, np.integer)):
        widths = (int(widths),)
    return Architecture(tuple(widths), dx, dy, m)


