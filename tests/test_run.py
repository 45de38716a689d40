"""experiments/run.py end to end: files, counts, resume, clear refusals."""

import csv
import json
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..")


def _run(*args):
    env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
    return subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "run.py"), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


def test_run_writes_resumes_and_counts(tmp_path):
    d = tmp_path / "run"
    args = ["arch=h1_d1", "arch.dx=1", "arch.dy=2", "data.samples=2", "progress=false", f"hydra.run.dir={d}"]
    p = _run(*args)
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(open(d / "samples.csv")))
    assert [r["sample"] for r in rows] == ["0", "1"]
    s = json.load(open(d / "summary.json"))
    assert (s["H"], s["N"], s["CBB"], s["B_C"], s["B_Cstar"]) == (1, 3, 27, 9, 8)
    assert s["samples_done"] == 2 and s["failed_paths"] == 0
    sol = np.load(d / "solutions" / "sample_0001.npz")
    assert sol["solutions"].shape == (int(rows[1]["N_C"]), 3)
    assert np.all(sol["residuals"] < 1e-8) and sol["path_status"].shape == (int(rows[1]["paths"]),)
    # Two-stage default: the 27 total-degree paths are tracked once (generic data), then 1 path
    # per generic solution and sample.
    assert s["generic"]["paths"] == 27 and s["paths_tracked"] == 27 + sum(int(r["paths"]) for r in rows)
    # Same command, one more sample: the two finished samples are skipped.
    p = _run(*args[:-2], "data.samples=3", "progress=false", f"hydra.run.dir={d}")
    assert p.returncode == 0, p.stderr
    assert "2 samples already done, 1 to go" in p.stdout
    assert len(list(csv.DictReader(open(d / "samples.csv")))) == 3


def test_run_per_sample_total_degree(tmp_path):
    d = tmp_path / "run"
    p = _run("arch=h1_d1", "arch.dx=1", "arch.dy=2", "data.samples=1", "solver.per_sample=true",
             "progress=false", f"hydra.run.dir={d}")
    assert p.returncode == 0, p.stderr
    rows = list(csv.DictReader(open(d / "samples.csv")))
    assert rows[0]["paths"] == "27" and rows[0]["failed"] == "0"
    assert np.load(d / "solutions" / "sample_0000.npz")["path_status"].shape == (27,)


def test_run_refuses_too_many_paths(tmp_path):
    p = _run("arch=h2_d2", "data.samples=1", "progress=false", f"hydra.run.dir={tmp_path}")
    assert p.returncode != 0
    assert "start paths" in p.stderr and "monodromy" in p.stderr


def _counts(d):
    return {r["sample"]: (r["N_C"], r["N_Cstar"], r["N_R"], r["failed"]) for r in csv.DictReader(open(d / "samples.csv"))}


def test_run_adaptive_workers(tmp_path):
    """workers=2 starts the pool only when the samples left are worth it; the counts depend neither
    on it nor on how the samples are chunked (batched first passes)."""
    args = ["arch=h1_d1", "arch.dx=1", "arch.dy=2", "data.samples=4", "workers=2", "progress=false"]
    here, pool, batched = tmp_path / "here", tmp_path / "pool", tmp_path / "batched"
    one = "solver.sample_batch_paths=1"  # chunks of one sample
    p = _run(*args, one, "workers_min_seconds=1e9", "compile_cache_dir=null", f"hydra.run.dir={here}")
    assert p.returncode == 0, p.stderr
    s = json.load(open(here / "summary.json"))
    assert s["workers_used"] == 1 and s["samples_in_process"] == 4 and s["steady_sample_s"] > 0
    assert s["samples_per_chunk"] == 1
    assert not (here / "jax_cache").exists()
    # Threshold 0: two samples here (the first compiles, the second gives the steady time), two in the pool.
    p = _run(*args, one, "workers_min_seconds=0", f"hydra.run.dir={pool}")
    assert p.returncode == 0, p.stderr
    s = json.load(open(pool / "summary.json"))
    assert s["workers_used"] == 2 and s["samples_in_process"] == 2 and s["samples_done"] == 4
    assert any((pool / "jax_cache").iterdir())  # the default compilation cache, in the run directory
    # Default chunks: the four samples' first passes in one batch, here (one chunk: no pool).
    p = _run(*args, "workers_min_seconds=0", f"hydra.run.dir={batched}")
    assert p.returncode == 0, p.stderr
    s = json.load(open(batched / "summary.json"))
    assert s["samples_per_chunk"] == 4 and s["samples_in_process"] == 4 and s["workers_used"] == 1
    assert _counts(here) == _counts(pool) == _counts(batched) and len(_counts(pool)) == 4


