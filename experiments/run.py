"""Solve sampled instances of one architecture and save every critical point.

    python experiments/run.py arch=h1_d2                      # 100 samples, total degree
    python experiments/run.py arch=h1_d3 arch.dx=1 data.samples=10
    python experiments/run.py -m arch=h1_d1 arch.dx=1,2,3,4   # a sweep

Writes into hydra's run directory, sample by sample (an interrupted run
resumes where it stopped when rerun into the same directory):
  samples.csv     one row per sample (N_C, N_Cstar, N_R, failed paths, time, ...)
  samples_info.jsonl  solver-specific details per sample (e.g. zero-pattern counts)
  summary.json    architecture, bounds, per-sample counts, max_N_R, totals
  solutions/sample_XXXX.npz   the solutions with residuals, conditions, flags
  jax_cache/      compiled XLA executables (config compile_cache_dir; with -m in the sweep directory)
  generic_cache/  two-stage solvers: the generic solution set (with -m in the sweep directory)

A table sweep (-m over row) also starts a background process that prepares the rows still
to come (prefetch=true; see prefetch.py).

workers=K solves the first chunk of samples here and starts K worker processes only when the
rest is worth it (workers_min_seconds; see _solve_in_process).
"""

from __future__ import annotations

import csv
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import hydra  # noqa: E402
import numpy as np  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

import common  # noqa: E402  (registers the config resolvers)
from jaxhc import sample_data  # noqa: E402
from solvers import Unsupported, make_solver  # noqa: E402

COLUMNS = ["sample", "seed", "N_C", "N_Cstar", "N_R", "singular", "at_infinity", "failed", "paths",
           "time_s", "gamma_re", "gamma_im", "max_residual", "max_cond"]


def _json_info(info: dict) -> dict:
    """The JSON-serializable part of a Result's info (solver-specific per-sample details)."""
    out = {}
    for key, v in info.items():
        try:
            json.dumps(v)
            out[key] = v
        except TypeError:
            continue
    return out


def _read_done(csv_path: Path, sol_dir: Path) -> dict[int, dict]:
    done = {}
    if csv_path.exists():
        with open(csv_path) as f:
            for row in csv.DictReader(f):
                k = int(row["sample"])
                if (sol_dir / f"sample_{k:04d}.npz").exists():
                    done[k] = row
    return done


