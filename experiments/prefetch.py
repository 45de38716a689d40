"""A sweep's second lane: compute the generic solution sets of the rows still to come.

Hydra's multirun runs the rows of a table one after the other in one process. On most
rows that process uses one core: the generic set (monodromy, single process) and the
samples of small rows (too few to be worth a worker pool, see run.py). The other core
is idle. With ``prefetch=true`` (the default) the first job of a table sweep starts one
background process that walks through the rows after it, computes each row's generic
set into the sweep's shared cache folder, and solves the first samples of that row's
first chunk once without keeping them, which fills the compilation caches (JAX's and jaxhc's
executable cache, see common.use_compile_cache) with the row's tracker
executables (``prefetch_warm_escalation=true`` also compiles the escalation's double-double
tracker ahead; off by default, as it cost more than it saved on Table 4). When the main process reaches the row, it loads both.

The two never compute the same set twice: ``MonodromySolver.generic`` holds a lock file
while computing, and a process that finds the lock waits for the file (see
``jaxhc.monodromy.solver._GenericLock``). Nothing the prefetcher does is a result: it
writes only the generic set (the same file the main process would write) and compiled
executables, so the outcome of a row does not depend on it. It is a daemon process: it
ends with the sweep.
"""

from __future__ import annotations

import time
from pathlib import Path

_STARTED: list = []  # one prefetcher per process (hydra's multirun calls main() once per job)
_LATER: list = []  # (row, (widths, dx, dy, m)) of the rows the prefetcher got, in its order


def warm_paths(batch_size: int) -> int:
    """First-pass paths of a warm-up chunk: the fewest that the tracker runs in a full batch of
    ``batch_size`` slots (more than half of it; a batch is a power of two), which it then shrinks
    to 64, as the row's chunks will (``jaxhc.monodromy.core.track_padded``).  It was a fixed 129,
    sized for 256 slots: with the CPU's 64 slots (session 15) a row of 10 orbits warmed 13 samples
    where 4 compile the same kernels."""
    return int(batch_size) // 2 + 1


