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
