"""Stage 2 of the escalation resumed where stage 1 gave up, against started over; same process.

    python benchmarks/bench_resume.py --widths 3 --dx 2 --dy 3 --m 2 --seeds 46 26 --cache /tmp/gcache

One generic solution set (computed once, or loaded from ``--cache``) serves two
:class:`~jaxhc.monodromy.MonodromySolver`s that differ only in ``extended_precision_resume``:
``false`` (stage 2 re-tracks each handed-over orbit from t = 1; the baseline) and ``true`` (it
resumes at the point where stage 1 stopped with ILL_CONDITIONED).  Each seed is solved by both,
alternating which goes first.  Printed per seed: whole-sample time, stage-2 time, the counts,
and the largest distance between the two solution sets (matched point by point); then the
ratio of stage-2 times.  Pick seeds whose ``samples_info.jsonl`` shows
``extended_precision_paths > 0`` (Table 2 (3,2,3) m = 2: seeds 26, 46, 93, 35, 8).
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
    ap.add_argument("--dy", type=int, default=3)
    ap.add_argument("--m", type=int, default=2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[46, 26])
    ap.add_argument("--cache", default=None, help="generic-set cache folder (solver.cache_dir)")
    a = ap.parse_args(argv)
    arch = Architecture(tuple(a.widths), a.dx, a.dy, a.m)
    from omegaconf import OmegaConf

    cfg = OmegaConf.to_container(OmegaConf.load(Path(__file__).resolve().parent.parent / "conf/solver/monodromy.yaml"))
    cfg["cache_dir"] = a.cache
    modes = (False, True)
    solvers = {r: MonodromySolver(arch, preset("default"), dict(cfg, extended_precision_resume=r)) for r in modes}
    t0 = time.perf_counter()
    g = solvers[modes[0]].generic
    for s in solvers.values():
        s._generic, s._setup_time, s._from_cache, s._setup_pending = g, 0.0, True, False
    print(f"{arch.label()} (N = {arch.N}): generic set {len(g.solutions)} points ({time.perf_counter() - t0:.1f} s)")
    for s in solvers.values():
        s(sample_data(arch, 0), 0)  # compile the double-precision tracker once
        s.precompile_escalation(sample_data(arch, 0))  # and the double-double one
    tot = {r: 0.0 for r in modes}
    for i, seed in enumerate(a.seeds):
        data = sample_data(arch, seed)
        res = {}
        for r in (modes if i % 2 == 0 else modes[::-1]):
            t = time.perf_counter()
            out = solvers[r](data, seed)
            el = time.perf_counter() - t
            tot[r] += out.info["extended_precision_time_s"]
            res[r] = out
            print(f"  seed {seed:3d} {'resumed' if r else 'from t=1':9s} {el:8.2f} s  stage 2 "
                  f"{out.info['extended_precision_time_s']:8.2f} s ({out.info['extended_precision_paths']} orbits, "
                  f"{out.info['extended_precision_success']} ok)  N_C {out.nsolutions} N_C* {out.ntorus} "
                  f"N_R {out.nreal} failed {out.nfailed}", flush=True)
        x, y = (res[r].solutions for r in modes)
        if len(x) == len(y) and len(x):
            # Nearest point of y for each point of x, in chunks (8825 x 8825 x N at once is ~18 GB).
            near, dist = np.zeros(len(x), int), np.zeros(len(x))
            for i in range(0, len(x), 256):
                d = np.abs(x[i:i + 256, None, :] - y[None, :, :]).max(-1)
                near[i:i + 256], dist[i:i + 256] = d.argmin(1), d.min(1)
            print(f"  seed {seed:3d} solution sets: largest matched distance {dist.max():.1e}, "
                  f"one-to-one {len(set(near)) == len(x)}")
        else:
            print(f"  seed {seed:3d} solution sets differ in size: {len(x)} vs {len(y)}")
    print(f"stage 2 total: from t=1 {tot[False]:.1f} s, resumed {tot[True]:.1f} s, "
          f"ratio {tot[False] / max(tot[True], 1e-9):.2f}x")


if __name__ == "__main__":
    main()
