"""Glue between hydra configs and jaxhc: architectures, solvers, paper lookup, output files."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from jaxhc import Architecture

REFERENCE = Path(__file__).parent / "reference" / "paper_tables.csv"

OmegaConf.register_new_resolver("len", lambda x: len(x), replace=True)
OmegaConf.register_new_resolver("join", lambda x: "-".join(map(str, x)), replace=True)


def _paper_arch(table, row, field):
    """Architecture field of a row of the paper's tables (sizes only, for sweeps)."""
    with open(REFERENCE) as f:
        rows = [r for r in csv.DictReader(f) if int(r["table"]) == int(table)]
    if not 0 <= int(row) < len(rows):
        raise ValueError(f"table {table} has rows 0..{len(rows) - 1}, got row={row}")
    r = rows[int(row)]
    if field == "widths":
        return [int(r["d_i"])] * int(r["H"])
    return int(r[field])


OmegaConf.register_new_resolver("paper_arch", _paper_arch, replace=True)


def arch_from_cfg(cfg) -> Architecture:
    a = cfg.arch
    widths = list(a.widths) if OmegaConf.is_list(a.widths) or isinstance(a.widths, (list, tuple)) else [a.widths]
    return Architecture(tuple(widths), a.dx, a.dy, a.m)


def paper_rows(arch: Architecture) -> list[dict]:
    """Published rows of Tables 1-4 for this architecture (comparison only, never used as results)."""
    if len(set(arch.widths)) != 1 or arch.H > 2:
        return []
    out = []
    with open(REFERENCE) as f:
        for row in csv.DictReader(f):
            if (int(row["H"]), int(row["m"]), int(row["d_i"]), int(row["d_x"]), int(row["d_y"])) == (
                    arch.H, arch.m, arch.widths[0], arch.dx, arch.dy):
                out.append({k: (int(v) if v not in ("", None) else None) for k, v in row.items()})
    return out


def output_dir() -> Path:
    from hydra.core.hydra_config import HydraConfig

    return Path(HydraConfig.get().runtime.output_dir)


def write_json(path: Path, obj) -> None:
    """Atomic write, so an interrupted run never leaves a half-written file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2, default=_jsonable)
    os.replace(tmp, path)


def _jsonable(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, complex):
        return [o.real, o.imag]
    raise TypeError(type(o))
