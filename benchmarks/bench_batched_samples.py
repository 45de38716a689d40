"""Samples one at a time against samples batched together (``MonodromySolver.solve_many``).

    python benchmarks/bench_batched_samples.py --samples 40 [--cache DIR] [--rows t1_3_3_2 ...]

Per row, in one process, on one generic solution set: the same samples solved (a) one per call
(``solve_many([data])``: each sample's first pass alone in its batch, as every session before
12 did) and (b) in chunks of ``samples_per_batch`` (their first passes in one batched run),
each configuration once to compile, then timed. Prints both times, their ratio, the first
passes' useful slot-step fraction, and whether every sample's N_C / N_C* / N_R agree and
the solution sets match (largest distance between matched points).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _solver_ab import monodromy_cfg  # noqa: E402

from jaxhc import Architecture, sample_data  # noqa: E402
from jaxhc.monodromy import MonodromySolver  # noqa: E402
from jaxhc.tracker.options import preset  # noqa: E402

ROWS = {  # label -> (widths, dx, dy, m)
    "t1_3_3_2": ((3,), 3, 2, 1),   # Table 1 (3) dx 3 dy 2, 25 orbits per sample
    "t1_2_3_4": ((2,), 3, 4, 1),   # Table 1 (2) dx 3 dy 4, 41 orbits
    "t2_2_3_3": ((2,), 3, 3, 2),   # Table 2 (2) dx 3 dy 3 m 2, 189 orbits
    "t2_2_2_4": ((2,), 2, 4, 2),   # Table 2 (2) dx 2 dy 4 m 2, 417 orbits
    "t4_22_2_1": ((2, 2), 2, 1, 2),  # Table 4 (2,2) dx 2 dy 1 m 2
}


def _match_dist(a, b) -> float:
    if len(a) != len(b):
        return np.inf
    worst, used = 0.0, np.zeros(len(b), bool)
    for x in a:
        d = np.max(np.abs(b - x), axis=1) / max(1.0, float(np.max(np.abs(x))))
        d[used] = np.inf
        j = int(np.argmin(d))
        used[j] = True
        worst = max(worst, float(d[j]))
    return worst


def run_row(label: str, samples: int, cache: str | None) -> dict:
    widths, dx, dy, m = ROWS[label]
    arch = Architecture(widths, dx, dy, m)
    s = MonodromySolver(arch, preset("default"), monodromy_cfg(cache))
    s.generic
    per = s.samples_per_batch
    seeds = list(range(1, samples + 1))
    datas = [sample_data(arch, k) for k in seeds]
    chunks = [list(range(i, min(i + per, samples))) for i in range(0, samples, per)]

    def one_by_one():
        return [s.solve_many([datas[i]], [seeds[i]])[0] for i in range(samples)]

    def batched():
        out = []
        for c in chunks:
            out += s.solve_many([datas[i] for i in c], [seeds[i] for i in c])
        return out

    # compile both (sample 0 alone, one chunk), then time each once
    s.solve_many([sample_data(arch, 0)], [0])
    s.solve_many([datas[i] for i in chunks[0]], [seeds[i] for i in chunks[0]])
    t0 = time.perf_counter()
    a = one_by_one()
    ta = time.perf_counter() - t0
    t0 = time.perf_counter()
    b = batched()
    tb = time.perf_counter() - t0
    same = all((x.nsolutions, x.ntorus, x.nreal) == (y.nsolutions, y.ntorus, y.nreal) for x, y in zip(a, b))
    dist = max(_match_dist(x.solutions, y.solutions) for x, y in zip(a, b))
    return {"row": label, "orbits": s.orbit_map.norbits, "per_chunk": per, "one_by_one_s": ta, "batched_s": tb,
            "ratio": ta / tb, "counts_equal": same, "max_matched_distance": dist}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    ap.add_argument("--cache", default=None, help="generic-set cache folder (solver.cache_dir)")
    a = ap.parse_args(argv)
    print("| row | orbits per sample | samples per chunk | one by one | batched | ratio | counts equal | max matched distance |")
    print("|---|---|---|---|---|---|---|---|")
    for label in a.rows:
        r = run_row(label, a.samples, a.cache)
        print(f"| {r['row']} | {r['orbits']} | {r['per_chunk']} | {r['one_by_one_s']:.2f} s | {r['batched_s']:.2f} s | "
              f"{r['ratio']:.2f}x | {r['counts_equal']} | {r['max_matched_distance']:.1e} |", flush=True)


if __name__ == "__main__":
    main()
