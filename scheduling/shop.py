"""Pure (flexible) job-shop makespan problems: the benchmark side of the engine.

``ShopProblem.jobs[j][k]`` is operation ``k`` of job ``j``: a tuple of alternatives
``(machine, duration)`` (one alternative for a classical job-shop).  Two CP-SAT models:

* :func:`solve_shop` with ``model="strong"`` — interval variables, NoOverlap, precedence,
  ``AddMaxEquality`` makespan, plus what helps CP-SAT: a greedy hint (best of several
  dispatching rules), the greedy makespan as horizon, head/tail-tightened domains,
  machine-load and job-length lower bounds on the makespan.
* ``model="hybrid"`` (the default) — :mod:`.shop_hybrid`: tabu search on the N5
  neighbourhood, CP-SAT large-neighbourhood search, then the full model hinted with the
  incumbent; classical job-shops only (flexible ones use "strong").
* ``model="bare"`` — the textbook model: interval + NoOverlap + precedence + makespan
  with the trivial horizon (sum of durations), nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .params import SolverParams
from .status import Status, from_cp_sat


@dataclass(frozen=True)
class ShopProblem:
    num_machines: int
    jobs: tuple[tuple[tuple[tuple[int, int], ...], ...], ...]

    def __post_init__(self) -> None:
        if self.num_machines < 1:
            raise ValueError(f"num_machines must be >= 1, got {self.num_machines}")
        if not self.jobs:
            raise ValueError("a shop problem needs at least one job")
        for j, job in enumerate(self.jobs):
            if not job:
                raise ValueError(f"job {j} has no operations")
            for k, alternatives in enumerate(job):
                if not alternatives:
                    raise ValueError(f"job {j} operation {k} has no eligible machine")
                for machine, duration in alternatives:
                    if not 0 <= machine < self.num_machines:
                        raise ValueError(
                            f"job {j} operation {k}: machine {machine} out of range 0..{self.num_machines - 1}"
                        )
                    if duration < 0:
                        raise ValueError(f"job {j} operation {k}: negative duration {duration}")

    @classmethod
    def from_jobshop(cls, num_machines: int, jobs) -> "ShopProblem":
        """Classical job-shop: ``jobs[j]`` is a sequence of (machine, duration)."""
        return cls(num_machines, tuple(tuple(((m, d),) for m, d in job) for job in jobs))

    @property
    def is_flexible(self) -> bool:
        return any(len(alt) > 1 for job in self.jobs for alt in job)

    def min_duration(self, j: int, k: int) -> int:
        return min(d for _, d in self.jobs[j][k])


@dataclass(frozen=True)
class ShopOperation:
    job: int
    operation: int
    machine: int
    start: int
    end: int


@dataclass(frozen=True)
class ShopSolution:
    status: Status
    makespan: int | None
    lower_bound: int
    solve_time_s: float
    schedule: tuple[ShopOperation, ...] = field(default_factory=tuple)
    greedy_makespan: int | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status.value,
            "makespan": self.makespan,
            "lower_bound": self.lower_bound,
            "solve_time_s": round(self.solve_time_s, 3),
            "greedy_makespan": self.greedy_makespan,
            "schedule": [
                {"job": o.job, "operation": o.operation, "machine": o.machine, "start": o.start, "end": o.end}
                for o in self.schedule
            ],
        }


def trivial_lower_bound(problem: ShopProblem) -> int:
    """max(longest job, most loaded machine) — machine load only counts forced machines."""
    job_bound = max(sum(problem.min_duration(j, k) for k in range(len(job))) for j, job in enumerate(problem.jobs))
    load = [0] * problem.num_machines
    for job in problem.jobs:
        for alternatives in job:
            if len(alternatives) == 1:
                load[alternatives[0][0]] += alternatives[0][1]
    return max(job_bound, max(load))


MODELS = ("hybrid", "strong", "bare")


def solve_shop(problem: ShopProblem, params: SolverParams = SolverParams(), *, model: str = "hybrid") -> ShopSolution:
    """Minimise the makespan.  ``model``: "hybrid" (default: tabu search + CP-SAT LNS, see
    :mod:`.shop_hybrid`; flexible problems fall back to "strong"), "strong" or "bare"."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "hybrid":
        if not problem.is_flexible:
            from .shop_hybrid import solve_hybrid

            return solve_hybrid(problem, params)
        model = "strong"
    from .shop_dispatch import best_dispatch

    started = time.perf_counter()
    greedy = best_dispatch(problem) if model == "strong" else None
    cp = cp_model.CpModel()
    built = _build(cp, problem, greedy, strong=model == "strong")
    solver = params.make_solver()
    if model == "strong":
        # LP-feasibility helpers that do nothing for a pure disjunctive model: leave the
        # interleaved worker's time to the scheduling neighbourhoods.
        solver.parameters.ignore_subsolvers.extend(["feasibility_pump", "rins/rens", "ls"])
    status = from_cp_sat(solver.solve(cp))
    elapsed = time.perf_counter() - started
    lb = trivial_lower_bound(problem)
    if not status.has_solution:
        if greedy is not None and status is Status.UNKNOWN:
            # the limit was too short for CP-SAT: the dispatcher's schedule is still feasible
            return ShopSolution(Status.FEASIBLE, greedy[0], lb, elapsed,
                                tuple(sorted(greedy[1], key=lambda o: (o.job, o.operation))), greedy[0])
        return ShopSolution(status, None, lb, elapsed, (), greedy and greedy[0])
    schedule = []
    for (j, k), (start, choices) in built.items():
        s = solver.value(start)
        for machine, duration, present in choices:
            if present is None or solver.boolean_value(present):
                schedule.append(ShopOperation(j, k, machine, s, s + duration))
                break
    schedule = left_shift(schedule)
    makespan = max(o.end for o in schedule)
    bound = max(lb, int(round(solver.best_objective_bound)))
    return ShopSolution(status, makespan, min(bound, makespan), elapsed, tuple(sorted(schedule, key=lambda o: (o.job, o.operation))),
                        greedy and greedy[0])


