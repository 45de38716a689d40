"""Turn run outputs (experiments/run.py) into the paper's Tables 1-4, Section 4 checks,
real-critical-point classification, gradient-descent match rates and plots.

    python experiments/report.py /tmp/lead/sweep/td '/tmp/reportwork/t*' --out reports/
    python experiments/report.py runs/*/ --gd reports/gd_H1_w2_dx2_dy2_m1.json --out reports/

Arguments are run directories (holding summary.json), sweep directories (searched
recursively for summary.json) or globs of either.  When several directories hold
the same architecture, the one with the most samples is used (the others are
listed).  Writes into --out:

  README.md            the report (tables, checks, plots)
  table{1..4}.csv      computed vs published, one row per row of the paper's table
  comparison.json      machine-readable comparison (every table row + other architectures)
  section4.csv         Proposition 8 / Theorem 9 / Corollaries 10, 11 checks per architecture
  zero_types.csv       zero-pattern types (Examples 13, 14) per architecture
  real_points.csv      every real critical point: loss, index, kind, global minimum
  *.png                N_R histograms, loss vs index, bounds vs N_C
Gradient-descent results (experiments/train_gd.py JSON) given with --gd, or found
as gd_*.json in --out, are included.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

REFERENCE = Path(__file__).resolve().parent / "reference" / "paper_tables.csv"
TABLE_TITLES = {1: "Table 1: H = 1, m = 1", 2: "Table 2: H = 1, m = 2", 3: "Table 3: H = 2, m = 1",
                4: "Table 4: H = 2, m = 2"}
OK, DIFF, LOWER = "✓", "✗", "↓"


# ----------------------------------------------------------------------------- gathering

def find_run_dirs(args: list[str]) -> list[Path]:
    """Run directories (with summary.json) under the given paths/globs, deduplicated, sorted."""
    out = []
    for a in args:
        matches = glob.glob(a, recursive=True) or ([a] if Path(a).exists() else [])
        if not matches:
            print(f"warning: nothing matches {a}", file=sys.stderr)
        for m in matches:
            p = Path(m)
            if p.is_file() and p.name == "summary.json":
                out.append(p.parent)
            elif (p / "summary.json").exists():
                out.append(p)
            elif p.is_dir():
                out.extend(s.parent for s in p.rglob("summary.json"))
    seen, res = set(), []
    for p in out:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            res.append(p)
    return sorted(res)


def arch_key(s: dict) -> tuple:
    return (int(s["H"]), tuple(int(w) for w in s["widths"]), int(s["d_x"]), int(s["d_y"]), int(s["m"]))


def _mtime(d: Path) -> float:
    return (Path(d) / "summary.json").stat().st_mtime


def load_runs(dirs: list[Path], prefer: tuple[str, ...] = ()) -> dict[tuple, dict]:
    """{arch key: {"dir", "summary", "others"}}, keeping the directory with the most samples.

    Between runs with as many samples, the solver listed first in ``prefer`` wins
    (a fixed policy, stated in the report; the other runs are listed as "others"), and
    between runs of the same solver the newer one (a rerun with newer code).
    """
    rank = lambda s: prefer.index(s.get("solver")) if s.get("solver") in prefer else len(prefer)
    runs: dict[tuple, dict] = {}
    for d in dirs:
        try:
            s = json.loads((d / "summary.json").read_text())
            key = arch_key(s)
        except (OSError, ValueError, KeyError) as e:
            print(f"warning: skipping {d}: {e}", file=sys.stderr)
            continue
        cur = runs.get(key)
        if cur is None:
            runs[key] = {"dir": d, "summary": s, "others": []}
        elif (int(s.get("samples_done", 0)), -rank(s), _mtime(d)) > (
                int(cur["summary"].get("samples_done", 0)), -rank(cur["summary"]), _mtime(cur["dir"])):
            runs[key] = {"dir": d, "summary": s, "others": cur["others"] + [str(cur["dir"])]}
        else:
            cur["others"].append(str(d))
    return runs


def paper_rows() -> list[dict]:
    with open(REFERENCE) as f:
        rows = [{k: (int(v) if v not in ("", None) else None) for k, v in r.items()} for r in csv.DictReader(f)]
    return rows


def paper_key(r: dict) -> tuple:
    return (r["H"], (r["d_i"],) * r["H"], r["d_x"], r["d_y"], r["m"])


def key_label(key) -> str:
    H, w, dx, dy, m = key
    return f"H{H}_w{'-'.join(map(str, w))}_dx{dx}_dy{dy}_m{m}"


# ----------------------------------------------------------------------------- analysis

def load_samples(run_dir: Path, max_samples: int | None = None):
    files = sorted((run_dir / "solutions").glob("sample_*.npz"))
    if max_samples is not None:
        files = files[:max_samples]
    for f in files:
        try:
            z = np.load(f)
            yield f.name, {k: z[k] for k in ("solutions", "is_real", "params", "seed")}
        except Exception as e:  # a half-written file of a running sweep
            print(f"warning: cannot read {f}: {e}", file=sys.stderr)


def analyze_run(key, run_dir: Path, tol: float, eig_tol: float, max_samples: int | None, hessians: bool = True):
    """Section 4 checks and real-point classification over every saved sample of one run."""
    from jaxhc import Architecture
    from jaxhc.analysis import section4
    from jaxhc.analysis.real_points import classify_real_points

    H, w, dx, dy, m = key
    arch = Architecture(w, dx, dy, m)
    viol = dict.fromkeys(section4.CLAIMS, 0)
    ventries = dict.fromkeys(section4.CLAIMS, 0)
    tcount: Counter = Counter()
    tsamples: dict = defaultdict(list)
    points = 0
    nsamples = 0
    real = []
    per_sample_nr = []
    for name, z in load_samples(run_dir, max_samples):
        sols = np.asarray(z["solutions"])
        if sols.size % arch.N or (sols.ndim == 2 and sols.shape[1] != arch.N):
            print(f"warning: {run_dir}/{name}: solutions of shape {sols.shape} do not fit N={arch.N}; skipped",
                  file=sys.stderr)
            continue
        nsamples += 1
        sols = sols.reshape(-1, arch.N)
        c: Counter = Counter()
        for x in sols:
            chk = section4.check_point(arch, x, tol)
            for k in section4.CLAIMS:
                viol[k] += int(chk[k] > 0)
                ventries[k] += chk[k]
            c[section4.type_key(arch, x, tol)] += 1
        points += len(sols)
        tcount.update(c)
        for k, v in c.items():
            tsamples[k].append(v)
        isr = np.asarray(z["is_real"]).astype(bool)
        per_sample_nr.append(int(isr.sum()))
        if hessians and isr.any():
            recs = classify_real_points(arch, sols[isr].real, z["params"], eig_tol)
            for r in recs:
                r.pop("eigs")
                r.update(sample=name, seed=int(z["seed"]))
            real.extend(recs)
    poss = section4.possible_types(arch)
    types = []
    for k in list(poss) + [k for k in tcount if k not in poss]:
        v = tsamples.get(k, [])
        types.append({"type": section4.type_label(arch, k), "picture": section4.pattern_picture(arch, k),
                      "possible": k in poss, "count": tcount.get(k, 0), "samples_with": len(v),
                      "per_sample_min": (min(v) if len(v) == nsamples else 0) if nsamples else 0,
                      "per_sample_max": max(v) if v else 0})
    return {
        "arch": arch, "samples": nsamples, "points": points, "violations": viol, "violating_entries": ventries,
        "types": types, "n_possible_types": len(poss),
        "missing_types": [t["type"] for t in types if t["possible"] and t["count"] == 0],
        "irregular": sum(t["count"] for t in types if not t["possible"]),
        "real": real, "N_R": per_sample_nr,
    }


# ----------------------------------------------------------------------------- formatting

def rng_str(v):
    if not v:
        return "—"
    lo, hi = min(v), max(v)
    return str(lo) if lo == hi else f"{lo}–{hi}"


def mark_all(values, ref):
    if ref is None or not values:
        return ""
    return OK if all(v == ref for v in values) else DIFF


def mark_max(v, ref):
    if ref is None or v is None:
        return ""
    return OK if v == ref else (LOWER if v < ref else DIFF)


def md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join("" if c is None else str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def comparison_row(prow: dict | None, run: dict | None, key) -> dict:
    s = run["summary"] if run else {}
    H, w, dx, dy, m = key
    nc, ncs, nr = s.get("N_C", []), s.get("N_Cstar", []), s.get("N_R", [])
    r = {"table": prow["table"] if prow else None, "H": H, "widths": list(w), "d_x": dx, "d_y": dy, "m": m,
         "N": sum(a * b for a, b in zip((dx,) + w, w + (dy,))),
         "CBB": (2 * H + 1) ** sum(a * b for a, b in zip((dx,) + w, w + (dy,))),
         "BKK_paper": prow["BKK"] if prow else None, "BKK_computed": s.get("BKK"),
         "B_C": prow["B_C"] if prow else s.get("B_C"), "B_Cstar": prow["B_Cstar"] if prow else s.get("B_Cstar"),
         "computed": bool(run), "samples": s.get("samples_done", 0) if run else 0,
         "solver": s.get("solver"), "failed_paths": s.get("failed_paths"),
         "samples_with_failures": s.get("samples_with_failures"), "time_total_s": s.get("time_total_s"),
         "N_C_paper": prow["N_C"] if prow else None, "N_Cstar_paper": prow["N_Cstar"] if prow else None,
         "max_N_R_paper": prow["max_N_R"] if prow else None,
         "N_C_range": [min(nc), max(nc)] if nc else None, "N_Cstar_range": [min(ncs), max(ncs)] if ncs else None,
         "max_N_R": max(nr) if nr else None, "dir": str(run["dir"]) if run else None,
         "other_dirs": run["others"] if run else []}
    if run and prow:
        r["N_C_agrees"] = all(v == prow["N_C"] for v in nc)
        r["N_Cstar_agrees"] = all(v == prow["N_Cstar"] for v in ncs)
        r["max_N_R_agrees"] = r["max_N_R"] == prow["max_N_R"]
        r["samples_N_C_differs"] = sum(v != prow["N_C"] for v in nc)
        r["samples_N_Cstar_differs"] = sum(v != prow["N_Cstar"] for v in ncs)
    return r


def table_md(t: int, crows: list[dict]) -> str:
    b = t == 1
    header = ["d_i", "d_x", "d_y", "N", "CBB", "BKK"] + (["B_C*", "B_C"] if b else []) + [
        "N_C paper", "N_C ours", "N_C* paper", "N_C* ours", "max N_R paper", "max N_R ours",
        "samples", "failed paths", "solver"]
    rows = []
    for r in crows:
        bkk = r["BKK_paper"]
        if r["BKK_computed"] is not None:
            bkk = f"{bkk} ({r['BKK_computed']} {OK if r['BKK_computed'] == bkk else DIFF})"
        if r["computed"]:
            ours = [f"{rng_str(r['N_C_range'])} {OK if r['N_C_agrees'] else DIFF}",
                    f"{rng_str(r['N_Cstar_range'])} {OK if r['N_Cstar_agrees'] else DIFF}",
                    f"{r['max_N_R']} {mark_max(r['max_N_R'], r['max_N_R_paper'])}"]
            tail = [r["samples"], r["failed_paths"], r["solver"]]
        else:
            ours = ["—", "—", "—"]
            tail = ["not computed", "", ""]
        rows.append([r["widths"][0], r["d_x"], r["d_y"], r["N"], r["CBB"], bkk]
                    + ([r["B_Cstar"], r["B_C"]] if b else [])
                    + [r["N_C_paper"], ours[0], r["N_Cstar_paper"], ours[1], r["max_N_R_paper"], ours[2]] + tail)
    return md_table(header, rows)


def write_csv(path: Path, rows: list[dict], fields: list[str] | None = None):
    fields = fields or (list(rows[0].keys()) if rows else [])
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fields, extrasaction="ignore")
        wr.writeheader()
        for r in rows:
            wr.writerow({k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in r.items()})


# ----------------------------------------------------------------------------- plots

def _grid(n):
    c = min(6, max(1, n))
    return math.ceil(n / c), c


def plot_nr_hist(path, items):
    """items: [(title, N_R list)]"""
    import matplotlib.pyplot as plt

    r, c = _grid(len(items))
    fig, axes = plt.subplots(r, c, figsize=(2.6 * c, 2.1 * r), squeeze=False)
    for ax, (title, nr) in zip(axes.flat, items):
        nr = np.asarray(nr, int)
        bins = np.arange(nr.min(), nr.max() + 2) - 0.5 if len(nr) else 1
        ax.hist(nr, bins=bins, color="tab:blue", rwidth=0.85)
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    fig.supxlabel("N_R (real critical points per sample)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_loss_index(path, items):
    """items: [(title, real-point records)]"""
    import matplotlib.pyplot as plt

    r, c = _grid(len(items))
    fig, axes = plt.subplots(r, c, figsize=(2.6 * c, 2.2 * r), squeeze=False)
    colors = {"minimum": "tab:green", "saddle": "tab:orange", "maximum": "tab:red"}
    rng = np.random.default_rng(0)
    for ax, (title, recs) in zip(axes.flat, items):
        for rec in recs:
            kind = rec["kind"].replace("degenerate ", "")
            x = rec["index"] + rng.uniform(-0.15, 0.15)
            ax.scatter(x, rec["loss"], s=14 if rec["global_min"] else 6, marker="*" if rec["global_min"] else "o",
                       color="black" if rec["degenerate"] else colors[kind], alpha=0.7, linewidths=0)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=8)
        ax.tick_params(which="both", labelsize=6)
        ax.xaxis.get_major_locator().set_params(integer=True)
    for ax in list(axes.flat)[len(items):]:
        ax.axis("off")
    fig.supxlabel("Hessian index (green min, orange saddle, red max, black degenerate, * global min)", fontsize=8)
    fig.supylabel("loss", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_bounds(path, title, crows):
    import matplotlib.pyplot as plt

    x = np.arange(len(crows))
    fig, ax = plt.subplots(figsize=(max(5, 0.32 * len(crows) + 2), 3.6))

    def col(key):
        return np.array([np.nan if r.get(key) is None else float(r[key]) for r in crows])

    ax.plot(x, col("CBB"), "s-", ms=3, lw=0.8, label="CBB (Bézout)")
    bkk = np.array([np.nan if (r["BKK_computed"] or r["BKK_paper"]) is None else float(r["BKK_computed"] or r["BKK_paper"])
                    for r in crows])
    ax.plot(x, bkk, "^-", ms=3, lw=0.8, label="BKK")
    if any(r.get("B_C") is not None for r in crows):
        ax.plot(x, col("B_C"), "d-", ms=3, lw=0.8, label="B_C (Cor. 12)")
    ax.plot(x, col("N_C_paper"), "o", mfc="none", ms=6, label="N_C paper")
    ours = np.array([np.nan if r["N_C_range"] is None else r["N_C_range"][1] for r in crows])
    ax.plot(x, ours, "x", color="black", ms=5, label="N_C ours (max)")
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{r['widths'][0]},{r['d_x']},{r['d_y']}" for r in crows], rotation=90, fontsize=7)
    ax.set_xlabel("d_i, d_x, d_y", fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_gd(path, gds):
    import matplotlib.pyplot as plt

    items = [(g["arch"]["label"], f"{name} lr={g['lr'][name]}", o) for g in gds for name, o in g["optimizers"].items()]
    fig, axes = plt.subplots(1, len(items), figsize=(2.8 * len(items), 2.4), squeeze=False)
    for ax, (lab, name, o) in zip(axes.flat, items):
        h = o["index_hist"]
        ks = sorted(int(k) for k in h)
        ax.bar(ks, [h[str(k)] for k in ks], color="tab:green")
        ax.bar([max(ks, default=0) + 1], [o["runs"] - o["matched"]], color="tab:gray")
        ax.set_xticks(ks + [max(ks, default=0) + 1], [str(k) for k in ks] + ["none"], fontsize=7)
        ax.set_title(f"{lab}\n{name}: match {o['match_rate']:.2f}", fontsize=8)
        ax.set_xlabel("index of matched critical point", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


# ----------------------------------------------------------------------------- main

def build(args) -> dict:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dirs = find_run_dirs(args.runs)
    runs = load_runs(dirs, tuple(p for p in args.prefer.split(",") if p))
    print(f"{len(dirs)} run directories, {len(runs)} architectures")
    prows = paper_rows()
    comp = {t: [] for t in TABLE_TITLES}
    used = set()
    for p in prows:
        k = paper_key(p)
        comp[p["table"]].append(comparison_row(p, runs.get(k), k))
        used.add(k)
    others = [comparison_row(None, runs[k], k) for k in sorted(runs) if k not in used]

    t0 = time.perf_counter()
    analyses = {}
    if not args.no_analysis:
        for k in sorted(runs):
            analyses[k] = analyze_run(k, runs[k]["dir"], args.tol, args.eig_tol, args.max_samples,
                                      hessians=not args.no_hessian)
    print(f"analysis {time.perf_counter() - t0:.1f}s")

    # --- CSV / JSON
    for t, rows in comp.items():
        write_csv(out / f"table{t}.csv", rows)
    s4rows, trows, rrows, rsum = [], [], [], []
    for k, a in analyses.items():
        lab = key_label(k)
        s4rows.append({"arch": lab, "m": k[4], "status": "theorem (m=1)" if k[4] == 1 else "Conjecture 15",
                       "samples": a["samples"], "points": a["points"],
                       **{f"violations_{c}": v for c, v in a["violations"].items()},
                       "types_seen": sum(t["count"] > 0 for t in a["types"] if t["possible"]),
                       "types_possible": a["n_possible_types"], "irregular_points": a["irregular"],
                       "missing_types": a["missing_types"]})
        for t in a["types"]:
            trows.append({"arch": lab, **t})
        for rec in a["real"]:
            rrows.append({"arch": lab, **rec})
        kinds = Counter(r["kind"] for r in a["real"])
        idx = Counter(r["index"] for r in a["real"])
        gm = [r for r in a["real"] if r["global_min"]]
        rsum.append({"arch": lab, "samples": a["samples"], "real_points": len(a["real"]),
                     "max_N_R": max(a["N_R"]) if a["N_R"] else None,
                     "minima": kinds.get("minimum", 0), "saddles": kinds.get("saddle", 0),
                     "maxima": kinds.get("maximum", 0),
                     "degenerate": sum(v for kk, v in kinds.items() if kk.startswith("degenerate")),
                     "index_hist": {str(i): v for i, v in sorted(idx.items())},
                     "global_min_index": sorted(Counter(r["index"] for r in gm).items()),
                     "max_minima_per_sample": max(Counter(r["sample"] for r in a["real"] if r["kind"] == "minimum").values(),
                                                  default=0)})
    if s4rows:
        write_csv(out / "section4.csv", s4rows)
        write_csv(out / "zero_types.csv", trows)
        write_csv(out / "real_points.csv", rrows,
                  ["arch", "sample", "seed", "loss", "index", "kind", "degenerate", "global_min"])
        write_csv(out / "real_points_summary.csv", rsum)

    gd_files = [Path(g) for g in (args.gd or [])] + sorted(out.glob("gd_*.json"))
    gds, seen = [], set()
    for g in gd_files:
        if g.resolve() in seen or not g.exists():
            continue
        seen.add(g.resolve())
        if g.parent.resolve() != out.resolve():
            shutil.copy(g, out / g.name)
        gds.append(json.loads(g.read_text()))

    comparison = {"generated": time.strftime("%Y-%m-%d %H:%M:%S"), "sources": [str(d) for d in dirs],
                  "tables": {str(t): rows for t, rows in comp.items()}, "other_architectures": others,
                  "section4": s4rows, "real_points": rsum,
                  "gd": [{"arch": g["arch"], "samples": len(g["samples"]), "inits": g["inits"],
                          "optimizers": g["optimizers"]} for g in gds]}
    (out / "comparison.json").write_text(json.dumps(comparison, indent=1, default=str))

    # --- plots
    pngs = {}
    if not args.no_plots:
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError:
            print("matplotlib missing (pip install '.[report]'): no plots", file=sys.stderr)
            args.no_plots = True
    if not args.no_plots:
        for t, rows in comp.items():
            keys = [paper_key_row(r) for r in rows if r["computed"]]
            if not keys:
                continue
            plot_bounds(out / f"bounds_table{t}.png", TABLE_TITLES[t] + ": bounds and N_C (log scale)", rows)
            pngs.setdefault(t, []).append(f"bounds_table{t}.png")
            plot_nr_hist(out / f"nr_hist_table{t}.png",
                         [(short(k), runs[k]["summary"]["N_R"]) for k in keys if runs[k]["summary"].get("N_R")])
            pngs[t].append(f"nr_hist_table{t}.png")
            li = [(short(k), analyses[k]["real"]) for k in keys if k in analyses and analyses[k]["real"]]
            if li:
                plot_loss_index(out / f"loss_index_table{t}.png", li)
                pngs[t].append(f"loss_index_table{t}.png")
        okeys = [paper_key_row(r) for r in others]
        if okeys:
            plot_nr_hist(out / "nr_hist_other.png", [(key_label(k), runs[k]["summary"]["N_R"]) for k in okeys
                                                      if runs[k]["summary"].get("N_R")])
            pngs["other"] = ["nr_hist_other.png"]
            li = [(key_label(k), analyses[k]["real"]) for k in okeys if k in analyses and analyses[k]["real"]]
            if li:
                plot_loss_index(out / "loss_index_other.png", li)
                pngs["other"].append("loss_index_other.png")
        if gds:
            plot_gd(out / "gd_indices.png", gds)
            pngs["gd"] = ["gd_indices.png"]

    ex14 = _example14_block(out / "README.md")  # written by experiments/example14.py: kept across rebuilds
    (out / "README.md").write_text(readme(args, dirs, runs, comp, others, analyses, s4rows, rsum, gds, pngs))
    if ex14 is not None and (out / "example14.md").exists():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import example14

        example14.update_readme(out / "README.md", ex14)
    print(f"wrote {out / 'README.md'}")
    return comparison


def _example14_block(path: Path) -> str | None:
    """The Example 14 paragraph (between experiments/example14.py's markers) of an existing README.md."""
    b, e = "<!-- example14:begin -->", "<!-- example14:end -->"
    try:
        text = path.read_text()
    except OSError:
        return None
    if b not in text or e not in text:
        return None
    return text[text.index(b) + len(b):text.index(e)].strip("\n")


def paper_key_row(r):
    return (r["H"], tuple(r["widths"]), r["d_x"], r["d_y"], r["m"])


def short(k):
    return f"d_i={k[1][0]}, d_x={k[2]}, d_y={k[3]}"


def readme(args, dirs, runs, comp, others, analyses, s4rows, rsum, gds, pngs) -> str:
    L = ["# Complex critical points of regularized deep linear networks: computed vs published", ""]
    L.append(f"Generated by `python experiments/report.py {' '.join(args.runs)} --out {args.out}"
             + (" " + " ".join(f"--gd {g}" for g in args.gd) if args.gd else "") + f"` on {time.strftime('%Y-%m-%d')}.")
    L.append("")
    ncomp = sum(r["computed"] for rows in comp.values() for r in rows)
    nrows = sum(len(rows) for rows in comp.values())
    samples = sorted({r["samples"] for rows in comp.values() for r in rows if r["computed"]})
    L.append(f"{len(dirs)} run directories, {len(runs)} architectures; {ncomp} of the {nrows} rows of the paper's "
             f"Tables 1–4 computed (samples per row: {', '.join(map(str, samples)) or '—'}; the paper used 100). "
             "Published values are in `experiments/reference/paper_tables.csv`.")
    L.append("")
    L.append(f"Marks: {OK} every sample agrees with the published value; {DIFF} some sample differs (N_C, N_C*) or "
             f"more real points than published (max N_R); {LOWER} fewer real points observed than the published "
             "maximum (expected with fewer samples than the paper's 100). Ranges `a–b` are min–max over samples. "
             "BKK is the published value (ours in parentheses where `bkk=true` computed it).")
    L.append("")
    for t, rows in comp.items():
        n = sum(r["computed"] for r in rows)
        L += [f"## {TABLE_TITLES[t]} ({n} of {len(rows)} rows computed)", "", table_md(t, rows), ""]
        diffs = [r for r in rows if r["computed"] and not (r["N_C_agrees"] and r["N_Cstar_agrees"])]
        if diffs:
            L.append("Rows that differ from the paper: " + "; ".join(
                f"({r['widths'][0]},{r['d_x']},{r['d_y']}): N_C {rng_str(r['N_C_range'])} vs {r['N_C_paper']} "
                f"({r['samples_N_C_differs']} samples differ), N_C* {rng_str(r['N_Cstar_range'])} vs {r['N_Cstar_paper']}"
                for r in diffs))
            L.append("")
        for p in pngs.get(t, []):
            L += [f"![{p}]({p})", ""]
    if others:
        L += ["## Other architectures", "", md_table(
            ["architecture", "N", "CBB", "B_C", "N_C", "N_C*", "max N_R", "samples", "failed paths", "solver"],
            [[key_label(paper_key_row(r)), r["N"], r["CBB"], r["B_C"], rng_str(r["N_C_range"]),
              rng_str(r["N_Cstar_range"]), r["max_N_R"], r["samples"], r["failed_paths"], r["solver"]]
             for r in others]), ""]
        for p in pngs.get("other", []):
            L += [f"![{p}]({p})", ""]
    if s4rows:
        L += ["## Section 4: patterns of zeros", "",
              f"Every computed critical point (complex, finite, nonsingular) checked; an entry is zero when "
              f"|w_i| <= {args.tol:g}·max(1, ‖w‖∞). Columns count the points violating Proposition 8 (a zero entry has "
              "its row or column zero), Theorem 9 (row i of W_{k-1} zero ⇔ column i of W_k zero), Corollary 10 "
              "(zero entry of W_1 ⇒ its row zero) and Corollary 11 (zero entry of W_{H+1} ⇒ its column zero). "
              "These are theorems for m = 1 and Conjecture 15 for m ≥ 2. Types: dead-neuron patterns (one proper "
              "subset of dead neurons per hidden layer, plus the origin: ∏(2^{d_k}−1)+1 possible types); "
              "'irregular' points have zeros of no such pattern.", "",
              md_table(["architecture", "status", "samples", "points", "Prop 8", "Thm 9", "Cor 10", "Cor 11",
                        "types seen / possible", "irregular", "types never seen"],
                       [[r["arch"], r["status"], r["samples"], r["points"], r["violations_prop8"],
                         r["violations_thm9"], r["violations_cor10"], r["violations_cor11"],
                         f"{r['types_seen']} / {r['types_possible']}", r["irregular_points"],
                         ", ".join(r["missing_types"]) or "none"] for r in s4rows]), ""]
        tot = {c: sum(r[f"violations_{c}"] for r in s4rows) for c in ("prop8", "thm9", "cor10", "cor11")}
        L.append(f"Total points checked: {sum(r['points'] for r in s4rows)}; violations: "
                 + ", ".join(f"{k} {v}" for k, v in tot.items()) + ".")
        L.append("")
        L += ["### Zero-pattern types (Examples 13, 14)", "",
              "Per architecture with hidden width ≥ 2 (or any with irregular points): number of solutions of each "
              "type over all samples, and per-sample min–max. Pictures list W_{H+1} first, as in the paper "
              "(`*` nonzero, `0` zero, rows separated by `;`).", ""]
        for k, a in analyses.items():
            if max(k[1]) < 2 and not a["irregular"]:
                continue
            L += [f"**{key_label(k)}** ({a['samples']} samples, {a['points']} points; "
                  f"{len(a['missing_types'])} of {a['n_possible_types']} possible types never occur)", "",
                  md_table(["type", "picture", "solutions", "per sample", "samples with it"],
                           [[t["type"], f"`{t['picture']}`", t["count"],
                             f"{t['per_sample_min']}–{t['per_sample_max']}" if t["per_sample_min"] != t["per_sample_max"]
                             else t["per_sample_max"], t["samples_with"]] for t in a["types"]]), ""]
    if rsum:
        L += ["## Real critical points", "",
              f"For every real solution: loss ½Σ‖Wx_k−y_k‖² + ½Σλ_ij w_ij² (whose gradient is eq. (2)), eigenvalues of "
              f"its Hessian (jax.hessian), index = number of negative eigenvalues; an eigenvalue with "
              f"|e| <= {args.eig_tol:g}·max(1, max|e|) makes the point degenerate. The global minimum of each sample "
              "is the real critical point of least loss (the loss is coercive since λ > 0).", "",
              md_table(["architecture", "samples", "real points", "max N_R", "minima", "saddles", "maxima",
                        "degenerate", "index histogram", "global-min index", "max minima per sample"],
                       [[r["arch"], r["samples"], r["real_points"], r["max_N_R"], r["minima"], r["saddles"],
                         r["maxima"], r["degenerate"], json.dumps(r["index_hist"]),
                         ", ".join(f"{i}: {c}" for i, c in r["global_min_index"]), r["max_minima_per_sample"]]
                        for r in rsum]), ""]
    if gds:
        L += ["## Gradient descent (optax) vs computed real critical points", "",
              "`experiments/train_gd.py`: random initializations w0 ~ N(0, s²) trained on the real loss with "
              "optax.sgd and optax.adam until ‖∇L‖₂ <= gtol (or the step limit); each end point is matched to the "
              "nearest real critical point of the sample (‖w − w*‖∞ <= tol·max(1, ‖w*‖∞)).", ""]
        rows = []
        for g in gds:
            for name, o in g["optimizers"].items():
                rows.append([g["arch"]["label"], len(g["samples"]), g["inits"], g["init_scale"], name, g["lr"][name],
                             g["max_steps"], g["gtol"], g["match_tol"], f"{o['converged']}/{o['runs']}",
                             f"{o['matched']}/{o['runs']} = {o['match_rate']:.3f}", o["diverged"],
                             json.dumps(o["index_hist"]), f"{o['global_min_rate']:.3f}"])
        L += [md_table(["architecture", "samples", "inits/sample", "init s", "optimizer", "lr", "max steps", "gtol",
                        "match tol", "converged", "matched (rate)", "diverged", "indices reached", "global min rate"],
                       rows), ""]
        for g in gds:
            per = []
            for s in g["samples"]:
                per.append([s["file"], s["N_R"], json.dumps(Counter(s["critical_indices"]) and
                                                            {str(k): v for k, v in sorted(Counter(s["critical_indices"]).items())})]
                           + [f"{s[n]['matched']} {json.dumps(s[n]['index_hist'])}" for n in g["optimizers"]])
            L += [f"Per sample ({g['arch']['label']}):", "",
                  md_table(["sample", "N_R", "indices of real critical points"] + [f"{n} matched (indices)" for n in g["optimizers"]],
                           per), ""]
        for p in pngs.get("gd", []):
            L += [f"![{p}]({p})", ""]
    # Runs not shown in the tables still count: list every one that disagrees with the paper.
    dis = []
    for k in sorted(runs):
        for d in runs[k]["others"]:
            try:
                o = json.loads((Path(d) / "summary.json").read_text())
            except (OSError, ValueError):
                continue
            ag = o.get("agrees_with_paper") or {}
            if ag and not (ag.get("N_C_all_samples") and ag.get("N_Cstar_all_samples")):
                pp = o.get("paper", {})
                dis.append([f"`{d}`", o.get("solver", "?"), f"{o['N_C_range'][0]}–{o['N_C_range'][1]}",
                            pp.get("N_C"), f"{o['N_Cstar_range'][0]}–{o['N_Cstar_range'][1]}", pp.get("N_Cstar"),
                            o.get("samples_done"), o.get("failed_paths")])
    if getattr(args, "prefer", ""):
        L += [f"Where several runs of one architecture have as many samples, the tables show the solver "
              f"first in `--prefer {args.prefer}`, and between runs of one solver the newest.", ""]
    L += ["## Runs not shown above that disagree with the paper", "",
          "(Runs superseded by another run of the same architecture: more samples, a preferred solver, or "
          "a newer rerun of the same solver with newer code.)", ""]
    L += ([md_table(["run", "solver", "N_C", "paper", "N_C*", "paper", "samples", "failed paths"], dis), ""]
          if dis else ["None.", ""])
    L += ["## Sources", ""] + [f"- `{runs[k]['dir']}`" + (f" (also: {', '.join(runs[k]['others'])})" if runs[k]["others"] else "")
                               for k in sorted(runs)] + [""]
    L += ["Files: `table{1..4}.csv`, `comparison.json`, `section4.csv`, `zero_types.csv`, `real_points.csv`, "
          "`real_points_summary.csv`, `gd_*.json`.", ""]
    return "\n".join(L)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="run/sweep directories or globs")
    ap.add_argument("--out", default="reports")
    ap.add_argument("--gd", nargs="*", default=[], help="train_gd.py JSON files to include")
    ap.add_argument("--tol", type=float, default=1e-8, help="relative zero tolerance (Section 4)")
    ap.add_argument("--eig-tol", type=float, default=1e-8, help="relative zero-eigenvalue tolerance")
    ap.add_argument("--max-samples", type=int, default=None, help="analyze at most this many samples per run")
    ap.add_argument("--no-analysis", action="store_true", help="tables only (no Section 4 / real points)")
    ap.add_argument("--no-hessian", action="store_true", help="skip the real-point Hessians")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--prefer", default="",
                    help="comma-separated solver names: which run to show when several have as many samples")
    return ap


def main(argv=None):
    build(build_parser().parse_args(argv))


if __name__ == "__main__":
    main()
