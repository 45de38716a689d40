"""Per-solve results: distinct solutions with their counts, residuals and conditions."""

from __future__ import annotations

import dataclasses

import numpy as np

from ..status import Status
from ..tracker.stream import TrackResult

__all__ = ["Result"]


@dataclasses.dataclass
class Result:
    """The outcome of :func:`jaxhc.solve`.

    Attributes:
        solutions: ``Complex[ndarray, "k n"]`` distinct finite nonsingular solutions.
        residuals: ``‖F(x)‖_∞`` per solution.
        conds: condition number of ``F'(x)`` per solution.
        paths: the per-path :class:`TrackResult` (status code of every path).
        singular_points: distinct singular endpoints (tracker estimates).
        torus_tol: a coordinate with ``|x_i| <= torus_tol · max(1, ‖x‖_∞)`` counts as zero.
        real_tol: a solution with ``max |Im x_i| <= real_tol · max(1, ‖x‖_∞)`` is real.
        info: how the solve was run (start system, γ, seed, timings).
        certified: ``Bool[ndarray, "k"]`` or None: solutions whose extended-precision Newton
            iteration converged below 1e-20 relative (the precision escalation).  Their
            coordinates are known far better than a double endpoint's, so both tests above use
            ``certified_tol`` (1e-14) for them: near-degenerate samples have torus roots of norm
            1e6 with a coordinate of 2e-3 (Table 2 (3,2,3) m=2 sample 26), which the double
            tolerance 1e-8 · ‖x‖ would call zero.
    """

    solutions: np.ndarray
    residuals: np.ndarray
    conds: np.ndarray
    paths: TrackResult
    singular_points: np.ndarray
    torus_tol: float = 1e-8
    real_tol: float = 1e-8
    info: dict = dataclasses.field(default_factory=dict)
    certified: np.ndarray | None = None
    certified_tol: float = 1e-14

    def _scale(self, x):
        return np.maximum(1.0, np.max(np.abs(x), axis=1)) if len(x) else np.zeros(0)

    def _tol(self, tol: float) -> np.ndarray | float:
        """Relative tolerance per solution: ``tol``, or ``certified_tol`` where certified."""
        if self.certified is None:
            return tol
        return np.where(np.asarray(self.certified, bool), self.certified_tol, tol)

    def zero_tol(self) -> np.ndarray:
        """Per solution, the absolute size below which a coordinate counts as zero."""
        return self._tol(self.torus_tol) * self._scale(self.solutions)

    @property
    def is_real(self) -> np.ndarray:
        x = self.solutions
        return np.max(np.abs(x.imag), axis=1) <= self._tol(self.real_tol) * self._scale(x) if len(x) else np.zeros(0, bool)

    @property
    def in_torus(self) -> np.ndarray:
        x = self.solutions
        return np.min(np.abs(x), axis=1) > self.zero_tol() if len(x) else np.zeros(0, bool)

    @property
    def nsolutions(self) -> int:
        """N_C: distinct finite nonsingular solutions."""
        return len(self.solutions)

    @property
    def ntorus(self) -> int:
        """N_C*: solutions with no zero coordinate."""
        return int(self.in_torus.sum())

    @property
    def nreal(self) -> int:
        """N_R: real solutions."""
        return int(self.is_real.sum())

    @property
    def real_solutions(self) -> np.ndarray:
        return self.solutions[self.is_real].real

    @property
    def nsingular(self) -> int:
        """Distinct singular endpoints."""
        return len(self.singular_points)

    @property
    def nat_infinity(self) -> int:
        return self.paths.count(Status.AT_INFINITY)

    @property
    def nfailed(self) -> int:
        return self.paths.nfailed

    @property
    def npaths(self) -> int:
        return self.paths.npaths

    @property
    def is_success(self) -> bool:
        """No path failed."""
        return self.nfailed == 0

    def summary(self) -> dict:
        return {
            "N_C": self.nsolutions, "N_Cstar": self.ntorus, "N_R": self.nreal,
            "singular": self.nsingular, "at_infinity": self.nat_infinity, "failed": self.nfailed,
            "paths": self.npaths,
            "max_residual": float(self.residuals.max()) if len(self.residuals) else 0.0,
            "max_cond": float(self.conds.max()) if len(self.conds) else 0.0,
            **{k: v for k, v in self.info.items() if isinstance(v, (int, float, str, bool))},
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"Result(N_C={s['N_C']}, N_C*={s['N_Cstar']}, N_R={s['N_R']}, singular={s['singular']}, "
                f"at_infinity={s['at_infinity']}, failed={s['failed']}, paths={s['paths']})")

    @classmethod
    def from_paths(cls, paths: TrackResult, info=None, rtol: float = 1e-6, certified=None, **kw) -> "Result":
        """Distinct SUCCESS endpoints of ``paths``; ``certified``: ``Bool[ndarray, "rows of paths.x"]``."""
        from .dedup import unique_points

        st = paths.status[paths.index]
        ok = st == Status.SUCCESS
        xs, res, cond = paths.x[ok], paths.residual[ok], paths.cond[ok]
        keep = unique_points(xs, rtol)
        sing = paths.x[st == Status.SINGULAR]
        # Singular endpoints are only approximations: merge them loosely.
        sing = sing[unique_points(sing, 1e-3)] if len(sing) else sing
        cert = None if certified is None else np.asarray(certified, bool)[ok][keep]
        return cls(xs[keep], res[keep], cond[keep], paths, sing, info=dict(info or {}), certified=cert, **kw)
