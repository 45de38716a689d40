"""Monodromy solver: generic complex critical points stratum by stratum, then one
parameter homotopy per sample (issue 5)."""

from .core import MonodromyResult, monodromy_solve, start_pair
from .solver import GenericSet, MonodromySolver, compute_generic_set

__all__ = ["GenericSet", "MonodromyResult", "MonodromySolver", "compute_generic_set", "monodromy_solve",
           "start_pair"]
