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

from _solver_ab import add_arch_args, alternate, arch_of, monodromy_cfg, solver_pair, warm_up


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arch_args(ap, [3], 2, 3, 2)
    ap.add_argument("--seeds", type=int, nargs="+", default=[46, 26])
    a = ap.parse_args(argv)
    arch = arch_of(a)
    cfg = monodromy_cfg(a.cache)
    solvers = solver_pair(arch, {r: dict(cfg, extended_precision_resume=r) for r in (False, True)})
    warm_up(arch, solvers)

    def describe(r, el, out):
        return (f"{'resumed' if r else 'from t=1':9s} {el:8.2f} s  stage 2 {out.info['extended_precision_time_s']:8.2f} s "
                f"({out.info['extended_precision_paths']} orbits, {out.info['extended_precision_success']} ok)  "
                f"N_C {out.nsolutions} N_C* {out.ntorus} N_R {out.nreal} failed {out.nfailed}")

    tot = alternate(arch, solvers, a.seeds, describe, lambda el, out: out.info["extended_precision_time_s"])
    print(f"stage 2 total: from t=1 {tot[False]:.1f} s, resumed {tot[True]:.1f} s, "
          f"ratio {tot[False] / max(tot[True], 1e-9):.2f}x")


if __name__ == "__main__":
    main()
