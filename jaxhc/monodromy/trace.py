"""Trace test: certify that a monodromy solution set is complete.

Monodromy stops when ``k`` loops add nothing, which is a heuristic.  The trace
test (Leykin, Rodriguez, Sottile, *Trace test*, Arnold Math. J. 4 (2018); the
construction of HomotopyContinuation.jl's ``verify_solution_completeness``)
turns it into a check that can fail.

For the torus critical points ``S`` of ``F(x; p)`` take a random parameter
direction ``v`` (by default in the Λ coordinates only, which keeps the slice small) and a random linear form ``a`` and the augmented system in
``z = (x, λ)``::

    E(z; t) = [ F(x; p + λ v) ;  (a·x − 1) λ + t ].

At ``t = 0`` its solutions are ``{(x, 0) : x ∈ S_all}`` (the fibre we want) and
``W = {(x, λ) : F(x; p + λv) = 0, a·x = 1}`` (a linear slice of the curve
``C = {F(x; p + λv) = 0}``); for ``t ≠ 0`` they are the fibre of the function
``(a·x − 1)λ`` on ``C``.  The sum of the points of that fibre is an affine
linear function of ``t`` if and only if the points form complete fibres of a
union of components of ``C``; a missing point adds its own non-linear path to
the sum.  So with ``S`` and ``W`` at ``t = 0``, tracked to ``t = ±δu``::

    trace = ‖(s₊ − s₀) − (s₀ − s₋)‖∞ / max(‖s₊ − s₀‖∞, ‖s₀ − s₋‖∞)

is at rounding level (1e-13 here) when ``S ∪ W`` is complete and of order one
when a point is missing.  ``W`` is itself found by monodromy (over ``p, v, a``
with ``t = 0``), so a verdict of *complete* certifies both sets together; the trace
is evaluated after every monodromy loop that found nothing new, and a linear trace ends
the loops (an incomplete ``W`` cannot give a linear trace, so stopping early is safe).

The torus points of one (reduced) network form the fibre of the closure of the
torus part of ``C``, a union of components, so the test applies per reduced
architecture (:func:`jaxhc.monodromy.solver.compute_generic_set`).  The slice
``a·x = 1`` is not invariant under the neuron sign flips, so every point is
tracked (no orbit reduction).
"""

from __future__ import annotations

import dataclasses
import functools
import time

import jax.numpy as jnp
import numpy as np

from ..homotopy.base import parameter_homotopy, random_gamma
from ..status import Status
from ..system.gradient import gradient_function
from ..system.network import Architecture
from ..system.system import System
from ..tracker.options import TrackerOptions, preset
from .core import _cgauss, new_points, params_with_critical_point, torus_point, track_padded

__all__ = ["TraceResult", "trace_test", "slice_witnesses"]


@dataclasses.dataclass
class TraceResult:
    """Outcome of :func:`trace_test`.

    ``complete``: True (trace below ``tol``), False (above), None (a path failed: no verdict).
    ``trace``: the normalised deviation from linearity; ``n_slice``: points of ``W``;
    ``paths``/``failed``: tracked paths of the whole test (monodromy for ``W`` included).
    """

    complete: bool | None
    trace: float
    n_solutions: int
    n_slice: int
    slice_loops: int
    paths: int
    failed: int
    time: float
    seed: int

    def info(self) -> dict:
        return {"complete": self.complete, "trace": self.trace, "n": self.n_solutions, "n_slice": self.n_slice,
                "slice_loops": self.slice_loops, "paths": self.paths, "failed": self.failed,
                "time_s": round(self.time, 3), "seed": self.seed}


def _split(q, P, N, with_t):
    o = 1 if with_t else 0
    return (q[0] if with_t else 0.0), q[o:o + P], q[o + P:o + 2 * P], q[o + 2 * P:o + 2 * P + N]


