"""Root-count bounds: exact mixed volumes, affine BKK bound and mixed cells."""

from .mixed_volume import MixedCell, DegenerateLifting, add_origin, affine_bkk, mixed_cells, mixed_volume

__all__ = ["MixedCell", "DegenerateLifting", "add_origin", "affine_bkk", "mixed_cells", "mixed_volume"]
