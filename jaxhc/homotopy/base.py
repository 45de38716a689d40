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

import jax
import jax.numpy as jnp
import numpy as np

from ..system.system import System, value_and_jacobian

__all__ = ["Homotopy", "straight_line", "parameter_homotopy", "parameter_homotopies", "as_grouped", "random_gamma"]


@dataclasses.dataclass(frozen=True, eq=False)
class Homotopy:
    """``fn(x: Complex[Array, "n"], t: complex, args) -> Complex[Array, "n"]``.

    ``target`` is the system solved at ``t = 0``; the tracker refines endpoints on it.

    A *grouped* homotopy is a family of them with one ``fn`` (e.g. one parameter homotopy per
    target sample): every leaf of ``args`` then has a leading axis ``G`` (one row per member),
    ``groups: Int[ndarray, "P"]`` says which member start path ``i`` follows, and
    ``target_params: Complex[ndarray, "G k"]`` holds each member's target parameters for the
    endgame.  The tracker gathers each path's rows into its slot, so paths of different members
    share one batch (and one compiled kernel).
    """

    fn: Callable
    args: tuple
    nvars: int
    target: System
    meta: dict = dataclasses.field(default_factory=dict)
    groups: np.ndarray | None = None
    target_params: np.ndarray | None = None

    @property
    def grouped(self) -> bool:
        return self.groups is not None


def random_gamma(rng: np.random.Generator) -> complex:
    """A random unit complex number (the γ trick): avoids singularities on [0, 1) for all but finitely many γ."""
    return complex(np.exp(2j * np.pi * rng.uniform()))


@functools.lru_cache(maxsize=None)
def _straight_line_fn(f_target: Callable, f_start: Callable):
    def fn(x, t, args):
        p_target, p_start, gamma = args
        return (1.0 - t) * f_target(x, p_target) + (t * gamma) * f_start(x, p_start)

    _key_from(fn, "straight_line", f_target, f_start)
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
    def params_at(t, args):
        p_target, p_start, gamma = args
        # s(t) runs from 0 to 1 along a complex arc when gamma is not real, so
        # the path in parameter space avoids the real discriminant locus.
        s = gamma * t / (1.0 + (gamma - 1.0) * t)
        return (1.0 - s) * p_target + s * p_start

    def fn(x, t, args):
        return f(x, params_at(t, args))

    def value_and_jacobians(x, t, args):
        # ∂H/∂x is the system's own Jacobian at p(t) (its closed form when it has one) and
        # ∂H/∂t one directional derivative in t: pushing t's tangent through all n + 1
        # directions of one forward-mode pass cost about twice as much (measured, N = 15).
        val, jac = value_and_jacobian(f, x, params_at(t, args))
        ht = jax.jvp(lambda tt: f(x, params_at(tt, args)), (t,), (jnp.ones_like(t),))[1]
        return val, jac, ht

    fn.value_and_jacobians = value_and_jacobians
    _key_from(fn, "parameter", f)
    return fn


def _key_from(fn, kind: str, *parts) -> None:
    """Give ``fn`` a ``cache_key`` (see :mod:`jaxhc.tracker.executable_cache`) when every system
    function it is built from has one."""
    keys = [getattr(f, "cache_key", None) for f in parts]
    if all(k is not None for k in keys):
        fn.cache_key = (kind, *keys)


def parameter_homotopy(system: System, p_start, p_target, gamma: complex = 1.0) -> Homotopy:
    """``H(x, t) = F(x; p(s(t)))`` moving the parameters from ``p_start`` (t=1) to ``p_target`` (t=0)."""
    p_start = np.asarray(p_start, dtype=np.complex128).ravel()
    p_target = np.asarray(p_target, dtype=np.complex128).ravel()
    if p_start.shape != system.params.shape or p_target.shape != system.params.shape:
        raise ValueError(f"{system.name}: parameter vectors must have length {system.params.size}")
    args = (jnp.asarray(p_target), jnp.asarray(p_start), jnp.asarray(gamma, dtype=jnp.complex128))
    return Homotopy(_parameter_fn(system.fn), args, system.nvars, system.with_params(p_target),
                    meta={"kind": "parameter", "gamma": complex(gamma)})


def parameter_homotopies(system: System, p_start, p_targets, gammas, groups) -> Homotopy:
    """Several parameter homotopies from one start ``p_start`` at once, as one grouped
    :class:`Homotopy`: member ``g`` moves to ``p_targets[g]`` with ``gammas[g]``, and start path
    ``i`` follows member ``groups[i]``.  Same ``fn`` (and compiled tracker) for any number of members.

    Args:
        p_start: ``Complex[ndarray, "k"]``; p_targets: ``Complex[ndarray, "G k"]``;
        gammas: ``Complex[ndarray, "G"]``; groups: ``Int[ndarray, "P"]`` with values in ``[0, G)``.
    """
    k = system.params.size
    p_start = np.asarray(p_start, dtype=np.complex128).ravel()
    p_targets = np.asarray(p_targets, dtype=np.complex128)
    gammas = np.asarray(gammas, dtype=np.complex128).ravel()
    groups = np.asarray(groups, dtype=np.int64).ravel()
    if p_start.shape != (k,) or p_targets.ndim != 2 or p_targets.shape[1] != k:
        raise ValueError(f"{system.name}: p_start must have length {k} and p_targets shape (G, {k}), "
                         f"got {p_start.shape} and {p_targets.shape}")
    G = len(p_targets)
    if len(gammas) != G:
        raise ValueError(f"one gamma per target: {G} targets, {len(gammas)} gammas")
    if len(groups) and (groups.min() < 0 or groups.max() >= G):
        raise ValueError(f"groups must lie in [0, {G})")
    args = (p_targets, np.broadcast_to(p_start, (G, k)).copy(), gammas)
    return Homotopy(_parameter_fn(system.fn), args, system.nvars, system.with_params(p_targets[0]) if G else system,
                    meta={"kind": "parameter", "gammas": gammas}, groups=groups, target_params=p_targets)


def as_grouped(h: Homotopy, npaths: int) -> Homotopy:
    """``h`` as a grouped homotopy with one member, followed by all ``npaths`` start paths.

    The paths then run in the tracker's grouped kernel (per-path ``args``), the one the grouped
    homotopies of the same ``fn`` use: a monodromy loop's legs, a sample's redo and retries and
    the batched first passes of many samples (:func:`parameter_homotopies`) share one compiled
    tracker instead of compiling two (a compilation costs seconds on the CPU, more than tracking
    a small row's paths).  Grouped homotopies are returned unchanged."""
    if h.grouped:
        return h
    return dataclasses.replace(h, args=tuple(np.asarray(a)[None] for a in h.args),
                               groups=np.zeros(int(npaths), np.int64),
                               target_params=np.asarray(h.target.params, np.complex128)[None])
