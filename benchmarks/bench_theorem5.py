"""Table 1 of the paper (H = 1, m = 1) with the Theorem-5 solver.

    python benchmarks/bench_theorem5.py                  # all 41 rows, 100 samples each
    python benchmarks/bench_theorem5.py --samples 10 --rows 0-15 --formulation wu
    python benchmarks/bench_theorem5.py --out table.md   # also write the markdown table to a file

Samples use seeds 0..S-1 (``sample_data(arch, seed)``).  Per row it prints the
range of N_C and N_C* over the samples next to the paper's values, the largest
N_R, failed paths, rejected candidates, paths per sample (vs B_C), and the time
(first sample, which includes compilation, and the rest).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jaxhc import Architecture, preset, sample_data  # noqa: E402
from jaxhc.theorem5 import Theorem5Solver  # noqa: E402

CSV = ROOT / "experiments" / "reference" / "paper_tables.csv"


def table1_rows():
    with open(CSV) as f:
        return [r for r in csv.DictReader(f) if int(r["table"]) == 1]


def parse_rows(spec: str | None, n: int) -> list[int]:
    if not spec:
        return list(range(n))
    out = []
    for part in spec.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.extend(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def run_row(r, samples: int, formulation: str, preset_name: str):
    d, n, p = int(r["d_i"]), int(r["d_x"]), int(r["d_y"])
    arch = Architecture((d,), n, p, 1)
    t0 = time.perf_counter()
    solver = Theorem5Solver(arch, preset(preset_name), {"formulation": formulation})
    nc, ncs, nr, paths, failed, rejected, first = [], [], [], [], 0, 0, 0.0
    retracked, unresolved, promoted = 0, 0, 0
    max_res = 0.0
    for s in range(samples):
        ts = time.perf_counter()
        res = solver(sample_data(arch, s), s)
        if s == 0:
            first = time.perf_counter() - ts
        nc.append(res.nsolutions)
        ncs.append(res.ntorus)
        nr.append(res.nreal)
        paths.append(res.npaths)
        failed += res.nfailed
        rejected += res.info["rejected_candidates"]
        retracked += res.info["retracks"] > 0
        unresolved += bool(res.info["unresolved"])
        promoted += res.info["promoted_paths"]
        if res.nsolutions:
            max_res = max(max_res, float(res.residuals.max()))
    total = time.perf_counter() - t0
    return {
        "d": d, "n": n, "p": p, "N": arch.N, "B_C": int(r["B_C"]), "paper_N_C": int(r["N_C"]),
        "paper_N_Cstar": int(r["N_Cstar"]), "paper_max_N_R": int(r["max_N_R"]),
        "N_C": (min(nc), max(nc)), "N_Cstar": (min(ncs), max(ncs)), "max_N_R": max(nr),
        "paths": max(paths), "failed": failed, "retracked": retracked, "unresolved": unresolved,
        "promoted": promoted, "rejected": rejected, "max_residual": max_res,
        "time_first": first, "time_rest": total - first, "time": total, "samples": samples,
        "agree": min(nc) == max(nc) == int(r["N_C"]) and min(ncs) == max(ncs) == int(r["N_Cstar"]),
    }


def _rng(t):
    return str(t[0]) if t[0] == t[1] else f"{t[0]}-{t[1]}"


HEADER = ("| row | d | d_x | d_y | N | N_C | paper | N_C* | paper | max N_R | paper | failed paths "
          "| retracked samples | paths/sample | B_C | time (first / rest) s |\n|" + "---|" * 16)


def fmt(i, o):
    ok = "" if o["agree"] else " **≠**"
    return (f"| {i} | {o['d']} | {o['n']} | {o['p']} | {o['N']} | {_rng(o['N_C'])}{ok} | {o['paper_N_C']} "
            f"| {_rng(o['N_Cstar'])} | {o['paper_N_Cstar']} | {o['max_N_R']} | {o['paper_max_N_R']} "
            f"| {o['failed']} | {o['retracked']} | {o['paths']} | {o['B_C']} | {o['time_first']:.1f} / {o['time_rest']:.1f} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--rows", default=None, help="e.g. 0-15,20 (0-based rows of Table 1); default all 41")
    ap.add_argument("--formulation", default="wu", choices=["wu", "reduced7"])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--out", default=None, help="also write the table (markdown) to this file")
    args = ap.parse_args()
    rows = table1_rows()
    idx = parse_rows(args.rows, len(rows))
    print(f"Table 1, {len(idx)} rows, {args.samples} samples each, formulation={args.formulation}", flush=True)
    print(HEADER, flush=True)
    outs, t0 = [], time.perf_counter()
    for i in idx:
        o = run_row(rows[i], args.samples, args.formulation, args.preset)
        outs.append(o)
        print(fmt(i, o), flush=True)
    total = time.perf_counter() - t0
    nagree = sum(o["agree"] for o in outs)
    summary = (f"\nTotal: {len(outs)} rows x {args.samples} samples in {total:.1f} s "
               f"(compilation/first samples {sum(o['time_first'] for o in outs):.1f} s); "
               f"rows agreeing with the paper on every sample (N_C and N_C*): {nagree}/{len(outs)}; "
               f"failed paths {sum(o['failed'] for o in outs)}; rejected candidates "
               f"{sum(o['rejected'] for o in outs)}; samples retracked {sum(o['retracked'] for o in outs)} "
               f"(unresolved after retracking {sum(o['unresolved'] for o in outs)}); paths rescued by the "
               f"full-system check {sum(o['promoted'] for o in outs)}; max residual {max(o['max_residual'] for o in outs):.1e}; "
               f"max N_R above paper in {sum(o['max_N_R'] > o['paper_max_N_R'] for o in outs)} rows")
    print(summary, flush=True)
    if args.out:
        path = Path(args.out)
        with open(path, "w") as f:
            f.write(f"Table 1, {args.samples} samples per row (seeds 0..{args.samples - 1}), "
                    f"formulation={args.formulation}, preset={args.preset}\n\n{HEADER}\n")
            f.write("\n".join(fmt(i, o) for i, o in zip(idx, outs)) + "\n" + summary + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
