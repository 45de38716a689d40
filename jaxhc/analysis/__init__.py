"""Analysis of computed critical points: Section 4 zero patterns and real-point classification.

Pure numpy/jax (no hydra): usable from experiments/report.py and from notebooks.
"""

from .real_points import classify_real_points, hessian_eigs, real_loss
from .section4 import (
    CLAIMS,
    check_point,
    check_points,
    dead_neurons,
    pattern_picture,
    possible_types,
    type_counts,
    type_label,
    zero_mask,
)

__all__ = [
    "CLAIMS", "check_point", "check_points", "classify_real_points", "dead_neurons", "hessian_eigs",
    "pattern_picture", "possible_types", "real_loss", "type_counts", "type_label", "zero_mask",
]