@functools.lru_cache(maxsize=None)
def _augmented_system(arch: Architecture, pencil: bool) -> System:
    fn, P, N = gradient_function(arch), arch.nparams, arch.N

    def g(z, q):
        t, p, v, a = _split(q, P, N, pencil)
        x, lam = z[:N], z[N]
        ax1 = jnp.sum(a * x, keepdims=True) - 1.0
        return jnp.concatenate([fn(x, p + lam * v), ax1 * lam + t if pencil else ax1])

    return System(g, N + 1, (arch.degree + 1,) * (N + 1), np.zeros(int(pencil) + 2 * P + N, np.complex128),
                  name=f"{'pencil' if pencil else 'slice'}_{arch.label()}")


def slice_system(arch: Architecture) -> System:
    """``[F(x; p + λv); a·x − 1]`` in ``z = (x, λ)`` with parameters ``q = (p, v, a)``."""
    return _augmented_system(arch, False)


def pencil_system(arch: Architecture) -> System:
    """``[F(x; p + λv); (a·x − 1)λ + t]`` in ``z = (x, λ)`` with parameters ``q = (t, p, v, a)``."""
    return _augmented_system(arch, True)


def _slice_start(arch: Architecture, rng, vmask) -> tuple[np.ndarray, np.ndarray]:
    """A point ``z0 = (x0, λ0)`` and parameters ``q0 = (p0, v0, a0)`` with ``E(z0; q0) = 0``.

    ``a0`` is scaled so that ``a0·x0 = 1``; ``F`` is linear in Λ with coefficient
    ``x`` entrywise, so the Λ part of ``p0 + λ0 v0`` is solved from the gradient.
    """
    N, P, k = arch.N, arch.nparams, (arch.dx + arch.dy) * arch.m
    x0 = torus_point(rng, N)
    lam0 = complex(_cgauss(rng, 1)[0])
    v0, a0 = _cgauss(rng, P) * vmask, _cgauss(rng, N)
    a0 /= np.sum(a0 * x0)
    pl = params_with_critical_point(arch, x0, _cgauss(rng, k))  # = p0 + λ0 v0
    p0 = pl - lam0 * v0
    return np.concatenate([x0, [lam0]]), np.concatenate([p0, v0, a0])


def slice_witnesses(arch: Architecture, p, v, a, rng: np.random.Generator, options: TrackerOptions | None = None,
                    *, vmask=None, loops_without_new: int = 5, max_loops: int = 100, start_pairs: int = 2,
                    batch_size: int = 256, steps_per_call: int = 16, rtol: float = 1e-6, done=None):
    """``W``: the points ``(x, λ)`` with ``F(x; p + λv) = 0``, ``a·x = 1``, ``x`` in the torus, by monodromy.

    ``vmask``: the coordinates of ``v`` that may be nonzero (loops keep ``v`` in that subspace).
    ``done(W) -> bool``: asked after every loop that found nothing new; True stops the loops
    early (the trace test uses it: a complete trace needs no further quiet loops).
    Returns ``(W: Complex[ndarray, "k n+1"], loops, paths, failed)``.
    """
    opts = options or preset("default")
    sysm = slice_system(arch)
    qb = np.concatenate([p, v, a]).astype(np.complex128)
    N = arch.N
    vmask = np.ones(arch.nparams) if vmask is None else np.asarray(vmask, float)
    paths = failed = 0

    def move(z, qa, qb_):
        nonlocal paths, failed
        if len(z) == 0:
            return z
        r = track_padded(parameter_homotopy(sysm, qa, qb_, random_gamma(rng)), z, opts,
                         batch_size=batch_size, steps_per_call=steps_per_call)
        paths += len(z)
        failed += r.nfailed
        ok = r.status == Status.SUCCESS
        return r.x[ok]

    def torus(z):
        scale = np.maximum(1.0, np.max(np.abs(z), axis=1))
        return z[(np.min(np.abs(z[:, :N]), axis=1) > 1e-6 * scale) & (np.abs(z[:, N]) > 1e-8 * scale)]

    known = np.zeros((0, N + 1), np.complex128)
    for _ in range(max(1, start_pairs)):
        z0, q0 = _slice_start(arch, rng, vmask)
        known = np.concatenate([known, new_points(known, torus(move(z0[None], q0, qb)), rtol)])
    loops = quiet = 0
    while len(known) and quiet < loops_without_new and loops < max_loops:
        q1, q2 = (np.concatenate([_cgauss(rng, arch.nparams), _cgauss(rng, arch.nparams) * vmask, _cgauss(rng, N)])
                  for _ in range(2))
        z = move(move(move(known, qb, q1), q1, q2), q2, qb)
        new = new_points(known, torus(z), rtol) if len(z) else z
        loops += 1
        if len(new):
            known = np.concatenate([known, new])
            quiet = 0
        else:
            quiet += 1
            if done is not None and done(known):
                break
    return known, loops, paths, failed


