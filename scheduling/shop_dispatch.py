"""Greedy dispatching for (flexible) job-shops: the hint and the baseline.

Giffler–Thompson style active-schedule generation: repeatedly take the ready operation
with the earliest possible completion, build the conflict set on that machine and pick
by a priority rule.  :func:`best_dispatch` tries several rules and keeps the best.
"""

from __future__ import annotations

from typing import Callable

from .shop import ShopOperation, ShopProblem

Rule = Callable[[ShopProblem, int, int, list[int], int], float]


def _remaining(problem: ShopProblem, j: int, k: int) -> int:
    return sum(problem.min_duration(j, x) for x in range(k, len(problem.jobs[j])))


RULES: dict[str, Rule] = {
    # smaller key = higher priority
    "MWKR": lambda p, j, k, ready, d: -_remaining(p, j, k),
    "SPT": lambda p, j, k, ready, d: d,
    "MOPNR": lambda p, j, k, ready, d: -(len(p.jobs[j]) - k),
    "MWKR-SPT": lambda p, j, k, ready, d: d / max(1, _remaining(p, j, k)),
}


def dispatch(problem: ShopProblem, rule: str = "MWKR") -> tuple[int, tuple[ShopOperation, ...]]:
    """One active schedule by ``rule``; returns (makespan, schedule)."""
    key = RULES[rule]
    n = len(problem.jobs)
    next_op = [0] * n
    job_ready = [0] * n
    machine_free = [0] * problem.num_machines
    schedule: list[ShopOperation] = []

    def best_alternative(j: int) -> tuple[int, int, int]:
        k = next_op[j]
        best = None
        for machine, duration in problem.jobs[j][k]:
            start = max(job_ready[j], machine_free[machine])
            cand = (start + duration, start, machine)
            if best is None or cand < best:
                best = cand
        return best  # (completion, start, machine)

    remaining = sum(len(job) for job in problem.jobs)
    while remaining:
        options = {j: best_alternative(j) for j in range(n) if next_op[j] < len(problem.jobs[j])}
        j_star = min(options, key=lambda j: (options[j][0], j))
        completion, _, machine = options[j_star]
        conflict = []
        for j, (c, s, m) in options.items():
            if m == machine and s < completion:
                conflict.append(j)
        ready = list(options)
        chosen = min(
            conflict,
            key=lambda j: (key(problem, j, next_op[j], ready, options[j][0] - options[j][1]), options[j][1], j),
        )
        c, s, m = options[chosen]
        k = next_op[chosen]
        schedule.append(ShopOperation(chosen, k, m, s, c))
        job_ready[chosen] = c
        machine_free[m] = c
        next_op[chosen] += 1
        remaining -= 1
    makespan = max(o.end for o in schedule)
    return makespan, tuple(schedule)


def best_dispatch(problem: ShopProblem) -> tuple[int, tuple[ShopOperation, ...]]:
    return min((dispatch(problem, rule) for rule in RULES), key=lambda r: r[0])
