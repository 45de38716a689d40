"""jaxhc: batched homotopy continuation in JAX (complex128), for the complex
critical points of regularized deep linear networks.

Pipeline: system → homotopy → start system → tracker → endgame → solutions.
"""

from .homotopy.base import Homotopy, parameter_homotopy, random_gamma, straight_line
from .solutions.result import Result
from .solve import solve
from .start.total_degree import TotalDegreeStarts, total_degree_system
from .status import Status
from .system.gradient import gradient_sympy, gradient_system, loss
from .system.network import Architecture, NetworkData, sample_data
from .system.system import System, from_sympy, polynomial_system
from .tracker.options import TrackerOptions, preset
from .tracker.stream import TrackResult, track

__all__ = [
    "Architecture", "Homotopy", "NetworkData", "Result", "Status", "System", "TotalDegreeStarts",
    "TrackResult", "TrackerOptions", "from_sympy", "gradient_sympy", "gradient_system", "loss",
    "parameter_homotopy", "polynomial_system", "preset", "random_gamma", "sample_data", "solve",
    "straight_line", "total_degree_system", "track",
]
__version__ = "0.1.0"
