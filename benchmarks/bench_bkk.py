"""Time the affine BKK bound for every row of the paper's Table 1 (and Table 3).

    python benchmarks/bench_bkk.py [--tables 1 3] [--timeout 60] [--max-N 18] [--method tropical]
                                   [--mv-workers 1] [--gfan-rows 100] [--gfan-timeout 120]

Entries run one after another (never two at once: the machine's cores are
shared), each in its own forked process with a wall-clock limit, so slow
entries are reported as timeouts instead of stalling the benchmark.
``--method`` picks the mixed-cell algorithm (``tropical``: tropical homotopy,
numba; ``lp``: LP search; default: the library's default); its numba code is
compiled (or loaded from numba's cache) once before the first entry, and that
warm-up time is printed separately.  ``--mv-workers K`` lets the LP search
itself use K processes.  The
1-minute load average is printed before every entry, so that timings taken
while other jobs ran on the machine can be recognised.  The paper's BKK column
is read only here, as the reference to compare with.  When ``gfan`` is on
PATH, ``gfan _mixedvolume`` is timed on the same origin-augmented supports for
the finished rows (up to ``--gfan-rows``) and the time ratio is printed.
"""

import argparse
import csv
import multiprocessing as mp
import os
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


def _job(r, workers, method):
    """Worker: row -> (bkk, s for supports, s for the mixed volume, cells, search stats)."""
    from jaxhc.bounds import add_origin, mixed_cells
    from jaxhc.system.gradient import supports

    t0 = time.perf_counter()
    s = supports(_arch(r))
    t1 = time.perf_counter()
    c1 = time.process_time()  # CPU time too: wall time on a shared machine includes waiting
    stats: dict = {}
    _, cells = mixed_cells(add_origin(s), workers=workers, stats=stats, method=method)
    b = sum(c.volume for c in cells)
    stats["cpu"] = time.process_time() - c1
    return b, t1 - t0, time.perf_counter() - t1, len(cells), stats


def _run_with_timeout(r, timeout, workers, method):
    with mp.get_context("fork").Pool(1) as pool:
        res = pool.apply_async(_job, (r, workers, method))
        try:
            return res.get(timeout)
        except mp.TimeoutError:
            pool.terminate()
            return None


def _gfan_time(r, timeout):
    from jaxhc.bounds import add_origin
    from jaxhc.system.gradient import supports

    sups = add_origin(supports(_arch(r)))
    inp = "{" + ",".join("{" + ",".join("(" + ",".join(map(str, p)) + ")" for p in S) + "}" for S in sups) + "}"
    t = time.perf_counter()
    try:
        out = subprocess.run(["gfan", "_mixedvolume", "--vectorinput"], input=inp, capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, timeout
    return int(out.stdout.split()[-1]), time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tables", nargs="+", default=["1"])
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--max-N", type=int, default=18, help="skip entries with more variables")
    ap.add_argument("--mv-workers", type=int, default=1, help="processes of one LP mixed-cell search")
    ap.add_argument("--method", default=None, choices=["tropical", "lp"],
                    help="mixed-cell algorithm (default: jaxhc.bounds.DEFAULT_METHOD)")
    ap.add_argument("--gfan-rows", type=int, default=100)
    ap.add_argument("--gfan-timeout", type=float, default=120.0)
    args = ap.parse_args()
    rows = [r for r in csv.DictReader(open(TABLES)) if r["table"] in args.tables]
    todo = [r for r in rows if int(r["N"]) <= args.max_N]
    from jaxhc.bounds import DEFAULT_METHOD, mixed_volume

    method = args.method or DEFAULT_METHOD
    t = time.perf_counter()  # compile / load the numba code once; forked entries inherit it
    mixed_volume([[[0, 0], [1, 0], [0, 1]]] * 2, method=method)
    print(f"method {method}; warm-up (numba compile or cache load) {time.perf_counter() - t:.2f} s")
    print(f"{len(todo)} of {len(rows)} entries (timeout {args.timeout:.0f} s each, one at a time, "
          f"{args.mv_workers} search process(es)); {os.cpu_count()} CPUs")
    k1, k2 = ("nodes", "LPs") if method == "lp" else ("events", "diverg")
    print(f"{'tab':>3} {'H':>2} {'d':>2} {'dx':>2} {'dy':>2} {'N':>3} {'BKK(paper)':>11} {'BKK':>9} "
          f"{'t_sup':>6} {'t_mv':>8} {'cpu_mv':>7} {'cells':>6} {k1:>7} {k2:>8} {'load':>5} ok", flush=True)
    results, per_table = [], {}
    total, nbad = 0.0, 0
    for r in todo:
        load = os.getloadavg()[0]
        res = _run_with_timeout(r, args.timeout, args.mv_workers, method)
        results.append(res)
        head = f"{r['table']:>3} {r['H']:>2} {r['d_i']:>2} {r['d_x']:>2} {r['d_y']:>2} {r['N']:>3} {r['BKK']:>11}"
        if res is None:
            print(f"{head} {'-':>9} {'-':>6} {'>' + str(int(args.timeout)):>8} {'-':>7} {'-':>6} {'-':>7} {'-':>8} "
                  f"{load:5.2f} TIMEOUT", flush=True)
            t = args.timeout
            nbad += 1
        else:
            b, ts, tm, ncells, st = res
            ok = b == int(r["BKK"])
            nbad += not ok
            t = ts + tm
            w1, w2 = (st.get("nodes"), st.get("lps")) if method == "lp" else (st.get("events"), st.get("divergent"))
            flag = (" (LP fallback)" if st.get("fallback_lp") else "") + (f" ({st['retries']} retries)" if st.get("retries") else "")
            print(f"{head} {b:>9} {ts:6.2f} {tm:8.2f} {st['cpu']:7.2f} {ncells:>6} {w1:>7} {w2:>8} "
                  f"{load:5.2f} {'yes' if ok else 'NO'}{flag}", flush=True)
        total += t
        per_table[r["table"]] = per_table.get(r["table"], 0.0) + t
    for tab, t in per_table.items():
        print(f"table {tab}: {t:.1f} s (supports + mixed volume; timeouts counted at the limit)")
    print(f"total {total:.1f} s; {nbad} entries failed or timed out; load average now "
          f"{os.getloadavg()[0]:.2f}")
    if shutil.which("gfan") and args.gfan_rows > 0:
        print("\ngfan _mixedvolume on the same supports:")
        done = [(r, res) for r, res in zip(todo, results) if res is not None][: args.gfan_rows]
        for r, (b, _, tm, _, _) in done:
            g, tg = _gfan_time(r, args.gfan_timeout)
            print(f"  table {r['table']} H={r['H']} d={r['d_i']} dx={r['d_x']} dy={r['d_y']} N={r['N']:>2}: "
                  f"gfan {g} in {tg:.2f} s, ours {b} in {tm:.2f} s, ratio ours/gfan {tm / max(tg, 1e-3):.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
