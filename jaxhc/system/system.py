"""A square polynomial system ``F(x; p) = 0`` as a pure JAX function.

A :class:`System` pairs a function ``fn(x, p) -> F`` (``x``: ``Complex[Array, "n"]``,
``p``: ``Complex[Array, "k"]``) with its parameter values and the degrees of its
equations.  ``fn`` is the unit of compilation: trackers are compiled once per
``fn`` and reused for any parameter values, so a sweep over samples never
recompiles.  Jacobians come from forward-mode autodiff, or from a closed form that ``fn``
carries (:func:`value_and_jacobian`).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

__all__ = ["System", "polynomial_system", "from_sympy", "value_and_jacobian"]


def value_and_jacobian(fn, x, p):
    """``F(x; p)`` and ``F'(x)`` for one point ``x: Complex[Array, "n"]``.

    A system function may carry its own closed form as ``fn.value_and_jacobian(x, p)`` (the
    network gradient systems do: their Jacobian is the loss's Hessian, see
    :func:`jaxhc.system.gradient.value_and_hessian`); otherwise one forward-mode pass over the
    ``n`` unit directions gives both (``jax.jacfwd`` plus a separate evaluation would trace
    ``fn`` twice)."""
    own = getattr(fn, "value_and_jacobian", None)
    if own is not None:
        return own(x, p)
    n = x.shape[0]
    return jax.vmap(lambda e: jax.jvp(lambda z: fn(z, p), (x,), (e,)), out_axes=(None, 1))(jnp.eye(n, dtype=x.dtype))


@dataclasses.dataclass(frozen=True, eq=False)
class System:
    """``F(x; p)``: ``n`` equations in ``n`` unknowns with parameters ``p``.

    Attributes:
        fn: pure function ``(x: Complex[Array, "n"], p: Complex[Array, "k"]) -> Complex[Array, "n"]``.
        nvars: number of unknowns ``n`` (= number of equations).
        degrees: total degree of each equation (for total-degree start systems).
        params: default parameter values, ``Complex[ndarray, "k"]``.
        name: label for logs and results.
        meta: free-form description (architecture, data seed, ...).
    """

    fn: Callable
    nvars: int
    degrees: tuple[int, ...]
    params: np.ndarray
    name: str = "system"
    meta: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "params", np.asarray(self.params, dtype=np.complex128).ravel())
        object.__setattr__(self, "degrees", tuple(int(d) for d in self.degrees))
        if len(self.degrees) != self.nvars:
            raise ValueError(f"{self.name}: {len(self.degrees)} degrees for {self.nvars} equations")
        if any(d < 1 for d in self.degrees):
            raise ValueError(f"{self.name}: every equation needs degree >= 1, got {self.degrees}")

    def __call__(self, x, p=None):
        """Evaluate at ``x`` (``Complex[Array, "... n"]``; leading axes are vmapped)."""
        p = jnp.asarray(self.params if p is None else p, dtype=jnp.complex128)
        x = jnp.asarray(x, dtype=jnp.complex128)
        f = self.fn
        for _ in range(x.ndim - 1):
            f = jax.vmap(f, in_axes=(0, None))
        return f(x, p)

    def jacobian(self, x, p=None):
        """Jacobian ``dF/dx`` at one point, ``Complex[Array, "n n"]``."""
        p = jnp.asarray(self.params if p is None else p, dtype=jnp.complex128)
        return value_and_jacobian(self.fn, jnp.asarray(x, dtype=jnp.complex128), p)[1]

    def with_params(self, p) -> "System":
        """Same equations (same compiled code) with other parameter values."""
        p = np.asarray(p, dtype=np.complex128).ravel()
        if p.shape != self.params.shape:
            raise ValueError(f"{self.name}: expected {self.params.size} parameters, got {p.size}")
        return dataclasses.replace(self, params=p)

    @property
    def bezout(self) -> int:
        return int(np.prod([int(d) for d in self.degrees], dtype=object))


def _power_table(x, maxdeg: int):
    """``Complex[Array, "n maxdeg+1"]`` of x_j^k, by repeated products (exact at x_j = 0)."""
    cols = [jnp.ones_like(x)]
    for _ in range(maxdeg):
        cols.append(cols[-1] * x)
    return jnp.stack(cols, axis=-1)


def polynomial_system(supports, coefficients=None, name="poly") -> System:
    """A system from supports and coefficients.

    Args:
        supports: list of ``n`` integer arrays, ``supports[i]`` of shape ``(t_i, n)``:
            the exponent vectors of equation ``i``.
        coefficients: list of ``n`` complex arrays of length ``t_i`` (default: ones).
            They become the system's parameters, so a family with fixed supports
            compiles once.
    """
    sups = [np.asarray(s, dtype=np.int64) for s in supports]
    n = len(sups)
    if n == 0:
        raise ValueError("empty system")
    for i, s in enumerate(sups):
        if s.ndim != 2 or s.shape[1] != n:
            raise ValueError(f"support {i} must have shape (terms, {n}), got {s.shape}")
        if np.any(s < 0):
            raise ValueError(f"support {i} has negative exponents")
    if coefficients is None:
        coefficients = [np.ones(len(s)) for s in sups]
    coefs = [np.asarray(c, dtype=np.complex128).ravel() for c in coefficients]
    for i, (s, c) in enumerate(zip(sups, coefs)):
        if len(c) != len(s):
            raise ValueError(f"equation {i}: {len(s)} monomials but {len(c)} coefficients")
    # Pad all equations to the same number of terms so one gather evaluates all.
    T = max(len(s) for s in sups)
    E = np.zeros((n, T, n), dtype=np.int64)
    mask = np.zeros((n, T))
    for i, s in enumerate(sups):
        E[i, : len(s)] = s
        mask[i, : len(s)] = 1.0
    maxdeg = int(E.max()) if E.size else 0
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sups])])
    gather = np.zeros((n, T), dtype=np.int64)
    for i, s in enumerate(sups):
        gather[i, : len(s)] = offsets[i] + np.arange(len(s))
    E_j, mask_j, gather_j = jnp.asarray(E), jnp.asarray(mask), jnp.asarray(gather)
    cols = jnp.arange(n)

    def fn(x, p):
        pw = _power_table(x, maxdeg)  # (n, maxdeg+1)
        mon = jnp.prod(pw[cols[None, None, :], E_j], axis=-1)  # (n, T)
        return jnp.sum(p[gather_j] * mask_j * mon, axis=-1)

    degrees = [max(1, int(s.sum(axis=1).max())) for s in sups]
    return System(fn, n, tuple(degrees), np.concatenate(coefs), name=name,
                  meta={"supports": [s.tolist() for s in sups]})


def from_sympy(polys, variables, name="sympy") -> System:
    """A :class:`System` from sympy expressions in ``variables`` (numeric coefficients)."""
    import sympy as sp

    sups, coefs = [], []
    for f in polys:
        P = sp.Poly(sp.expand(f), *variables)
        terms = P.terms()
        sups.append(np.array([t[0] for t in terms], dtype=np.int64).reshape(-1, len(variables)))
        coefs.append(np.array([complex(t[1]) for t in terms]))
    return polynomial_system(sups, coefs, name=name)
