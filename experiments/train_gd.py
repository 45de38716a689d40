"""Gradient descent (optax) on sampled networks, matched to the computed real critical points.

    python experiments/train_gd.py /tmp/reportwork/h1d2 --samples 5 --inits 200 --out reports/gd_H1_w2_dx2_dy2_m1.json

For each sample of a run directory (experiments/run.py output), trains the real
regularized loss (jaxhc.loss: ½Σ‖W x_k − y_k‖² + ½Σ λ_ij w_ij²) from ``--inits``
random initializations w0 ~ N(0, scale²) with plain gradient descent
(optax.sgd) and with Adam (optax.adam), all initializations in parallel (vmap),
until ‖∇L‖_2 <= gtol or ``--max-steps``.  Each end point is matched to the
nearest real critical point of that sample (from the homotopy solve): matched
when ‖w − w*‖_inf <= match_tol · max(1, ‖w*‖_inf).  Reports the fraction
converged and matched, and the Hessian index of the critical points reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from jaxhc import Architecture  # noqa: E402
from jaxhc.analysis import classify_real_points  # noqa: E402
from jaxhc.system.gradient import loss as _loss  # noqa: E402


def load_sample(path: Path):
    z = np.load(path)
    arch = Architecture(tuple(int(v) for v in z["widths"]), int(z["dx"]), int(z["dy"]), int(z["m"]))
    sols = z["solutions"]
    real = sols[z["is_real"].astype(bool)].real if len(sols) else np.zeros((0, arch.N))
    return arch, np.real(z["params"]), real, int(z["seed"])


def optimize(arch, params, w0, opt, gtol, max_steps, chunk=2000):
    """Run ``opt`` from every row of w0 (vmapped); stop when all ‖∇L‖ <= gtol or max_steps."""
    p = jnp.asarray(params, jnp.float64)
    f = lambda w: _loss(arch, w, p)  # noqa: E731
    g = jax.grad(f)

    def one_step(carry, _):
        w, s, done = carry
        gr = jax.vmap(g)(w)
        gn = jnp.linalg.norm(gr, axis=1)
        done = done | (gn <= gtol) | ~jnp.isfinite(gn)
        upd, s2 = jax.vmap(opt.update)(gr, s, w)
        w2 = jnp.where(done[:, None], w, optax.apply_updates(w, upd))
        s2 = jax.tree_util.tree_map(
            lambda a, b: jnp.where(done.reshape((-1,) + (1,) * (a.ndim - 1)), a, b), s, s2)
        return (w2, s2, done), None

    @jax.jit
    def run_chunk(carry):
        return jax.lax.scan(one_step, carry, None, length=chunk)[0]

    w = jnp.asarray(w0, jnp.float64)
    carry = (w, jax.vmap(opt.init)(w), jnp.zeros(w.shape[0], bool))
    steps = 0
    while steps < max_steps:
        carry = run_chunk(carry)
        steps += chunk
        if bool(carry[2].all()):
            break
    w = np.asarray(carry[0])
    gn = np.asarray(jnp.linalg.norm(jax.vmap(g)(carry[0]), axis=1))
    return w, gn, steps


def match(w, crit, tol):
    """Index of the nearest critical point per row of w (-1 if none within tol), and the distances."""
    if len(crit) == 0:
        return -np.ones(len(w), int), np.full(len(w), np.inf)
    d = np.max(np.abs(w[:, None, :] - crit[None, :, :]), axis=2)
    j = np.argmin(d, axis=1)
    dist = d[np.arange(len(w)), j]
    scale = np.maximum(1.0, np.max(np.abs(crit[j]), axis=1))
    ok = np.isfinite(dist) & (dist <= tol * scale)
    return np.where(ok, j, -1), dist


def run(run_dir: Path, samples: int, inits: int, scale: float, seed: int, gtol: float, max_steps: int,
        match_tol: float, lr_sgd: float, lr_adam: float) -> dict:
    files = sorted((run_dir / "solutions").glob("sample_*.npz"))[:samples]
    if not files:
        raise SystemExit(f"no solutions/sample_*.npz under {run_dir}")
    opts = {"sgd": optax.sgd(lr_sgd), "adam": optax.adam(lr_adam)}
    res = {"run_dir": str(run_dir), "inits": inits, "init_scale": scale, "gtol": gtol, "max_steps": max_steps,
           "match_tol": match_tol, "lr": {"sgd": lr_sgd, "adam": lr_adam}, "samples": [], "optimizers": {}}
    tot = {k: Counter() for k in opts}
    arch = None
    for fi, path in enumerate(files):
        arch, params, crit, sseed = load_sample(path)
        cls = classify_real_points(arch, crit, params)
        rng = np.random.default_rng(seed + fi)
        w0 = scale * rng.standard_normal((inits, arch.N))
        srec = {"file": path.name, "seed": sseed, "N_R": len(crit),
                "critical_indices": [c["index"] for c in cls], "critical_kinds": [c["kind"] for c in cls],
                "critical_losses": [c["loss"] for c in cls]}
        for name, opt in opts.items():
            t0 = time.perf_counter()
            w, gn, steps = optimize(arch, params, w0, opt, gtol, max_steps)
            j, dist = match(w, crit, match_tol)
            conv = np.isfinite(gn) & (gn <= gtol)
            reached = Counter(int(cls[k]["index"]) for k in j if k >= 0)
            which = Counter(int(k) for k in j if k >= 0)
            srec[name] = {"converged": int(conv.sum()), "matched": int((j >= 0).sum()),
                          "matched_converged": int(((j >= 0) & conv).sum()), "diverged": int((~np.isfinite(gn)).sum()),
                          "steps": steps, "time_s": round(time.perf_counter() - t0, 2),
                          "index_hist": {str(k): v for k, v in sorted(reached.items())},
                          "point_hist": {str(k): v for k, v in sorted(which.items())},
                          "global_min_hits": int(sum(v for k, v in which.items() if cls[k]["global_min"])),
                          "median_grad_norm": float(np.median(gn)), "median_dist": float(np.median(dist))}
            for key in ("converged", "matched", "matched_converged", "diverged", "global_min_hits"):
                tot[name][key] += srec[name][key]
            for k, v in reached.items():
                tot[name][f"index_{k}"] += v
            tot[name]["runs"] += inits
            print(f"{path.name} {name}: converged {conv.sum()}/{inits}, matched {(j >= 0).sum()}/{inits}, "
                  f"indices {dict(reached)}, steps {steps}, {srec[name]['time_s']}s", flush=True)
        res["samples"].append(srec)
    res["arch"] = {"H": arch.H, "widths": list(arch.widths), "d_x": arch.dx, "d_y": arch.dy, "m": arch.m,
                   "label": arch.label()}
    for name, c in tot.items():
        runs = c["runs"]
        res["optimizers"][name] = {
            "runs": runs, "converged": c["converged"], "matched": c["matched"],
            "matched_converged": c["matched_converged"], "diverged": c["diverged"],
            "match_rate": c["matched"] / runs, "converged_rate": c["converged"] / runs,
            "match_rate_of_converged": c["matched_converged"] / max(1, c["converged"]),
            "global_min_rate": c["global_min_hits"] / runs,
            "index_hist": {k[6:]: v for k, v in sorted(c.items()) if k.startswith("index_")},
        }
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--samples", type=int, default=5)
    ap.add_argument("--inits", type=int, default=200)
    ap.add_argument("--scale", type=float, default=1.0, help="initialization N(0, scale^2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gtol", type=float, default=1e-7, help="stop when ||grad||_2 <= gtol")
    ap.add_argument("--max-steps", type=int, default=200000)
    ap.add_argument("--match-tol", type=float, default=1e-3)
    ap.add_argument("--lr-sgd", type=float, default=0.1)
    ap.add_argument("--lr-adam", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=None, help="JSON output (default: print only)")
    a = ap.parse_args(argv)
    res = run(a.run_dir, a.samples, a.inits, a.scale, a.seed, a.gtol, a.max_steps, a.match_tol, a.lr_sgd, a.lr_adam)
    for name, o in res["optimizers"].items():
        print(f"{name}: match rate {o['match_rate']:.3f} ({o['matched']}/{o['runs']}), converged {o['converged']}, "
              f"diverged {o['diverged']}, indices reached {o['index_hist']}, global min {o['global_min_rate']:.3f}")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps(res, indent=1))
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
