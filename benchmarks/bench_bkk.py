"""Time the affine BKK bound for every row of the paper's Table 1 (and Table 3).

    python benchmarks/bench_bkk.py [--tables 1 3] [--timeout 60] [--max-N 18]
                                   [--workers 2] [--gfan-rows 4]

Each entry runs in its own process with a wall-clock limit, so slow entries
are reported as timeouts instead of stalling the benchmark.  The paper's BKK
column is read only here, as the reference to compare with.  When ``gfan``
is on PATH, ``gfan _mixedvolume`` is timed on the same origin-augmented
supports for the first few rows and the time ratio is printed.
"""

import argparse
import csv
import multiprocessing as mp
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TABLES = pathlib.Path("/work/shared/reference/paper_tables.csv")


def _arch(r):
    from jaxhc.system.network import Architecture

    return Architecture((int(r["d_i"]),) * int(r["H"]), int(r["d_x"]), int(r["d_y"]), int(r["m"]))


def _job(args):
    """Worker: (table, row) -> (bkk, seconds for supports, seconds for the mixed volume)."""
    _, r = args
    from jaxhc.bounds import affine_bkk
    from jaxhc.system.gradient import supports

    t0 = time.perf_counter()
    s = supports(_arch(r))
    t1 = time.perf_counter()
    b = affine_bkk(s)
    return b, t1 - t0, time.perf_counter() - t1


def _run_with_timeout(r, timeout):
    with mp.get_context("fork").Pool(1) as pool:
        res = pool.apply_async(_job, ((None, r),))
        try:
            return res.get(timeout)
        except mp.TimeoutError:
            pool.terminate()
            return None


def _gfan_time(r):
    from jaxhc.bounds import add_origin
    from jaxhc.system.gradient import supports

    sups = add_origin(supports(_arch(r)))
    inp = "{" + ",".join("{" + ",".join("(" + ",".join(map(str, p)) + ")" for p in S) + "}" for S in sups) + "}"
    t = time.perf_counter()
    out = subprocess.run(["gfan", "_mixedvolume", "--vectorinput"], input=inp, capture_output=True, text=True)
    return int(out.stdout.split()[-1]), time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", nargs="+", default=["1"])
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--max-N", type=int, default=18, help="skip entries with more variables")
    ap.add_argument("--workers", type=int, default=1, help="entries timed concurrently")
    ap.add_argument("--gfan-rows", type=int, default=4)
    args = ap.parse_args()
    rows = [r for r in csv.DictReader(open(TABLES)) if r["table"] in args.tables]
    todo = [r for r in rows if int(r["N"]) <= args.max_N]
    print(f"{len(todo)} of {len(rows)} entries (timeout {args.timeout:.0f} s each, {args.workers} at a time)")
    print(f"{'tab':>3} {'H':>2} {'d':>2} {'dx':>2} {'dy':>2} {'N':>3} {'BKK(paper)':>11} {'BKK':>9} "
          f"{'t_sup':>6} {'t_mv':>8} ok")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(args.workers) as ex:
        results = list(ex.map(lambda r: _run_with_timeout(r, args.timeout), todo))
    total, nbad = 0.0, 0
    for r, res in zip(todo, results):
        head = f"{r['table']:>3} {r['H']:>2} {r['d_i']:>2} {r['d_x']:>2} {r['d_y']:>2} {r['N']:>3} {r['BKK']:>11}"
        if res is None:
            print(f"{head} {'-':>9} {'-':>6} {'>' + str(int(args.timeout)):>8} TIMEOUT")
            total += args.timeout
            nbad += 1
            continue
        b, ts, tm = res
        ok = b == int(r["BKK"])
        nbad += not ok
        total += ts + tm
        print(f"{head} {b:>9} {ts:6.2f} {tm:8.2f} {'yes' if ok else 'NO'}")
    print(f"total {total:.1f} s (timeouts counted at the limit); {nbad} entries failed or timed out")
    if shutil.which("gfan") and args.gfan_rows > 0:
        print("\ngfan _mixedvolume on the same supports:")
        done = [(r, res) for r, res in zip(todo, results) if res is not None]
        done = sorted(done, key=lambda x: -x[1][2])[: args.gfan_rows]
        for r, (b, _, tm) in done:
            g, tg = _gfan_time(r)
            print(f"  N={r['N']:>2} d={r['d_i']} dx={r['d_x']} dy={r['d_y']}: gfan {g} in {tg:.2f} s, "
                  f"ours {b} in {tm:.2f} s, ratio ours/gfan {tm / max(tg, 1e-3):.1f}")


if __name__ == "__main__":
    main()