def summarize(cfg, arch, rows: list[dict], extra: dict, out_dir: Path | None = None) -> dict:
    nc = [int(r["N_C"]) for r in rows]
    ncs = [int(r["N_Cstar"]) for r in rows]
    nr = [int(r["N_R"]) for r in rows]
    s = {
        "H": arch.H, "widths": list(arch.widths), "d_x": arch.dx, "d_y": arch.dy, "m": arch.m,
        "N": arch.N, "CBB": arch.cbb, "solver": cfg.solver.name, "data_seed": cfg.data.seed,
        "samples_requested": cfg.data.samples, "samples_done": len(rows),
        "N_C": nc, "N_Cstar": ncs, "N_R": nr,
        "N_C_range": [min(nc), max(nc)] if nc else None,
        "N_Cstar_range": [min(ncs), max(ncs)] if ncs else None,
        "max_N_R": max(nr) if nr else None,
        "paths_tracked": sum(int(r["paths"]) for r in rows),
        "paths_per_sample": [int(r["paths"]) for r in rows],
        "failed_paths": sum(int(r["failed"]) for r in rows),
        "samples_with_failures": sum(int(r["failed"]) > 0 for r in rows),
        "time_total_s": sum(float(r["time_s"]) for r in rows),
        "time_mean_s": float(np.mean([float(r["time_s"]) for r in rows])) if rows else None,
    }
    if arch.theorem5_bounds:
        s["B_C"], s["B_Cstar"] = arch.theorem5_bounds
    # Solver-specific per-sample details (heuristic stops, zero patterns, ...).
    info_path = out_dir / "samples_info.jsonl" if out_dir else None
    if info_path is not None and info_path.exists():
        # One entry per sample (a resumed run may have appended a sample twice).
        infos = list({i["sample"]: i for i in map(json.loads, filter(str.strip, open(info_path)))}.values())
        # Samples whose solve rests on a heuristic stop (for two-stage solvers: every sample of a
        # row whose generic set does); the generic set's own count is generic.heuristic_stops.
        s["samples_with_heuristic_stop"] = sum(bool(i.get("heuristic_stop", False)) for i in infos)
        # Coinciding endpoints that no repair separated: each such pair is a missing solution
        # (the paths count as tracked, not failed), so they are shown beside the failed paths.
        dl = [int(i.get("duplicate_endpoints_left", 0)) for i in infos]
        s["duplicate_endpoints_left"] = sum(dl)
        s["samples_with_duplicates_left"] = sum(d > 0 for d in dl)
        gen = [i for i in infos if "generic_paths" in i]
        if gen:
            # Two-stage solvers: the generic solve's paths are tracked once per run (per process).
            s["generic"] = {"method": gen[0].get("generic_method"), "paths": int(gen[0]["generic_paths"]),
                            "failed_paths": int(gen[0].get("generic_failed_paths", 0)),
                            "N_C": gen[0].get("generic_N_C"), "N_Cstar": gen[0].get("generic_N_Cstar"),
                            "setup_time_s": max(float(i.get("setup_time_s", 0.0)) for i in gen)}
            red = gen[0].get("generic_reduced")
            if red:
                # Per reduced network: how its torus set is known to be complete (None: heuristic stop).
                s["generic"]["reduced"] = red
            # Reduced networks whose torus set rests on the k-quiet-loops stop (no bound, trace
            # test or emptiness certificate); one for a total-degree generic set with failed paths.
            s["generic"]["heuristic_stops"] = (sum(v.get("certified_by") is None for v in red.values()) if red
                                               else int(bool(gen[0].get("heuristic_stop", False))))
            s["paths_tracked"] += s["generic"]["paths"]
            s["rescued_large_endpoints"] = sum(int(i.get("rescued_large_endpoints", 0)) for i in gen)
            s["mixed_precision"] = {k: sum(int(i.get(f"mixed_precision_{k}", 0)) for i in gen) for k in ("paths", "success")}
            s["mixed_precision"]["samples"] = sum(int(i.get("mixed_precision_paths", 0)) > 0 for i in gen)
            s["extended_precision"] = {k: sum(int(i.get(f"extended_precision_{k}", 0)) for i in gen)
                                       for k in ("paths", "success")}
            s["extended_precision"]["samples"] = sum(int(i.get("extended_precision_paths", 0)) > 0 for i in gen)
        pats = {}
        for i in infos:
            for pat, c in (i.get("patterns") or {}).items():
                pats.setdefault(pat, []).append(c)
        if pats:
            s["patterns"] = {pat: {"min": min(v), "max": max(v), "samples": len(v)} for pat, v in pats.items()}
    s.update(extra)
    paper = common.paper_rows(arch)
    if paper:
        p = paper[0]
        s["paper"] = {k: p[k] for k in ("table", "BKK", "N_C", "N_Cstar", "max_N_R")}
        s["agrees_with_paper"] = {
            "N_C_all_samples": all(v == p["N_C"] for v in nc),
            "N_Cstar_all_samples": all(v == p["N_Cstar"] for v in ncs),
        }
    return s


logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)


