"""``Theorem5Solver``: all complex critical points for H = 1, m = 1 through reduced systems.

Two formulations (``cfg["formulation"]``):

``"wu"`` (default, see :mod:`jaxhc.theorem5.wu`)
    One linear-product homotopy for the combined junk-free (w, u) system, all
    strata in one batched ``track`` call: ``Σ_{d'} C(d, d') C(p, d') 2^{d'}`` paths,
    each nonsingular endpoint giving ``2^{d'}`` critical points.

``"reduced7"`` (see :mod:`jaxhc.theorem5.reduced7`)
    The paper's own route: per stratum, eq. (7) in the ``d'`` unknowns ``S_i``
    with a total-degree start of ``(4p)^{d'}`` paths, ``B_C = (1 + 4p)^d`` in all.

Both map their endpoints back to weights, Newton-refine every candidate on the
full gradient system (eq. (2)), drop candidates whose Newton iteration does not
converge to a nearby nonsingular point with a small residual (the path that
produced it is then counted as failed), and deduplicate.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ..endgame.finalize import refine_padded
from ..homotopy.base import random_gamma, straight_line
from ..solutions.dedup import unique_points
from ..solutions.result import Result
from ..status import Status
from ..system.gradient import gradient_function
from ..system.network import Architecture, NetworkData
from ..tracker.options import TrackerOptions, preset
from ..tracker.stream import track
from .wu import lift, wu_path_count, wu_start_points, wu_start_system, wu_system

__all__ = ["Theorem5Solver", "refine_candidates", "row_pattern"]

FORMULATIONS = ("wu", "reduced7")


def row_pattern(x, arch: Architecture, tol: float = 1e-8) -> str:
    """``"rows:110"``: which rows of ``W_1`` are nonzero at flat weights ``x``."""
    d, n = arch.widths[0], arch.dx
    A = np.asarray(x)[: d * n].reshape(d, n)
    scale = max(1.0, float(np.max(np.abs(x))))
    return "rows:" + "".join("1" if np.max(np.abs(A[i])) > tol * scale else "0" for i in range(d))


def refine_candidates(data: NetworkData, cand: np.ndarray, iters: int = 3, singular_cond: float = 1e10):
    """Newton on the full gradient system; returns ``(x, residual, cond, ok)``.

    ``ok``: the last correction, residual and distance moved are small and the
    scaled Jacobian is well conditioned (the tracker's endgame tests).
    """
    k = len(cand)
    N = data.arch.N
    if k == 0:
        z = np.zeros(0)
        return np.zeros((0, N), complex), z, z, np.zeros(0, bool)
    fn = gradient_function(data.arch)
    xr, last, res, _, _, cond = refine_padded(fn, cand, np.asarray(data.params, np.complex128), iters)
    scale = np.maximum(1.0, np.max(np.abs(xr), axis=1))
    moved = np.max(np.abs(xr - cand), axis=1)
    # The singularity test uses the scaled condition number (endgame.finalize.scaled_cond): huge but
    # nonsingular critical points of near-degenerate samples (sigma_1k ~ sigma_2k) pass it.
    ok = (np.isfinite(last) & (last <= 1e-9 * scale) & (res <= 1e-8 * np.maximum(1.0, scale**3))
          & (moved <= 1e-6 * scale) & np.isfinite(cond) & (cond < singular_cond))
    return xr, res, cond, ok


class Theorem5Solver:
    """``solver(data, seed) -> Result`` for one H = 1, m = 1 architecture (compiled once, reused).

    Args:
        arch: the architecture; ``H`` and ``m`` must be 1.
        options: tracker options (default preset if None).
        cfg: dict with optional keys ``formulation`` (``"wu"`` | ``"reduced7"``),
            ``batch_size``, ``steps_per_call``, ``refine_iters``, ``preset`` (used when
            ``options`` is None).

    The returned :class:`~jaxhc.solutions.result.Result` holds the distinct verified critical
    points (flat weights, refined on the full gradient system, with its residuals and
    condition numbers).  ``result.paths`` is the reduced homotopy's :class:`TrackResult`
    (one entry per tracked path; endpoints in the reduced coordinates: ``(w, u)`` for
    ``"wu"``, ``S`` padded to ``d`` for ``"reduced7"``), with statuses updated by the
    full-system check; ``result.singular_points`` are in the same reduced coordinates.
    ``result.info`` (JSON-serializable): ``paths`` (<= ``B_C``), ``patterns``
    (``{"rows:101": count}`` for every subset of nonzero rows of ``W_1``), ``formulation``,
    ``candidates`` / ``rejected_candidates`` / ``promoted_paths`` / ``duplicates`` of the
    full-system check, ``time_track``, ``time_refine``, ``time``, γ and more.
    """

    def __init__(self, arch: Architecture, options: TrackerOptions | None = None, cfg: dict | None = None):
        if not isinstance(arch, Architecture):
            raise TypeError(f"arch must be an Architecture, got {type(arch).__name__}")
        if arch.H != 1 or arch.m != 1:
            raise ValueError(f"Theorem5Solver handles H = 1, m = 1 only (Theorem 5 / Corollary 12); "
                             f"got H = {arch.H}, m = {arch.m} ({arch.label()}). "
                             "Use the total-degree or monodromy solver instead.")
        cfg = dict(cfg or {})
        self.arch = arch
        self.options = options if options is not None else preset(cfg.get("preset", "default"))
        self.formulation = str(cfg.get("formulation", "wu"))
        if self.formulation not in FORMULATIONS:
            raise ValueError(f"unknown theorem5 formulation {self.formulation!r}; choose from {FORMULATIONS}")
        self.batch_size = int(cfg.get("batch_size", 1024))
        self.steps_per_call = int(cfg.get("steps_per_call", 16))
        self.refine_iters = int(cfg.get("refine_iters", 3))
        # A sample whose paths look wrong (two paths at one point, i.e. path jumping; failed paths; for
        # "wu" any path not ending at a verified point) is tracked again with a new γ and these options.
        self.retries = int(cfg.get("retries", 1))
        self.retry_options = preset(str(cfg.get("retry_preset", "conservative")))
        self.d, self.n, self.p = arch.widths[0], arch.dx, arch.dy
        self.B_C, self.B_Cstar = arch.theorem5_bounds

    @property
    def npaths(self) -> int:
        """Paths tracked per sample."""
        if self.formulation == "wu":
            return wu_path_count(self.d, self.p)
        return self.B_C

    def _attempt(self, data, seed, attempt, opts):
        """Track once (γ and start coefficients from ``(seed, ·, attempt)``) and verify every lifted point."""
        key = (seed,) if attempt == 0 else (seed, attempt)
        g = random_gamma(np.random.default_rng((*key, 1)))
        t0 = time.perf_counter()
        if self.formulation == "wu":
            paths, cands, owner, extra = self._track_wu(data, key, g, opts)
        else:
            from .reduced7 import track_reduced7

            paths, cands, owner, extra = track_reduced7(self, data, g, opts)
        t1 = time.perf_counter()
        xr, res, cond, ok = refine_candidates(data, cands, self.refine_iters, opts.singular_cond)
        # The full-system check decides: a path whose lifted points all verify is a SUCCESS (this rescues
        # badly scaled endpoints that the reduced system's endgame called singular or diverging); a path
        # the tracker called SUCCESS whose lifted points do not verify is a failure, never silently dropped.
        good = np.unique(owner[ok]) if len(owner) else np.zeros(0, np.int64)
        bad = np.setdiff1d(np.unique(owner[~ok]), good) if len(owner) else np.zeros(0, np.int64)
        promoted = int(np.sum(paths.status[good] != Status.SUCCESS))
        paths.status[good] = Status.SUCCESS
        paths.status[bad[paths.status[bad] == Status.SUCCESS]] = Status.ENDPOINT_NOT_CONVERGED
        xs, rs, cs = xr[ok], res[ok], cond[ok]
        dup = int(len(xs) - len(unique_points(xs, 1e-6)))
        st = paths.status
        # Distinct nonsingular endpoints attract one path each: a duplicate means path jumping.  For "wu"
        # every path should end at a verified point (the 2-homogeneous count is attained for generic data).
        suspicious = dup > 0 or paths.nfailed > 0 or (self.formulation == "wu" and bool(np.any(st != Status.SUCCESS)))
        summary = {"attempt": attempt, "gamma_re": g.real, "gamma_im": g.imag, "paths": int(paths.npaths),
                   "candidates": int(len(cands)), "rejected_candidates": int((~ok).sum()),
                   "promoted_paths": promoted, "duplicates": dup, "failed_paths": int(paths.nfailed),
                   "time_track": t1 - t0, "time_refine": time.perf_counter() - t1, "suspicious": suspicious}
        return paths, (xs, rs, cs), summary, extra

    def __call__(self, data: NetworkData, seed: int = 0) -> Result:
        if data.arch != self.arch:
            raise ValueError(f"data are for {data.arch.label()}, solver was built for {self.arch.label()}")
        t0 = time.perf_counter()
        found, attempts = [], []
        for attempt in range(1 + self.retries):
            opts = self.options if attempt == 0 else self.retry_options
            paths, pts, summ, extra = self._attempt(data, seed, attempt, opts)
            found.append(pts)
            attempts.append(summ)
            if not summ["suspicious"]:
                break
        # Union of the verified points of all attempts (each was checked on the full system).
        xs, rs, cs = (np.concatenate([f[k] for f in found]) for k in range(3))
        keep = unique_points(xs, 1e-6)
        xs, rs, cs = xs[keep], rs[keep], cs[keep]
        # Endpoints still singular after the full-system check (in the reduced system's coordinates).
        sing = paths.x[paths.status[paths.index] == Status.SINGULAR]
        patterns = {}
        for i in range(2**self.d):
            patterns["rows:" + format(i, f"0{self.d}b")] = 0
        for x in xs:
            patterns[row_pattern(x, self.arch)] += 1
        last = attempts[-1]
        info = {
            "solver": "theorem5", "formulation": self.formulation, "seed": int(seed),
            "gamma_re": last["gamma_re"], "gamma_im": last["gamma_im"],
            "paths": int(paths.npaths), "B_C": int(self.B_C), "B_Cstar": int(self.B_Cstar),
            "paths_total": int(sum(a["paths"] for a in attempts)), "retracks": len(attempts) - 1,
            "patterns": patterns,
            **{k: last[k] for k in ("candidates", "rejected_candidates", "promoted_paths", "duplicates")},
            "time_track": float(sum(a["time_track"] for a in attempts)),
            "time_refine": float(sum(a["time_refine"] for a in attempts)),
            "time": time.perf_counter() - t0,
            "path_steps": int(paths.path_steps), "singular_endpoints": int(len(sing)),
            "at_infinity": int(paths.count(Status.AT_INFINITY)), "failed_paths": int(paths.nfailed),
            "unresolved": bool(last["suspicious"]),
            **extra,
        }
        if len(attempts) > 1:
            info["attempts"] = attempts
        return Result(xs, rs, cs, paths, sing, info=info)

    # ------------------------------------------------------------------ (w, u)
    def _track_wu(self, data, key, g, opts):
        d, p = self.d, self.p
        target = wu_system(data)
        start = wu_start_system(d, p, np.random.default_rng((*key, 2)))
        starts, strata = wu_start_points(start, d, p)
        assert len(starts) == wu_path_count(d, p) <= self.B_C
        paths = track(straight_line(target, start, g), starts, opts, batch_size=self.batch_size,
                      steps_per_call=self.steps_per_call, keep="all", desc=target.name)
        st = paths.status[paths.index]
        cands, owner = [], []
        changed = 0
        # Lift every finite endpoint that reached t ~ 0 (not only SUCCESS ones); the full-system
        # Newton check in __call__ accepts or rejects each lifted point.
        absz = np.max(np.abs(paths.x), axis=1)
        finite = np.isfinite(absz) & (absz < opts.hard_infinity_norm)
        reached = (st == Status.SUCCESS) | (finite & (paths.t_end[paths.index] <= 1e-8)
                                            & np.isin(st, [Status.SINGULAR, Status.AT_INFINITY]))
        for j in np.flatnonzero(reached):
            pid = int(paths.index[j])
            z = paths.x[j]
            scale = max(1.0, float(np.max(np.abs(z))))
            I = tuple(int(i) for i in np.flatnonzero(np.abs(z[:d]) > 1e-10 * scale))
            changed += I != strata[pid]
            pts = lift(z, data, I)
            cands.append(pts)
            owner.extend([pid] * len(pts))
        cands = np.concatenate(cands) if cands else np.zeros((0, self.arch.N), complex)
        extra = {"paths_by_size": {str(k): math.comb(d, k) * math.comb(p, k) * 2**k for k in range(min(d, p) + 1)},
                 "stratum_changes": int(changed)}
        return paths, cands, np.asarray(owner, np.int64), extra
