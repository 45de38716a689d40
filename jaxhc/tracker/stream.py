"""Host-side streaming scheduler around the jitted step kernel.

Start points stream through a fixed-size device batch: every jitted call runs
``steps_per_call`` masked steps on all slots, then finished paths are harvested
and their slots refilled from the queue.  When the queue is empty the batch
shrinks to precompiled sizes (each a quarter of the last), so a few long paths
do not keep a large batch busy doing masked no-ops.
"""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp
import numpy as np

from ..endgame.finalize import classify_endpoints
from ..homotopy.base import Homotopy
from ..status import Status
from .core import PathState, advance, init_state_jit
from .options import TrackerOptions, preset

__all__ = ["TrackResult", "track"]


@dataclasses.dataclass
class TrackResult:
    """Per-path outcome of :func:`track`.

    ``status``, ``nacc``, ``nrej``, ``t_end`` have one entry per start path.
    Endpoints are kept for the paths listed in ``index`` (all paths not at
    infinity by default), with ``x: Complex[ndarray, "k n"]``, ``residual`` and
    ``cond`` aligned to ``index``.
    """

    status: np.ndarray
    nacc: np.ndarray
    nrej: np.ndarray
    t_end: np.ndarray
    index: np.ndarray
    x: np.ndarray
    residual: np.ndarray
    cond: np.ndarray
    time: float
    slot_steps: int  # steps executed over all slots, useful or masked

    @property
    def npaths(self) -> int:
        return len(self.status)

    @property
    def path_steps(self) -> int:
        return int(self.nacc.sum() + self.nrej.sum())

    @property
    def efficiency(self) -> float:
        """Fraction of executed slot-steps that advanced a live path."""
        return self.path_steps / max(1, self.slot_steps)

    def count(self, status: Status) -> int:
        return int(np.sum(self.status == status))

    @property
    def nfailed(self) -> int:
        return int(np.sum(self.status >= Status.MAX_STEPS))


def _pow2_at_least(k: int) -> int:
    return 1 << max(0, int(np.ceil(np.log2(max(1, k)))))


class _Slots:
    """Host mirror of the device batch: which path occupies each slot."""

    def __init__(self, size: int):
        self.path = np.full(size, -1, dtype=np.int64)


def _rows(state: PathState, rows) -> PathState:
    return jax.tree_util.tree_map(lambda a: a[rows], state)