def left_shift(schedule) -> list[ShopOperation]:
    """Start every operation as early as its job and machine predecessors allow (same sequences)."""
    job_end: dict[int, int] = {}
    machine_end: dict[int, int] = {}
    out = []
    for o in sorted(schedule, key=lambda o: (o.start, o.job, o.operation)):
        start = max(job_end.get(o.job, 0), machine_end.get(o.machine, 0))
        end = start + (o.end - o.start)
        out.append(ShopOperation(o.job, o.operation, o.machine, start, end))
        job_end[o.job] = end
        machine_end[o.machine] = end
    return out


def _build(cp: cp_model.CpModel, problem: ShopProblem, greedy, *, strong: bool,
           tighten: bool = True, greedy_horizon: bool = True):
    """Variables and constraints; returns {(job, op): (start_var, [(machine, dur, presence|None)])}."""
    total = sum(max(d for _, d in alt) for job in problem.jobs for alt in job)
    horizon = greedy[0] if strong and greedy and greedy_horizon else total
    per_machine: dict[int, list] = {m: [] for m in range(problem.num_machines)}
    built = {}
    job_ends = []
    hint: dict = {}
    if strong and greedy:
        hint = {(o.job, o.operation): o for o in greedy[1]}
    for j, job in enumerate(problem.jobs):
        mins = [problem.min_duration(j, k) for k in range(len(job))]
        previous_end = None
        for k, alternatives in enumerate(job):
            tight = strong and tighten
            head = sum(mins[:k]) if tight else 0
            tail = sum(mins[k + 1:]) if tight else 0
            lo, hi = head, horizon - tail - (mins[k] if tight else 0)
            start = cp.new_int_var(lo, max(lo, hi), f"s{j}_{k}")
            if len(alternatives) == 1:
                machine, duration = alternatives[0]
                end = start + duration
                per_machine[machine].append(cp.new_fixed_size_interval_var(start, duration, f"i{j}_{k}"))
                choices = [(machine, duration, None)]
            else:
                end = cp.new_int_var(lo, horizon, f"e{j}_{k}")
                choices = []
                for machine, duration in alternatives:
                    present = cp.new_bool_var(f"p{j}_{k}_{machine}")
                    per_machine[machine].append(cp.new_optional_fixed_size_interval_var(start, duration, present, f"i{j}_{k}_{machine}"))
                    cp.add(end == start + duration).only_enforce_if(present)
                    choices.append((machine, duration, present))
                    if hint:
                        cp.add_hint(present, hint[(j, k)].machine == machine)
                cp.add_exactly_one(p for _, _, p in choices)
            if hint:
                cp.add_hint(start, hint[(j, k)].start)
            if previous_end is not None:
                cp.add(start >= previous_end)
            previous_end = end
            built[(j, k)] = (start, choices)
        job_ends.append(previous_end)
    for intervals in per_machine.values():
        if len(intervals) > 1:
            cp.add_no_overlap(intervals)
    makespan = cp.new_int_var(0, horizon, "makespan")
    end_vars = []
    for e in job_ends:
        if isinstance(e, cp_model.IntVar):
            end_vars.append(e)
        else:
            v = cp.new_int_var(0, horizon, "")
            cp.add(v == e)
            end_vars.append(v)
    cp.add_max_equality(makespan, end_vars)
    if strong:
        cp.add(makespan >= trivial_lower_bound(problem))
        if hint:
            cp.add_hint(makespan, greedy[0])
    cp.minimize(makespan)
    return built
