"""RK4 against the cubic Hermite predictor on the per-sample parameter homotopies, same process.

    python benchmarks/bench_predictor.py --widths 2 --dx 2 --dy 2 --m 2 --samples 5 --cache /tmp/gcache

One generic solution set (computed once, or loaded from ``--cache``) is moved to each
sample's data (seeds 0, 1, ...) by the first-pass parameter homotopy of
:class:`~jaxhc.monodromy.MonodromySolver` (one path per sign-flip orbit, same γ), once per
predictor, alternating which goes first.  Printed per sample and in total: tracking time,
path-steps (accepted + rejected), failed paths, and the largest relative distance between
the two predictors' endpoints of the same path (same route, so it should be round-off);
then the ratio of total times.  ``--full`` also runs the whole per-sample solver with each
predictor and prints its counts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jaxhc import Architecture, sample_data  # noqa: E402
from jaxhc.homotopy.base import parameter_homotopy, random_gamma  # noqa: E402
from jaxhc.monodromy import MonodromySolver  # noqa: E402
from jaxhc.monodromy.core import arch_system, track_padded  # noqa: E402
from jaxhc.status import Status  # noqa: E402
from jaxhc.tracker.options import preset  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[2])
    ap.add_argument("--dx", type=int, default=2)
    ap.add_argument("--dy", type=int, default=2)
    ap.add_argument("--m", type=int, default=2)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--cache", default=None, help="generic-set cache folder (solver.cache_dir)")
    ap.add_argument("--full", action="store_true", help="also run the whole per-sample solver with each predictor")
    ap.add_argument("--configs", nargs="+", default=["rk4:1e-5", "hermite:1e-4", "hermite:1e-3"],
                    help="predictor:predictor_tol pairs; the first is the baseline")
    a = ap.parse_args(argv)
    arch = Architecture(tuple(a.widths), a.dx, a.dy, a.m)
    cfg = {"name": "monodromy", "seed": 0, "loops_without_new": 10, "max_loops": 200, "start_pairs": 4,
           "use_bounds": True, "cache_dir": a.cache}
    opts = {c: preset("default", predictor=c.split(":")[0], predictor_tol=float(c.split(":")[1])) for c in a.configs}
    base = a.configs[0]
    solvers = {k: MonodromySolver(arch, o, cfg) for k, o in opts.items()}
    t0 = time.perf_counter()
    g = solvers[base].generic
    for s in solvers.values():
        s._generic, s._setup_time, s._from_cache, s._setup_pending = g, 0.0, True, False
    om = solvers[base].orbit_map
    starts = g.solutions[om.rep]
    print(f"{arch.label()} (N = {arch.N}): generic set {len(g.solutions)} points, {om.norbits} orbits "
          f"({time.perf_counter() - t0:.1f} s)")
    sysf = arch_system(arch)
    inf_norm = 1e8
    warm = sample_data(arch, 10_000)
    for o in opts.values():  # compile every batch shape before timing
        track_padded(parameter_homotopy(sysf, g.params, warm.params, 1j), starts, o._replace(infinity_norm=inf_norm))
    tot = {k: [0.0, 0, 0] for k in opts}
    for k in range(a.first_seed, a.first_seed + a.samples):
        data = sample_data(arch, k)
        gamma = random_gamma(np.random.default_rng((k, 11)))
        h = parameter_homotopy(sysf, g.params, data.params, gamma)
        out = {}
        names = list(opts) if k % 2 == 0 else list(opts)[::-1]
        for name in names:
            r = track_padded(h, starts, opts[name]._replace(infinity_norm=inf_norm))
            out[name] = r
            tot[name][0] += r.time
            tot[name][1] += r.path_steps
            tot[name][2] += r.nfailed
        print(f"seed {k}:")
        r0 = out[base]
        for name, r in out.items():
            ok = (r0.status == Status.SUCCESS) & (r.status == Status.SUCCESS)
            x1, x2 = r0.x[ok], r.x[ok]
            dist = (np.max(np.abs(x1 - x2), axis=1) / np.maximum(1.0, np.max(np.abs(x1), axis=1))).max() if ok.any() else 0
            print(f"   {name:14s} {r.time:7.2f} s {r.path_steps:8d} steps {r.nfailed:4d} failed "
                  f"{int((r.status == Status.SUCCESS).sum()):6d} ok; same endpoint as {base} on {int(ok.sum())} "
                  f"paths, max rel. distance {dist:.1e}")
        if a.full:
            for name, s in solvers.items():
                t = time.perf_counter()
                r = s(data, k)
                print(f"   full solver {name:14s} N_C={r.nsolutions} N_C*={r.ntorus} N_R={r.nreal} "
                      f"failed={r.nfailed} {time.perf_counter() - t:.1f} s")
    b = tot[base]
    for name, (t, steps, failed) in tot.items():
        print(f"total {name:14s} {t:8.2f} s {steps:9d} steps {failed:5d} failed; time ratio {base}/{name} "
              f"x{b[0] / max(t, 1e-9):.2f}, steps ratio x{steps / max(b[1], 1):.2f}")


if __name__ == "__main__":
    main()
