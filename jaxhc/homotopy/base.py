"""Homotopies ``H(x, t; args)`` tracked from ``t = 1`` (start) to ``t = 0`` (target).

A :class:`Homotopy` holds a pure function ``fn(x, t, args)`` and its ``args``
(a tuple of arrays).  ``fn`` is static under ``jit``: it is built once per pair
of system functions (``functools.lru_cache``), so new data, new γ or new
parameter values reuse the compiled tracker.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable

import jax.numpy as jnp
import numpy as np

from ..system.system import System

__all__ = ["Homotopy", "straight_line", "parameter_homotopy", "random_gamma"]


@dataclasses.dataclass(frozen=True, eq=False)
class Homotopy:
    """``fn(x: Complex[Array, "n"], t: complex, args) -> Complex[Array, "n"]``.

    ``target`` is the system solved at ``t = 0``; the tracker refines endpoints on it.
    """

    fn: Callable
    args: tuple
    nvars: int
    target: System
    meta: dict = dataclasses.field(default_factory=dict)


def random_gamma(rng: np.random.Generator) -> complex:
    """A random unit complex number (the γ trick): avoids singularities on [0, 1) for all but finitely many γ."""
    return complex(np.exp(2j * np.pi * rng.uniform()))


@functools.lru_cache(maxsize=None)
def _straight_line_fn(f_target: Callable, f_start: Callable):
    def fn(x, t, args):
        p_target, p_start, gamma = args
        return (1.0 - t) * f_target(x, p_target) + (t * gamma) * f_start(x, p_start)

    return fn


def straight_line(target: System, start: System, gamma: complex) -> Homotopy:
    """``H(x, t) = (1 - t) F(x) + t γ G(x)``."""
    if target.nvars != start.nvars:
        raise ValueError(f"target has {target.nvars} unknowns, start system {start.nvars}")
    args = (
        jnp.asarray(target.params, dtype=jnp.complex128),
        jnp.asarray(start.params, dtype=jnp.complex128),
        jnp.asarray(gamma, dtype=jnp.complex128),
    )
    return Homotopy(_straight_line_fn(target.fn, start.fn), args, target.nvars, target,
                    meta={"kind": "straight_line", "gamma": complex(gamma)})


@functools.lru_cache(maxsize=None)
def _parameter_fn(f: Callable):
    def fn(x, t, args):
        p_target, p_start, gamma = args
        # s(t) runs from 0 to 1 along a complex arc when gamma is not real, so
        # the path in parameter space avoids the real discriminant locus.
        s = gamma * t / (1.0 + (gamma - 1.0) * t)
        return f(x, (1.0 - s) * p_target + s * p_start)

    return fn


def parameter_homotopy(system: System, p_start, p_target, gamma: complex = 1.0) -> Homotopy:
    """``H(x, t) = F(x; p(s(t)))`` moving the parameters from ``p_start`` (t=1) to ``p_target`` (t=0)."""
    p_start = np.asarray(p_start, dtype=np.complex128).ravel()
    p_target = np.asarray(p_target, dtype=np.complex128).ravel()
    if p_start.shape != system.params.shape or p_target.shape != system.params.shape:
        raise ValueError(f"{system.name}: parameter vectors must have length {system.params.size}")
    args = (jnp.asarray(p_target), jnp.asarray(p_start), jnp.asarray(gamma, dtype=jnp.complex128))
    return Homotopy(_parameter_fn(system.fn), args, system.nvars, system.with_params(p_target),
                    meta={"kind": "parameter", "gamma": complex(gamma)})
