"""Glue between hydra configs and jaxhc: architectures, solvers, paper lookup, output files."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from jaxhc import Architecture

REFERENCE = Path(__file__).parent / "reference" / "paper_tables.csv"

OmegaConf.register_new_resolver("len", lambda x: len(x), replace=True)
OmegaConf.register_new_resolver("join", lambda x: "-".join(map(str, x)), replace=True)


def _paper_arch(table, row, field):
    """Architecture field of a row of the paper's tables (sizes only, for sweeps)."""
    with open(REFERENCE) as f:
        rows = [r for r in csv.DictReader(f) if int(r["table"]) == int(table)]
    if not 0 <= int(row) < len(rows):
        raise ValueError(f"table {table} has rows 0..{len(rows) - 1}, got row={row}")
    r = rows[int(row)]
    if field == "widths":
        return [int(r["d_i"])] * int(r["H"])
    return int(r[field])


OmegaConf.register_new_resolver("paper_arch", _paper_arch, replace=True)


def arch_from_cfg(cfg) -> Architecture:
    a = cfg.arch
    widths = list(a.widths) if OmegaConf.is_list(a.widths) or isinstance(a.widths, (list, tuple)) else [a.widths]
    return Architecture(tuple(widths), a.dx, a.dy, a.m)


def paper_rows(arch: Architecture) -> list[dict]:
    """Published rows of Tables 1-4 for this architecture (comparison only, never used as results)."""
    if len(set(arch.widths)) != 1 or arch.H > 2:
        return []
    out = []
    with open(REFERENCE) as f:
        for row in csv.DictReader(f):
            if (int(row["H"]), int(row["m"]), int(row["d_i"]), int(row["d_x"]), int(row["d_y"])) == (
                    arch.H, arch.m, arch.widths[0], arch.dx, arch.dy):
                out.append({k: (int(v) if v not in ("", None) else None) for k, v in row.items()})
    return out


def output_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def write_json(path: Path, obj) -> None:
    """Atomic write, so an interrupted run never leaves a half-written file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, default=_jsonable)
    os.replace(tmp, path)


def _jsonable(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, complex):
        return [o.real, o.imag]
    raise TypeError(type(o))


def compile_cache_dir(cfg) -> Path | None:
    """The folder of the JAX persistent compilation cache for this job (config key ``compile_cache_dir``).

    ``auto``: ``jax_cache`` in the sweep directory in multirun mode (one for every row of a table
    sweep, and one JAX cache per process is what JAX expects; see ``use_compile_cache``), in the
    run directory otherwise; ``null``: no cache (JAX's own settings are left alone). It pays off
    in the workers, which load what the parent compiled, and on reruns; rows of one sweep share
    few executables (each architecture's system is compiled into its own tracker).
    """
    v = cfg.get("compile_cache_dir", "auto")
    if v is None:
        return None
    if v == "auto":
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        hc = HydraConfig.get()
        v = Path(hc.sweep.dir if hc.mode == RunMode.MULTIRUN else hc.runtime.output_dir) / "jax_cache"
    return Path(v).resolve()


_CACHE_DIR_SET: list = []  # the folder this process pointed JAX at (empty: never touched)


def use_compile_cache(path) -> None:
    """Point this process's JAX persistent compilation cache at ``path`` (None: off).

    Call it before anything compiles. It is global JAX config, so the experiments set it, never
    the library. Every jitted function is cached, however small or fast to compile: the tracker
    has many of them (0.1-1 s each) and JAX's default (only compiles over 1 s) would skip most.
    Measured: a worker's first sample took 1.8 s instead of 5.3 s (Table 1 row 20, loaded machine).

    JAX opens the cache once per process, at the first compile, and then ignores later changes
    of ``jax_compilation_cache_dir`` (checked with jax 0.10.2: entries kept going to the first
    folder). Hydra's multirun calls ``main`` once per job in one process, normally with the same
    folder (a no-op here); when the folder does change, ``reset_cache`` (public, in
    ``jax.experimental.compilation_cache``) makes the next compile open the new one.
    """
    path = str(path) if path is not None else None
    use_executable_cache(path)
    if (_CACHE_DIR_SET and _CACHE_DIR_SET[0] == path) or (not _CACHE_DIR_SET and path is None):
        return
    import jax
    from jax.experimental.compilation_cache import compilation_cache

    if path is not None:
        Path(path).mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    jax.config.update("jax_compilation_cache_dir", path)
    if _CACHE_DIR_SET:  # (the first time, JAX has not opened a cache yet: nothing to reset)
        compilation_cache.reset_cache()
    _CACHE_DIR_SET[:] = [path]


def use_executable_cache(compile_cache: str | None) -> None:
    """jaxhc's own cache of compiled kernels (``jaxhc.tracker.executable_cache``) in the folder
    beside JAX's compilation cache (``<cache>_executables``), off with it.  JAX's cache is keyed by
    the lowered module, so each process still traced and lowered every kernel before loading it;
    this one is keyed by the call, so a worker or the main process loads what the prefetcher
    compiled without tracing it."""
    from jaxhc.tracker.executable_cache import use_executable_cache as use

    use(None if compile_cache is None else Path(compile_cache).with_name(Path(compile_cache).name + "_executables"))


def sample_chunks(jobs: list, per: int) -> list[list]:
    """``jobs`` cut into the fewest chunks of at most ``per``, as equal in size as possible.

    A chunk is what one ``solve_many`` call gets (see ``MonodromySolver.samples_per_batch``):
    equal sizes keep the number of compiled batch shapes down, and the prefetcher warms a row
    with the first samples of its first chunk, cut the same way.
    """
    if not jobs:
        return []
    n = -(-len(jobs) // max(1, int(per)))
    size = -(-len(jobs) // n)
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


def solve_chunk(solver, arch, chunk: list) -> list:
    """``[(k, seed), ...] -> [(k, seed, Result, seconds), ...]``: with the solver's ``solve_many``
    (one batched first pass; seconds: each sample's ``info["solve_time_s"]``) when it has one,
    else one sample at a time."""
    import time

    from jaxhc import sample_data

    datas = [sample_data(arch, seed) for _, seed in chunk]
    many = getattr(solver, "solve_many", None)
    if many is not None:
        t0 = time.perf_counter()
        res = many(datas, [seed for _, seed in chunk])
        el = time.perf_counter() - t0
        return [(k, seed, r, float(r.info.get("solve_time_s", el / len(chunk)))) for (k, seed), r in zip(chunk, res)]
    out = []
    for (k, seed), data in zip(chunk, datas):
        t0 = time.perf_counter()
        r = solver(data, seed)
        out.append((k, seed, r, time.perf_counter() - t0))
    return out
