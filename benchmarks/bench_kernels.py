"""XLA:CPU's loop emitter (``kernel_jit``) against XLA's default fusion emitters, same process.

    python benchmarks/bench_kernels.py --widths 2 --dx 2 --dy 2 --m 1

For one architecture: a generic solution set (monodromy) is moved towards a sample's data by
the per-sample parameter homotopy.  Each kernel is compiled twice, with XLA's defaults and with
:data:`jaxhc.tracker.xla_options.CPU_KERNEL_OPTIONS`; printed: compile times, then run times
(alternating, several repetitions) and the ratios default / loop emitter, for
``advance`` (the double-precision tracker, Hermite predictor, batch 64, 13 steps from t = 1),
``refine`` (5 Newton iterations + three condition numbers, batch 64) and the double-double gradient
(batch 64).
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
from jaxhc.endgame.finalize import refine  # noqa: E402
from jaxhc.homotopy.base import parameter_homotopy  # noqa: E402
from jaxhc.monodromy import MonodromySolver  # noqa: E402
from jaxhc.monodromy.core import arch_system  # noqa: E402
from jaxhc.tracker.core import advance_kernel, init_state_jit, split_options  # noqa: E402
from jaxhc.tracker.double_double import gradient_function_dd  # noqa: E402
from jaxhc.tracker.options import preset  # noqa: E402
from jaxhc.tracker.xla_options import CPU_KERNEL_OPTIONS  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[2])
    ap.add_argument("--dx", type=int, default=2)
    ap.add_argument("--dy", type=int, default=2)
    ap.add_argument("--m", type=int, default=1)
    ap.add_argument("--reps", type=int, default=10)
    a = ap.parse_args(argv)
    arch = Architecture(tuple(a.widths), a.dx, a.dy, a.m)
    g = MonodromySolver(arch, preset("default"), {"seed": 0}).generic
    B = 64
    x0 = jnp.asarray(g.solutions[np.arange(B) % len(g.solutions)])
    h = parameter_homotopy(arch_system(arch), g.params, sample_data(arch, 1).params, np.exp(0.7j))
    opts = preset("default", predictor="hermite", predictor_tol=1e-3)
    st = init_state_jit(h.fn, x0, h.args, opts)
    p = jnp.asarray(sample_data(arch, 1).params)
    fdd = gradient_function_dd(arch)
    # Fresh jits of the undecorated functions (``.fun``), with static arguments (13 steps, 5
    # Newton iterations) that the setup above did not compile: no compilation cache hit.
    kernels = {
        "advance": (lambda o: jax.jit(advance_kernel.fun, static_argnums=(0, 1, 5), compiler_options=o)
                    .lower(h.fn, opts.predictor, split_options(opts)[1], st, h.args, 13),
                    lambda c: c(split_options(opts)[1], st, h.args)),
        "refine": (lambda o: jax.jit(refine.fun, static_argnums=(0,), compiler_options=o)
                   .lower(arch_system(arch).fn, x0, p, jnp.int32(5)), lambda c: c(x0, p, jnp.int32(5))),
        "dd_gradient": (lambda o: jax.jit(jax.vmap(lambda x: fdd(x, p).to_complex()), compiler_options=o).lower(x0),
                        lambda c: c(x0)),
    }
    print(f"{arch.label()} (N = {arch.N}), batch {B}, generic set {len(g.solutions)} points")
    for name, (lower, call) in kernels.items():
        comp, run = {}, {}
        for label, o in (("default", None), ("loop emitter", dict(CPU_KERNEL_OPTIONS))):
            t = time.perf_counter()
            comp[label] = lower(o).compile()
            jax.block_until_ready(call(comp[label]))
            run[label] = [time.perf_counter() - t, 0.0]
        for _ in range(a.reps):
            for label, c in comp.items():
                t = time.perf_counter()
                jax.block_until_ready(call(c))
                run[label][1] += (time.perf_counter() - t) / a.reps
        d, e = run["default"], run["loop emitter"]
        print(f"  {name:12s} compile+first call: default {d[0]:.2f} s, loop emitter {e[0]:.2f} s (x{d[0] / e[0]:.2f});"
              f"  run: default {d[1] * 1e3:.2f} ms, loop emitter {e[1] * 1e3:.2f} ms (x{d[1] / e[1]:.2f})")


if __name__ == "__main__":
    main()
