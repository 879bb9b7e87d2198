"""Our own solver status, so callers never depend on CP-SAT's enum.

Infeasible is a status, not an exception.
"""

from __future__ import annotations

from enum import Enum

from ortools.sat.python import cp_model


class Status(str, Enum):
    OPTIMAL = "OPTIMAL"  # proven optimal
    FEASIBLE = "FEASIBLE"  # a solution, optimality not proven within the limit
    INFEASIBLE = "INFEASIBLE"  # proven that no solution exists
    UNKNOWN = "UNKNOWN"  # time limit reached without a solution (timeout)
    MODEL_INVALID = "MODEL_INVALID"  # the model we built is wrong: a bug on our side

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


_FROM_CP_SAT = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.UNKNOWN: Status.UNKNOWN,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
}


def from_cp_sat(status: int) -> Status:
    return _FROM_CP_SAT[status]
