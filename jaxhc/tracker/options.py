"""Tracker settings and named presets (default, fast, conservative)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["TrackerOptions", "preset", "PRESETS"]


class TrackerOptions(NamedTuple):
    """Step control, corrector and endgame settings.

    All error measures are relative: ``‖Δx‖_∞ / max(1, ‖x‖_∞)``.

    Only ``predictor`` is compiled into the tracker's kernels; the other fields enter them as
    traced scalars (:func:`jaxhc.tracker.core.split_options`), so changing a tolerance reuses
    the compiled tracker.

    Attributes:
        max_steps: steps (accepted + rejected) before a path fails with MAX_STEPS.
        initial_step: first step size in t.
        max_step: largest step size in t.
        min_step: smallest step size outside the endgame zone (STEP_SIZE_TOO_SMALL below it).
        predictor_tol: target size of the first Newton correction (sets the step size).
        max_correction: a first Newton correction larger than this rejects the step,
            which keeps the corrector inside its basin and prevents path jumping.
        contraction: the second Newton correction must be below this times the first...
        accuracy_floor: ...or below this (relative): the corrector has converged.  Near
            badly scaled solutions the corrections stall at the rounding noise of the
            linear solve (~1e-9 relative, measured), where "contract" cannot hold; a first
            correction above ``max_correction`` still rejects, so this does not admit jumps.
        endgame_start: t below which the endgame watches valuations and norms, and the
            tracker steps in log t.
        log_endgame: diverging paths (a valuation below ``-infinity_valuation``) step in
            log t inside the endgame zone (False: always in t, the old behaviour).
        max_log_step: largest step in log t inside the endgame zone.
        min_log_step: a step in log t below this stops tracking inside the endgame zone
            (the endgame then classifies the path).
        infinity_valuation: a coordinate whose valuation ν = d log|x_i| / d log t stays
            below minus this is diverging.
        valuation_stable: largest |dν / dlog t| between consecutive endgame
            estimates that counts as "stable" (keep it below infinity_valuation).
        infinity_norm: a diverging coordinate must also exceed this in modulus.
        hard_infinity_norm: in the endgame zone, a norm above this is at infinity.
        infinity_checks: consecutive endgame steps the valuation test must pass.
        endgame_min_t: tracking stops at this t if t = 0 was not reached; the
            endpoint is then classified (singular or at infinity) or failed.
        singular_cond: condition number above which a finite endpoint is singular.
        isolated_max_cond: ...unless it is the end of exactly one path (a simple root,
            see :func:`jaxhc.endgame.finalize.resolve_multiplicity`) and below this.
        endgame_singular_cond: a path that stopped short of t = 0 (and is not
            diverging) is singular when the condition number at its last point exceeds this.
        predictor: ``"rk4"`` (three extra Jacobians and solves per step) or ``"hermite"``
            (cubic extrapolation through the last two accepted points and tangents: no
            extra Jacobian, so a step costs 2 Jacobians and solves instead of 5).
    """

    max_steps: int = 3000
    initial_step: float = 0.05
    max_step: float = 0.1
    min_step: float = 1e-13
    predictor_tol: float = 1e-5
    max_correction: float = 1e-2
    contraction: float = 0.25
    accuracy_floor: float = 1e-8
    endgame_start: float = 0.1
    log_endgame: bool = True
    max_log_step: float = 2.0
    min_log_step: float = 1e-9
    infinity_valuation: float = 0.05
    valuation_stable: float = 0.01
    infinity_norm: float = 1e4
    hard_infinity_norm: float = 1e10
    infinity_checks: int = 3
    endgame_min_t: float = 1e-14
    singular_cond: float = 1e10
    isolated_max_cond: float = 1e14
    endgame_singular_cond: float = 1e4
    predictor: str = "rk4"


PREDICTORS = ("rk4", "hermite", "taylor3", "taylor4")
MIXED_PREDICTORS = ("rk4", "hermite")  # the double-double tracker of the escalation has no Taylor predictor

PRESETS = {
    "default": TrackerOptions(),
    "fast": TrackerOptions(predictor_tol=1e-4, max_correction=5e-2, max_step=0.2),
    "conservative": TrackerOptions(predictor_tol=1e-7, max_correction=1e-3, max_step=0.05,
                                   initial_step=0.01, infinity_checks=5, max_steps=20000),
}


def preset(name: str = "default", **overrides) -> TrackerOptions:
    """A named preset, with field overrides; unknown names raise ``ValueError``."""
    if name not in PRESETS:
        raise ValueError(f"unknown tracker preset {name!r}; choose from {sorted(PRESETS)}")
    fields = TrackerOptions._fields
    bad = [k for k in overrides if k not in fields]
    if bad:
        raise ValueError(f"unknown tracker options {bad}; valid: {fields}")
    if overrides.get("predictor", "rk4") not in PREDICTORS:
        raise ValueError(f"unknown predictor {overrides['predictor']!r}; choose from {PREDICTORS}")
    return PRESETS[name]._replace(**overrides)
