"""``MonodromySolver``: the generic solution set once per architecture, then one parameter
homotopy per sample.

Setup (once, cached in memory and optionally on disk):
  * generic complex parameters ``p_gen`` of the full network;
  * for every distinct reduced architecture of the zero-pattern strata
    (:mod:`jaxhc.strata`): monodromy for its torus points at the restriction of
    ``p_gen`` to the first stratum using it, then a parameter homotopy to the
    restrictions belonging to the other strata with the same reduced widths;
  * embed all of them into the full weight space, add the origin.
Per sample: one parameter homotopy ``p_gen → data.params`` of the full gradient
system from every generic solution (failed paths retried with a new γ), Newton
refinement on the target, deduplication.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from ..homotopy.base import parameter_homotopies, parameter_homotopy, random_gamma
from ..solutions.result import Result
from ..status import Status
from ..strata import enumerate_strata, patterns_of, torus_bound
from ..system.network import Architecture, NetworkData
from ..tracker.options import MIXED_PREDICTORS, PREDICTORS, TrackerOptions, preset
from ..tracker.stream import TrackResult
from ..strata import sign_group
from .orbits import OrbitMap
from .core import (_Counter, arch_system, coinciding, monodromy_solve, orbits, random_params, torus_mask,
                   track_padded, transfer)

# Rows with at least this many paths per sample (sign-flip orbits) track their first pass with the
# Taylor-4 predictor under sample_predictor="auto": below it, its dearer compilation (~7 s per batch
# shape against ~3 s) outweighs ~15% less tracking (break-even near 1 s of tracking per sample,
# ~130 orbits at N = 12; measured session 10).
AUTO_TAYLOR_MIN_ORBITS = 128

__all__ = ["MonodromySolver", "GenericSet"]

CACHE_VERSION = 1
MIXED_BACKENDS = ("double_double", "mpmath")


class GenericSet:
    """All critical points of ``arch`` at generic complex parameters ``params`` (one row per point)."""

    def __init__(self, arch, params, solutions, patterns, meta):
        self.arch, self.params, self.solutions = arch, np.asarray(params), np.asarray(solutions)
        self.patterns = list(patterns)
        self.meta = meta

    @property
    def heuristic_stop(self) -> bool:
        return bool(self.meta["heuristic_stop"])

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, params=self.params, solutions=self.solutions,
                            patterns=np.array(self.patterns), meta=json.dumps(self.meta))
        tmp.replace(path)

    @classmethod
    def load(cls, arch, path: Path) -> "GenericSet":
        z = np.load(path, allow_pickle=False)
        return cls(arch, z["params"], z["solutions"], [str(s) for s in z["patterns"]], json.loads(str(z["meta"])))


def compute_generic_set(arch: Architecture, options: TrackerOptions | None = None, seed: int = 0, *,
                        loops_without_new: int = 5, max_loops: int = 200, start_pairs: int = 4,
                        batch_size: int = 256, steps_per_call: int = 16, use_bounds: bool = True,
                        trace_max_points: int = 0, verbose: bool = False,
                        loop_options: TrackerOptions | None = None, loop_legs: int = 3) -> GenericSet:
    """Generic solution set of the full network, stratum by stratum (see module docstring).

    ``loop_options``: tracker options of the monodromy loops and the transfers between strata
    (default: ``options``).  A loose, cheap tracker is safe there: every endpoint is Newton-
    refined, so a path that jumps still ends at a solution, and the stop rule does not trust
    any single path.  The trace tests always use ``options``.

    ``loop_legs``: 3 (default: triangles through two random points) or 2 (``p_base → p1 →
    p_base`` with independent γ) legs per monodromy loop.  Two legs found the same points in the
    same number of loops with 2/3 of the paths on Table 2 (2) d_x = 2, d_y = 3 and (3)
    d_x = d_y = 2, m = 2, but in a Table 2 sweep they stopped one reduced network short: (3)
    d_x = 3, d_y = 1, m = 2, whose (2)-network got 12 of its 16 torus points before 5 quiet loops
    (N_C 61 instead of 73 on every sample).  So not the default.
    """
    t0 = time.perf_counter()
    opts = options or preset("default")
    lopts = loop_options or opts
    rng = np.random.default_rng((seed, 7))
    p_gen = random_params(arch, rng)
    strata = enumerate_strata(arch)
    by_arch: dict[Architecture, list] = {}
    for s in strata:
        if not s.is_origin:
            by_arch.setdefault(s.reduced, []).append(s)
    sols, pats, info_strata, info_arch = [], [], {}, {}
    loops = paths = failed = 0
    heuristic = False
    for k, (red, group) in enumerate(sorted(by_arch.items(), key=lambda kv: kv[0].N)):
        bound = torus_bound(red) if use_bounds else None
        base = group[0].restrict_params(p_gen)
        mr = monodromy_solve(red, lopts, seed=int(rng.integers(2**31)), p_base=base,
                             loops_without_new=loops_without_new, max_loops=max_loops, start_pairs=start_pairs,
                             bound=bound, batch_size=batch_size, steps_per_call=steps_per_call, verbose=verbose,
                             loop_legs=loop_legs)
        loops += mr.loops
        paths += mr.paths
        failed += mr.failed_paths
        info = mr.info()
        certified_by = "empty" if mr.empty else "bound" if mr.certified else None
        if certified_by is None and 0 < mr.nsolutions <= trace_max_points:
            from .trace import trace_test

            # A second draw of (v, a) when the first trace is not linear: each draw is a certificate
            # on its own, and one seen false negative (trace 2e-5 on 12 complete points, Table 2
            # (1,1,3) m=2) passed on every other draw (1e-14).
            for attempt in range(2):
                tr = trace_test(red, mr.solutions, base, seed=int(rng.integers(2**31)), options=opts,
                                direction="lambda", batch_size=batch_size, steps_per_call=steps_per_call)
                info["trace"] = dict(tr.info(), attempt=attempt + 1)
                paths += tr.paths
                failed += tr.failed
                if tr.complete:
                    certified_by = "trace"
                    break
        info["certified_by"] = certified_by
        info["heuristic_stop"] = certified_by is None
        heuristic |= certified_by is None
        info_arch["-".join(map(str, red.widths))] = info
        if verbose:
            tr_txt = f", trace {info['trace']['trace']:.1e}" if "trace" in info else ""
            print(f"{arch.label()}: reduced widths {red.widths}: {mr.nsolutions} torus points "
                  f"({certified_by or 'heuristic'}, {mr.loops} loops, {mr.time:.1f}s{tr_txt})")
        for j, s in enumerate(group):
            if j == 0 or mr.nsolutions == 0:
                x, lost = mr.solutions, 0
            else:
                # Track one point per sign-flip orbit (mr.solutions is grouped by orbit), expand after.
                G = sign_group(red)
                cnt = _Counter()
                st, xe = transfer(red, mr.solutions[:: len(G)], base, s.restrict_params(p_gen), lopts, rng=rng,
                                  batch_size=batch_size, steps_per_call=steps_per_call, counter=cnt)
                ok = (st == Status.SUCCESS) & torus_mask(xe)
                x, lost = orbits(xe[ok], G), int((~ok).sum()) * len(G)
                paths += cnt.paths
                failed += cnt.failed
                if lost:
                    heuristic = True
            info_strata[s.pattern] = {"n": int(len(x)), "lost_in_transfer": lost}
            sols.append(s.embed(x))
            pats += [s.pattern] * len(x)
    origin = strata[-1]
    sols.append(np.zeros((1, arch.N), np.complex128))
    pats.append(origin.pattern)
    info_strata[origin.pattern] = {"n": 1, "lost_in_transfer": 0}
    X = np.concatenate(sols)
    n_before = len(X)
    if len(coinciding(X)):  # path jumping survived the retries: keep one copy, mark the set heuristic
        from ..solutions.dedup import unique_points

        keep = unique_points(X, 1e-6)
        X, pats = X[keep], [pats[i] for i in keep]
        heuristic = True
    meta = {"arch": arch.label(), "seed": seed, "N_C": int(len(X)), "N_Cstar": int(info_strata[strata[0].pattern]["n"]),
            "heuristic_stop": bool(heuristic), "monodromy_loops": loops, "paths": paths, "failed_paths": failed,
            "strata": info_strata, "reduced": info_arch, "duplicates_removed": int(n_before - len(X)), "time_s": round(time.perf_counter() - t0, 3),
            "version": CACHE_VERSION}
    return GenericSet(arch, p_gen, X, pats, meta)


def compute_generic_total_degree(arch: Architecture, options: TrackerOptions | None = None, seed: int = 0, *,
                                 batch_size: int = 1024, steps_per_call: int = 16,
                                 progress: bool = False) -> GenericSet:
    """Generic solution set by the total-degree homotopy: all ``(2H+1)^N`` paths, once.

    At generic complex parameters every critical point is nonsingular and of
    moderate size, which is where total degree is reliable; samples with
    near-degenerate real data (critical points of norm 1e4–1e5, condition 1e10)
    are then reached by parameter homotopies that *end* there, instead of being
    told apart from the many diverging total-degree paths.  The set is complete
    when no path failed (``heuristic_stop`` is set otherwise).
    """
    from ..solve import solve
    from .core import arch_system

    t0 = time.perf_counter()
    rng = np.random.default_rng((seed, 7))
    p_gen = random_params(arch, rng)
    res = solve(arch_system(arch).with_params(p_gen), options=options, seed=int(rng.integers(2**31)),
                batch_size=batch_size, steps_per_call=steps_per_call, progress=progress)
    X = res.solutions
    pats = patterns_of(arch, X, res.torus_tol)
    strata: dict[str, dict] = {}
    for p in pats:
        strata.setdefault(p, {"n": 0, "lost_in_transfer": 0})["n"] += 1
    meta = {"arch": arch.label(), "seed": seed, "method": "total_degree", "N_C": int(len(X)),
            "N_Cstar": int(res.ntorus), "heuristic_stop": bool(res.nfailed > 0), "monodromy_loops": 0,
            "paths": int(res.npaths), "failed_paths": int(res.nfailed), "singular": int(res.nsingular),
            "at_infinity": int(res.nat_infinity), "rerun_paths": int(res.info.get("rerun_paths", 0)),
            "strata": dict(sorted(strata.items(), reverse=True)), "time_s": round(time.perf_counter() - t0, 3),
            "version": CACHE_VERSION}
    return GenericSet(arch, p_gen, X, pats, meta)


def generic_lock_file(path: Path) -> Path:
    """The lock file beside the generic-set cache file ``path`` while a process computes it."""
    return path.with_name(path.name + ".lock")


class _GenericLock:
    """A lock file ``<cache file>.lock`` holding the pid of the process computing that file.

    Created with ``O_EXCL`` (atomic on local file systems), so of several processes sharing a
    cache folder (a sweep's main process and its prefetcher, see ``experiments/prefetch.py``)
    one computes and the others wait for the file.  A lock whose pid is no longer running
    (a killed process) is stale and is taken over."""

    def __init__(self, path: Path, poll: float = 0.2):
        self.path, self.lock, self.poll, self.held = path, generic_lock_file(path), poll, False

    def _holder_alive(self) -> bool:
        import os

        try:
            pid = int(self.lock.read_text().strip() or 0)
        except (OSError, ValueError):
            return True  # being written (or just removed): look again
        if pid <= 0:  # created, pid not written yet; left so by a crash if it stays so for seconds
            try:
                return time.time() - self.lock.stat().st_mtime < 5.0
            except OSError:
                return True
        if pid == os.getpid():
            return False  # left behind by this process (an earlier solver that failed)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except (PermissionError, OSError):
            return True
        return True

    def acquire_or_wait(self) -> None:
        import os

        self.path.parent.mkdir(parents=True, exist_ok=True)
        while not self.path.exists():
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if not self._holder_alive():
                    self.lock.unlink(missing_ok=True)
                    continue
                time.sleep(self.poll)
                continue
            with os.fdopen(fd, "w") as f:
                f.write(str(os.getpid()))
            self.held = True
            return

    def release(self) -> None:
        if self.held:
            self.lock.unlink(missing_ok=True)
            self.held = False


class MonodromySolver:
    """Hydra solver ``monodromy``: ``solver(data, seed) -> Result``.

    ``cfg`` keys (all optional): ``seed`` (generic set), ``loops_without_new`` (5),
    ``loop_legs`` (3: triangles; 2: loops ``p_base → p1 → p_base``, which stopped short once),
    ``max_loops`` (200), ``start_pairs`` (4), ``batch_size`` ("auto", see :attr:`batch_size`), ``steps_per_call`` (16),
    ``retries`` (3, per sample: failed paths and coinciding endpoints, the 2nd and later via a random intermediate parameter point), ``trace_max_points`` (0: none; reduced networks with at most this many torus points and a heuristic stop get a trace test, :mod:`.trace`), ``use_bounds`` (true: Theorem 5 bound as a
    completeness check for H = m = 1), ``cache_dir`` (null: memory only), ``verbose``,
    ``sample_infinity_norm`` (1e8: the at-infinity norm test of the per-sample parameter homotopies),
    ``orbits`` (true: per sample, track one path per sign-flip orbit of the generic set and map
    the endpoints to the other points, see :mod:`.orbits`; false: every path),
    ``mixed_precision_max_paths`` (128: per sample, at most this many unfinished first-pass
    paths (one per orbit) are re-tracked in mixed precision, see ``_escalate``; 0 disables it),
    ``mixed_precision_max_time`` (600: seconds per sample for those paths),
    ``mixed_precision_midway_time`` (0: seconds of stage 1 for paths whose steps collapsed
    mid-way, before the retries try another γ; 0 sends them straight to the retries, and they get
    the full escalation on the first route only if no retry does better),
    ``mixed_precision_give_up_cond`` (1e14: a mixed-precision path whose double Jacobian gets
    worse conditioned than this is handed to the extended-precision stage at once; null: never),
    ``mixed_precision_backend`` (``"double_double"``: all those paths at once in one jitted batch
    with double-double residuals, :mod:`jaxhc.tracker.dd_tracker`; ``"mpmath"``: one at a time on
    the host with FLINT/mpmath residuals, :func:`~jaxhc.tracker.mixed_precision.track_mixed`),
    ``mixed_precision_predictor`` (``"hermite"`` or ``"rk4"``: the predictor of that stage),
    ``extended_precision_max_paths`` (64 orbits) and ``extended_precision_max_time`` (1200 s): the
    same route once more with Jacobians in extended precision too, for the orbits that mixed
    precision could not finish (roots with eps·cond > 1); ``extended_precision_resume`` (true: an
    orbit that stage 1 handed over at ``give_up_cond`` resumes at stage 1's last point, false: from t = 1),
    ``sample_predictor`` / ``sample_predictor_tol`` (``"auto"``: taylor4 from 128 orbits per sample on,
    hermite below; 1e-3; None: the preset's):
    predictor and its tolerance for the per-sample first pass only (see :meth:`_first_pass_options`),
    ``refine_endpoints_max`` (64 orbits: first-pass endpoints reached at t = 0 but SINGULAR are
    Newton-refined with extended-precision residuals, see :meth:`_refine_endpoints`; 0: off),
    ``redo_max_cond`` (1e10: a first-pass path that failed at a worse condition number skips the
    double-precision redo and goes to the escalation, see :meth:`_redo_on_route`),
    ``generic_predictor`` / ``generic_predictor_tol`` (``"hermite"``, 1e-3; None: the preset's):
    the same for the generic set's monodromy loops and transfers (see :meth:`_loop_options`),
    ``generic`` (``"monodromy"``, or ``"total_degree"``: the generic set from all total-degree
    paths, :func:`compute_generic_total_degree`), ``name`` (reported as ``info["solver"]``).
    """

    def __init__(self, arch: Architecture, options: TrackerOptions | None = None, cfg: dict | None = None):
        self.arch = arch
        self.options = options or preset("default")
        self.cfg = dict(cfg or {})
        self._generic: GenericSet | None = None
        # Bad predictor settings fail here, not after the setup.
        self._first_pass_options(self.options), self._loop_options(), self._loop_legs(), self.batch_size
        for key, allowed in (("mixed_precision_backend", MIXED_BACKENDS), ("mixed_precision_predictor", MIXED_PREDICTORS)):
            if self.cfg.get(key) is not None and self.cfg[key] not in allowed:
                raise ValueError(f"{key} must be one of {allowed}, got {self.cfg[key]!r}")

    # -- generic set ---------------------------------------------------------
    def _cache_path(self) -> Path | None:
        d = self.cfg.get("cache_dir")
        if not d:
            return None
        keys = {k: self.cfg.get(k) for k in ("seed", "loops_without_new", "max_loops", "start_pairs", "use_bounds")}
        if int(self.cfg.get("trace_max_points", 0) or 0):  # (absent from older caches' keys)
            keys["trace_max_points"] = int(self.cfg["trace_max_points"])
        keys["generic"] = self.cfg.get("generic", "monodromy")
        lo = self._loop_options()
        if lo != self.options and keys["generic"] == "monodromy":  # (absent from older caches' keys)
            keys["loop_opts"] = [lo.predictor, lo.predictor_tol]
        if keys["generic"] == "monodromy" and self._loop_legs() != 3:  # (older caches: triangles)
            keys["loop_legs"] = self._loop_legs()
        # Options added later are left out at their default value, so older caches stay valid.
        later = {"predictor": "rk4"}
        keys["opts"] = [v for k, v in self.options._asdict().items() if later.get(k, object()) != v]
        h = hashlib.sha1(json.dumps(keys, sort_keys=True, default=str).encode()).hexdigest()[:10]
        return Path(d) / f"{self.cfg.get('generic', 'monodromy')}_{self.arch.label()}_v{CACHE_VERSION}_{h}.npz"

    @property
    def generic(self) -> GenericSet:
        """The generic solution set: loaded from ``cache_dir`` when there, else computed (and saved).

        Processes sharing one ``cache_dir`` compute each set once: the one that computes it holds
        a lock file beside it, and the others wait for the file instead of computing it again
        (a lock whose process is gone is taken over)."""
        if self._generic is None:
            path = self._cache_path()
            t0 = time.perf_counter()
            lock = _GenericLock(path) if path is not None else None
            if lock is not None:
                lock.acquire_or_wait()  # returns once the file exists or this process holds the lock
            try:
                if path is not None and path.exists():
                    self._generic = GenericSet.load(self.arch, path)
                    self._setup_time, self._from_cache = time.perf_counter() - t0, True
                else:
                    self._generic = self._compute_generic()
                    self._setup_time, self._from_cache = time.perf_counter() - t0, False
                    if path is not None:
                        self._generic.save(path)
            finally:
                if lock is not None:
                    lock.release()
            self._setup_pending = True
        return self._generic

    def _compute_generic(self) -> GenericSet:
        c = self.cfg
        if c.get("generic", "monodromy") == "total_degree":
            return compute_generic_total_degree(
                self.arch, self.options, int(c.get("seed", 0) or 0),
                batch_size=int(c.get("generic_batch_size", 1024)),
                steps_per_call=int(c.get("steps_per_call", 16)), progress=bool(c.get("verbose", False)))
        return compute_generic_set(
            self.arch, self.options, int(c.get("seed", 0) or 0),
            loops_without_new=int(c.get("loops_without_new", 5)), max_loops=int(c.get("max_loops", 200)),
            start_pairs=int(c.get("start_pairs", 4)), batch_size=self.batch_size,
            steps_per_call=int(c.get("steps_per_call", 16)), use_bounds=bool(c.get("use_bounds", True)),
            trace_max_points=int(c.get("trace_max_points", 0) or 0), verbose=bool(c.get("verbose", False)),
            loop_options=self._loop_options(), loop_legs=self._loop_legs())

    def _loop_legs(self) -> int:
        legs = int(self.cfg.get("loop_legs", 3))
        if legs not in (2, 3):
            raise ValueError(f"loop_legs must be 2 or 3, got {legs}")
        return legs

    @property
    def batch_size(self) -> int:
        """Device slots of every tracker run: ``cfg["batch_size"]``, or with ``"auto"`` (the
        default) 64 on the CPU and 1024 on an accelerator.

        On the CPU a step costs about the same per path from 32 to 65,536 paths, while each batch
        shape is another compilation of every kernel (seconds each, more than a small row's
        tracking): 64 slots instead of 256 (which ran loops at 64, 128 and 256 and samples at
        256 shrinking to 64) took Tables 1, 3 and 4 from 924, 393 and 429 s of CPU to 770, 359
        and 380 s, with the same counts (benchmarks/RESULTS.md, session 15).  An accelerator
        needs thousands of paths in flight to be busy."""
        b = self.cfg.get("batch_size", "auto")
        if b is None or b == "auto":
            import jax

            return 64 if jax.default_backend() == "cpu" else 1024
        b = int(b)
        if b < 1:
            raise ValueError(f"batch_size must be positive or 'auto', got {b}")
        return b

    @property
    def orbit_map(self) -> OrbitMap:
        """The generic solutions grouped by sign-flip orbit (built once per generic set)."""
        g = self.generic
        if getattr(self, "_orbit_map_for", None) is not g:
            X = g.solutions
            self._orbit_map = (OrbitMap.build(self.arch, X) if self.cfg.get("orbits", True)
                               else OrbitMap.trivial(self.arch, len(X)))
            self._orbit_map_for = g
        return self._orbit_map

    # -- per sample ----------------------------------------------------------
    def __call__(self, data: NetworkData, seed: int = 0) -> Result:
        """Every critical point of one sample (``data``); ``seed`` seeds its γ and retries."""
        return self.solve_many([data], [seed])[0]

    @property
    def samples_per_batch(self) -> int:
        """How many samples :meth:`solve_many` should get at once: their first passes fill about
        ``cfg["sample_batch_paths"]`` (2048) paths (one per sign-flip orbit and sample)."""
        return max(1, int(self.cfg.get("sample_batch_paths", 2048)) // max(1, self.orbit_map.norbits))

    def solve_many(self, datas: list[NetworkData], seeds: list[int]) -> list[Result]:
        """Every critical point of several samples: their first passes (one parameter homotopy per
        sample from the generic set) run as one batch, the rest (redo, escalation, retries) per sample.

        Each sample's outcome is the one of ``self(data, seed)``: a path's steps do not depend on
        the others in its batch.  Batching is for throughput: a sample of few orbits fills a
        fraction of even the smallest batch, and its longest path keeps the batch busy while the
        others are done (Table 1 (3) dx = 3 dy = 2: 25 orbits per sample, 22% of the slot-steps
        useful alone, 78% with 20 samples in one batch; first passes 4.6x faster).
        ``info["solve_time_s"]``: the sample's share of the batch's tracking time (by its path
        steps) plus its own time after it."""
        if len(datas) != len(seeds):
            raise ValueError(f"{len(datas)} samples but {len(seeds)} seeds")
        for data in datas:
            if data.arch != self.arch:
                raise ValueError(f"solver built for {self.arch.label()}, got data for {data.arch.label()}")
        if not datas:
            return []
        firsts = self._first_passes(datas, seeds)
        out = []
        for data, seed, first in zip(datas, seeds, firsts):
            t0 = time.perf_counter()
            res = self._finish(data, int(seed), first)
            res.info["solve_time_s"] = round(first.time + time.perf_counter() - t0, 4)
            out.append(res)
        return out

    def _sample_options(self) -> TrackerOptions:
        # From a complete generic set a path only diverges if the sample is degenerate, while
        # near-degenerate samples have critical points of norm 1e4-1e5 (measured) that a path
        # approaches looking "diverging" for a while: the at-infinity norm test waits longer.
        inf_norm = max(self.options.infinity_norm, float(self.cfg.get("sample_infinity_norm", 1e8)))
        return self.options._replace(infinity_norm=inf_norm)

    def _first_passes(self, datas: list[NetworkData], seeds: list[int]) -> list[TrackResult]:
        """The first pass of each sample (one path per sign-flip orbit of the generic set, with its
        own γ), all in one grouped homotopy; split per sample, each with its share of the time."""
        g, om = self.generic, self.orbit_map
        first_opts = self._first_pass_options(self._sample_options(), om.norbits)
        R, K = om.norbits, len(datas)
        gammas = np.array([random_gamma(_sample_rng(s)) for s in seeds])
        h = parameter_homotopies(arch_system(self.arch), g.params, np.array([d.params for d in datas]), gammas,
                                 np.repeat(np.arange(K), R))
        r = track_padded(h, np.tile(g.solutions[om.rep], (K, 1)), first_opts,
                         batch_size=self.batch_size, steps_per_call=int(self.cfg.get("steps_per_call", 16)))
        steps = (r.nacc + r.nrej).reshape(K, R).sum(axis=1).astype(float)
        share = steps / steps.sum() if steps.sum() > 0 else np.full(K, 1.0 / K)
        return [dataclasses.replace(_select(r, np.arange(k * R, (k + 1) * R)), time=r.time * share[k],
                                    slot_steps=int(round(r.slot_steps * share[k]))) for k in range(K)]

    def _finish(self, data: NetworkData, seed: int, first: TrackResult) -> Result:
        """One sample from its first pass ``first`` (one row per sign-flip orbit)."""
        g = self.generic
        setup_time = self._setup_time if self._setup_pending else 0.0
        self._setup_pending = False
        rng = _sample_rng(seed)
        gamma = random_gamma(rng)  # (the first pass's: drawn again so that the retries' draws follow it)
        sysf = arch_system(self.arch)
        bs = self.batch_size
        spc = int(self.cfg.get("steps_per_call", 16))
        opts = self._sample_options()
        inf_norm = opts.infinity_norm
        h = parameter_homotopy(sysf, g.params, data.params, gamma)
        om = self.orbit_map
        # One path per sign-flip orbit; the flips commute with the homotopy (see .orbits).
        first_opts = self._first_pass_options(opts, om.norbits)
        paths = om.expand(first)
        # Endpoints the first pass reached at t = 0 but called SINGULAR (cond above singular_cond)
        # are mostly regular roots of near-degenerate samples: Newton with extended-precision
        # residuals settles them here, instead of the redo and the escalation re-tracking them.
        paths, refined_rows = self._refine_endpoints(paths, data)
        refined_x = paths.x[refined_rows].copy()
        redo = 0
        cheap = first_opts != opts
        if cheap:
            paths, redo = self._redo_on_route(paths, h, g.solutions[om.rep], opts, bs, spc)
        failed_first = paths.nfailed
        dup_first = len(duplicate_paths(paths))
        retried = 0
        kept_retry = False
        # Paths that double precision could not finish (ill-conditioned endpoints of
        # near-degenerate samples) are re-tracked on the SAME route (same γ: another γ
        # permutes which start reaches which root) with extended-precision residuals.
        # Paths whose steps collapsed mid-way (STEP_SIZE_TOO_SMALL is only raised outside the
        # endgame zone) met a near-singularity of this route, not an ill-conditioned root.
        # Some pass it in mixed precision within seconds (Table 2 (3,2,3) m=2 sample 14: 16 paths,
        # 6 s), others crawl there (sample 52: 8 orbits stuck at t = 0.18 and 0.25, 1066 s),
        # while another γ avoids it for one double-precision pass (~35 s there).  So they get
        # stage 1 only, within `mixed_precision_midway_time` (default 0 s: none), and the rest go
        # to the retries.
        midway = np.flatnonzero(paths.status == Status.STEP_SIZE_TOO_SMALL)
        first_rows = np.setdiff1d(self._flagged(paths), midway)
        paths, mixed = self._escalate(paths, g.solutions[om.rep], g.params, data, gamma, rows=first_rows)
        # Rows whose endpoint the escalation certified (extended-precision Newton converged).
        certified = np.zeros(len(paths.x), bool)
        # (unless redone since: a refined endpoint that coincided with another path's was re-tracked)
        kept = (paths.status[refined_rows] == Status.SUCCESS) & np.all(paths.x[refined_rows] == refined_x, axis=1)
        certified[refined_rows[kept]] = True
        certified[mixed.pop("certified_rows")] = True
        midway_time = float(self.cfg.get("mixed_precision_midway_time", 0.0))
        if len(midway) and midway_time > 0:
            paths, m_mid = self._escalate(paths, g.solutions[om.rep], g.params, data, gamma, rows=midway,
                                          max_time=midway_time, extended=False)
            certified[m_mid.pop("certified_rows")] = True
            _add_info(mixed, m_mid)
        # Distinct nonsingular start points must end at distinct finite points: failed paths,
        # paths at infinity and coinciding endpoints (path jumping) are re-tracked with a new γ
        # and the conservative preset.
        careful = preset("conservative", infinity_norm=inf_norm)

        def problems(r):
            # From a complete generic set a path to infinity means the sample is degenerate, or
            # (seen: 16 of 225 paths stalling at t ~ 0.01, Table 2 (2,3,2) sample 88) that this
            # parameter path passes close to a singularity: another γ / another line avoids it.
            bad = np.union1d(np.flatnonzero(r.status >= Status.MAX_STEPS), duplicate_paths(r))
            return np.union1d(bad, np.flatnonzero(r.status == Status.AT_INFINITY))

        bad = problems(paths)
        first_route = (paths, certified.copy())  # for the fallback below
        for attempt in range(int(self.cfg.get("retries", 3))):
            if len(bad) == 0:
                break
            # Failed paths or coinciding endpoints (path jumping, in either the flagged or another
            # path): re-track ALL paths carefully with a new γ; from the 2nd retry on via a random
            # generic intermediate parameter point (another complex line).  Keep the best attempt.
            # Like the first pass, each retry is a cheap pass (``first_opts``) whose failed or
            # coinciding orbits are redone on the retry's own route with the conservative preset:
            # those get exactly the conservative outcome, the others ended at distinct regular roots.
            retried += len(g.solutions)
            start, p_from, ok_orbits = g.solutions[om.rep], g.params, np.arange(om.norbits)
            if attempt > 0:
                p_mid = random_params(self.arch, rng)
                st1, x1 = transfer(self.arch, start, g.params, p_mid, first_opts if cheap else careful, rng=rng,
                                   batch_size=bs, steps_per_call=spc)
                ok_orbits = np.flatnonzero(st1 == Status.SUCCESS)
                start, p_from = x1[ok_orbits], p_mid
            gamma2 = random_gamma(rng)
            h2 = parameter_homotopy(sysf, p_from, data.params, gamma2)
            rr = track_padded(h2, start, first_opts if cheap else careful, batch_size=bs, steps_per_call=spc)
            rows = np.flatnonzero(np.isin(om.cls, ok_orbits))
            r2 = _merge(paths, rows, _select(om.expand(_scatter(rr, ok_orbits, om.norbits)), rows))
            starts = np.full((om.norbits, self.arch.N), np.nan + 0j)
            starts[ok_orbits] = start
            if cheap:
                r2, n = self._redo_on_route(r2, h2, starts, careful, bs, spc)
                redo += n
            bad2 = problems(r2)
            if len(bad2) < len(bad):
                paths, bad = r2, bad2
                certified[rows] = False  # re-tracked in double
                kept_retry = True
                # The kept retry's unfinished paths get the same extended-precision re-tracking
                # on its own route (seen: 1184 first-pass failures, too many to escalate, left 56
                # after the retries) at once, not after the last retry: when that settles every
                # path the retries stop here (Table 2 (3,2,3) m = 2 seed 37: the escalation
                # finished the 49 orbits that the first retry left, 10 s, where two more
                # retries with their conservative redos took ~90 s).  (_escalate returns at
                # once when every path is fine.)
                paths, m_r = self._escalate(paths, starts, p_from, data, gamma2)
                certified[m_r.pop("certified_rows")] = True
                _add_info(mixed, m_r)
                bad = problems(paths)
        if len(midway) and (not kept_retry or len(bad)):
            # No retry did better, or the kept one still has problems: the first route's mid-way
            # failures get the full escalation now, and the better of the two routes is kept.
            # (Seen: Table 2 (3) d_x = 3, d_y = 2, m = 2 seed 73, session 14: 4 orbits stuck
            # mid-way on the first route, the third retry left 2 orbits coinciding, fewer
            # problem paths, so it was kept and 8 solutions were lost; the first route's
            # escalation finishes those 4 orbits.)
            p1, c1 = first_route
            c1 = c1.copy()
            p1, mixed2 = self._escalate(p1, g.solutions[om.rep], g.params, data, gamma,
                                        rows=np.setdiff1d(self._flagged(p1), first_rows))
            c1[mixed2.pop("certified_rows")] = True
            _add_info(mixed, mixed2)
            if not kept_retry or len(problems(p1)) < len(bad):
                paths, certified = p1, c1
        dup_left = len(duplicate_paths(paths))
        rescued = 0
        if self.cfg.get("rescue_large", True):
            paths, rescued = _rescue_large(self.arch, paths, data.params, self.options)
        from ..endgame.finalize import resolve_multiplicity

        paths, promoted, demoted = resolve_multiplicity(paths, sysf.fn, data.params, self.options,
                                                        certified=certified, orbit_map=om)
        res = Result.from_paths(paths, {}, certified=certified)
        pats: dict[str, int] = {}
        tols = np.broadcast_to(res._tol(res.torus_tol), (len(res.solutions),))  # relative, per solution
        for p in patterns_of(self.arch, res.solutions, tols):
            pats[p] = pats.get(p, 0) + 1
        res.info.update({
            "solver": self.cfg.get("name", "monodromy"), "generic_method": g.meta.get("method", "monodromy"),
            "generic_paths": int(g.meta["paths"]), "generic_failed_paths": int(g.meta["failed_paths"]),
            "gamma_re": gamma.real, "gamma_im": gamma.imag, "seed": seed,
            "patterns": dict(sorted(pats.items(), reverse=True)),
            "heuristic_stop": g.heuristic_stop,
            "paths": int(paths.npaths), "failed_first_pass": int(failed_first),
            "sample_predictor": first_opts.predictor, "redo_orbits": int(redo), "retried_paths": int(retried),
            "duplicate_endpoints_first_pass": int(dup_first), "duplicate_endpoints_left": int(dup_left),
            "rescued_large_endpoints": int(rescued), "promoted_isolated": int(promoted),
            "refined_endpoints": int(len(refined_rows)),
            "mixed_precision_paths": mixed["paths"], "mixed_precision_success": mixed["success"],
            "orbits_tracked": int(self.orbit_map.norbits),
            "mixed_precision_time_s": mixed["time_s"],
            "extended_precision_paths": mixed["extended_paths"],
            "extended_precision_success": mixed["extended_success"],
            "extended_precision_time_s": mixed["extended_time_s"],
            "multiple_root_paths": int(demoted),
            "monodromy_loops": int(g.meta["monodromy_loops"]),
            "generic_N_C": int(g.meta["N_C"]), "generic_N_Cstar": int(g.meta["N_Cstar"]),
            "setup_time_s": round(setup_time, 3), "setup_from_cache": bool(self._from_cache),
            "track_time_s": round(paths.time, 4),
            "generic_strata": {k: v["n"] for k, v in g.meta["strata"].items()},
            "generic_reduced": _reduced_summary(g.meta),
        })
        return res

    def _extended_fns(self):
        """``(fn_mp, fn_flint)``: the gradient in extended precision with mpmath, and with FLINT's
        C when python-flint is installed (else None), for the escalation and the refinement."""
        from ..system.gradient import gradient_function_flint, gradient_function_mp

        try:
            fn_fl = gradient_function_flint(self.arch)
        except ImportError:
            fn_fl = None
        return gradient_function_mp(self.arch), fn_fl

    def _refine_endpoints(self, paths: TrackResult, data: NetworkData):
        """Rows that reached t = 0 as SINGULAR, refined by Newton at the target with residuals in
        ``dps`` digits and double Jacobians (iterative refinement, the escalation's last step),
        one orbit at a time on the host.  An orbit whose correction falls below 1e-20 relative
        at a scaled condition number below ``isolated_max_cond`` (1e14) ends at a regular root:
        its rows become SUCCESS (see :func:`~jaxhc.tracker.dd_tracker.refine_extended`).  Nothing else changes, so the checks that follow still see every
        coinciding endpoint (a path that jumped onto another one's root) and redo it.
        ``cfg["refine_endpoints_max"]`` (64) caps the orbits (more: none are refined, the
        escalation's business).  Returns (paths, rows turned SUCCESS)."""
        from ..tracker.dd_tracker import refine_extended

        om = self.orbit_map
        cap = int(self.cfg.get("refine_endpoints_max", 64))
        rows = np.flatnonzero((paths.status == Status.SINGULAR) & (paths.t_end == 0.0)
                              & np.all(np.isfinite(paths.x), axis=1))
        orb = np.unique(om.cls[rows])
        if len(rows) == 0 or len(orb) > cap:
            return paths, np.zeros(0, np.int64)
        fn_mp, fn_fl = self._extended_fns()
        sysf = arch_system(self.arch)
        rep = om.rep[orb]  # the representative's row holds the tracked endpoint (identity flip)
        xo = np.zeros((om.norbits, self.arch.N), np.complex128)
        res, sc = np.full(om.norbits, np.inf), np.full(om.norbits, np.inf)
        ok_o = np.zeros(om.norbits, bool)
        for o, r in zip(orb, rep):
            # sc: the scaled condition number at the refined point, as reported everywhere
            xo[o], ok_o[o], res[o], sc[o] = refine_extended(sysf.fn, fn_mp, fn_fl, paths.x[r], data.params,
                                                            max_cond=self.options.isolated_max_cond)
        good = rows[ok_o[om.cls[rows]]]
        if len(good) == 0:
            return paths, good
        st, X, R, C = paths.status.copy(), paths.x.copy(), paths.residual.copy(), paths.cond.copy()
        st[good], X[good], R[good], C[good] = Status.SUCCESS, om.images(xo, good), res[om.cls[good]], sc[om.cls[good]]
        return dataclasses.replace(paths, status=st, x=X, residual=R, cond=C), good

    def _redo_on_route(self, paths: TrackResult, h, starts: np.ndarray, opts: TrackerOptions, bs: int, spc: int):
        """Orbits whose cheap path did not end at its own regular root (not SUCCESS, or an
        endpoint shared with another path) are re-tracked on the same route ``h`` (same γ, so the
        same start reaches the same root) with ``opts``, in up to two rounds (a path that jumped
        onto a failed one only shows once that one is re-tracked).  Those paths then have exactly
        the outcome ``opts`` alone would have given; the rest of the pipeline (escalation,
        retries) sees them as before.  ``starts``: ``Complex[ndarray, "norbits N"]``, the route's
        start per orbit (NaN rows: orbits not on this route, left alone).
        Returns (paths, orbits re-tracked)."""
        om = self.orbit_map
        done = ~np.all(np.isfinite(starts), axis=1)
        n0 = int(done.sum())
        # A path that failed where its Jacobian's condition number was above ``redo_max_cond``
        # failed for lack of precision, not for the cheap predictor: a double-precision redo
        # crawls there for its whole step budget (Table 2 (3,2,3) m = 2 sample 3: 9 orbits, 9.4 s,
        # all failed again) and the escalation gets it anyway, so it goes there directly.
        max_cond = float(self.cfg.get("redo_max_cond", 1e10))
        for _ in range(2):
            failed = (paths.status != Status.SUCCESS) & ~(paths.cond > max_cond)
            rows = np.union1d(np.flatnonzero(failed), duplicate_paths(paths))
            orb = np.unique(om.cls[rows])
            orb = orb[~done[orb]]
            if len(orb) == 0:
                break
            # Few orbits, often thousands of steps each (near ill-conditioned roots): up to
            # ``redo_small_batch`` (8) of them run in a batch of 8, not padded to 64 (Table 2
            # (3,2,3) m = 2 seed 37: 7 orbits, 8,669 steps for the longest, 29.9 s in a batch of
            # 64); one size only, as each size is one more compilation per process and row.
            rr = track_padded(h, starts[orb], opts, batch_size=bs, steps_per_call=spc,
                              small_batch=int(self.cfg.get("redo_small_batch", 8)) or None)
            done[orb] = True
            rws = np.flatnonzero(np.isin(om.cls, orb))
            paths = _merge(paths, rws, _select(om.expand(_scatter(rr, orb, om.norbits)), rws))
        return paths, int(done.sum()) - n0

    def _loop_options(self) -> TrackerOptions:
        """Tracker options of the generic set's monodromy loops and transfers:
        ``cfg["generic_predictor"]`` (default ``"hermite"``) and ``cfg["generic_predictor_tol"]``
        (default 1e-3) override the preset's (None: keep them); see :func:`compute_generic_set`."""
        return _override(self.options, self.cfg.get("generic_predictor", "hermite"),
                         self.cfg.get("generic_predictor_tol", 1e-3), "generic_predictor")

    def _first_pass_options(self, opts: TrackerOptions, norbits: int = 0) -> TrackerOptions:
        """Tracker options of the per-sample first pass: ``cfg["sample_predictor"]`` (default
        ``"auto"``) and ``cfg["sample_predictor_tol"]`` (default 1e-3) override the preset's
        (None: keep the preset's).  Table 2 (3,2,3) m = 2, 3 samples, 1377 paths each
        (``benchmarks/bench_predictor.py``): RK4 at 1e-5 tracked 564k steps in 59.6 s, Hermite at
        1e-3 531k steps in 20.4 s (2.9x), with the same endpoints to 4e-13 on 4130 of 4131 paths.
        The 4th-order Taylor predictor (derivatives by Taylor-mode AD, session 10) takes 0.53-0.58
        of Hermite's steps, each ~1.7x dearer: 1.08-1.26x faster on Tables 1, 2 and 4 rows; but its
        tracker takes ~7 s to compile per batch shape against Hermite's ~3 s (N = 8), more than
        it saves on rows of a few hundred paths.  ``"auto"`` therefore picks ``"taylor4"`` when
        the generic set has at least :data:`AUTO_TAYLOR_MIN_ORBITS` sign-flip orbits (``norbits``,
        the paths per sample) and ``"hermite"`` below.

        The first pass can afford a cheap predictor because its mistakes are all detected:
        from a complete generic set every path must end at its own finite regular root, so a
        path that jumps onto another one leaves two coinciding endpoints (a jump that swaps two
        paths leaves the set intact).  Those, and every path that did not end in SUCCESS, are
        re-tracked on the same route with the preset's own options (:meth:`_redo_on_route`)
        before the escalation and the retries."""
        pred = self.cfg.get("sample_predictor", "auto")
        if pred == "auto":
            pred = "taylor4" if norbits >= AUTO_TAYLOR_MIN_ORBITS else "hermite"
        return _override(opts, pred, self.cfg.get("sample_predictor_tol", 1e-3), "sample_predictor")

    def _flagged(self, paths: TrackResult) -> np.ndarray:
        """Rows the escalation would re-track: not SUCCESS, coinciding, or close and ill-conditioned."""
        rows = np.union1d(np.flatnonzero(paths.status != Status.SUCCESS), duplicate_paths(paths))
        return np.union1d(rows, close_ill_conditioned(paths, self.options.endgame_singular_cond))

    def _escalate(self, paths: TrackResult, starts: np.ndarray, p_from: np.ndarray, data: NetworkData,
                  gamma: complex, rows: np.ndarray | None = None, max_time: float | None = None,
                  extended: bool = True):
        """Mixed-precision re-tracking of unfinished or coinciding paths on their own route.

        ``starts``: ``Complex[ndarray, "norbits N"]``, the route's start point per orbit (NaN rows:
        orbits that did not take this route, skipped); ``p_from``, ``gamma``: the route's start
        parameters and γ (the first pass: the generic set; a kept retry: its intermediate point);
        ``rows``: the rows to consider (default: :meth:`_flagged`); ``max_time``: stage-1 budget
        (default ``cfg["mixed_precision_max_time"]``); ``extended``: run stage 2 as well.

        From a complete generic set every path of a generic sample ends at its own
        regular root, so any path that did not (SINGULAR, AT_INFINITY, failed, or an
        endpoint shared with another path) is re-tracked along the same route with extended-precision
        residuals (stage 1: :func:`jaxhc.tracker.dd_tracker.track_dd`, all orbits in one jitted batch,
        or :func:`jaxhc.tracker.mixed_precision.track_mixed` with ``mixed_precision_backend="mpmath"``),
        at most ``cfg["mixed_precision_max_paths"]`` (128) orbits of them; then stage 2 (extended
        Jacobians, ``track_mixed(jacobian="auto")``) for the orbits stage 1 did not finish.  SUCCESS
        there (extended-precision Newton converged at t = 0) replaces the double-precision outcome.  Whatever is
        still wrong afterwards goes to the usual retries (first pass) or stays failed (after them).
        """
        from ..endgame.finalize import refine_padded
        from ..tracker.mixed_precision import track_mixed

        info = {"paths": 0, "success": 0, "time_s": 0.0, "extended_paths": 0, "extended_success": 0,
                "extended_time_s": 0.0, "certified_rows": np.zeros(0, int)}
        cap = int(self.cfg.get("mixed_precision_max_paths", 128))
        rows = self._flagged(paths) if rows is None else np.asarray(rows, int)
        om = self.orbit_map
        rows = rows[np.all(np.isfinite(starts[om.cls[rows]]), axis=1)]
        orbits_ = np.unique(om.cls[rows])  # one mixed-precision path per orbit
        if len(rows) == 0 or len(orbits_) > cap:
            return paths, info
        t0 = time.perf_counter()
        sysf = arch_system(self.arch)
        fn_mp, fn_fl = self._extended_fns()  # FLINT's C for the extended-precision Jacobians when installed
        budget = float(self.cfg.get("mixed_precision_max_time", 600.0)) if max_time is None else float(max_time)
        out = self._stage1(starts[orbits_], p_from, data, gamma, budget, fn_mp, fn_fl)
        # Second stage: roots with eps·cond > 1 (cond 4.8e16 at norm 7.4e5, measured on Table 2
        # (3,2,2) m=2 sample 37) are out of reach of a double Jacobian; the same route again with
        # Jacobians and tangents in extended precision and the on-path Hermite predictor.
        left = [k for k, o in enumerate(out) if o.status != Status.SUCCESS]
        ext_cap = int(self.cfg.get("extended_precision_max_paths", 64))
        ext_time = float(self.cfg.get("extended_precision_max_time", 1200.0))
        if extended and left and len(left) <= ext_cap and ext_time > 0:
            t1 = time.perf_counter()
            # A path that stage 1 handed over (ILL_CONDITIONED: its double Jacobian passed
            # give_up_cond at t_end) resumes at its last point on the route, which stage 1 had
            # converged in double-double: the path up to there needs no second tracking, and it is
            # the part where extended Jacobians are slowest for nothing.  The others start over.
            resume = [bool(self.cfg.get("extended_precision_resume", True)) and out[k].status == Status.ILL_CONDITIONED
                      for k in left]
            t_starts = [out[k].t_end if r else 1.0 for k, r in zip(left, resume)]
            x_mp = [out[k].x_mp if r else None for k, r in zip(left, resume)]
            out2 = track_mixed(sysf.fn, fn_mp, starts[orbits_[left]], p_from, data.params, gamma,
                               jacobian="auto", dps=50, max_time=ext_time, fn_flint=fn_fl,
                               t_starts=t_starts, x_mp_starts=x_mp)
            for k, o in zip(left, out2):
                if o.status == Status.SUCCESS:
                    out[k] = o
            info.update(extended_paths=len(left), extended_success=sum(o.status == Status.SUCCESS for o in out2),
                        extended_time_s=round(time.perf_counter() - t1, 3))
        ok_o = np.array([o.status == Status.SUCCESS for o in out])
        pos = np.searchsorted(orbits_, om.cls[rows])  # orbit of each flagged row, as an index into out
        ok = ok_o[pos]
        st, X, R, C = paths.status.copy(), paths.x.copy(), paths.residual.copy(), paths.cond.copy()
        if ok.any():
            xo = np.zeros((om.norbits, self.arch.N), np.complex128)
            xo[orbits_] = np.array([o.x for o in out])
            # Reported condition: the scaled one, as everywhere (refine_padded's last output; no Newton steps).
            sc = np.full(om.norbits, np.inf)
            sc[orbits_[ok_o]] = refine_padded(sysf.fn, xo[orbits_[ok_o]], data.params, 0)[5]
            C[rows[ok]] = sc[om.cls[rows[ok]]]
            st[rows[ok]], X[rows[ok]] = Status.SUCCESS, om.images(xo, rows[ok])
            R[rows[ok]] = [out[i].residual for i in pos[ok]]
        info.update(paths=int(len(rows)), success=int(ok.sum()), orbits=int(len(orbits_)), certified_rows=rows[ok],
                    time_s=round(time.perf_counter() - t0, 3))
        return dataclasses.replace(paths, status=st, x=X, residual=R, cond=C), info


    def _stage1(self, starts, p_from, data: NetworkData, gamma: complex, budget: float, fn_mp, fn_fl):
        """Stage 1 of the escalation: ``starts`` re-tracked on their route with double Jacobians and
        extended-precision residuals (see :meth:`_escalate`); one MixedPath per start."""
        sysf = arch_system(self.arch)
        give_up = self.cfg.get("mixed_precision_give_up_cond", 1e14)
        give_up = None if give_up is None else float(give_up)
        pred = self.cfg.get("mixed_precision_predictor", "hermite")
        if self.cfg.get("mixed_precision_backend", "double_double") == "double_double":
            # All orbits at once, in jit (jaxhc.tracker.dd_tracker).
            from ..tracker.dd_tracker import track_dd
            from ..tracker.double_double import gradient_function_dd

            return track_dd(sysf.fn, gradient_function_dd(self.arch), starts, p_from, data.params, gamma,
                            max_time=budget, give_up_cond=give_up, predictor=pred, fn_mp=fn_mp, fn_flint=fn_fl)
        from ..tracker.mixed_precision import track_mixed

        # "mpmath": one orbit at a time on the host, residuals with mpmath / FLINT
        return track_mixed(sysf.fn, fn_mp, starts, p_from, data.params, gamma, max_time=budget,
                           give_up_cond=give_up, predictor=pred, fn_flint=fn_fl)

    def precompile_escalation(self, data: NetworkData) -> float:
        """Compile the escalation's jitted double-double tracker (its one batch shape,
        :data:`jaxhc.tracker.dd_tracker.DD_BATCH` slots) by running it for one call of steps,
        results thrown away: it fills the persistent compilation cache, so the processes that
        later meet a near-degenerate sample of this architecture load it (4-20 s otherwise, in
        every process).  No-op for the ``mpmath`` backend.  Returns seconds spent."""
        if self.cfg.get("mixed_precision_backend", "double_double") != "double_double":
            return 0.0
        from ..system.gradient import gradient_function_mp

        t0 = time.perf_counter()
        starts = self.generic.solutions[self.orbit_map.rep]
        # budget 0: one jitted call of steps, then every path stops (MAX_STEPS, no refinement)
        self._stage1(starts[:1], self.generic.params, data, 1j, 0.0, gradient_function_mp(self.arch), None)
        return time.perf_counter() - t0


def _sample_rng(seed: int) -> np.random.Generator:
    """A sample's own random stream: its γ first (the first pass's), then its retries' draws."""
    return np.random.default_rng((int(seed), 11))


def _override(opts: TrackerOptions, pred, tol, key: str) -> TrackerOptions:
    """``opts`` with predictor ``pred`` and ``predictor_tol`` ``tol`` (None: unchanged); ``key``
    names the config entries in error messages."""
    if pred is not None:
        if pred not in PREDICTORS:
            raise ValueError(f"{key} must be one of {PREDICTORS}, got {pred!r}")
        opts = opts._replace(predictor=str(pred))
    if tol is not None:
        if not 0 < float(tol) < opts.max_correction:
            raise ValueError(f"{key}_tol must be in (0, max_correction = {opts.max_correction}), got {tol}")
        opts = opts._replace(predictor_tol=float(tol))
    return opts


def _add_info(into: dict, more: dict) -> None:
    """Add the counters of a second :meth:`MonodromySolver._escalate` call to the first's."""
    for k in ("paths", "success", "time_s", "extended_paths", "extended_success", "extended_time_s"):
        into[k] = round(into[k] + more[k], 3)


def _reduced_summary(meta: dict) -> dict:
    """Per reduced network of a generic set: torus count and what certifies it (bound, trace, empty, or None)."""
    out = {}
    for k, v in (meta.get("reduced") or {}).items():
        by = v.get("certified_by", "empty" if v.get("empty") else "bound" if v.get("certified") else None)
        out[k] = {"n": v.get("n"), "certified_by": by}
        if by is None and "longest_quiet_before_new" in v:
            out[k]["longest_quiet_before_new"] = v["longest_quiet_before_new"]  # the heuristic stop's margin
        if "trace" in v:
            out[k]["trace"] = v["trace"]["trace"]
    return out


def _rescue_large(arch, paths: TrackResult, p, opts, iters: int = 8):
    """Paths from finite nonsingular generic solutions classified AT_INFINITY (or failed) whose
    endpoint is a huge but finite solution (e.g. |w| ~ 1e4 when two λ's nearly coincide): accept
    when Newton on the target converges in place and the row/column-scaled Jacobian is well
    conditioned.  (The unscaled condition number of such points exceeds ``singular_cond``.)"""
    from ..endgame.finalize import refine_padded

    cand = np.flatnonzero((paths.status == Status.AT_INFINITY) | (paths.status >= Status.MAX_STEPS))
    cand = cand[np.all(np.isfinite(paths.x[cand]), axis=1)] if len(cand) else cand
    if len(cand) == 0:
        return paths, 0
    x = paths.x[cand]
    xr, last, res, _, _, scond = refine_padded(arch_system(arch).fn, x, p, iters)
    scale = np.maximum(1.0, np.max(np.abs(xr), axis=1))
    ok = (np.isfinite(last) & (last <= 1e-10 * scale) & (res <= 1e-8 * scale**3)
          & (np.max(np.abs(xr - x), axis=1) <= 1e-4 * scale) & (scond <= opts.singular_cond))
    st, X, R, C = paths.status.copy(), paths.x.copy(), paths.residual.copy(), paths.cond.copy()
    i = cand[ok]
    st[i], X[i], R[i], C[i] = Status.SUCCESS, xr[ok], res[ok], scond[ok]
    n = int(ok.sum())
    if n == 0:
        return paths, 0
    return dataclasses.replace(paths, status=st, x=X, residual=R, cond=C), n


def close_ill_conditioned(paths: TrackResult, max_cond: float, rtol: float = 1e-4) -> np.ndarray:
    """Rows of SUCCESS endpoints within ``rtol`` of another one where the condition number
    exceeds ``max_cond``: in double precision a double root and two distinct close roots look
    alike there (seen: Table 2 (3,2,3) m=2 sample 37, pairs 1.01e-4 apart, cond ~1e13, which
    :func:`~jaxhc.endgame.finalize.resolve_multiplicity` would call 32 double roots), so they
    go to the precision escalation, which tells them apart."""
    from ..solutions.dedup import cluster_labels

    ok = np.flatnonzero((paths.status[paths.index] == Status.SUCCESS) & np.all(np.isfinite(paths.x), axis=1))
    if len(ok) < 2:
        return np.zeros(0, np.int64)
    lab = cluster_labels(paths.x[ok], rtol)
    size = np.bincount(lab, minlength=len(lab))[lab]
    worst = np.zeros(len(lab))
    np.maximum.at(worst, lab, np.where(np.isfinite(paths.cond[ok]), paths.cond[ok], np.inf))
    return ok[(size > 1) & (worst[lab] > max_cond)]


def duplicate_paths(paths: TrackResult, rtol: float = 1e-6) -> np.ndarray:
    """Indices of SUCCESS paths whose endpoint coincides with another SUCCESS endpoint."""
    return paths.index[coinciding(paths.x, paths.status[paths.index] == Status.SUCCESS, rtol)]


def _scatter(r: TrackResult, at: np.ndarray, size: int) -> TrackResult:
    """A keep="all" result over ``size`` slots with ``r``'s paths at ``at`` (others: failed, never read)."""
    st = np.full(size, Status.MAX_STEPS, r.status.dtype)
    nacc, nrej, t_end = np.zeros(size, r.nacc.dtype), np.zeros(size, r.nrej.dtype), np.ones(size)
    x = np.zeros((size, r.x.shape[1]), r.x.dtype)
    res, cond = np.full(size, np.inf), np.full(size, np.inf)
    st[at], nacc[at], nrej[at], t_end[at], x[at], res[at], cond[at] = r.status, r.nacc, r.nrej, r.t_end, r.x, r.residual, r.cond
    return TrackResult(st, nacc, nrej, t_end, np.arange(size), x, res, cond, r.time, r.slot_steps)


def _select(r: TrackResult, rows: np.ndarray) -> TrackResult:
    """The paths ``rows`` of a keep="all" result."""
    return TrackResult(r.status[rows], r.nacc[rows], r.nrej[rows], r.t_end[rows], np.arange(len(rows)), r.x[rows],
                       r.residual[rows], r.cond[rows], r.time, r.slot_steps)


def _merge(a: TrackResult, rows: np.ndarray, b: TrackResult) -> TrackResult:
    """``a`` (keep="all") with the paths ``rows`` replaced by the retry ``b`` (keep="all")."""
    st, nacc, nrej, t_end = a.status.copy(), a.nacc.copy(), a.nrej.copy(), a.t_end.copy()
    x, res, cond = a.x.copy(), a.residual.copy(), a.cond.copy()
    st[rows], t_end[rows], x[rows], res[rows], cond[rows] = b.status, b.t_end, b.x, b.residual, b.cond
    nacc[rows] += b.nacc
    nrej[rows] += b.nrej
    return TrackResult(st, nacc, nrej, t_end, a.index, x, res, cond, a.time + b.time, a.slot_steps + b.slot_steps)