def _solve_in_process(cfg, solver, arch, chunks, workers, record, extra) -> list:
    """Solve ``chunks`` of jobs here, chunk by chunk, until a pool of ``workers`` processes is worth starting.

    A chunk's samples are solved together (``common.solve_chunk``: the monodromy solver tracks
    their first passes as one batch, ``samples_per_batch`` samples of ~2048 paths in all).
    A worker costs ~3-3.5 s on the 2-core CPU before it solves its first chunk (spawn and
    import jax ~1-1.5 s, then ~2 s to trace the tracker and load its executables from the
    compilation cache; since session 17 the executables load from jaxhc's executable cache without
    tracing), and two workers solve samples ~1.7x as fast as one process: the pool pays
    off once the samples left need more than ~5-9 s here (more on a busy machine, where the
    workers get less than a core each).

    So the first chunk is solved here (it compiles, and fills the compilation cache for the
    workers) and gives a time per sample, and the rest goes to the pool once (samples left) x
    (that time) exceeds ``workers_min_seconds``, re-checked after every chunk.  With chunks of
    one sample (rows of more than 1024 orbits) the first one only compiles, so the time per sample is
    the median of the later ones: a few samples take seconds once (a retry or mixed precision
    compiling its own tracker; 5-12 s on Table 1), which says nothing about the rest.  Each
    sample is seeded on its own, so the results do not depend on where or with which others it
    was solved.  Returns the chunks left for the pool (empty: all solved here).
    """
    times = []
    for i, chunk in enumerate(chunks):
        t0 = time.perf_counter()
        solved = common.solve_chunk(solver, arch, chunk)
        el = time.perf_counter() - t0
        times.append(el / len(chunk))
        extra["first_sample_s"] = round(times[0], 4)
        if len(times) > 1:
            extra["steady_sample_s"] = round(float(np.median(times[1:])), 4)
        extra["samples_in_process"] = extra.get("samples_in_process", 0) + len(chunk)
        for k, seed, res, el_k in solved:
            record(k, seed, res, el_k)
        rest = chunks[i + 1:]
        steady = extra.get("steady_sample_s", times[0] if len(chunk) > 1 else None)
        nrest = sum(len(c) for c in rest)
        if workers > 1 and steady is not None and len(rest) > 1 and nrest * steady > float(cfg.get("workers_min_seconds", 10.0)):
            return rest
    return []


