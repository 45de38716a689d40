"""Path-jumping repair: re-track paths that ended on the same nonsingular solution.

For a generic homotopy each nonsingular solution is the end of exactly one
path, so two SUCCESS paths with the same endpoint prove that one of them
jumped — and some other solution may have been missed.  Those paths are
tracked again with tighter step control (as HomotopyContinuation.jl does);
every rerun is recorded in the result.
"""

from __future__ import annotations

import numpy as np

from ..solutions.dedup import cluster_labels
from ..status import Status
from .options import TrackerOptions
from .stream import TrackResult, track

__all__ = ["rerun_duplicates", "tightened"]


def tightened(opts: TrackerOptions, level: int) -> TrackerOptions:
    """Options ``level`` times stricter: 100x smaller predictor tolerance per level."""
    f = 10.0 ** (2 * level)
    return opts._replace(predictor_tol=opts.predictor_tol / f, max_correction=opts.max_correction / 10**level,
                         max_step=opts.max_step / 2**level, initial_step=opts.initial_step / 2**level,
                         max_steps=opts.max_steps * 4**level)


def duplicated_paths(paths: TrackResult, rtol: float = 1e-6) -> np.ndarray:
    """Path indices whose SUCCESS endpoint is shared with another path."""
    ok = paths.status[paths.index] == Status.SUCCESS
    ids, xs = paths.index[ok], paths.x[ok]
    if len(ids) < 2:
        return np.zeros(0, np.int64)
    lab = cluster_labels(xs, rtol)
    counts = np.bincount(lab, minlength=len(lab))
    return np.sort(ids[counts[lab] > 1])


def rerun_duplicates(homotopy, starts, paths: TrackResult, opts: TrackerOptions, rounds: int = 2,
                     **track_kw) -> tuple[TrackResult, int]:
    """Re-track duplicated paths with :func:`tightened` options, up to ``rounds`` times.

    Returns the merged result and the number of paths re-tracked.
    """
    rerun = 0
    for level in range(1, rounds + 1):
        dup = duplicated_paths(paths)
        if len(dup) == 0:
            break
        rerun += len(dup)
        new = track(homotopy, np.asarray(starts[dup]), tightened(opts, level), keep="all", **track_kw)
        paths = _merge(paths, dup, new)
    return paths, rerun


def _merge(paths: TrackResult, ids: np.ndarray, new: TrackResult) -> TrackResult:
    status, nacc, nrej, t_end = (a.copy() for a in (paths.status, paths.nacc, paths.nrej, paths.t_end))
    status[ids], nacc[ids], nrej[ids], t_end[ids] = new.status, paths.nacc[ids] + new.nacc, \
        paths.nrej[ids] + new.nrej, new.t_end
    keep_old = ~np.isin(paths.index, ids)
    keep_new = new.status != Status.AT_INFINITY
    index = np.concatenate([paths.index[keep_old], ids[keep_new]])
    order = np.argsort(index)
    cat = lambda a, b: np.concatenate([a[keep_old], b[keep_new]])[order]
    return TrackResult(status, nacc, nrej, t_end, index[order], cat(paths.x, new.x),
                       cat(paths.residual, new.residual), cat(paths.cond, new.cond),
                       paths.time + new.time, paths.slot_steps + new.slot_steps)
