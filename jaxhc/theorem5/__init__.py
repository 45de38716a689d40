"""Theorem-5 solver for H = 1, m = 1: all complex critical points with at most B_C = (1 + 4p)^d paths.

See :mod:`jaxhc.theorem5.wu` for the junk-free (w, u) formulation (default) and
why its linear-product homotopy is complete, and :mod:`jaxhc.theorem5.reduced7`
for the paper's eq. (7) route.
"""

from .solver import Theorem5Solver, refine_candidates, row_pattern
from .wu import lift, wu_path_count, wu_start_points, wu_start_system, wu_system

__all__ = ["Theorem5Solver", "lift", "refine_candidates", "row_pattern", "wu_path_count", "wu_start_points",
           "wu_start_system", "wu_system"]
