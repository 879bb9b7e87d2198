"""Use 2 — batch match: all open jobs against all open capacity at once.

Maximise the number of filled jobs first (dominating weight), then minimise price +
transport (+ optional tardiness).  Jobs may stay unfilled.

How it scales (500 jobs x 3 operations, 300 machines, 8 weeks of windows): one CP-SAT
model over everything has ~100k constraints and spends its budget in presolve, so the
match is a large-neighbourhood search over the greedy solution instead:

1. the greedy EDD dispatchers (earliest-finish, cheapest-on-time) give a complete
   matching; the better one is the starting point;
2. jobs are cut into chunks of ``chunk_size`` in due-date order (jobs that compete for the
   same weeks land together); each chunk is re-optimised by CP-SAT with every other job's
   current bookings fixed as busy time, starting from the chunk's current assignment;
   jobs already filled must stay filled (so the fill count never drops);
3. a chunk's new assignment replaces the old one — never worse in (filled, cost), since
   the old one is the hint and stays feasible — and passes repeat until the budget ends.

Each operation only sees its first ``windows_per_machine`` free windows per eligible
machine, then its cheapest and earliest ``max_candidates``, plus whatever the hint (and
``extra_hints``) chose.  Small problems (≤ ``chunk_size`` jobs) are one exact model.
"""

from __future__ import annotations

import time
from dataclasses import replace

from .candidates import CandidateOptions, keeping
from .data import Busy, Problem
from .greedy import edd_dispatch
from .objective import Weights
from .params import SolverParams
from .result import Solution, summarize
from .solve import solve
from .status import Status

BATCH_CANDIDATES = CandidateOptions(windows_per_machine=4, max_candidates=12)


def best_greedy(problem: Problem) -> Solution:
    """The better (more filled, then cheaper) of the earliest-finish and cheapest-on-time dispatchers."""
    runs = [edd_dispatch(problem, allow_unfilled=True, rule=rule) for rule in ("earliest_finish", "cheapest_on_time")]
    return min(runs, key=lambda s: (-len(s.filled_jobs), s.cost.total))


def batch_match(problem: Problem, *, params: SolverParams = SolverParams(time_limit_s=30.0),
                weights: Weights = Weights(price=1, transport=1, tardiness=10),
                candidate_options: CandidateOptions = BATCH_CANDIDATES,
                hint: Solution | None = None, extra_hints: tuple[Solution, ...] = (),
                wall_budget_s: float | None = None, chunk_size: int = 25, max_passes: int = 3) -> Solution:
    """Match every job of ``problem``; ``weights.fill=None`` means filled jobs come first.

    ``wall_budget_s`` bounds the whole call (greedy hint + model building + CP-SAT);
    without it the budget is ``params.time_limit_s``.  ``extra_hints`` (e.g. a
    cheapest-first greedy run) only add their choices to the candidate sets.
    """
    started = time.perf_counter()
    budget = wall_budget_s if wall_budget_s is not None else params.time_limit_s
    if hint is None:
        hint = best_greedy(problem)
    if len(problem.jobs) <= chunk_size:
        solution = solve(problem, weights=weights, params=params, allow_unfilled=True,
                         candidate_options=keeping(candidate_options, [hint, *extra_hints]), hint=hint,
                         started=started, wall_budget_s=budget)
        if not solution.status.has_solution:
            # no solution within the limit: fall back to the (feasible) greedy matching
            return replace(hint, status=Status.FEASIBLE, best_bound=solution.best_bound,
                           solve_time_s=time.perf_counter() - started)
        return solution
    current = {a.key: a for a in hint.assignments}
    order = sorted(problem.jobs, key=lambda j: (j.due, j.release, j.id))
    chunks = [order[i:i + chunk_size] for i in range(0, len(order), chunk_size)]
    fill_weight = None
    chunk_bounds: dict[int, int | None] = {}
    for _ in range(max_passes):
        improved = False
        for n, chunk in enumerate(chunks):
            left = budget - (time.perf_counter() - started)
            if left < 0.5:
                break
            ids = {j.id for j in chunk}
            busy = problem.busy + tuple(Busy(a.machine_id, a.start, a.end, f"{a.job_id}/{a.op_index}")
                                        for a in current.values() if a.job_id not in ids)
            sub = replace(problem, jobs=tuple(chunk), busy=busy)
            mine = Solution(Status.FEASIBLE, tuple(a for a in current.values() if a.job_id in ids))
            extra = [Solution(Status.FEASIBLE, tuple(a for a in h.assignments if a.job_id in ids)) for h in extra_hints]
            per_chunk = min(params.time_limit_s, left / max(1, len(chunks) - n))
            t0 = time.perf_counter()
            filled_now = frozenset(a.job_id for a in mine.assignments)
            sol = solve(sub, weights=weights, params=replace(params, time_limit_s=max(0.2, per_chunk)),
                        allow_unfilled=True, candidate_options=keeping(candidate_options, [mine, *extra]),
                        hint=mine, started=t0, wall_budget_s=per_chunk, must_fill=filled_now, light_presolve=True)
            if not sol.status.has_solution:
                chunk_bounds[n] = None
                continue
            fill_weight = sol.fill_weight
            chunk_bounds[n] = (sol.best_bound + (sol.fill_weight or 0) * len(sol.filled_jobs)
                               if sol.best_bound is not None else None)
            before = (len({a.job_id for a in mine.assignments}), -summarize(sub, Status.FEASIBLE, mine.assignments).cost.total)
            after = (len(sol.filled_jobs), -sol.cost.total)
            if after > before:
                improved = True
                for key in [k for k in current if k[0] in ids]:
                    del current[key]
                for a in sol.assignments:
                    current[a.key] = a
        if not improved or budget - (time.perf_counter() - started) < 0.5:
            break
    result = summarize(problem, Status.FEASIBLE, list(current.values()), solve_time_s=time.perf_counter() - started)
    # best_bound: sum of CP-SAT's cost bounds of each chunk's last solve (each with the other
    # chunks fixed as they were then) — a neighbourhood bound, not a global one.
    bounds = [chunk_bounds.get(n) for n in range(len(chunks))]
    bound = sum(bounds) if all(b is not None for b in bounds) else None
    return replace(result, fill_weight=fill_weight, best_bound=bound)
