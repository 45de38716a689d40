"""Closed-form Jacobians (the loss's Hessian, ``value_and_hessian``) against forward-mode autodiff
over the N + 1 directions of ``H(x, t)``, same process.

    python benchmarks/bench_jacobian.py [--rows t2_3_2_3 t2_2_2_3 ...] [--reps 20]

Per architecture, on one sample's parameter homotopy from generic complex parameters: the
time of one ``(H, H_x, H_t)`` evaluation for a batch of 64 points, then of the tracker
(``advance``, 64 slots, 16 steps, Hermite and Taylor-4) with each, and the ratios
forward mode / closed form.  The baseline is the same homotopy function seen without its
``value_and_jacobians`` attribute, which sends the tracker down its generic forward-mode path.
Also printed: the largest difference of the two Jacobians and of the two runs' endpoints.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from jaxhc import Architecture, sample_data  # noqa: E402
from jaxhc.homotopy.base import as_grouped, parameter_homotopy  # noqa: E402
from jaxhc.monodromy.core import arch_system, random_params  # noqa: E402
from jaxhc.tracker.core import _eval_jac, advance, init_state_jit  # noqa: E402
from jaxhc.tracker.options import preset  # noqa: E402

ROWS = {  # label -> (widths, dx, dy, m)
    "t2_3_2_3": ((3,), 2, 3, 2),   # Table 2 (3,2,3) m 2, N = 15
    "t2_2_2_3": ((2,), 2, 3, 2),   # its 2-neuron strata's network, N = 10
    "t2_2_3_4": ((2,), 3, 4, 2),   # N = 14
    "t3_22_2_2": ((2, 2), 2, 2, 1),  # H = 2, N = 12
}


def _best(f, reps):
    jax.block_until_ready(f())
    best = np.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        jax.block_until_ready(f())
        best = min(best, time.perf_counter() - t0)
    return best


def run_row(label, reps):
    arch = Architecture(*ROWS[label])
    rng = np.random.default_rng(0)
    p0 = random_params(arch, rng)
    h = as_grouped(parameter_homotopy(arch_system(arch), p0, sample_data(arch, 1).params, np.exp(0.7j)), 64)
    closed = h.fn
    plain = lambda x, t, a: closed(x, t, a)  # noqa: E731  (no closed form: forward mode over n + 1 directions)
    B = 64
    x0 = jnp.asarray(rng.standard_normal((B, arch.N)) + 1j * rng.standard_normal((B, arch.N)))
    args = tuple(jnp.asarray(np.repeat(np.asarray(a), B, axis=0)) for a in h.args)
    t = jnp.full(B, 0.5 + 0.0j)
    ev = {name: jax.jit(jax.vmap(lambda x, tt, a, f=f: _eval_jac(f, x, tt, a))) for name, f in (("closed", closed), ("forward", plain))}
    out = {"row": label, "N": arch.N}
    for name, f in ev.items():
        out[f"eval_{name}"] = _best(lambda f=f: f(x0, t, args), reps * 10)
    out["jac_diff"] = float(jnp.max(jnp.abs(ev["closed"](x0, t, args)[1] - ev["forward"](x0, t, args)[1])))
    # the tracker from points of the start system: a few generic-ish start points suffice for timing
    from jaxhc.monodromy.core import start_pair
    for pred in ("hermite", "taylor4"):
        opts = preset("default", predictor=pred, predictor_tol=1e-3)
        ends = {}
        for name, f in (("closed", closed), ("forward", plain)):
            w0, p_start = start_pair(arch, np.random.default_rng(1))
            hh = as_grouped(parameter_homotopy(arch_system(arch), p_start, sample_data(arch, 1).params, np.exp(0.7j)), B)
            a = tuple(jnp.asarray(np.repeat(np.asarray(v), B, axis=0)) for v in hh.args)
            xs = jnp.asarray(np.repeat(np.asarray(w0)[None], B, axis=0))
            fn = hh.fn if name == "closed" else (lambda x, tt, aa, g=hh.fn: g(x, tt, aa))
            st = init_state_jit(fn, xs, a, opts, True)
            out[f"{pred}_{name}"] = _best(lambda fn=fn, st=st, a=a: advance(fn, opts, st, a, 16, True).x, reps)
            ends[name] = advance(fn, opts, st, a, 16, True).x
        out[f"{pred}_diff"] = float(jnp.max(jnp.abs(ends["closed"] - ends["forward"])))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    ap.add_argument("--reps", type=int, default=20)
    a = ap.parse_args(argv)
    print("| row | N | (H, H_x, H_t) x 64: forward / closed | ratio | Hermite 64x16 steps: forward / closed | ratio "
          "| Taylor-4: forward / closed | ratio | max |ΔJ| | max |Δx| after 16 steps (H / T4) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label in a.rows:
        r = run_row(label, a.reps)
        print(f"| {label} | {r['N']} | {r['eval_forward']*1e6:.0f} / {r['eval_closed']*1e6:.0f} µs | "
              f"{r['eval_forward']/r['eval_closed']:.2f}x | {r['hermite_forward']*1e3:.1f} / {r['hermite_closed']*1e3:.1f} ms | "
              f"{r['hermite_forward']/r['hermite_closed']:.2f}x | {r['taylor4_forward']*1e3:.1f} / {r['taylor4_closed']*1e3:.1f} ms | "
              f"{r['taylor4_forward']/r['taylor4_closed']:.2f}x | {r['jac_diff']:.1e} | {r['hermite_diff']:.1e} / {r['taylor4_diff']:.1e} |",
              flush=True)


if __name__ == "__main__":
    main()
