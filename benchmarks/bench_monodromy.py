"""Monodromy solver on rows of the paper's Tables 1-4: run and/or tabulate.

Runs go through the hydra entry point (one job per row, 100 samples by default):

    python experiments/run.py -m +sweep=table3 solver=monodromy 'row=0,8' hydra.sweep.dir=DIR

This script tabulates the ``summary.json`` / ``samples_info.jsonl`` files of such
runs against the paper (N_C and N_C* on every sample, max N_R, failed paths,
heuristic stops, time):

    python benchmarks/bench_monodromy.py DIR [DIR ...]            # markdown table to stdout
    python benchmarks/bench_monodromy.py --run 3 --rows 0,8 --samples 100 --out DIR
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rows_of(dirs):
    """Summaries found under ``dirs``; an architecture found in several dirs keeps the last dir's run."""
    out = {}
    for d in dirs:
        for p in sorted(Path(d).glob("**/summary.json")):
            s = json.loads(p.read_text())
            infos = []
            ip = p.parent / "samples_info.jsonl"
            if ip.exists():
                infos = [json.loads(line) for line in ip.read_text().splitlines() if line.strip()]
            s["_setup_s"] = max((i.get("setup_time_s", 0.0) for i in infos), default=None)
            s["_retried"] = sum(int(i.get("retried_paths", 0)) for i in infos)
            s["_failed_first"] = sum(int(i.get("failed_first_pass", 0)) for i in infos)
            s["_rescued"] = sum(int(i.get("rescued_large_endpoints", 0)) for i in infos)
            s["_mixed"] = (sum(int(i.get("mixed_precision_success", 0)) for i in infos),
                           sum(int(i.get("mixed_precision_paths", 0)) for i in infos),
                           sum(int(i.get("mixed_precision_paths", 0)) > 0 for i in infos))
            s["_generic"] = (infos[0].get("generic_N_C"), infos[0].get("generic_N_Cstar")) if infos else (None, None)
            s["_dir"] = str(p.parent)
            out[p.parent.name] = s
    key = lambda s: (s.get("paper", {}).get("table", 9), s["H"], s["m"], s["widths"][0], s["d_y"], s["d_x"])
    return sorted(out.values(), key=key)


def _rng(r):
    return "-" if r is None else (str(r[0]) if r[0] == r[1] else f"{r[0]}-{r[1]}")


def table(rows) -> str:
    hdr = ("| tab | H | m | widths | dx | dy | samples | N_C (paper) | N_C* (paper) | generic N_C/N_C* | max N_R (paper) "
           "| failed (1st pass) | retried / rescued | mixed prec. ok/paths (samples) | heur. stops (reduced networks) | setup s | s/sample | total s | agrees |")
    lines = [hdr, "|" + "---|" * (hdr.count("|") - 1)]
    for s in rows:
        p = s.get("paper") or {}
        ag = s.get("agrees_with_paper") or {}
        agree = "yes" if ag.get("N_C_all_samples") and ag.get("N_Cstar_all_samples") else ("no" if ag else "n/a")
        n = s["samples_done"]
        setup = s["_setup_s"] or 0.0
        per = (s["time_total_s"] - setup) / max(1, n)
        lines.append(
            f"| {p.get('table', '-')} | {s['H']} | {s['m']} | {'x'.join(map(str, s['widths']))} | {s['d_x']} | {s['d_y']} "
            f"| {n} | {_rng(s['N_C_range'])} ({p.get('N_C', '-')}) | {_rng(s['N_Cstar_range'])} ({p.get('N_Cstar', '-')}) "
            f"| {s['_generic'][0]}/{s['_generic'][1]} | {s['max_N_R']} ({p.get('max_N_R', '-')}) "
            f"| {s['failed_paths']} ({s['_failed_first']}) | {s['_retried']} / {s['_rescued']} | {s['_mixed'][0]}/{s['_mixed'][1]} ({s['_mixed'][2]}) | {(s.get('generic') or {}).get('heuristic_stops', s.get('heuristic_stops', '-'))} | {setup:.1f} | {per:.3f} "
            f"| {s['time_total_s']:.1f} | {agree} |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="*", help="hydra sweep dirs to tabulate")
    ap.add_argument("--run", type=int, help="table number to run (via experiments/run.py)")
    ap.add_argument("--rows", default="0", help="comma-separated 0-based rows of that table")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--out", default="multirun/monodromy_bench")
    a = ap.parse_args(argv)
    dirs = list(a.dirs)
    if a.run is not None:
        cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "-m", f"+sweep=table{a.run}", "solver=monodromy",
               f"row={a.rows}", f"data.samples={a.samples}", "progress=false", f"hydra.sweep.dir={a.out}"]
        subprocess.run(cmd, check=True, cwd=ROOT)
        dirs.append(a.out)
    print(table(rows_of(dirs)))


if __name__ == "__main__":
    main()
