"""Thin incremental LP wrapper around the HiGHS solver bundled with scipy.

The mixed-cell search solves many tiny, closely related feasibility LPs
(a child node differs from its parent by two tightened row bounds), so
re-solving one persistent model with a warm-started dual simplex is one or
two orders of magnitude faster than calling ``scipy.optimize.linprog``.
"""

from __future__ import annotations

import numpy as np

try:  # scipy >= 1.15 ships the highspy core under a private name
    from scipy.optimize._highspy._core import HighsModelStatus, _Highs
except ImportError:  # pragma: no cover - fall back to a standalone highspy
    from highspy import Highs as _Highs  # type: ignore
    from highspy import HighsModelStatus  # type: ignore

_INF = 1e30  # HiGHS treats |bound| >= 1e20 as infinite


class FeasibilityLP:
    """Persistent LP ``lower <= A x <= upper`` over free columns (zero objective)."""

    def __init__(self, ncols: int):
        self.h = _Highs()
        h = self.h
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")  # presolve defeats warm starts on tiny LPs
        h.addVars(ncols, np.full(ncols, -_INF), np.full(ncols, _INF))
        self.ncols = ncols
        self.nrows = 0
        self._optimal = HighsModelStatus.kOptimal

    def add_rows(self, A: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> int:
        """Append dense rows ``A (r, ncols)``; returns the index of the first new row."""
        A = np.asarray(A, dtype=np.float64)
        r = A.shape[0]
        nz_r, nz_c = np.nonzero(A)
        starts = np.searchsorted(nz_r, np.arange(r)).astype(np.int32)
        self.h.addRows(r, np.asarray(lower, float), np.asarray(upper, float), len(nz_c),
                       starts, nz_c.astype(np.int32), A[nz_r, nz_c])
        first = self.nrows
        self.nrows += r
        return first

    def pop_rows(self, r: int) -> None:
        """Delete the last ``r`` rows."""
        idx = np.arange(self.nrows - r, self.nrows, dtype=np.int32)
        self.h.deleteRows(r, idx)
        self.nrows -= r

    def set_bounds(self, row: int, lo: float, up: float) -> None:
        self.h.changeRowBounds(int(row), float(lo), float(up))

    def feasible(self) -> bool:
        self.h.run()
        return self.h.getModelStatus() == self._optimal

    def solution(self) -> np.ndarray:
        return np.array(self.h.getSolution().col_value)