def track(
    homotopy: Homotopy,
    starts,
    options: TrackerOptions | None = None,
    *,
    batch_size: int = 1024,
    steps_per_call: int = 16,
    min_batch: int = 64,
    keep: str = "finite",
    progress: bool = False,
    desc: str = "paths",
) -> TrackResult:
    """Track every start point of ``starts`` from t = 1 to t = 0.

    Args:
        homotopy: a :class:`~jaxhc.homotopy.base.Homotopy`; a grouped one (one member per
            group of start paths, e.g. per target sample) runs all its members in one batch.
        starts: ``Complex[ndarray, "P n"]`` or any object with ``len`` and
            integer-array indexing returning such rows (e.g. ``TotalDegreeStarts``).
        options: tracker settings (default preset if None).
        batch_size: device slots; rounded up to a power of two.
        steps_per_call: masked steps per jitted call between refills.
        keep: ``"finite"`` keeps endpoints of paths not at infinity, ``"all"`` keeps all.
        progress: show a tqdm progress bar.
    Returns:
        :class:`TrackResult`.
    """
    opts = options if options is not None else preset("default")
    if keep not in ("finite", "all"):
        raise ValueError("keep must be 'finite' or 'all'")
    P = len(starts)
    n = homotopy.nvars
    if P == 0:
        e = np.zeros(0)
        return TrackResult(e.astype(np.int8), e.astype(np.int32), e.astype(np.int32), e, e.astype(np.int64),
                           np.zeros((0, n), complex), e, e, 0.0, 0)
    if batch_size < 1 or steps_per_call < 1:
        raise ValueError("batch_size and steps_per_call must be positive")
    hfn, args = homotopy.fn, homotopy.args
    grouped = homotopy.grouped
    if grouped:
        # One homotopy per group: each slot carries its path's rows of ``args`` (gathered here,
        # on the host, at refill), so paths of different groups (samples) share the batch.
        gargs = tuple(np.asarray(a) for a in args)
        groups = np.asarray(homotopy.groups)
        if len(groups) != P:
            raise ValueError(f"grouped homotopy: {len(groups)} group labels for {P} start paths")
    B = min(_pow2_at_least(batch_size), _pow2_at_least(P))
    min_batch = min(B, _pow2_at_least(min_batch))

    status = np.full(P, Status.TRACKING, dtype=np.int8)
    nacc = np.zeros(P, np.int32)
    nrej = np.zeros(P, np.int32)
    t_end = np.ones(P)
    X = np.zeros((P, n), np.complex128) if keep == "all" else {}
    NU = np.zeros((P, n)) if keep == "all" else {}

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=P, desc=desc, leave=False, smoothing=0.05)

    t0 = time.perf_counter()
    next_path = 0
    slots = _Slots(B)
    dummy = np.ones((B, n), np.complex128)
    slot_args = tuple(np.repeat(a[:1], B, axis=0) for a in gargs) if grouped else None
    state = jax.device_get(init_state_jit(hfn, jnp.asarray(dummy), slot_args if grouped else args, opts, grouped))
    state = state._replace(status=np.full(B, Status.SUCCESS, np.int32))  # empty slots are inactive
    slot_steps = 0

    def refill(state, slots, next_path):
        free = np.flatnonzero(slots.path < 0)
        k = min(len(free), P - next_path)
        if k == 0:
            return state, next_path
        idx = np.arange(next_path, next_path + k)
        x0 = np.ones((len(slots.path), n), np.complex128)
        x0[:k] = np.asarray(starts[idx], dtype=np.complex128).reshape(k, n)
        rows = free[:k]
        a0 = args
        if grouped:
            a0 = tuple(np.repeat(a[:1], len(slots.path), axis=0) for a in gargs)
            for a, sa, g in zip(a0, slot_args, gargs):
                a[:k] = g[groups[idx]]
                sa[rows] = g[groups[idx]]
        fresh = jax.device_get(init_state_jit(hfn, jnp.asarray(x0), a0, opts, grouped))
        state = jax.tree_util.tree_map(lambda a, f: _put(a, rows, f[:k]), state, fresh)
        slots.path[rows] = idx
        return state, next_path + k

    state, next_path = refill(state, slots, next_path)
    while True:
        dev = advance(hfn, opts, jax.device_put(state), slot_args if grouped else args, steps_per_call, grouped)
        state = jax.device_get(dev)
        slot_steps += len(slots.path) * steps_per_call
        st = np.asarray(state.status)
        done = np.flatnonzero((st != Status.TRACKING) & (slots.path >= 0))
        if len(done):
            pid = slots.path[done]
            status[pid] = st[done]
            nacc[pid] = state.nacc[done]
            nrej[pid] = state.nrej[done]
            t_end[pid] = state.t[done]
            if keep == "all":
                X[pid] = state.x[done]
                NU[pid] = state.nu[done]
            else:
                for j, p in zip(done, pid):
                    if st[j] != Status.AT_INFINITY:
                        X[int(p)] = np.array(state.x[j])
                        NU[int(p)] = np.array(state.nu[j])
            slots.path[done] = -1
            if bar is not None:
                bar.update(len(done))
        if next_path < P:
            state, next_path = refill(state, slots, next_path)
            continue
        live = np.flatnonzero(slots.path >= 0)
        if len(live) == 0:
            break
        size = len(slots.path)
        while len(live) <= size // 4 and size // 4 >= min_batch:
            size //= 4
        if size < len(slots.path):
            # Shrink: move live paths into the first slots of a smaller batch.
            rows = np.concatenate([live, np.flatnonzero(slots.path < 0)[: size - len(live)]])
            state = _rows(state, rows)
            if grouped:
                slot_args = tuple(a[rows] for a in slot_args)
            new = _Slots(size)
            new.path[:] = slots.path[rows]
            slots = new
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - t0

    if keep == "all":
        index = np.arange(P)
        xk, nuk = X, NU
    else:
        index = np.array(sorted(X), dtype=np.int64)
        xk = np.array([X[i] for i in index]).reshape(len(index), n)
        nuk = np.array([NU[i] for i in index]).reshape(len(index), n)
    # Endgame classification and refinement on the target system.
    target = homotopy.target
    p_end = homotopy.target_params[groups[index]] if grouped else target.params
    xk, sk, res, cond = classify_endpoints(target.fn, xk, p_end, status[index].astype(np.int32), opts, nu=nuk)
    status[index] = sk
    return TrackResult(status, nacc, nrej, t_end, index, xk, res, cond, elapsed, slot_steps)


def _put(a, rows, values):
    a = np.array(a)
    a[rows] = values
    return a