def test_compile_cache_follows_a_changed_dir(tmp_path):
    """JAX opens its persistent cache once per process; use_compile_cache must still switch folders
    (a multirun calls run.py's main once per job in one process)."""
    code = f"""
import sys; sys.path.insert(0, {os.path.join(ROOT, "experiments")!r})
import jax, jax.numpy as jnp, common
common.use_compile_cache({str(tmp_path / "a")!r}); jax.jit(lambda x: x * 2 + 1)(jnp.ones(3))
common.use_compile_cache({str(tmp_path / "a")!r}); jax.jit(lambda x: x * 3 + 1)(jnp.ones(3))
common.use_compile_cache({str(tmp_path / "b")!r}); jax.jit(lambda x: x * 5 - 1)(jnp.ones(3))
common.use_compile_cache(None); jax.jit(lambda x: x * 7 - 1)(jnp.ones(3))
"""
    env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    a, b = (sorted(f.name.split("-")[0] for f in (tmp_path / d).iterdir()) for d in "ab")
    assert a.count("jit__lambda") == 2 and b.count("jit__lambda") == 1


def test_table_sweep_prefetches_generic_sets(tmp_path):
    """A table sweep starts a background process for the next rows' generic sets: every row ends
    with its set in the sweep's shared cache, no lock is left, and the counts are the same as
    without the prefetcher."""
    args = ["-m", "+sweep=table1", "solver=monodromy", "row=0,1,2", "data.samples=2", "progress=false"]
    on, off = tmp_path / "on", tmp_path / "off"
    p = _run(*args, f"hydra.sweep.dir={on}")
    assert p.returncode == 0, p.stderr
    assert "prefetching the generic sets of the next 2 rows" in p.stdout
    assert len(list((on / "generic_cache").glob("*.npz"))) == 3
    assert not list((on / "generic_cache").glob("*.lock"))
    p = _run(*args, "prefetch=false", f"hydra.sweep.dir={off}")
    assert p.returncode == 0, p.stderr
    assert "prefetching" not in p.stdout
    for row in ("H1_w1_dx1_dy1_m1", "H1_w1_dx2_dy1_m1", "H1_w1_dx3_dy1_m1"):
        assert _counts(on / row) == _counts(off / row) and len(_counts(on / row)) == 2


def test_main_process_computes_later_generic_sets_while_the_prefetcher_holds_its_own(tmp_path, monkeypatch):
    """While another process holds the lock of this row's generic set, the main process computes
    the sets of the next rows nobody has started (skipping locked ones, at most max_rows), and
    stops as soon as its own set is there or unlocked."""
    sys.path.insert(0, os.path.join(ROOT, "experiments"))
    import prefetch
    from jaxhc import Architecture
    from solvers import make_solver
    from omegaconf import OmegaConf
    from jaxhc.monodromy.solver import GenericSet, generic_lock_file

    archs = [Architecture((1,), dx, 1, 1) for dx in (1, 2, 3, 4)]
    scfg = OmegaConf.create({"name": "monodromy", "cache_dir": str(tmp_path)})
    solvers = [make_solver(scfg, a) for a in archs]
    paths = [s._cache_path() for s in solvers]
    monkeypatch.setattr(prefetch, "_STARTED", [object()])
    monkeypatch.setattr(prefetch, "_LATER", [(r, (list(a.widths), a.dx, a.dy, a.m)) for r, a in enumerate(archs)])
    assert prefetch.help_while_waiting(0, solvers[0]) == []  # nobody computes row 0's set: nothing to wait for
    generic_lock_file(paths[0]).write_text("1")  # "the prefetcher" (pid 1) computes row 0's set
    generic_lock_file(paths[1]).write_text("1")  # and has started row 1's too
    assert prefetch.help_while_waiting(0, solvers[0], max_rows=1) == [archs[2].label()]
    assert not paths[1].exists() and paths[2].exists() and not paths[3].exists()
    assert not generic_lock_file(paths[2]).exists()
    # the file is the set row 2's own solver computes (same seed, same options: same cache key)
    g = GenericSet.load(archs[2], paths[2])
    own = make_solver(OmegaConf.create({"name": "monodromy", "cache_dir": str(tmp_path / "own")}), archs[2])
    assert own._cache_path().name == paths[2].name
    np.testing.assert_allclose(g.solutions, own.generic.solutions, atol=1e-12)
    assert prefetch.help_while_waiting(0, solvers[0]) == [archs[3].label()]
    generic_lock_file(paths[0]).unlink()
    assert prefetch.help_while_waiting(0, solvers[0]) == []


