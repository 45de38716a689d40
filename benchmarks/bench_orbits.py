"""Per-sample stage with and without the sign-flip orbit reduction, same process, interleaved.

    python benchmarks/bench_orbits.py --widths 2 2 --dx 1 --dy 2 --m 2 --samples 5 --cache /tmp/gcache

Both solvers share one generic solution set (computed once, or loaded from ``--cache``);
each sample is solved by both, alternating which goes first, and the script prints the
per-sample times, the counts (which must agree) and the ratio of total times.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jaxhc import Architecture, sample_data  # noqa: E402
from jaxhc.monodromy import MonodromySolver  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[2, 2])
    ap.add_argument("--dx", type=int, default=1)
    ap.add_argument("--dy", type=int, default=2)
    ap.add_argument("--m", type=int, default=2)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--cache", default=None, help="generic-set cache folder (solver.cache_dir)")
    a = ap.parse_args(argv)
    arch = Architecture(tuple(a.widths), a.dx, a.dy, a.m)
    base = {"name": "monodromy", "seed": 0, "loops_without_new": 10, "max_loops": 200, "start_pairs": 4,
            "use_bounds": True, "cache_dir": a.cache}
    on = MonodromySolver(arch, cfg={**base, "orbits": True})
    off = MonodromySolver(arch, cfg={**base, "orbits": False})
    t0 = time.perf_counter()
    off._generic = on.generic  # one generic set for both
    off._setup_time, off._from_cache, off._setup_pending = 0.0, True, False
    print(f"{arch.label()}: generic set {len(on.generic.solutions)} points ({time.perf_counter() - t0:.1f} s), "
          f"{on.orbit_map.norbits} orbits")
    warm = sample_data(arch, 10_000)  # compile both batch shapes before timing
    on(warm, 0), off(warm, 0)
    tot = {"on": 0.0, "off": 0.0}
    for k in range(a.samples):
        data = sample_data(arch, k)
        order = [("on", on), ("off", off)] if k % 2 == 0 else [("off", off), ("on", on)]
        out = {}
        for name, solver in order:
            t = time.perf_counter()
            r = solver(data, k)
            el = time.perf_counter() - t
            tot[name] += el
            out[name] = (r.nsolutions, r.ntorus, r.nreal, el)
        print(f"sample {k}: orbits on  N_C={out['on'][0]} N_C*={out['on'][1]} N_R={out['on'][2]} {out['on'][3]:.2f} s | "
              f"off N_C={out['off'][0]} N_C*={out['off'][1]} N_R={out['off'][2]} {out['off'][3]:.2f} s")
    print(f"total: on {tot['on']:.2f} s, off {tot['off']:.2f} s, speedup x{tot['off'] / max(tot['on'], 1e-9):.2f}")


if __name__ == "__main__":
    main()
