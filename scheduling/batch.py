"""Use 2 — batch match: all open jobs against all open capacity at once.

Maximise the number of filled jobs first (dominating weight), then minimise price +
transport (+ optional tardiness).  Jobs may stay unfilled.  To scale, each operation
only sees its first few windows per eligible machine and then its cheapest and earliest
candidates (``candidate_options``), always including the greedy baseline's choice, and
the greedy solution is given to CP-SAT as a hint — so the result is never worse than
the greedy dispatcher in the number of filled jobs.
"""

from __future__ import annotations

from .candidates import CandidateOptions
from .data import Problem
from .greedy import edd_dispatch
from .objective import Weights
from .params import SolverParams
from .result import Solution
from .solve import solve
from .status import Status

BATCH_CANDIDATES = CandidateOptions(windows_per_machine=2, max_candidates=8)


def batch_match(problem: Problem, *, params: SolverParams = SolverParams(time_limit_s=30.0),
                weights: Weights = Weights(price=1, transport=1),
                candidate_options: CandidateOptions = BATCH_CANDIDATES,
                hint: Solution | None = None) -> Solution:
    """Match every job of ``problem``; ``weights.fill=None`` means filled jobs come first."""
    if hint is None:
        hint = edd_dispatch(problem, allow_unfilled=True)
    keep = {a.key: (a.machine_id, a.first_window, a.last_window) for a in hint.assignments}
    options = CandidateOptions(candidate_options.max_span, candidate_options.windows_per_machine,
                               candidate_options.max_candidates, candidate_options.not_before,
                               candidate_options.frozen, keep)
    solution = solve(problem, weights=weights, params=params, allow_unfilled=True,
                     candidate_options=options, hint=hint)
    if solution.status is Status.UNKNOWN and hint.assignments:
        # no solution within the limit: fall back to the (feasible) greedy matching
        return Solution(Status.FEASIBLE, hint.assignments, hint.jobs, hint.cost, None, solution.best_bound,
                        solution.solve_time_s)
    return solution