def sweep_rows(hc) -> list | None:
    """The rows of this multirun, in launch order, when the sweep varies ``row`` and nothing else.

    The sweep is the sweeper's ``params`` (from the sweep config) updated by the command line's
    overrides, which hydra keeps in the sweep directory's ``multirun.yaml``."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    parser = OverridesParser.create()
    sweeps = {k: f"{k}={v}" for k, v in dict(hc.sweeper.params or {}).items()}
    saved = Path(hc.sweep.dir) / "multirun.yaml"
    if saved.exists():
        for o in OmegaConf.load(saved).hydra.overrides.task:
            ov = parser.parse_overrides([o])[0]
            if ov.is_sweep_override() or ov.key_or_group in sweeps:
                sweeps[ov.key_or_group] = o
    if set(sweeps) != {"row"}:
        return None
    ov = parser.parse_overrides([sweeps["row"]])[0]
    if not ov.is_sweep_override():
        return None
    return [int(r) for r in ov.sweep_iterator()]


def maybe_start(cfg, cache_dir: Path, compile_cache) -> int:
    """Start the prefetcher for the rows after ``cfg.row`` (once per process). Returns how many rows it got."""
    if _STARTED or not cfg.get("prefetch", True) or cfg.get("table") is None or cfg.get("row") is None:
        return 0
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    import common

    hc = HydraConfig.get()
    if hc.mode != RunMode.MULTIRUN or cfg.solver.name != "monodromy":
        return 0
    rows = sweep_rows(hc)
    if not rows or int(cfg.row) not in rows:
        return 0
    later = rows[rows.index(int(cfg.row)) + 1:]
    archs = []
    for r in later:
        c = OmegaConf.create(OmegaConf.to_container(cfg, resolve=False))
        c.row = r
        a = common.arch_from_cfg(c)
        archs.append((list(a.widths), a.dx, a.dy, a.m))
        _LATER.append((r, archs[-1]))
    if not archs:
        return 0
    import multiprocessing

    scfg = OmegaConf.to_container(cfg.solver, resolve=True)
    scfg["cache_dir"] = str(cache_dir)
    ctx = multiprocessing.get_context("spawn")  # JAX state must not be forked
    proc = ctx.Process(target=run, args=(str(compile_cache) if compile_cache else None, scfg, archs,
                                         int(cfg.data.seed), bool(cfg.get("prefetch_warm", True)),
                                         bool(cfg.get("prefetch_warm_escalation", False)), int(cfg.data.samples)),
                       daemon=True, name="jaxhc-prefetch")
    proc.start()
    _STARTED.append(proc)
    return len(archs)


def help_while_waiting(row: int, solver, max_rows: int = 2) -> list:
    """In the main process, before it needs ``solver``'s generic set: while the prefetcher holds
    that set's lock (it is computing it), compute the generic sets of the next rows that nobody
    has started yet (at most ``max_rows``), instead of waiting idle.  Returns their labels.

    On rows with small generic sets the prefetcher is the critical path (Table 1, session 12:
    the main process waited on 20 rows, 53 s); a set computed here is one the prefetcher skips
    (it skips cached and locked sets), so both lanes compute sets while the main process would
    otherwise wait.  The prefetcher does not warm the kernels of a row taken here: the main
    process compiles them when it gets there.  Only sets are computed here, the same files the
    prefetcher would write: no result depends on who computed them."""
    from omegaconf import OmegaConf

    from jaxhc import Architecture
    from jaxhc.monodromy.solver import generic_lock_file
    from solvers import make_solver

    path = solver._cache_path()
    done = []
    if path is None or not _STARTED:
        return done
    for r, (widths, dx, dy, m) in [x for x in _LATER if x[0] > int(row)]:
        if len(done) >= max_rows or path.exists() or not generic_lock_file(path).exists():
            break  # ours is ready, or nobody is computing it: stop helping
        other = make_solver(OmegaConf.create(dict(solver.cfg)), Architecture(tuple(widths), dx, dy, m))
        p2 = other._cache_path()
        if p2.exists() or generic_lock_file(p2).exists():
            continue
        other.generic  # takes that set's lock, computes it and saves it
        done.append(other.arch.label())
    return done


def run(compile_cache: str | None, solver_cfg: dict, archs: list, data_seed: int, warm: bool,
        warm_escalation: bool = False, samples: int = 1) -> None:
    """The prefetcher's loop: each architecture's generic set (skipped when cached or being
    computed by the main process), then, if ``warm``, one throw-away solve of the first samples
    of its first chunk (of ``samples``, chunked as run.py does; see :func:`warm_paths`),
    and if ``warm_escalation``, the escalation's double-double tracker compiled (off by default:
    Table 4, which escalates no sample, took 4 min 33 s with it, 136 s more CPU time in the
    prefetcher than without)."""
    import workers

    workers.init(compile_cache)  # the import paths and the compilation cache, as in a sample worker
    import common
    from omegaconf import OmegaConf

    from jaxhc import Architecture, sample_data
    from jaxhc.monodromy.solver import generic_lock_file
    from solvers import make_solver

    for widths, dx, dy, m in archs:
        arch = Architecture(tuple(widths), dx, dy, m)
        t0 = time.perf_counter()
        solver = make_solver(OmegaConf.create(solver_cfg), arch)
        path = solver._cache_path()
        if path.exists() or generic_lock_file(path).exists():
            continue  # done, or the main process is at it (it is ahead of us: nothing left to gain here)
        solver.generic
        if warm:
            # The first samples of run.py's first chunk, thrown away: enough of them to fill the
            # first pass's full batch, which compiles it and the smaller one it shrinks to, and
            # the endgame's refinement block, as the chunks will use them.
            first = common.sample_chunks([(k, data_seed + k) for k in range(samples)], solver.samples_per_batch)[:1]
            if first:
                k = -(-warm_paths(solver.batch_size) // solver.orbit_map.norbits)
                common.solve_chunk(solver, arch, first[0][:k])
            if warm_escalation:
                # The escalation's double-double tracker too (a few near-degenerate samples per
                # row need it, and each process would compile it).
                solver.precompile_escalation(sample_data(arch, data_seed))
        if solver_cfg.get("verbose"):
            print(f"prefetch {arch.label()}: {time.perf_counter() - t0:.1f}s", flush=True)
