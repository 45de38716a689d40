"""A table sweep with and without the prefetcher (experiments/prefetch.py), back to back.

    python benchmarks/bench_prefetch.py --table 1 --rows 16-23 --out /tmp/bench_prefetch

Runs ``python experiments/run.py -m +sweep=table<K> solver=monodromy workers=2 row=<rows>``
twice into fresh sweep folders under ``--out`` (``prefetch=true``, then ``prefetch=false``;
``--order`` swaps them), each with its own empty generic-set and compilation caches, and prints
both wall times, their ratio, and whether every row's per-sample counts are equal.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _counts(sweep: Path) -> dict:
    out = {}
    for f in sorted(sweep.glob("H*/samples.csv")):
        out[f.parent.name] = sorted((r["sample"], r["N_C"], r["N_Cstar"], r["N_R"], r["failed"])
                                    for r in csv.DictReader(open(f)))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", type=int, default=1)
    ap.add_argument("--rows", default="16-23", help="first-last row (0-based, inclusive)")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--out", default="/tmp/bench_prefetch")
    ap.add_argument("--order", choices=("on-off", "off-on"), default="on-off")
    a = ap.parse_args(argv)
    lo, hi = map(int, a.rows.split("-"))
    walls, counts = {}, {}
    for pf in (("true", "false") if a.order == "on-off" else ("false", "true")):
        d = Path(a.out) / f"prefetch_{pf}"
        shutil.rmtree(d, ignore_errors=True)
        cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"+sweep=table{a.table}", "solver=monodromy",
               "workers=2", "progress=false", f"prefetch={pf}", f"data.samples={a.samples}",
               f"row=range({lo},{hi + 1})", f"hydra.sweep.dir={d}"]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        walls[pf] = time.perf_counter() - t0
        if p.returncode:
            raise SystemExit(p.stderr[-3000:])
        counts[pf] = _counts(d)
        print(f"prefetch={pf}: {walls[pf]:.1f} s wall, {len(counts[pf])} rows", flush=True)
    print(f"ratio (off / on): {walls['false'] / walls['true']:.2f}x; "
          f"per-sample counts equal on every row: {counts['true'] == counts['false']}")


if __name__ == "__main__":
    main()
