"""Shared pieces of the same-process A/B benchmarks of two MonodromySolver settings
(``bench_mixed_backend.py``, ``bench_resume.py``): the architecture options, two solvers on
one generic solution set, seeds solved by both in alternating order, and the comparison of
the two solution sets."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jaxhc import Architecture, sample_data  # noqa: E402
from jaxhc.monodromy import MonodromySolver  # noqa: E402
from jaxhc.tracker.options import preset  # noqa: E402


def add_arch_args(ap, widths, dx, dy, m) -> None:
    """``--widths --dx --dy --m`` (with these defaults), ``--seeds`` and ``--cache``."""
    ap.add_argument("--widths", type=int, nargs="+", default=list(widths))
    ap.add_argument("--dx", type=int, default=dx)
    ap.add_argument("--dy", type=int, default=dy)
    ap.add_argument("--m", type=int, default=m)
    ap.add_argument("--cache", default=None, help="generic-set cache folder (solver.cache_dir)")


def arch_of(a) -> Architecture:
    return Architecture(tuple(a.widths), a.dx, a.dy, a.m)


def monodromy_cfg(cache: str | None) -> dict:
    """The solver config of ``conf/solver/monodromy.yaml``, with ``cache_dir = cache``."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(Path(__file__).resolve().parent.parent / "conf/solver/monodromy.yaml"))
    cfg["cache_dir"] = cache
    return cfg


def warm_up(arch: Architecture, solvers: dict) -> None:
    """Compile every solver's double-precision tracker (one solve of sample 0) and its
    escalation's double-double tracker, so the timed solves compile nothing."""
    data = sample_data(arch, 0)
    for s in solvers.values():
        s(data, 0)
        s.precompile_escalation(data)


def solver_pair(arch: Architecture, cfgs: dict) -> dict:
    """One solver per ``label -> cfg``, all on the first one's generic set (computed or loaded once)."""
    solvers = {k: MonodromySolver(arch, preset("default"), c) for k, c in cfgs.items()}
    t0 = time.perf_counter()
    g = next(iter(solvers.values())).generic
    for s in solvers.values():
        s._generic, s._setup_time, s._from_cache, s._setup_pending = g, 0.0, True, False
    print(f"{arch.label()} (N = {arch.N}): generic set {len(g.solutions)} points ({time.perf_counter() - t0:.1f} s)")
    return solvers


def compare_sets(x: np.ndarray, y: np.ndarray) -> str:
    """The largest distance from a point of ``x`` to its nearest point of ``y``, and whether
    those nearest points are all distinct; in chunks (all pairs at once is ~18 GB at 8825 points)."""
    if len(x) != len(y) or not len(x):
        return f"differ in size: {len(x)} vs {len(y)}"
    near, dist = np.zeros(len(x), int), np.zeros(len(x))
    for i in range(0, len(x), 256):
        d = np.abs(x[i:i + 256, None, :] - y[None, :, :]).max(-1)
        near[i:i + 256], dist[i:i + 256] = d.argmin(1), d.min(1)
    return f"largest matched distance {dist.max():.1e}, one-to-one {len(set(near)) == len(x)}"


def alternate(arch: Architecture, solvers: dict, seeds, describe, measure) -> dict:
    """Solve every seed with every solver (order reversed on every other seed); print
    ``describe(label, seconds, result)`` per solve and the solution-set comparison of the first
    two; return ``label -> sum of measure(seconds, result)``."""
    labels = list(solvers)
    tot = {k: 0.0 for k in labels}
    for i, seed in enumerate(seeds):
        data = sample_data(arch, seed)
        res = {}
        for k in (labels if i % 2 == 0 else labels[::-1]):
            t = time.perf_counter()
            r = solvers[k](data, seed)
            el = time.perf_counter() - t
            tot[k] += measure(el, r)
            res[k] = r
            print(f"  seed {seed:3d} {describe(k, el, r)}", flush=True)
        print(f"  seed {seed:3d} solution sets: {compare_sets(res[labels[0]].solutions, res[labels[1]].solutions)}")
    return tot
