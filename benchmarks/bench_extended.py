"""Escalation trackers on the paths that double precision cannot finish, same process.

    python benchmarks/bench_extended.py --widths 3 --dx 2 --dy 2 --m 2 --seed 37 --orbits 2 --cache /tmp/gcache

Runs the sample's first pass (one path per sign-flip orbit from the generic set, as
``MonodromySolver`` does), takes the first ``--orbits`` orbits whose path did not end in
SUCCESS, and re-tracks each on the same route with :func:`jaxhc.tracker.mixed_precision.track_mixed`
in several configurations, each with the same wall-clock cap per path:

* ``double/rk4``   — stage 1 of the escalation before session 6 (mpmath residuals, double
  Jacobian, RK4 in double);
* ``double/hermite`` — the same with the Hermite predictor;
* ``extended/rk4`` — Jacobians in extended precision too, but RK4 stages off the path;
* ``auto/hermite/mpmath`` — stage 2 before session 6, everything extended in mpmath;
* ``double/rk4/give-up`` — stage 1 as the solver runs it now: residuals in FLINT
  (``gradient_function_flint``), stopping with ILL_CONDITIONED at cond 1e14;
* ``auto/hermite`` — stage 2 as the solver runs it now (double Jacobian until cond > 1e10, then
  extended; Hermite predictor; residuals, Jacobians and solves in FLINT).

Pick some with ``--configs``; it prints status, steps, largest double condition number and
seconds per path and the time ratios against the last configuration.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jaxhc import Architecture, preset, sample_data  # noqa: E402
from jaxhc.homotopy.base import parameter_homotopy, random_gamma  # noqa: E402
from jaxhc.monodromy import MonodromySolver  # noqa: E402
from jaxhc.monodromy.core import arch_system, track_padded  # noqa: E402
from jaxhc.status import Status  # noqa: E402
from jaxhc.system.gradient import gradient_function_flint, gradient_function_mp  # noqa: E402
from jaxhc.tracker.mixed_precision import track_mixed  # noqa: E402

CONFIGS = {"double/rk4": dict(jacobian="double", predictor="rk4", linear_solver="mpmath"),
           "double/hermite": dict(jacobian="double", predictor="hermite", linear_solver="mpmath"),
           "extended/rk4": dict(jacobian="extended", predictor="rk4", dps=50, linear_solver="mpmath"),
           "auto/hermite/mpmath": dict(jacobian="auto", predictor="hermite", dps=50, linear_solver="mpmath"),
           "double/rk4/give-up": dict(jacobian="double", predictor="rk4", give_up_cond=1e14, flint=True),
           "auto/hermite": dict(jacobian="auto", predictor="hermite", dps=50, flint=True)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[3])
    ap.add_argument("--dx", type=int, default=2)
    ap.add_argument("--dy", type=int, default=2)
    ap.add_argument("--m", type=int, default=2)
    ap.add_argument("--seed", type=int, default=37, help="data seed of the sample")
    ap.add_argument("--orbits", type=int, default=2, help="failing orbits to re-track")
    ap.add_argument("--max-time", type=float, default=120.0, help="seconds per path and configuration")
    ap.add_argument("--cache", default=None, help="generic-set cache folder (solver.cache_dir)")
    ap.add_argument("--configs", nargs="+", default=["double/rk4", "extended/rk4", "auto/hermite"], choices=list(CONFIGS),
                    help="configurations to run (the ratios are against the last one)")
    ap.add_argument("--skip", type=int, default=0, help="skip this many failing orbits first")
    a = ap.parse_args(argv)
    arch = Architecture(tuple(a.widths), a.dx, a.dy, a.m)
    # The solver config of `solver=monodromy` (so that the generic-set cache key is the same).
    cfg = yaml.safe_load((Path(__file__).resolve().parent.parent / "conf/solver/monodromy.yaml").read_text())
    cfg["cache_dir"] = a.cache
    solver = MonodromySolver(arch, preset(cfg["preset"]), cfg)
    g, om = solver.generic, solver.orbit_map
    data = sample_data(arch, a.seed)
    gamma = random_gamma(np.random.default_rng((a.seed, 11)))  # the solver's own first-pass γ
    opts = solver.options._replace(infinity_norm=max(solver.options.infinity_norm, 1e8))
    h = parameter_homotopy(arch_system(arch), g.params, data.params, gamma)
    r = track_padded(h, g.solutions[om.rep], opts, batch_size=256, steps_per_call=16)
    bad = np.flatnonzero(r.status != Status.SUCCESS)
    print(f"{arch.label()} seed {a.seed}: {om.norbits} orbits, {len(bad)} not finished in double precision")
    if len(bad) == 0:
        return
    fn, fn_mp = arch_system(arch).fn, gradient_function_mp(arch)
    totals = {k: 0.0 for k in a.configs}
    for o in bad[a.skip: a.skip + a.orbits]:
        for name in a.configs:
            kw = dict(CONFIGS[name])
            if kw.pop("flint", False):
                kw["fn_flint"] = gradient_function_flint(arch)
            t0 = time.perf_counter()
            out = track_mixed(fn, fn_mp, g.solutions[om.rep][o:o + 1], g.params, data.params, gamma,
                              max_time=a.max_time, **kw)[0]
            dt = time.perf_counter() - t0
            totals[name] += dt
            print(f"  orbit {o:5d} {name:13s} {out.status.name:22s} steps {out.steps:6d} t_end {out.t_end:.2e} "
                  f"norm {np.abs(out.x).max():.3g} cond {out.max_cond:.2g} {dt:7.1f} s", flush=True)
    base = totals[a.configs[-1]]
    print(f"time ratios against {a.configs[-1]} (capped paths count their cap): "
          + ", ".join(f"{k} {v / base:.1f}x" for k, v in totals.items()))


if __name__ == "__main__":
    main()
