"""Root-count bounds of one architecture: N, CBB, affine BKK (and B_C, B_C* for H = m = 1).

    python experiments/bounds.py arch=h1_d3 arch.dx=4 arch.dy=2

Prints the bounds and writes ``bounds.json`` into hydra's output directory.
"""

import json
import pathlib
import sys
import time

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout

from jaxhc.bounds import affine_bkk  # noqa: E402
from jaxhc.system.gradient import supports  # noqa: E402
from jaxhc.system.network import Architecture  # noqa: E402

# config.yaml's hydra.run.dir uses these resolvers
OmegaConf.register_new_resolver("len", lambda x: len(x), replace=True)
OmegaConf.register_new_resolver("join", lambda x: "-".join(map(str, x)), replace=True)


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> dict:
    a = Architecture(tuple(cfg.arch.widths), int(cfg.arch.dx), int(cfg.arch.dy), int(cfg.arch.m))
    t0 = time.perf_counter()
    sups = supports(a)
    t1 = time.perf_counter()
    bkk = affine_bkk(sups)
    t2 = time.perf_counter()
    out = {
        "arch": a.label(),
        "H": a.H,
        "widths": list(a.widths),
        "dx": a.dx,
        "dy": a.dy,
        "m": a.m,
        "N": a.N,
        "CBB": a.cbb,
        "BKK": bkk,
        "time": t2 - t0,
        "time_supports": t1 - t0,
        "time_mixed_volume": t2 - t1,
    }
    if a.theorem5_bounds is not None:
        out["B_C"], out["B_Cstar"] = a.theorem5_bounds
    path = pathlib.Path(HydraConfig.get().runtime.output_dir) / "bounds.json"
    path.write_text(json.dumps(out, indent=2))
    print(json.dumps(out, indent=2))
    print(f"wrote {path}")
    return out


if __name__ == "__main__":
    main()
