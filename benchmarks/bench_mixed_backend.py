"""The precision escalation's two backends on near-degenerate samples, same process.

    python benchmarks/bench_mixed_backend.py --widths 3 --dx 2 --dy 2 --m 2 --seeds 37 26 --cache /tmp/gcache

One generic solution set (computed once, or loaded from ``--cache``) serves two
:class:`~jaxhc.monodromy.MonodromySolver`s that differ only in ``mixed_precision_backend``:
``mpmath`` (host-side, one orbit at a time, residuals in FLINT/mpmath; the baseline) and
``double_double`` (all orbits in one jitted batch, residuals in double-double).  Each seed is
solved by both, alternating which goes first.  Printed per seed: whole-sample time, time of
the escalation (stage 1 + stage 2), the counts, and the largest distance between the two
solution sets (matched point by point); then the ratio of total times.  The
double-double tracker's compilation (a few seconds per batch size) is inside the first seed's
time.  Pick seeds whose ``samples_info.jsonl`` shows ``mixed_precision_paths > 0``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jaxhc import Architecture, sample_data  # noqa: E402
from jaxhc.monodromy import MonodromySolver  # noqa: E402
from jaxhc.tracker.options import preset  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[3])
    ap.add_argument("--dx", type=int, default=2)
    ap.add_argument("--dy", type=int, default=2)
    ap.add_argument("--m", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[37, 26])
    ap.add_argument("--cache", default=None, help="generic-set cache folder (solver.cache_dir)")
    ap.add_argument("--predictor", default="hermite", help="mixed_precision_predictor of both backends")
    a = ap.parse_args(argv)
    arch = Architecture(tuple(a.widths), a.dx, a.dy, a.m)
    cfg = {"name": "monodromy", "seed": 0, "loops_without_new": 10, "max_loops": 200, "start_pairs": 4,
           "use_bounds": True, "cache_dir": a.cache, "sample_predictor": "hermite", "sample_predictor_tol": 1e-3,
           "generic_predictor": "hermite", "generic_predictor_tol": 1e-3, "mixed_precision_predictor": a.predictor}
    backends = ("mpmath", "double_double")
    solvers = {b: MonodromySolver(arch, preset("default"), dict(cfg, mixed_precision_backend=b)) for b in backends}
    t0 = time.perf_counter()
    g = solvers[backends[0]].generic
    for s in solvers.values():
        s._generic, s._setup_time, s._from_cache, s._setup_pending = g, 0.0, True, False
    print(f"{arch.label()} (N = {arch.N}): generic set {len(g.solutions)} points ({time.perf_counter() - t0:.1f} s)")
    solvers[backends[0]](sample_data(arch, 10_000), 10_000)  # compile the double-precision tracker once
    tot = {b: 0.0 for b in backends}
    for i, seed in enumerate(a.seeds):
        data = sample_data(arch, seed)
        res = {}
        for b in (backends if i % 2 == 0 else backends[::-1]):
            t = time.perf_counter()
            r = solvers[b](data, seed)
            el = time.perf_counter() - t
            tot[b] += el
            res[b] = r
            print(f"  seed {seed:3d} {b:13s} {el:8.2f} s  escalation {r.info['mixed_precision_time_s']:8.2f} s "
                  f"({r.info['mixed_precision_paths']} paths, stage 2 {r.info['extended_precision_paths']})  "
                  f"N_C {r.nsolutions} N_C* {r.ntorus} N_R {r.nreal} failed {r.nfailed}", flush=True)
        x, y = (res[b].solutions for b in backends)
        if len(x) == len(y) and len(x):
            # Nearest point of y for each point of x, in chunks (all at once is ~18 GB at 8825 points).
            near, dist = np.zeros(len(x), int), np.zeros(len(x))
            for i in range(0, len(x), 256):
                d = np.abs(x[i:i + 256, None, :] - y[None, :, :]).max(-1)
                near[i:i + 256], dist[i:i + 256] = d.argmin(1), d.min(1)
            print(f"  seed {seed:3d} solution sets: largest matched distance {dist.max():.1e}, "
                  f"one-to-one {len(set(near)) == len(x)}")
        else:
            print(f"  seed {seed:3d} solution sets differ in size: {len(x)} vs {len(y)}")
    print(f"total: {backends[0]} {tot[backends[0]]:.1f} s, {backends[1]} {tot[backends[1]]:.1f} s, "
          f"ratio {tot[backends[0]] / max(tot[backends[1]], 1e-9):.2f}x")


if __name__ == "__main__":
    main()
