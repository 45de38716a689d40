"""Worker processes for `run.py workers=K`: each builds its own solver (and compiles
once, mostly loading the executables from the persistent compilation cache that the
parent filled), then solves whole samples; the parent process writes every file.

XLA runs one tracker on about one core, so K processes on K cores solve K
samples at a time (measured: about 1.7x with two workers on two cores). A worker
costs ~3 s before its second sample (importing jax, tracing, loading from the cache),
which is why run.py starts the pool only when the remaining samples are worth it.
"""

from __future__ import annotations

import time

_STATE = {}


def init(compile_cache_dir: str | None, solver_cfg: dict, arch_fields: tuple):
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    for p in (here, os.path.dirname(here)):
        if p not in sys.path:
            sys.path.insert(0, p)
    import common

    common.use_compile_cache(compile_cache_dir)  # before anything compiles
    from omegaconf import OmegaConf

    from jaxhc import Architecture
    from solvers import make_solver

    widths, dx, dy, m = arch_fields
    arch = Architecture(tuple(widths), dx, dy, m)
    _STATE["arch"] = arch
    _STATE["solver"] = make_solver(OmegaConf.create(solver_cfg), arch)


def solve_sample(job):
    """``(k, seed) -> (k, seed, Result, seconds)``."""
    from jaxhc import sample_data

    k, seed = job
    data = sample_data(_STATE["arch"], seed)
    t0 = time.perf_counter()
    res = _STATE["solver"](data, seed)
    return k, seed, res, time.perf_counter() - t0