def trace_test(arch: Architecture, solutions, p, seed: int = 0, options: TrackerOptions | None = None, *,
               direction: str = "lambda", delta: float = 0.5, tol: float = 1e-8, loops_without_new: int = 5, max_loops: int = 100,
               batch_size: int = 256, steps_per_call: int = 16) -> TraceResult:
    """Is ``solutions`` (``Complex[ndarray, "n N"]``, torus points of ``F(x; p) = 0``) all of them?

    ``p`` must be generic (complex random): the test is about the fibre of a generic
    parameter.  ``direction``: ``"lambda"`` (``v`` moves only the regularisation Λ; the
    slice ``W`` is then about half as large as for ``"all"``, measured 608 vs 1152 points for
    H = 1, widths (2,), d_x = d_y = m = 2) or ``"all"`` parameters.  ``delta``: the pencil parameter moves to ``±δu`` (``u`` a random unit
    complex number).  ``tol``: largest normalised trace counted as linear.
    """
    t0 = time.perf_counter()
    opts = options or preset("default")
    rng = np.random.default_rng((seed, 101))
    S = np.asarray(solutions, np.complex128).reshape(-1, arch.N)
    p = np.asarray(p, np.complex128)
    P, N = arch.nparams, arch.N
    vmask = np.ones(P)
    if direction == "lambda":
        vmask[: (arch.dx + arch.dy) * arch.m] = 0.0
    elif direction != "all":
        raise ValueError(f"direction must be 'all' or 'lambda', got {direction!r}")
    v, a = _cgauss(rng, P) * vmask, _cgauss(rng, N)
    u = np.exp(2j * np.pi * rng.uniform())
    q0 = np.concatenate([[0.0], p, v, a]).astype(np.complex128)
    S0 = np.concatenate([S, np.zeros((len(S), 1), np.complex128)], axis=1)
    count = {"paths": 0, "failed": 0}
    last = {}

    def trace_of(W):
        """Track S ∪ W to t = ±δu; (trace, all paths succeeded)."""
        Z0 = np.concatenate([S0, W])
        sums, ok = [], True
        for sign in (1.0, -1.0):
            q1 = q0.copy()
            q1[0] = sign * delta * u
            r = track_padded(parameter_homotopy(pencil_system(arch), q0, q1, random_gamma(rng)), Z0, opts,
                             batch_size=batch_size, steps_per_call=steps_per_call)
            count["paths"] += len(Z0)
            count["failed"] += r.nfailed
            ok &= bool(np.all(r.status == Status.SUCCESS))
            sums.append(r.x.sum(axis=0))
        s0 = Z0.sum(axis=0)
        d1, d2 = sums[0] - s0, s0 - sums[1]
        tr = float(np.max(np.abs(d1 - d2)) / max(np.max(np.abs(d1)), np.max(np.abs(d2)), 1e-300))
        last.update(n=len(W), trace=tr, ok=ok)
        return tr, ok

    def done(W):
        # After a quiet loop: a linear trace certifies S and W together, no more loops needed.
        tr, ok = trace_of(W)
        return ok and tr <= tol

    W, loops, paths, failed = slice_witnesses(arch, p, v, a, rng, opts, vmask=vmask, loops_without_new=loops_without_new,
                                              max_loops=max_loops, batch_size=batch_size,
                                              steps_per_call=steps_per_call, done=done)
    if last.get("n") != len(W):
        trace_of(W)
    trace, ok = last["trace"], last["ok"]
    paths += count["paths"]
    failed += count["failed"]
    complete = (trace <= tol) if ok else None
    return TraceResult(complete, trace, len(S), len(W), loops, paths, failed, time.perf_counter() - t0, seed)