def _sweep_or_run_dir(out: Path) -> Path:
    """The sweep directory in multirun mode (shared by all rows), else this run's directory."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    return Path(hc.sweep.dir).resolve() if hc.mode == RunMode.MULTIRUN else out


@hydra.main(version_base=None, config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    # The persistent compilation cache first: before anything compiles (see common.use_compile_cache).
    cache = common.compile_cache_dir(cfg)
    common.use_compile_cache(cache)
    arch = common.arch_from_cfg(cfg)
    if cfg.data.samples < 0:
        raise SystemExit("data.samples must be >= 0")
    out = common.output_dir()
    sol_dir = out / "solutions"
    sol_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out / "samples.csv"
    try:
        solver = make_solver(cfg.solver, arch)
    except Unsupported as e:
        if cfg.skip_unsupported:
            print(f"skipped {arch.label()}: {e}")
            return
        raise SystemExit(str(e))
    extra = {"workers_used": 1}
    if cfg.get("bkk", False):
        from jaxhc.bounds import affine_bkk
        from jaxhc.system.gradient import supports

        t0 = time.perf_counter()
        extra["BKK"] = int(affine_bkk(supports(arch)))
        extra["BKK_time_s"] = time.perf_counter() - t0
    OmegaConf.save(cfg, out / "config_resolved.yaml", resolve=True)

    done = _read_done(csv_path, sol_dir)
    rows = [done[k] for k in sorted(done)]
    if not csv_path.exists() or not done:
        with open(csv_path, "w", newline="") as f:
            csv.DictWriter(f, COLUMNS).writeheader()
    todo = [k for k in range(cfg.data.samples) if k not in done]
    print(f"{arch.label()}: N={arch.N}, CBB={arch.cbb}, solver={cfg.solver.name}, "
          f"{len(done)} samples already done, {len(todo)} to go -> {out}")
    bar = None
    if cfg.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=cfg.data.samples, initial=len(done), desc=arch.label())
    def record(k, seed, res, el):
        data = sample_data(arch, seed)
        row = {"sample": k, "seed": seed, "N_C": res.nsolutions, "N_Cstar": res.ntorus, "N_R": res.nreal,
               "singular": res.nsingular, "at_infinity": res.nat_infinity, "failed": res.nfailed,
               "paths": res.npaths, "time_s": round(el, 4),
               "gamma_re": res.info.get("gamma_re", ""), "gamma_im": res.info.get("gamma_im", ""),
               "max_residual": float(res.residuals.max()) if res.nsolutions else 0.0,
               "max_cond": float(res.conds.max()) if res.nsolutions else 0.0}
        np.savez_compressed(
            sol_dir / f"sample_{k:04d}.npz", solutions=res.solutions, residuals=res.residuals,
            conds=res.conds, is_real=res.is_real, in_torus=res.in_torus, seed=seed,
            params=data.params, widths=np.array(arch.widths), dx=arch.dx, dy=arch.dy, m=arch.m,
            path_status=res.paths.status, singular_points=res.singular_points)
        with open(out / "samples_info.jsonl", "a") as f:
            f.write(json.dumps({"sample": k, **_json_info(res.info)}) + "\n")
        # The CSV row is written last: a sample counts as done only once everything is on disk.
        with open(csv_path, "a", newline="") as f:
            csv.DictWriter(f, COLUMNS).writerow(row)
        rows.append({k2: str(v) for k2, v in row.items()})
        common.write_json(out / "summary.json", summarize(cfg, arch, rows, extra, out))
        if bar is not None:
            bar.set_postfix(N_C=row["N_C"], N_Cstar=row["N_Cstar"], N_R=row["N_R"], failed=row["failed"])
            bar.update(1)

    jobs = [(k, int(cfg.data.seed) + k) for k in todo]
    workers = int(cfg.get("workers", 1))
    two_stage = isinstance(getattr(type(solver), "generic", None), property)
    if two_stage and not solver.cfg.get("cache_dir"):
        # Two-stage solvers keep the generic solution set on disk: workers and reruns load it, and
        # in a sweep one folder serves every row (the prefetcher fills it ahead of the main process).
        solver.cfg["cache_dir"] = str(_sweep_or_run_dir(out) / "generic_cache")
    if two_stage and todo:
        import prefetch

        n = prefetch.maybe_start(cfg, Path(solver.cfg["cache_dir"]), cache)
        if n:
            print(f"prefetching the generic sets of the next {n} rows in the background")
        t0 = time.perf_counter()
        helped = prefetch.help_while_waiting(cfg.get("row") if cfg.get("row") is not None else -1, solver)
        if helped:
            extra["generic_sets_of_later_rows"] = helped
            extra["generic_sets_of_later_rows_s"] = round(time.perf_counter() - t0, 3)
    if workers > 1 and len(jobs) > 2 and two_stage:
        # Find the generic solution set once, here, on disk, so that workers (if any are started)
        # load it instead of recomputing it.
        t0 = time.perf_counter()
        solver.generic
        extra["generic_setup_in_parent_s"] = round(time.perf_counter() - t0, 3)
    # Samples are solved in chunks (one batched first pass each) of the solver's own size.
    per = solver.samples_per_batch if hasattr(solver, "samples_per_batch") and jobs else 1
    chunks = common.sample_chunks(jobs, per)
    extra["samples_per_chunk"] = max((len(c) for c in chunks), default=0)
    rest = _solve_in_process(cfg, solver, arch, chunks, workers, record, extra)
    if rest:
        import workers as W

        scfg = OmegaConf.to_container(cfg.solver, resolve=True)
        if two_stage:
            scfg["cache_dir"] = solver.cfg["cache_dir"]
        # The pool stays up for the next rows of a multirun (W.pool_for), so it is as large as
        # `workers` even when fewer samples are left.
        pool, extra["pool_reused"] = W.pool_for(workers, str(cache) if cache else None)
        extra["workers_used"] = min(workers, len(rest))
        spec = (json.dumps(scfg, sort_keys=True), (list(arch.widths), arch.dx, arch.dy, arch.m))
        for solved in pool.imap_unordered(W.solve_chunk, [(*spec, chunk) for chunk in rest]):
            for k, seed, res, el in solved:
                record(k, seed, res, el)
    if bar is not None:
        bar.close()
    s = summarize(cfg, arch, rows, extra, out)
    common.write_json(out / "summary.json", s)
    print(f"N_C {s['N_C_range']}  N_Cstar {s['N_Cstar_range']}  max_N_R {s['max_N_R']}  "
          f"failed paths {s['failed_paths']}  duplicates left {s.get('duplicate_endpoints_left', 0)}"
          + (f"  heuristic stops {s['generic']['heuristic_stops']}" if "generic" in s else "")
          + f"  time {s['time_total_s']:.1f}s"
          + (f"  paper N_C={s['paper']['N_C']} N_Cstar={s['paper']['N_Cstar']} agrees={s['agrees_with_paper']}"
             if "paper" in s else ""))


if __name__ == "__main__":
    main()
