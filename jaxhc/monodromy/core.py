"""Monodromy for the torus critical points of a deep linear network.

Start pair: random complex weights ``w0`` (all nonzero) and random complex
``X, Y``; the gradient (eq. (2)) ``U_iᵀ E V_iᵀ + Λ_i ∘ W_i = 0`` is linear in Λ,
so ``Λ_i = −(U_iᵀ E V_iᵀ) / W_i`` entrywise makes ``w0`` a critical point of
``p0 = (X, Y, Λ)``.

Emptiness: the incidence variety ``{(w, p): F(w; p) = 0, w ∈ (C*)^N}`` is the
graph of ``(w, X, Y) ↦ Λ``, irreducible of dimension ``dim p``; its projection to
the parameters is dominant iff ``∂F/∂w`` is nonsingular at a generic point
(``∂Λ/∂w = −diag(w)^{-1} ∂F/∂w``).  So if the Jacobian at a random start pair is
singular, generic parameters have *no* torus critical point (e.g. H = 1,
d = 2, d_x = d_y = 1: N_C* = 0) and the start pair is special.  Otherwise the
start solution is moved to a generic base ``p_base`` by one parameter homotopy
and monodromy loops ``p_base → p1 → p2 → p_base`` (random complex p1, p2, random
γ per edge) collect new solutions until ``loops_without_new`` consecutive loops
add nothing (heuristic stop) or a known upper bound is reached (certified).

Symmetry: the gradient system is equivariant under the neuron sign flips
(:func:`jaxhc.strata.sign_group`, 2^D elements, D = Σ d_k), which act freely on
the torus and commute with monodromy.  Only one representative per orbit is
tracked around the loops; the solution set is the union of the orbits.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import jax.numpy as jnp
import numpy as np

from ..homotopy.base import as_grouped, parameter_homotopy, random_gamma
from ..status import Status
from ..system.system import value_and_jacobian
from ..strata import sign_group
from ..system.gradient import gradient_function
from ..system.network import Architecture
from ..system.system import System
from ..tracker.options import TrackerOptions, preset
from ..tracker.stream import TrackResult, _pow2_at_least, track
from ..tracker.xla_options import kernel_jit

__all__ = ["MonodromyResult", "arch_system", "monodromy_solve", "new_points", "random_params",
           "start_pair", "torus_mask", "track_padded", "transfer"]


@functools.lru_cache(maxsize=None)
def arch_system(arch: Architecture) -> System:
    """The gradient system of ``arch`` with placeholder parameters (same ``fn`` as gradient_system)."""
    return System(gradient_function(arch), arch.N, (arch.degree,) * arch.N,
                  np.zeros(arch.nparams, np.complex128), name=f"grad_{arch.label()}", meta={"arch": arch})


def _cgauss(rng: np.random.Generator, *shape) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)


def random_params(arch: Architecture, rng: np.random.Generator) -> np.ndarray:
    """Generic complex parameters ``(vec X, vec Y, vec Λ)`` (iid standard complex Gaussians)."""
    return _cgauss(rng, arch.nparams)


@functools.lru_cache(maxsize=None)
def _jac_fn(arch: Architecture):
    """Jitted ``(F, ∂F/∂w)`` at one point.  Also the start pairs' plain evaluations go through it:
    called eagerly, the gradient compiles every one of its ~30 small operations on its own
    (~60 compilations per architecture, most of a small row's setup time).  Both come from
    ``value_and_jacobian``: the gradient's closed-form Hessian."""
    fn = gradient_function(arch)
    return kernel_jit(functools.partial(value_and_jacobian, fn))


def torus_point(rng: np.random.Generator, n: int) -> np.ndarray:
    """A random point of ``(C*)^n`` with every coordinate bounded away from 0 (modulus >= 0.2)."""
    w = _cgauss(rng, n)
    small = np.abs(w) < 0.2
    w[small] = 0.2 * np.exp(1j * np.angle(w[small]) + 0j) + 0.2 * w[small]
    return w


def params_with_critical_point(arch: Architecture, w: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Parameters ``(xy, Λ)`` at which the torus point ``w`` is critical: the gradient is
    ``U_iᵀ E V_iᵀ + Λ_i ∘ W_i``, linear in Λ with coefficient ``w`` entrywise."""
    k = len(xy)
    p = np.concatenate([xy, np.zeros(arch.N, np.complex128)])
    G = np.asarray(_jac_fn(arch)(jnp.asarray(w), jnp.asarray(p))[0])  # U^T E V^T (Λ = 0)
    p[k:] = -G / w
    return p


def start_pair(arch: Architecture, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(w0, p0)`` with ``w0 ∈ (C*)^N`` a critical point of parameters ``p0``."""
    w0 = torus_point(rng, arch.N)
    return w0, params_with_critical_point(arch, w0, _cgauss(rng, (arch.dx + arch.dy) * arch.m))


def residual_and_cond(arch: Architecture, w, p) -> tuple[float, float]:
    F, J = _jac_fn(arch)(jnp.asarray(w, jnp.complex128), jnp.asarray(p, jnp.complex128))
    s = np.linalg.svd(np.asarray(J), compute_uv=False)
    return float(np.max(np.abs(np.asarray(F)))), float(s[0] / s[-1]) if s[-1] > 0 else np.inf


def torus_mask(x: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """Rows of ``x`` with no coordinate below ``tol · max(1, ‖x‖_∞)``."""
    x = np.asarray(x)
    if len(x) == 0:
        return np.zeros(0, bool)
    scale = np.maximum(1.0, np.max(np.abs(x), axis=1))
    return np.min(np.abs(x), axis=1) > tol * scale


def new_points(known: np.ndarray, cand: np.ndarray, rtol: float = 1e-6) -> np.ndarray:
    """Rows of ``cand`` that are distinct from each other and from every row of ``known``."""
    from ..solutions.dedup import unique_points

    cand = np.asarray(cand)
    if len(cand) == 0:
        return cand
    cand = cand[unique_points(cand, rtol)]
    if len(known) == 0:
        return cand
    keep = np.ones(len(cand), bool)
    scale = np.maximum(1.0, np.max(np.abs(cand), axis=1))
    chunk = max(1, 2_000_000 // max(1, len(known) * cand.shape[1]))
    for s in range(0, len(cand), chunk):
        c = cand[s : s + chunk]
        d = np.max(np.abs(c[:, None, :] - known[None, :, :]), axis=2).min(axis=1)
        keep[s : s + chunk] = d > rtol * scale[s : s + chunk]
    return cand[keep]


def orbits(x: np.ndarray, G: np.ndarray) -> np.ndarray:
    """All sign-flip images ``g · x`` of the rows of ``x`` (rows grouped by representative)."""
    x = np.asarray(x)
    return (x[:, None, :] * G[None, :, :]).reshape(-1, x.shape[-1])


def _representatives(x: np.ndarray, G: np.ndarray, rtol: float) -> np.ndarray:
    """One row per sign-flip orbit among the rows of ``x``."""
    reps = np.zeros((0, x.shape[-1]), x.dtype)
    for row in x:
        if len(new_points(orbits(reps, G), row[None], rtol)):
            reps = np.concatenate([reps, row[None]])
    return reps


def coinciding(x: np.ndarray, mask: np.ndarray | None = None, rtol: float = 1e-6) -> np.ndarray:
    """Indices ``i`` (with ``mask[i]``) such that row ``i`` of ``x`` coincides with another masked row."""
    x = np.asarray(x)
    ok = np.flatnonzero(np.ones(len(x), bool) if mask is None else mask)
    y = x[ok]
    if len(y) < 2:
        return np.zeros(0, np.int64)
    w = np.random.default_rng(0).standard_normal(y.shape[1]) + 0j
    w /= np.abs(w).sum()
    key = np.real(y @ w)
    order = np.argsort(key)
    ks, ys = key[order], y[order]
    tol = rtol * np.maximum(1.0, np.max(np.abs(ys), axis=1))
    dup = np.zeros(len(y), bool)
    # Compare each point with the next `off` in key order, for growing `off`, while any key
    # window (|key difference| <= tol of the earlier point) still reaches that far.
    for off in range(1, len(ys)):
        i = np.flatnonzero(ks[off:] - ks[:-off] <= tol[:-off])
        if len(i) == 0:
            break
        close = i[np.max(np.abs(ys[i + off] - ys[i]), axis=1) <= tol[i]]
        dup[close] = dup[close + off] = True
    return ok[np.sort(order[dup])]


@dataclasses.dataclass
class _Counter:
    paths: int = 0
    failed: int = 0
    track_time: float = 0.0


def _move(arch, x, p_from, p_to, gamma, opts, batch_size, steps_per_call, counter: _Counter):
    """Track rows of ``x`` from ``p_from`` to ``p_to``; returns (status per row, endpoints per row)."""
    x = np.asarray(x, np.complex128).reshape(-1, arch.N)
    if len(x) == 0:
        return np.zeros(0, np.int8), x
    h = parameter_homotopy(arch_system(arch), p_from, p_to, gamma)
    r = track_padded(h, x, opts, batch_size=batch_size, steps_per_call=steps_per_call)
    counter.paths += len(x)
    counter.failed += r.nfailed
    counter.track_time += r.time
    return r.status, r.x


PAD_MIN = 64


def track_padded(h, x, opts, *, batch_size: int = 256, steps_per_call: int = 16,
                 small_batch: int | None = None) -> TrackResult:
    """:func:`track` (keep="all") of the rows of ``x``, padded with copies to a power of two
    between ``PAD_MIN`` (64) and ``batch_size`` (or not at all above it) so the tracker compiles
    few batch shapes (each a compilation of seconds on CPU).  Padding paths are dropped.

    ``small_batch``: at most this many rows (a power of two) run in one batch of exactly that
    size, which is not shrunk: one more compiled shape, for a few long paths, where a step costs
    about the batch size (Table 2 (3,2,3) m = 2, RK4: 2.96 ms per step at 64 paths, 0.29 ms at 8)."""
    P = len(x)
    # Always the grouped kernel: the same compiled tracker serves every parameter homotopy of this
    # system (loops, transfers, samples' first passes, redos and retries) at a given batch size.
    h = as_grouped(h, P)
    small = min(PAD_MIN, batch_size)
    if small_batch is not None and P <= min(_pow2_at_least(small_batch), small):
        small = _pow2_at_least(small_batch)
    # Power-of-two sizes up to batch_size: few compiled shapes, and a small set (e.g. one path
    # per orbit, 73 of them) is not padded to a full batch of redundant copies.
    size = small if P <= small else (min(batch_size, _pow2_at_least(P)) if P < batch_size else P)
    xp = x[np.arange(size) % P] if size > P else x
    if size > P and h.grouped:  # the copies follow their originals' members
        h = dataclasses.replace(h, groups=np.asarray(h.groups)[np.arange(size) % P])
    r = track(h, xp, opts, batch_size=batch_size, steps_per_call=steps_per_call, min_batch=small, keep="all")
    if size == P:
        return r
    return TrackResult(r.status[:P], r.nacc[:P], r.nrej[:P], r.t_end[:P], np.arange(P), r.x[:P], r.residual[:P],
                       r.cond[:P], r.time, r.slot_steps)


def transfer(arch: Architecture, x, p_from, p_to, options: TrackerOptions | None = None, *,
             rng: np.random.Generator | None = None, retries: int = 2, batch_size: int = 256,
             steps_per_call: int = 16, counter: _Counter | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Parameter homotopy ``p_from → p_to`` of every row of ``x``; failed paths are retried with
    a new γ up to ``retries`` times.  Returns (status per row, endpoint per row)."""
    opts = options or preset("default")
    rng = rng or np.random.default_rng()
    counter = counter or _Counter()
    st, xe = _move(arch, x, p_from, p_to, random_gamma(rng), opts, batch_size, steps_per_call, counter)
    st, xe = np.array(st), np.array(xe)
    careful = preset("conservative")
    for _ in range(retries):
        # Failed paths and coinciding endpoints (path jumping) are re-tracked carefully.
        bad = np.union1d(np.flatnonzero(st >= Status.MAX_STEPS), coinciding(xe, st == Status.SUCCESS))
        if len(bad) == 0:
            break
        s2, x2 = _move(arch, np.asarray(x)[bad], p_from, p_to, random_gamma(rng), careful, batch_size,
                       steps_per_call, counter)
        st[bad], xe[bad] = s2, x2
    return st, xe


@dataclasses.dataclass
class MonodromyResult:
    """Torus critical points of ``arch`` at the generic complex parameters ``params``.

    ``certified``: the count reached the known upper bound ``bound`` (so it is complete);
    ``empty``: the start-pair Jacobian was singular (no torus points for generic parameters);
    otherwise the set's completeness is heuristic (``loops_without_new`` loops found nothing).
    ``history``: the count after the start pairs, then after each loop.
    """

    arch: Architecture
    params: np.ndarray
    solutions: np.ndarray
    loops: int
    paths: int
    failed_paths: int
    certified: bool
    empty: bool
    bound: int | None
    history: list
    time: float
    start_cond: float

    @property
    def heuristic_stop(self) -> bool:
        return not (self.certified or self.empty)

    @property
    def nsolutions(self) -> int:
        return len(self.solutions)

    @property
    def longest_quiet_before_new(self) -> int:
        """The longest run of consecutive loops without a new solution that a loop finding new
        ones ended (0: every loop until the final quiet run found something).  The margin of the
        heuristic stop: a value near ``loops_without_new`` means the stop may have come early."""
        longest = run = 0
        for a, b in zip(self.history, self.history[1:]):
            if b > a:
                longest, run = max(longest, run), 0
            else:
                run += 1
        return longest

    def info(self) -> dict:
        return {"widths": list(self.arch.widths), "n": self.nsolutions, "loops": self.loops, "paths": self.paths,
                "failed_paths": self.failed_paths, "certified": self.certified, "empty": self.empty,
                "bound": self.bound, "heuristic_stop": self.heuristic_stop, "time_s": round(self.time, 3),
                "start_cond": self.start_cond, "longest_quiet_before_new": self.longest_quiet_before_new}


def monodromy_solve(
    arch: Architecture,
    options: TrackerOptions | None = None,
    seed: int = 0,
    *,
    p_base=None,
    loops_without_new: int = 5,
    max_loops: int = 200,
    start_pairs: int = 4,
    bound: int | None = None,
    batch_size: int = 256,
    steps_per_call: int = 16,
    rtol: float = 1e-6,
    torus_tol: float = 1e-6,
    singular_cond: float = 1e10,
    loop_legs: int = 3,
    verbose: bool = False,
) -> MonodromyResult:
    """All torus critical points (no zero weight) of ``arch`` at generic parameters, by monodromy.

    Args:
        p_base: the (generic complex) base parameters; random if None.
        loops_without_new: stop after this many consecutive loops without a new solution (5, as
            HomotopyContinuation.jl's ``max_loops_no_progress``; each loop moves every known
            orbit around a random loop, so after the last new solution these loops are most
            of the cost: 10 of the 21 loops, 73% of the paths, on Table 2 (3,2,3) m = 2's widest
            network with 10).
        max_loops: hard cap on loops.
        start_pairs: random start pairs, each moved to ``p_base`` (more seeds, fewer loops).
        bound: a known upper bound on the count (e.g. Theorem 5); reaching it stops and certifies.
        singular_cond: a start-pair Jacobian with a larger condition number means the
            projection to the parameters is not dominant: the torus set is empty.
        loop_legs: 3 (a triangle ``p_base → p1 → p2 → p_base`` through two random points) or 2
            (``p_base → p1 → p_base``, the two legs with independent γ: two arcs of the complex
            line through ``p_base`` and ``p1``).  Two legs need 2/3 of the paths per loop and
            found the same points in as many loops on two 640-656-point networks, but stopped
            one network short in a Table 2 sweep (12 of 16 points; see
            ``compute_generic_set``): loops of two arcs from 0 to 1 generate less of the
            monodromy group there.
    """
    if loop_legs not in (2, 3):
        raise ValueError(f"loop_legs must be 2 or 3, got {loop_legs}")
    t0 = time.perf_counter()
    opts = options or preset("default")
    rng = np.random.default_rng(seed)
    p_base = random_params(arch, rng) if p_base is None else np.asarray(p_base, np.complex128)
    cnt = _Counter()
    G = sign_group(arch)
    known = np.zeros((0, arch.N), np.complex128)  # orbit representatives
    conds = []
    for _ in range(max(1, start_pairs)):
        w0, p0 = start_pair(arch, rng)
        res, cond = residual_and_cond(arch, w0, p0)
        conds.append(cond)
        if not np.isfinite(cond) or cond > singular_cond:
            continue
        st, xe = transfer(arch, w0[None], p0, p_base, opts, rng=rng, batch_size=batch_size,
                          steps_per_call=steps_per_call, counter=cnt)
        ok = (st == Status.SUCCESS) & torus_mask(xe, torus_tol)
        known = np.concatenate([known, new_points(orbits(known, G), xe[ok], rtol)])
    start_cond = float(np.min(conds))
    empty = len(known) == 0 and (not np.isfinite(start_cond) or start_cond > singular_cond)
    history = [len(known) * len(G)]
    loops, quiet = 0, 0
    certified = bound is not None and len(known) * len(G) >= bound
    while len(known) and not certified and quiet < loops_without_new and loops < max_loops:
        p1 = random_params(arch, rng)
        legs = ((p_base, p1), (p1, p_base))
        if loop_legs == 3:
            p2 = random_params(arch, rng)
            legs = ((p_base, p1), (p1, p2), (p2, p_base))
        x = known
        for a, b in legs:
            st, xe = _move(arch, x, a, b, random_gamma(rng), opts, batch_size, steps_per_call, cnt)
            x = xe[st == Status.SUCCESS]
        x = x[torus_mask(x, torus_tol)]
        new = _representatives(new_points(orbits(known, G), x, rtol), G, rtol)
        loops += 1
        if len(new):
            known = np.concatenate([known, new])
            quiet = 0
        else:
            quiet += 1
        history.append(len(known) * len(G))
        certified = bound is not None and len(known) * len(G) >= bound
        if verbose:
            print(f"  monodromy {arch.label()}: loop {loops}, {len(known) * len(G)} solutions "
                  f"(+{len(new) * len(G)})")
    known = orbits(known, G)
    if bound is not None and len(known) > bound:
        raise RuntimeError(f"{arch.label()}: monodromy found {len(known)} torus solutions, more than the bound {bound}")
    return MonodromyResult(arch, p_base, known, loops, cnt.paths, cnt.failed, bool(certified), bool(empty), bound,
                           history, time.perf_counter() - t0, start_cond)
