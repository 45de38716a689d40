"""Hard samples with and without the first pass's endpoint refinement and redo filter; same process.

    python benchmarks/bench_refine.py --widths 3 --dx 2 --dy 3 --m 2 --seeds 3 37 26 46 --cache /tmp/gcache

One generic solution set (computed once, or loaded from ``--cache``) serves two
:class:`~jaxhc.monodromy.MonodromySolver`s with the same first-pass predictor that differ only in
what happens to near-degenerate samples' failed first-pass paths:

* ``before`` (the baseline, session 9): ``refine_endpoints_max=0``, ``redo_max_cond=inf``: every
  failed orbit is redone in double precision with the preset, then escalated;
* ``after``: endpoints reached at t = 0 but SINGULAR are Newton-refined with 40-digit residuals
  (``refine_endpoints_max=64``), and failures at cond > 1e10 skip the redo (``redo_max_cond``).

Both compile the double-precision tracker and the escalation first.  Each seed is solved by
both, alternating which goes first; printed per seed: time, refined / redone / escalated counts,
the counts, and the largest distance between the two solution sets (matched point by point);
then the ratio of total times.  Pick seeds whose ``samples_info.jsonl`` shows
``mixed_precision_paths > 0`` (Table 2 (3,2,3) m = 2: seeds 3, 37, 26, 46, 79).
"""

from __future__ import annotations

import argparse

from _solver_ab import add_arch_args, alternate, arch_of, monodromy_cfg, solver_pair, warm_up


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arch_args(ap, [3], 2, 3, 2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 37, 26, 46])
    a = ap.parse_args(argv)
    arch = arch_of(a)
    cfg = monodromy_cfg(a.cache)
    solvers = solver_pair(arch, {"before": dict(cfg, refine_endpoints_max=0, redo_max_cond=float("inf")),
                                 "after": cfg})
    warm_up(arch, solvers)

    def describe(k, el, out):
        i = out.info
        return (f"{k:6s} {el:8.2f} s  refined {i['refined_endpoints']:4d} rows, redone {i['redo_orbits']:3d} orbits, "
                f"escalated {i['mixed_precision_paths']:4d} rows ({i['mixed_precision_time_s']:.1f} s), "
                f"retried {i['retried_paths']}  N_C {out.nsolutions} N_C* {out.ntorus} failed {out.nfailed}")

    tot = alternate(arch, solvers, a.seeds, describe, lambda el, out: el)
    print(f"total: before {tot['before']:.1f} s, after {tot['after']:.1f} s, ratio {tot['before'] / max(tot['after'], 1e-9):.2f}x")


if __name__ == "__main__":
    main()