def test_sweep_rows_reads_the_sweep():
    """The prefetcher's row list: the sweep config's range, or the command line's list instead."""
    import types

    sys.path.insert(0, os.path.join(ROOT, "experiments"))
    import prefetch

    def hc(params, d):
        return types.SimpleNamespace(sweeper=types.SimpleNamespace(params=params), sweep=types.SimpleNamespace(dir=str(d)))

    import tempfile

    with tempfile.TemporaryDirectory() as d:
        assert prefetch.sweep_rows(hc({"row": "range(0,4)"}, d)) == [0, 1, 2, 3]
        assert prefetch.sweep_rows(hc({"row": "range(0,4)", "arch.m": "1,2"}, d)) is None
        open(os.path.join(d, "multirun.yaml"), "w").write(
            "hydra:\n  overrides:\n    task:\n    - +sweep=table2\n    - row=5,3\n")
        assert prefetch.sweep_rows(hc({"row": "range(0,41)"}, d)) == [5, 3]
        open(os.path.join(d, "multirun.yaml"), "w").write(
            "hydra:\n  overrides:\n    task:\n    - solver.seed=0,1\n")
        assert prefetch.sweep_rows(hc({"row": "range(0,41)"}, d)) is None


def test_worker_pool_serves_the_next_rows_of_a_sweep(tmp_path):
    """In a multirun the pool started by one row is reused by the next; the counts are those of
    solving every sample in the main process."""
    args = ["-m", "+sweep=table1", "solver=monodromy", "row=0,1", "data.samples=4", "progress=false",
            "prefetch=false"]
    pool, here = tmp_path / "pool", tmp_path / "here"
    # (chunks of one sample: with the default, the four samples make one chunk, solved here)
    p = _run(*args, "workers=2", "workers_min_seconds=0", "solver.sample_batch_paths=1", f"hydra.sweep.dir={pool}")
    assert p.returncode == 0, p.stderr
    p = _run(*args, "workers=1", f"hydra.sweep.dir={here}")
    assert p.returncode == 0, p.stderr
    for row, reused in (("H1_w1_dx1_dy1_m1", False), ("H1_w1_dx2_dy1_m1", True)):
        s = json.load(open(pool / row / "summary.json"))
        assert s["workers_used"] == 2 and s["pool_reused"] is reused
        assert _counts(pool / row) == _counts(here / row) and len(_counts(pool / row)) == 4


def test_summary_counts_heuristic_stops_per_reduced_network(tmp_path):
    """summary.json: ``generic.heuristic_stops`` counts the reduced networks whose torus set rests on
    the quiet-loops stop (certified_by null), not samples; the samples are counted apart."""
    sys.path.insert(0, os.path.join(ROOT, "experiments"))
    import run
    from omegaconf import OmegaConf

    from jaxhc import Architecture

    arch = Architecture((2, 2), 1, 1, 2)
    cfg = OmegaConf.create({"solver": {"name": "monodromy"}, "data": {"seed": 0, "samples": 3}})
    reduced = {"2-2": {"n": 40, "certified_by": None}, "1-2": {"n": 8, "certified_by": None},
               "1-1": {"n": 0, "certified_by": "empty"}, "2-1": {"n": 8, "certified_by": "trace"}}
    with open(tmp_path / "samples_info.jsonl", "w") as f:
        for k in range(3):
            f.write(json.dumps({"sample": k, "heuristic_stop": True, "generic_paths": 10, "generic_method": "monodromy",
                                "generic_reduced": reduced}) + "\n")
    rows = [{"N_C": "5", "N_Cstar": "4", "N_R": "1", "paths": "3", "failed": "0", "time_s": "0.1"}] * 3
    s = run.summarize(cfg, arch, rows, {}, tmp_path)
    assert s["generic"]["heuristic_stops"] == 2 and s["samples_with_heuristic_stop"] == 3
    # a total-degree generic set: one stop, when paths failed
    with open(tmp_path / "samples_info.jsonl", "w") as f:
        f.write(json.dumps({"sample": 0, "heuristic_stop": False, "generic_paths": 27,
                            "generic_method": "total_degree"}) + "\n")
    s = run.summarize(cfg, arch, rows[:1], {}, tmp_path)
    assert s["generic"]["heuristic_stops"] == 0 and s["samples_with_heuristic_stop"] == 0
