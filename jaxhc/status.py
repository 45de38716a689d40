"""Path status codes.  The first terminal status a path reaches sticks."""

from __future__ import annotations

import enum

__all__ = ["Status"]


class Status(enum.IntEnum):
    """Per-path status codes carried in the tracker state.

    ``TRACKING`` while a path is in flight; every other code is terminal.
    ``SUCCESS``: converged to a finite nonsingular solution of the target.
    ``SINGULAR``: converged to a finite point where the Jacobian is singular.
    ``AT_INFINITY``: the path diverges (endgame valuation / norm test).
    The remaining codes are failures, reported and counted, never dropped.
    """

    TRACKING = 0
    SUCCESS = 1
    SINGULAR = 2
    AT_INFINITY = 3
    ENDGAME = 4  # internal: tracking stopped near t = 0; the endgame classifies it
    MAX_STEPS = 5
    STEP_SIZE_TOO_SMALL = 6
    NONFINITE = 7
    ENDPOINT_NOT_CONVERGED = 8
    ILL_CONDITIONED = 9  # mixed precision: the double Jacobian passed ``give_up_cond`` (left to a later stage)

    @property
    def is_success(self) -> bool:
        return self == Status.SUCCESS

    @property
    def is_failure(self) -> bool:
        return self >= Status.MAX_STEPS

    @property
    def is_finite(self) -> bool:
        return self in (Status.SUCCESS, Status.SINGULAR)
