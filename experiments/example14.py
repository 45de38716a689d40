"""Example 14 of the paper, the H = 2 case: which zero-pattern types of critical points occur.

    python experiments/example14.py --samples 10 --run-dir outputs/example14 --out reports

Architecture: H = 2, d_x = d_y = d_1 = d_2 = 2, m = 1 (Table 3: N = 12, N_C = 641,
N_C* = 384).  The paper (Example 14) says ten types are possible and prints the two
that never occur.  This script

1. solves ``--samples`` instances (data seeds ``--seed`` .. ``--seed + samples - 1``)
   with ``experiments/run.py ... solver=monodromy`` into ``--run-dir`` (skipped for
   samples already there; the run resumes);
2. classifies every computed critical point by its zero pattern
   (:func:`jaxhc.analysis.section4.type_key`) and counts each of the ten possible
   types (:func:`jaxhc.analysis.section4.possible_types`) per sample;
3. cross-checks: type counts add up to N_C; each type has the same count in every
   sample; the solver's own per-pattern counts (:func:`jaxhc.strata.pattern_of`) agree;
   Section 4 claims hold; the gap between zero and nonzero entries; failed paths; endpoints the
   tracker set aside as singular are re-examined (type, size, scaled condition number) and
   listed separately, never added to N_C;
4. independently of the solver, computes the rank of the Jacobian ∂F/∂w of every
   reduced network (the network left when some neurons are dead) at random points of
   its incidence variety: a rank-deficient Jacobian means generic data have no
   critical point of that type (see the derivation in the written report);
5. writes ``example14.md`` and ``example14.csv`` into ``--out`` and (unless ``--no-readme``)
   refreshes the paragraph linking them in ``<out>/README.md``.

Every count comes from the run directory; the paper's values (from
``experiments/reference/paper_tables.csv`` and the two pictures printed in Example 14)
are only compared against.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

WIDTHS, DX, DY, M = (2, 2), 2, 2, 1
# The two types the paper (Example 14) prints as never appearing, transcribed from its
# W3 W2 W1 display in this project's picture notation (W_{H+1} first, rows split by ';').
PAPER_MISSING = ("W3=[0*;0*] W2=[00;**] W1=[**;**]", "W3=[*0;*0] W2=[**;00] W1=[**;**]")
README_BEGIN, README_END = "<!-- example14:begin -->", "<!-- example14:end -->"
COMMAND = "python experiments/example14.py --samples {samples} --seed {seed} --run-dir {run_dir} --out {out}"


def arch():
    from jaxhc import Architecture

    return Architecture(WIDTHS, DX, DY, M)


# ----------------------------------------------------------------------------- solving

def ensure_run(run_dir: Path, samples: int, seed: int, solver_seed: int, timeout: float | None) -> float:
    """Run experiments/run.py (monodromy) into ``run_dir`` unless every sample is there; returns seconds."""
    done = _done_samples(run_dir)
    if all(k in done for k in range(samples)):
        return 0.0
    cfg = run_dir / "config_resolved.yaml"
    if cfg.exists():
        from omegaconf import OmegaConf

        c = OmegaConf.load(cfg)
        if int(c.data.seed) != seed or list(c.arch.widths) != list(WIDTHS) or (c.arch.dx, c.arch.dy, c.arch.m) != (
                DX, DY, M) or c.solver.name != "monodromy":
            raise SystemExit(f"{run_dir} holds another run (seed/architecture/solver differ); use another --run-dir")
    cmd = [sys.executable, str(ROOT / "experiments" / "run.py"), "arch=h2_d2", f"arch.dx={DX}", f"arch.dy={DY}",
           f"arch.m={M}", "solver=monodromy", f"solver.seed={solver_seed}",
           f"solver.cache_dir={run_dir / 'generic'}", f"data.samples={samples}", f"data.seed={seed}",
           "progress=false", f"hydra.run.dir={run_dir}"]
    print("running:", " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, timeout=timeout, env={**os.environ})
    return time.perf_counter() - t0


def _done_samples(run_dir: Path) -> dict[int, dict]:
    p = run_dir / "samples.csv"
    if not p.exists():
        return {}
    with open(p) as f:
        return {int(r["sample"]): r for r in csv.DictReader(f)
                if (run_dir / "solutions" / f"sample_{int(r['sample']):04d}.npz").exists()}


# ----------------------------------------------------------------------------- analysis

def strata_pattern_to_key(a, pattern: str) -> tuple:
    """jaxhc.strata pattern string ('10|11': kept neurons) -> section4 type key (dead neurons, 1-based)."""
    layers = pattern.rstrip("*").split("|")
    dead = tuple(frozenset(i + 1 for i, ch in enumerate(s) if ch == "0") for s in layers)
    if pattern.endswith("*"):
        return ("irregular", pattern)
    return ("dead", dead)


def analyze(run_dir: Path, samples: int, tol: float) -> dict:
    from jaxhc.analysis import section4
    from jaxhc.strata import enumerate_strata

    a = arch()
    rows = _done_samples(run_dir)
    infos = {}
    if (run_dir / "samples_info.jsonl").exists():
        for line in open(run_dir / "samples_info.jsonl"):
            if line.strip():
                d = json.loads(line)
                infos[int(d["sample"])] = d
    poss = section4.possible_types(a)
    reduced_of = {}
    for s in enumerate_strata(a):
        dead = tuple(frozenset(i + 1 for i in range(d) if i not in s.kept[k]) for k, d in enumerate(a.widths))
        reduced_of[("dead", dead)] = ("origin" if s.is_origin else "×".join(map(str, s.reduced.widths)), s.pattern)
    per_sample = []
    for k in range(samples):
        if k not in rows:
            raise SystemExit(f"sample {k} missing in {run_dir}")
        z = np.load(run_dir / "solutions" / f"sample_{k:04d}.npz")
        sols = np.asarray(z["solutions"]).reshape(-1, a.N)
        cnt = Counter(section4.type_key(a, w, tol) for w in sols)
        viol = Counter()
        gap_zero, gap_nonzero = 0.0, np.inf
        for w in sols:
            c = section4.check_point(a, w, tol)
            for cl in section4.CLAIMS:
                viol[cl] += int(c[cl] > 0)
            scale = max(1.0, float(np.max(np.abs(w))))
            zm = section4.zero_mask(w, tol)
            if zm.any():
                gap_zero = max(gap_zero, float(np.max(np.abs(w[zm]))) / scale)
            if (~zm).any():
                gap_nonzero = min(gap_nonzero, float(np.min(np.abs(w[~zm]))) / scale)
        sing = inspect_singular(a, z["singular_points"], z["params"]) if "singular_points" in z.files else []
        info = infos.get(k, {})
        solver_pats = Counter({strata_pattern_to_key(a, p): int(v) for p, v in (info.get("patterns") or {}).items()})
        r = rows[k]
        per_sample.append({"sample": k, "seed": int(r["seed"]), "counts": cnt, "N_C": int(r["N_C"]),
                           "N_Cstar": int(r["N_Cstar"]), "N_R": int(r["N_R"]), "points": len(sols),
                           "failed": int(r["failed"]), "singular": int(r["singular"]),
                           "at_infinity": int(r["at_infinity"]), "time_s": float(r["time_s"]),
                           "setup_time_s": float(info.get("setup_time_s", 0.0) or 0.0),
                           "max_residual": float(r["max_residual"]), "max_cond": float(r["max_cond"]),
                           "heuristic_stop": bool(info.get("heuristic_stop", False)),
                           "duplicates_left": int(info.get("duplicate_endpoints_left", 0) or 0),
                           "solver_patterns": solver_pats, "violations": dict(viol),
                           "max_zero": gap_zero, "min_nonzero": gap_nonzero,
                           "generic_strata": info.get("generic_strata"), "singular_points": sing,
                           "singular_counts": Counter(d["type"] for d in sing)})
    types = []
    for key in list(poss) + sorted({k for s in per_sample for k in s["counts"] if k not in poss}, key=str):
        counts = [s["counts"].get(key, 0) for s in per_sample]
        sing = [s["singular_counts"].get(section4.type_label(a, key), 0) for s in per_sample]
        red, pat = reduced_of.get(key, ("—", "—"))
        types.append({"type": section4.type_label(a, key), "picture": section4.pattern_picture(a, key),
                      "strata_pattern": pat, "reduced_widths": red, "possible": key in poss, "counts": counts, "singular": sing,
                      "occurs": any(counts), "key": key})
    return {"arch": a, "samples": per_sample, "types": types, "possible": len(poss)}


def inspect_singular(a, points, params, newton: int = 6) -> list[dict]:
    """Endpoints the tracker set aside as SINGULAR (``singular_points`` of a sample): type, size,
    Newton residual, and condition numbers of dF/dw unscaled and scaled (columns by max(1, |w_i|),
    then rows to unit max), as in jaxhc.monodromy.solver._rescue_large.  Descriptive only: these
    points are not in N_C."""
    import jax
    import jax.numpy as jnp

    from jaxhc.analysis import section4
    from jaxhc.system.gradient import gradient_function

    points = np.asarray(points).reshape(-1, a.N)
    if len(points) == 0:
        return []
    fn = gradient_function(a)
    jac = jax.jit(jax.jacfwd(fn, holomorphic=True))
    f = jax.jit(fn)
    p = jnp.asarray(params)
    out = []
    for w in points:
        x = np.asarray(w, np.complex128)
        for _ in range(newton):
            x = x + np.linalg.lstsq(np.asarray(jac(jnp.asarray(x), p)), -np.asarray(f(jnp.asarray(x), p)),
                                    rcond=None)[0]
        J = np.asarray(jac(jnp.asarray(x), p))
        sv = np.linalg.svd(J, compute_uv=False)
        Js = J * np.maximum(1.0, np.abs(x))[None, :]
        Js = Js / np.maximum(np.max(np.abs(Js), axis=1, keepdims=True), 1e-300)
        ss = np.linalg.svd(Js, compute_uv=False)
        scale = max(1.0, float(np.max(np.abs(x))))
        out.append({"type": section4.type_label(a, section4.type_key(a, x)), "point": x,
                    "max_abs": float(np.max(np.abs(x))),
                    "residual_rel": float(np.max(np.abs(np.asarray(f(jnp.asarray(x), p))))) / scale ** (2 * a.H + 1),
                    "newton_move_rel": float(np.max(np.abs(x - w))) / scale,
                    "cond": float(sv[0] / sv[-1]) if sv[-1] > 0 else float("inf"), "sigma_min": float(sv[-1]),
                    "scaled_cond": float(ss[0] / ss[-1]) if ss[-1] > 0 else float("inf")})
    return out


def generic_info(run_dir: Path) -> dict | None:
    """The meta of the cached generic solution set (monodromy per reduced network), if any."""
    files = sorted((run_dir / "generic").glob("monodromy_*.npz"))
    if not files:
        return None
    z = np.load(files[-1], allow_pickle=False)
    return json.loads(str(z["meta"]))


def jacobian_ranks(pairs: int, seed: int) -> list[dict]:
    """Numerical rank of ∂F/∂w for every reduced network of the strata, at random incidence points.

    Independent of the solver: random torus weights w and data (x, y), then Λ = −G/w entrywise
    (G = data part of the gradient) makes w a critical point.  If ∂F/∂w is singular at random
    such points, the incidence variety does not dominate the parameter space, so generic data
    have no critical point with exactly that support.
    """
    import jax
    import jax.numpy as jnp

    from jaxhc import Architecture
    from jaxhc.system.gradient import gradient_function

    from jaxhc.strata import enumerate_strata

    rng = np.random.default_rng(seed)
    out = []
    for w in sorted({s.reduced.widths for s in enumerate_strata(arch()) if not s.is_origin}):
        ra = Architecture(w, DX, DY, M)
        fn = gradient_function(ra)
        jac = jax.jit(jax.jacfwd(fn, holomorphic=True))
        k = (ra.dx + ra.dy) * ra.m
        conds, coranks = [], []
        for _ in range(pairs):
            w0 = (rng.standard_normal(ra.N) + 1j * rng.standard_normal(ra.N)) / np.sqrt(2)
            w0 = np.where(np.abs(w0) < 0.2, 0.2 * w0 / np.abs(w0), w0)
            p = np.concatenate([(rng.standard_normal(k) + 1j * rng.standard_normal(k)) / np.sqrt(2),
                                np.zeros(ra.N, np.complex128)])
            G = np.asarray(fn(jnp.asarray(w0), jnp.asarray(p)))
            p[k:] = -G / w0
            assert np.max(np.abs(np.asarray(fn(jnp.asarray(w0), jnp.asarray(p))))) < 1e-10
            sv = np.linalg.svd(np.asarray(jac(jnp.asarray(w0), jnp.asarray(p))), compute_uv=False)
            conds.append(float(sv[0] / sv[-1]) if sv[-1] > 0 else float("inf"))
            coranks.append(int(np.sum(sv <= 1e-10 * sv[0])))
        out.append({"reduced_widths": "×".join(map(str, w)), "N": ra.N, "pairs": pairs,
                    "min_cond": min(conds), "max_cond": max(conds), "coranks": sorted(set(coranks))})
    return out


# ----------------------------------------------------------------------------- writing

def md_table(header, rows) -> str:
    return "\n".join(["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(map(str, r)) + " |" for r in rows])


def paper_row() -> dict | None:
    with open(ROOT / "experiments" / "reference" / "paper_tables.csv") as f:
        for r in csv.DictReader(f):
            if (int(r["H"]), int(r["m"]), int(r["d_i"]), int(r["d_x"]), int(r["d_y"])) == (2, M, 2, DX, DY):
                return {k: int(v) if v else None for k, v in r.items()}
    return None


def write(res: dict, gen: dict | None, jr: list[dict], out: Path, command: str, run_dir: Path, run_time: float,
          analysis_time: float, tol: float, readme: bool) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    S, T = res["samples"], res["types"]
    seeds = [s["seed"] for s in S]
    paper = paper_row() or {}
    absent = [t for t in T if t["possible"] and not t["occurs"]]
    absent_sing = [t for t in absent if any(t["singular"])]
    absent_pics = sorted(t["picture"] for t in absent)
    matches_paper = absent_pics == sorted(PAPER_MISSING)
    # --- checks
    sums_ok = all(sum(s["counts"].values()) == s["N_C"] == s["points"] for s in S)
    consistent = all(len(set(t["counts"])) == 1 for t in T)
    with_sing = [[c + g for c, g in zip(t["counts"], t["singular"])] for t in T]
    consistent_sing = all(len(set(v)) == 1 for v in with_sing)
    solver_agree = all(not s["solver_patterns"] or s["solver_patterns"] == s["counts"] for s in S)
    nc = [s["N_C"] for s in S]
    ncs = [s["N_Cstar"] for s in S]
    nsing = [len(s["singular_points"]) for s in S]
    full = next(t for t in T if t["type"] == "full support")
    torus_ok = all(full["counts"][i] == S[i]["N_Cstar"] for i in range(len(S)))
    viol = {c: sum(s["violations"].get(c, 0) for s in S) for c in ("prop8", "thm9", "cor10", "cor11")}
    irregular = sum(sum(t["counts"]) for t in T if not t["possible"])
    failed = sum(s["failed"] for s in S)
    # --- CSV (one row per type; per-sample counts in seed_<k> columns, singular endpoints beside)
    with open(out / "example14.csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["type", "picture", "kept_pattern", "reduced_widths", "possible", "occurs",
                     "in_paper_missing_list"] + [f"seed_{sd}" for sd in seeds] + ["min", "max"]
                    + [f"singular_seed_{sd}" for sd in seeds])
        for t in T:
            wr.writerow([t["type"], t["picture"], t["strata_pattern"], t["reduced_widths"], t["possible"],
                         t["occurs"], t["picture"] in PAPER_MISSING] + t["counts"]
                        + [min(t["counts"]), max(t["counts"])] + t["singular"])
        wr.writerow(["total (N_C)", "", "", "", "", "", ""] + nc + [min(nc), max(nc)] + nsing)
    # --- markdown
    yes = lambda b: "yes" if b else "**NO**"
    cell = lambda c, g: f"{c} (+{g} singular)" if g else str(c)
    per_sample_t = [s["time_s"] - s["setup_time_s"] for s in S]
    L = ["# Example 14 (H = 2): zero-pattern types of the critical points", "",
         "Architecture H = 2, d_x = d_y = d_1 = d_2 = 2, m = 1 (N = 12 weights; Table 3 row d_i = 2, d_x = 2, "
         f"d_y = 2: published N_C = {paper.get('N_C')}, N_C* = {paper.get('N_Cstar')}).", "",
         "Generated by one command (it solves the samples that are not yet in the run directory, then writes this "
         "file, `example14.csv` and the Example 14 paragraph of `README.md`):", "",
         "```bash", command, "```", "",
         f"Data: {len(S)} samples, seeds {seeds[0]}..{seeds[-1]} (X, Y entries iid N(0,1), Λ entries iid U(0,1), "
         "as in Section 5 of the paper). Solver: `experiments/run.py arch=h2_d2 solver=monodromy` (generic "
         "critical points by monodromy, seeded on every zero-pattern stratum as its reduced network, then one "
         "parameter homotopy per sample). Types: `jaxhc.analysis.section4.type_key` on every computed critical "
         f"point (finite, nonsingular: the points counted in N_C), an entry counting as zero when "
         f"|w_i| <= {tol:g}·max(1, ‖w‖∞). Pictures list W3 first, as in the paper (`*` nonzero, `0` zero, rows "
         "separated by `;`); 'dead L2{1}' = neuron 1 of hidden layer 2 is dead (row 1 of W2 and column 1 of W3 "
         "zero).", "",
         f"Time: {run_time:.1f} s for the solve in this invocation"
         + (" (all samples were already in the run directory)" if run_time == 0 else "")
         + f"; as recorded by run.py: generic set (monodromy, once) {max(s['setup_time_s'] for s in S):.1f} s, "
         f"then {min(per_sample_t):.1f}–{max(per_sample_t):.1f} s per sample (2-core CPU); "
         f"analysis {analysis_time:.1f} s.", "",
         "## Result", "",
         f"**{sum(t['occurs'] for t in T if t['possible'])} of the {res['possible']} possible types occur; "
         f"{len(absent)} never occur: " + ", ".join(f"{t['type']} (`{t['picture']}`)" for t in absent) + ".** "
         + ("These are exactly the two types printed in Example 14 of the paper." if matches_paper else
            "This is NOT the set printed in Example 14 of the paper: " + ", ".join(f"`{p}`" for p in PAPER_MISSING)
            + ".")
         + (" (Some endpoints set aside as singular have an absent type: "
            + ", ".join(t["type"] for t in absent_sing) + ".)" if absent_sing else ""), "",
         "Number of critical points of each type in each sample"
         + (" ('+k singular': k more endpoints of that type that the tracker set aside as singular and that are "
            "not in N_C; see below)" if any(nsing) else "") + ":", "",
         md_table(["type", "picture (W3 W2 W1)", "reduced network (d_1×d_2)"] + [f"seed {sd}" for sd in seeds]
                  + ["occurs"],
                  [[t["type"], f"`{t['picture']}`", t["reduced_widths"]]
                   + [cell(c, g) for c, g in zip(t["counts"], t["singular"])]
                   + ["yes" if t["occurs"] else "never" + (" (paper: missing)" if t["picture"] in PAPER_MISSING else "")]
                   for t in T]
                  + [["**total N_C**", "", ""] + [f"**{cell(v, g)}**" for v, g in zip(nc, nsing)] + [""]]), "",
         "## Cross-checks", "",
         md_table(["check", "result"], [
             ["per-type counts add up to N_C in every sample (no point unclassified)", yes(sums_ok)],
             ["each type has the same count in every sample", yes(consistent)],
             ["... counting also the endpoints set aside as singular", yes(consistent_sing)],
             [f"N_C = {paper.get('N_C')} (published) in every sample",
              yes(all(v == paper.get("N_C") for v in nc)) + f" (N_C: {sorted(set(nc))})"],
             [f"N_C + endpoints set aside as singular = {paper.get('N_C')} in every sample",
              yes(all(v + g == paper.get("N_C") for v, g in zip(nc, nsing)))],
             [f"N_C* = {paper.get('N_Cstar')} (published) in every sample",
              yes(all(v == paper.get("N_Cstar") for v in ncs)) + f" (N_C*: {sorted(set(ncs))})"],
             ["full-support count = N_C* (points with no zero coordinate)", yes(torus_ok)],
             ["solver's own per-pattern counts (`jaxhc.strata.pattern_of`) agree with the section4 classification",
              yes(solver_agree)],
             ["points of irregular type (zeros not from dead neurons)", irregular],
             ["Section 4 violations (Prop 8, Thm 9, Cor 10, Cor 11)", ", ".join(f"{k} {v}" for k, v in viol.items())],
             ["largest modulus of an entry counted as zero / smallest of an entry counted as nonzero "
              "(relative to max(1, ‖w‖∞))",
              f"{max(s['max_zero'] for s in S):.1e} / {min(s['min_nonzero'] for s in S):.1e}"],
             ["failed paths / singular endpoints / at infinity / coinciding endpoints left",
              f"{failed} / {sum(s['singular'] for s in S)} / {sum(s['at_infinity'] for s in S)} / "
              f"{sum(s['duplicates_left'] for s in S)}"],
             ["max residual / max condition number over the N_C points",
              f"{max(s['max_residual'] for s in S):.1e} / {max(s['max_cond'] for s in S):.1e}"],
             ["generic set complete by a certificate (else: heuristic monodromy stop)",
              "no (heuristic stop: loops without new points)" if any(s["heuristic_stop"] for s in S) else "yes"],
         ]), ""]
    mism = [s for s in S if s["N_C"] != paper.get("N_C")]
    if mism:
        L += [f"**Samples whose N_C differs from the published {paper.get('N_C')}:** "
              + ", ".join(f"seed {s['seed']} (N_C = {s['N_C']}, N_C* = {s['N_Cstar']}, "
                          f"{len(s['singular_points'])} endpoints set aside as singular)" for s in mism) + ".", ""]
    rows = []
    for s in S:
        by = {}
        for d in s["singular_points"]:
            by.setdefault(d["type"], []).append(d)
        for ty, ds in sorted(by.items()):
            pts = np.array([d["point"] for d in ds])
            others = np.asarray(np.load(run_dir / "solutions" / f"sample_{s['sample']:04d}.npz")["solutions"])
            dist = lambda u, V: np.max(np.abs(V - u[None]), axis=1) if len(V) else np.array([np.inf])
            distinct = all(np.min(dist(u, np.delete(pts, i, 0))) > 1e-6 * max(1, np.max(np.abs(u)))
                           and np.min(dist(u, others)) > 1e-6 * max(1, np.max(np.abs(u))) for i, u in enumerate(pts))
            rng_ = lambda key, fmt=".1e": (f"{min(d[key] for d in ds):{fmt}}–{max(d[key] for d in ds):{fmt}}")
            rows.append([s["seed"], ty, len(ds), rng_("max_abs", ".0f"), rng_("cond"), rng_("sigma_min"),
                         rng_("scaled_cond"), rng_("residual_rel"), rng_("newton_move_rel"), yes(distinct)])
    if rows:
        L += ["## Endpoints set aside as singular", "",
              "Paths from the generic solutions that the tracker classified SINGULAR (its rule: condition number of "
              "∂F/∂w above `singular_cond` = 1e10). They are not in N_C above. Re-examined here after 6 Newton "
              "steps on the sample's system: max |w|, condition number unscaled, its smallest singular value, "
              "condition number after scaling columns by max(1, |w_i|) and rows to unit max (as "
              "`jaxhc.monodromy.solver._rescue_large` does for points at infinity), residual relative to "
              "max(1, ‖w‖∞)^(2H+1), Newton move relative to max(1, ‖w‖∞), and whether they are distinct from each "
              "other and from the N_C points.", "",
              md_table(["seed", "type", "endpoints", "max abs w", "cond", "σ_min", "scaled cond", "residual (rel)",
                        "Newton move (rel)", "distinct"], rows), "",
              "Reading: large but finite weights with a moderate scaled condition number, a tiny residual and a "
              "Newton step that does not move them look like nonsingular critical points whose unscaled "
              "condition number exceeds the threshold only because of their size; if so, the true N_C of that "
              "sample is N_C + these endpoints. This report counts them separately and does not add them to N_C.", ""]
    L += ["## Why the two types are absent", "",
          "Each sample's solutions are tracked from the generic solution set, so a type that is empty for generic "
          "complex data cannot show up in a sample; the absence therefore rests on the generic set, established "
          "two ways, and on a derivation by hand:", ""]
    if gen:
        red = gen.get("reduced", {})
        L += ["*Monodromy (the solver's generic set, `"
              + str(next(iter(sorted((run_dir / 'generic').glob('monodromy_*.npz'))), '')) + "`).*", "",
              md_table(["reduced network", "torus points", "status", "loops", "start-pair Jacobian cond"],
                       [[k.replace("-", "×"), v["n"], "empty (singular Jacobian)" if v["empty"] else
                         "certified" if v["certified"] else "heuristic stop", v["loops"], f"{v['start_cond']:.1e}"]
                        for k, v in sorted(red.items())]), ""]
    L += ["*Independent rank check (this script, not the solver).* For each reduced network: random torus "
          "weights w and data (x, y), Λ := −G/w entrywise (G the data part of the gradient), so w is a critical "
          "point; singular values of ∂F/∂w there (corank = singular values <= 1e-10·σ_max). A singular Jacobian "
          "at random points of the incidence variety means its projection to the parameters is not dominant: "
          "generic data have no critical point with that support.", "",
          md_table(["reduced network", "N", "random points", "cond(∂F/∂w) min–max", "corank"],
                   [[j["reduced_widths"], j["N"], j["pairs"], f"{j['min_cond']:.1e} – {j['max_cond']:.1e}",
                     ", ".join(map(str, j["coranks"]))] for j in jr]), "",
          "*By hand* (our derivation, not in the paper). Reduced network 2×1: W1 is 2×2, W2 = bᵀ (1×2), W3 = a "
          "(2×1); e = W3W2W1x − y, c = aᵀe. The W1-equation (W3W2)ᵀe xᵀ + Λ1∘W1 = 0 reads Λ1∘W1 = −c b xᵀ, so "
          "W1_ij = −c b_i x_j / λ1_ij and (W1x)_i = −c b_i δ_i with δ_i = Σ_j x_j²/λ1_ij (fixed by the data). "
          "The W2-equation c (W1x)ᵀ + λ2∘bᵀ = 0 then gives λ2_i b_i = c² δ_i b_i, i.e. λ2_i = c² δ_i for i = 1, 2 "
          "when b has no zero: one unknown c² for two equations, solvable only if λ2_1 δ_2 = λ2_2 δ_1, which "
          "generic data violate. So neither 'dead L2{j}' type (L1 complete, one neuron of L2) exists. In the "
          "mirrored network 1×2 the same elimination runs through W3 and produces the residual e, which depends "
          "on the unknowns, instead of the fixed x, so no such obstruction arises. `tests/test_example14.py` "
          "checks the identity λ2_1 δ_2 = λ2_2 δ_1 at random critical points of the 2×1 network.", "",
          f"Run directory: `{run_dir}` (samples.csv, samples_info.jsonl, solutions/sample_XXXX.npz, generic/). "
          "CSV: `example14.csv` (one row per type, counts per seed, then endpoints set aside as singular per seed).",
          ""]
    (out / "example14.md").write_text("\n".join(L))
    occ = [t for t in T if t["occurs"]]
    para = ("**Example 14, H = 2 (d_x = d_y = d_1 = d_2 = 2, m = 1)**: see [example14.md](example14.md) "
            f"(generated by `{command}`). Over {len(S)} samples (seeds {seeds[0]}..{seeds[-1]}): "
            f"{sum(t['occurs'] for t in T if t['possible'])} of {res['possible']} possible types occur ("
            + "; ".join(f"{t['type']} {'/'.join(map(str, sorted(set(t['counts']))))}" for t in occ)
            + " solutions per sample); never: " + ", ".join(f"{t['type']} (`{t['picture']}`)" for t in absent)
            + (" — exactly the two types printed in the paper. " if matches_paper
               else " — NOT the two types printed in the paper. ")
            + f"N_C = {'/'.join(map(str, sorted(set(nc))))} (published {paper.get('N_C')})"
            + ("; " + ", ".join(f"seed {s['seed']}: {s['N_C']} + {len(s['singular_points'])} endpoints set aside "
                                "as singular" for s in mism) if mism else "") + ".")
    if readme:
        update_readme(out / "README.md", para)
    return {"samples": len(S), "seeds": seeds, "N_C": nc, "singular": nsing, "absent": [t["type"] for t in absent],
            "matches_paper": matches_paper, "sums_ok": sums_ok, "consistent": consistent,
            "consistent_with_singular": consistent_sing, "solver_agree": solver_agree, "paragraph": para}


def update_readme(path: Path, para: str) -> None:
    """Put ``para`` between the example14 markers of README.md, inserting them after the
    Examples 13/14 section's introduction if absent.  Nothing else in the file changes."""
    if not path.exists():
        print(f"warning: {path} does not exist; README paragraph not written", file=sys.stderr)
        return
    text = path.read_text()
    block = f"{README_BEGIN}\n{para}\n{README_END}"
    if README_BEGIN in text and README_END in text:
        a = text.index(README_BEGIN)
        b = text.index(README_END) + len(README_END)
        text = text[:a] + block + text[b:]
    else:
        head = "### Zero-pattern types (Examples 13, 14)"
        if head not in text:
            print(f"warning: no '{head}' section in {path}; README paragraph not written", file=sys.stderr)
            return
        i = text.index(head)
        j = text.find("\n\n", text.find("\n\n", i) + 2)  # end of the section's first paragraph
        j = len(text) if j < 0 else j
        text = text[:j] + "\n\n" + block + text[j:]
    path.write_text(text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0, help="data seed of sample 0 (sample k uses seed + k)")
    ap.add_argument("--solver-seed", type=int, default=0, help="seed of the generic set (solver.seed)")
    ap.add_argument("--run-dir", default="outputs/example14", help="run directory of experiments/run.py (resumed)")
    ap.add_argument("--out", default="reports")
    ap.add_argument("--tol", type=float, default=1e-8, help="relative zero tolerance")
    ap.add_argument("--jacobian-pairs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed for the solve")
    ap.add_argument("--no-readme", action="store_true", help="do not touch <out>/README.md")
    args = ap.parse_args(argv)
    if args.samples < 1:
        raise SystemExit("--samples must be >= 1")
    run_dir, out = Path(args.run_dir), Path(args.out)
    run_time = ensure_run(run_dir, args.samples, args.seed, args.solver_seed, args.timeout)
    t0 = time.perf_counter()
    res = analyze(run_dir, args.samples, args.tol)
    jr = jacobian_ranks(args.jacobian_pairs, args.seed)
    analysis_time = time.perf_counter() - t0
    command = COMMAND.format(samples=args.samples, seed=args.seed, run_dir=args.run_dir, out=args.out)
    if args.solver_seed:
        command += f" --solver-seed {args.solver_seed}"
    s = write(res, generic_info(run_dir), jr, out, command, run_dir, run_time, analysis_time, args.tol,
              not args.no_readme)
    print(json.dumps({k: v for k, v in s.items() if k != "paragraph"}))
    print(s["paragraph"])


if __name__ == "__main__":
    main()
