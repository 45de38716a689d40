"""Worker processes for `run.py workers=K`: each builds its own solver (and compiles
once, mostly loading the executables that the parent or the prefetcher compiled, from the
executable cache beside the compilation cache and without tracing them; see
common.use_compile_cache), then solves whole chunks of samples (one batched first pass per
chunk); the parent process writes every file.

XLA runs one tracker on about one core, so K processes on K cores solve K
samples at a time (measured: about 1.7x with two workers on two cores). A worker
costs ~3 s before its second sample (importing jax, tracing, loading from the cache),
which is why run.py starts the pool only when the remaining samples are worth it.

The pool outlives a row: hydra's multirun calls run.py's ``main`` once per row in one
process, and the next row that wants workers reuses them (``pool_for``), so only the
first pays for spawning processes and importing jax. A job names its row's solver
(configuration and architecture); a worker builds a solver when the row changes.
"""

from __future__ import annotations

import atexit
import json
import time

_STATE = {}
_POOL = {}  # in the parent: the live pool and what it was started with


def init(compile_cache_dir: str | None):
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    for p in (here, os.path.dirname(here)):
        if p not in sys.path:
            sys.path.insert(0, p)
    import common

    common.use_compile_cache(compile_cache_dir)  # before anything compiles


def _solver(solver_json: str, arch_fields: tuple):
    key = (solver_json, tuple(arch_fields[0]), *arch_fields[1:])
    if _STATE.get("key") != key:
        from omegaconf import OmegaConf

        from jaxhc import Architecture
        from solvers import make_solver

        widths, dx, dy, m = arch_fields
        arch = Architecture(tuple(widths), dx, dy, m)
        _STATE.update(key=key, arch=arch, solver=None)  # drop the last row's solver first
        _STATE["solver"] = make_solver(OmegaConf.create(json.loads(solver_json)), arch)
    return _STATE["arch"], _STATE["solver"]


def solve_chunk(job):
    """``(solver config as JSON, (widths, dx, dy, m), [(k, seed), ...]) -> [(k, seed, Result, seconds), ...]``:
    the samples of one chunk together (one batched first pass, see ``common.solve_chunk``)."""
    import common

    solver_json, arch_fields, chunk = job
    arch, solver = _solver(solver_json, arch_fields)
    return common.solve_chunk(solver, arch, chunk)


def pool_for(size: int, compile_cache_dir: str | None):
    """A pool of ``size`` spawned workers using that compilation cache: the one already running
    when it matches, else a new one (the old one is closed). Closed when the process exits.
    Returns ``(pool, reused)``."""
    key = (size, compile_cache_dir)
    reused = _POOL.get("key") == key
    if not reused:
        close_pool()
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # JAX state must not be forked
        _POOL.update(key=key, pool=ctx.Pool(size, initializer=init, initargs=(compile_cache_dir,)))
        if not _POOL.get("atexit"):
            atexit.register(close_pool)
            _POOL["atexit"] = True
    return _POOL["pool"], reused


def close_pool() -> None:
    pool = _POOL.pop("pool", None)
    _POOL.pop("key", None)
    if pool is not None:
        pool.terminate()
        pool.join()
