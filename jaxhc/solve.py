"""``solve``: start system + homotopy + tracker + endgame + deduplication."""

from __future__ import annotations

import numpy as np

from .endgame.finalize import resolve_multiplicity
from .homotopy.base import random_gamma, straight_line
from .solutions.result import Result
from .start.total_degree import TotalDegreeStarts, total_degree_system
from .system.system import System
from .tracker.options import TrackerOptions, preset
from .tracker.rerun import rerun_duplicates
from .tracker.stream import track

__all__ = ["solve"]


def solve(
    system: System,
    start_system: str = "total_degree",
    *,
    options: TrackerOptions | str | None = None,
    seed: int = 0,
    gamma: complex | None = None,
    batch_size: int = 1024,
    steps_per_call: int = 16,
    max_paths: int | None = None,
    progress: bool = False,
) -> Result:
    """All isolated finite nonsingular solutions of ``system`` (plus path statistics).

    Args:
        system: the target :class:`System`.
        start_system: only ``"total_degree"`` here (``prod(degrees)`` paths);
            other solvers live in :mod:`jaxhc.theorem5` and :mod:`jaxhc.monodromy`.
        options: a :class:`TrackerOptions` or a preset name.
        seed: seeds γ (recorded in ``result.info``).
        gamma: explicit γ instead of a random one.
        max_paths: refuse to start more paths than this (a clear error instead of a
            run that cannot finish).
    """
    if start_system != "total_degree":
        raise ValueError(f"unknown start system {start_system!r}; solve() supports 'total_degree'")
    opts = preset(options) if isinstance(options, str) else (options or preset("default"))
    G = total_degree_system(system.degrees)
    starts = TotalDegreeStarts(system.degrees)
    if max_paths is not None and len(starts) > max_paths:
        raise ValueError(f"{system.name}: total degree {len(starts)} exceeds max_paths={max_paths}; "
                         "use a reduced start system (theorem5, monodromy)")
    # γ gets its own stream (seed, 1), independent of data sampled from the same seed.
    g = complex(gamma) if gamma is not None else random_gamma(np.random.default_rng((seed, 1)))
    h = straight_line(system, G, g)
    paths = track(h, starts, opts, batch_size=batch_size, steps_per_call=steps_per_call,
                  progress=progress, desc=system.name)
    # Two paths on one nonsingular solution mean a path jumped: track them again, tighter.
    paths, rerun = rerun_duplicates(h, starts, paths, opts, batch_size=min(batch_size, 256),
                                    steps_per_call=steps_per_call)
    # Multiplicity from the number of paths at a point (see resolve_multiplicity).
    paths, promoted, demoted = resolve_multiplicity(paths, system.fn, system.params, opts)
    info = {"start_system": start_system, "gamma_re": g.real, "gamma_im": g.imag, "seed": seed,
            "rerun_paths": rerun, "promoted_isolated": promoted, "multiple_root_paths": demoted, "time": paths.time, "path_steps": paths.path_steps, "efficiency": paths.efficiency}
    return Result.from_paths(paths, info)
