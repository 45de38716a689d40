"""The `solver` config group: each entry turns (data, seed) into a jaxhc Result."""

from __future__ import annotations

from omegaconf import OmegaConf

from jaxhc import Architecture, gradient_system, preset, solve


class Unsupported(Exception):
    """The solver cannot handle this architecture (the message says what to use)."""


def make_solver(scfg, arch: Architecture):
    """A function ``(data, seed) -> Result`` for the configured solver; raises on unsupported input."""
    name = scfg.name
    opts = preset(scfg.get("preset", "default"))
    if name == "total_degree":
        if arch.cbb > scfg.max_paths:
            raise Unsupported(
                f"total_degree: {arch.label()} has (2H+1)^N = {arch.cbb} start paths, more than "
                f"solver.max_paths={scfg.max_paths}. Use solver=theorem5 (H=1, m=1) or solver=monodromy.")

        if scfg.get("per_sample", False):
            def run(data, seed):
                return solve(gradient_system(data), options=opts, seed=seed, batch_size=scfg.batch_size,
                             steps_per_call=scfg.steps_per_call)

            return run
        # All total-degree paths once, at generic complex data; then one parameter homotopy per sample.
        from jaxhc.monodromy import MonodromySolver

        cfg = OmegaConf.to_container(scfg, resolve=True)
        cfg.update(generic="total_degree", generic_batch_size=scfg.batch_size,
                   batch_size=scfg.get("sample_batch_size", 256))
        return MonodromySolver(arch, opts, cfg)
    if name == "theorem5":
        if arch.H != 1 or arch.m != 1:
            raise Unsupported(f"theorem5 solves H = 1, m = 1 only; got H = {arch.H}, m = {arch.m}. "
                              "Use solver=monodromy or solver=total_degree.")
        from jaxhc.theorem5 import Theorem5Solver

        return Theorem5Solver(arch, opts, OmegaConf.to_container(scfg, resolve=True))
    if name == "monodromy":
        from jaxhc.monodromy import MonodromySolver

        return MonodromySolver(arch, opts, OmegaConf.to_container(scfg, resolve=True))
    raise Unsupported(f"unknown solver {name!r}")
