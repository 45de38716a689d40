"""Root-count bounds: exact mixed volumes, affine BKK bound and mixed cells."""

from .mixed_volume import (
    DEFAULT_METHOD,
    DegenerateLifting,
    MixedCell,
    add_origin,
    affine_bkk,
    mixed_cells,
    mixed_volume,
)

__all__ = ["MixedCell", "DegenerateLifting", "DEFAULT_METHOD", "add_origin", "affine_bkk", "mixed_cells",
           "mixed_volume"]
