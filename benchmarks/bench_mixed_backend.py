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

from _solver_ab import add_arch_args, alternate, arch_of, solver_pair

from jaxhc import sample_data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arch_args(ap, [3], 2, 2, 2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[37, 26])
    ap.add_argument("--predictor", default="hermite", help="mixed_precision_predictor of both backends")
    a = ap.parse_args(argv)
    arch = arch_of(a)
    cfg = {"name": "monodromy", "seed": 0, "loops_without_new": 10, "max_loops": 200, "start_pairs": 4,
           "use_bounds": True, "cache_dir": a.cache, "sample_predictor": "hermite", "sample_predictor_tol": 1e-3,
           "generic_predictor": "hermite", "generic_predictor_tol": 1e-3, "mixed_precision_predictor": a.predictor}
    backends = ("mpmath", "double_double")
    solvers = solver_pair(arch, {b: dict(cfg, mixed_precision_backend=b) for b in backends})
    solvers[backends[0]](sample_data(arch, 10_000), 10_000)  # compile the double-precision tracker once

    def describe(b, el, r):
        return (f"{b:13s} {el:8.2f} s  escalation {r.info['mixed_precision_time_s']:8.2f} s "
                f"({r.info['mixed_precision_paths']} paths, stage 2 {r.info['extended_precision_paths']})  "
                f"N_C {r.nsolutions} N_C* {r.ntorus} N_R {r.nreal} failed {r.nfailed}")

    tot = alternate(arch, solvers, a.seeds, describe, lambda el, r: el)
    print(f"total: {backends[0]} {tot[backends[0]]:.1f} s, {backends[1]} {tot[backends[1]]:.1f} s, "
          f"ratio {tot[backends[0]] / max(tot[backends[1]], 1e-9):.2f}x")


if __name__ == "__main__":
    main()
