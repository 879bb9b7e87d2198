"""Solution dataclasses: what the engine hands back."""

from __future__ import annotations

from dataclasses import dataclass, field

from .status import Status


@dataclass(frozen=True)
class Assignment:
    """Operation ``op_index`` of ``job_id`` runs on ``machine_id`` in windows ``first..last``."""

    job_id: str
    op_index: int
    machine_id: str
    site_id: str
    first_window: int
    last_window: int
    start: int
    end: int
    price: int
    op_name: str = ""

    @property
    def key(self) -> tuple[str, int]:
        return (self.job_id, self.op_index)


@dataclass(frozen=True)
class JobOutcome:
    job_id: str
    filled: bool
    completion: int | None = None
    lateness: int | None = None  # completion - due (negative = early)
    tardiness: int = 0  # max(0, lateness)


@dataclass(frozen=True)
class Cost:
    price: int = 0
    transport: int = 0

    @property
    def total(self) -> int:
        return self.price + self.transport


@dataclass(frozen=True)
class Solution:
    status: Status
    assignments: tuple[Assignment, ...] = ()
    jobs: tuple[JobOutcome, ...] = ()
    cost: Cost = field(default_factory=Cost)
    objective: int | None = None
    best_bound: int | None = None
    solve_time_s: float = 0.0
    fill_weight: int | None = None  # objective credit per filled job (batch match)

    @property
    def filled_jobs(self) -> list[str]:
        return [j.job_id for j in self.jobs if j.filled]

    @property
    def makespan(self) -> int | None:
        return max((a.end for a in self.assignments), default=None)

    def assignment(self, job_id: str, op_index: int) -> Assignment | None:
        for a in self.assignments:
            if a.job_id == job_id and a.op_index == op_index:
                return a
        return None

    def job(self, job_id: str) -> JobOutcome | None:
        for j in self.jobs:
            if j.job_id == job_id:
                return j
        return None

    def weighted_tardiness(self, weights: dict[str, int]) -> int:
        return sum(weights.get(j.job_id, 1) * j.tardiness for j in self.jobs)


def summarize(problem, status: Status, assignments, *, jobs=None, objective=None, best_bound=None,
              solve_time_s=0.0) -> Solution:
    """Build a :class:`Solution` from assignments, computing cost and lateness from the data."""
    by_key = {a.key: a for a in assignments}
    outcomes = []
    price = sum(a.price for a in assignments)
    transport = 0
    for job in (problem.jobs if jobs is None else jobs):
        ops = [by_key.get((job.id, k)) for k in range(len(job.operations))]
        if any(o is None for o in ops):
            outcomes.append(JobOutcome(job.id, False))
            continue
        for p, k in job.edges:  # one shipment per precedence edge between two sites
            transport += problem.leg(ops[p].site_id, ops[k].site_id).cost
        completion = max(ops[k].end for k in job.sinks)
        lateness = completion - job.due
        outcomes.append(JobOutcome(job.id, True, completion, lateness, max(0, lateness)))
    ordered = tuple(sorted(assignments, key=lambda a: (a.job_id, a.op_index)))
    return Solution(status, ordered, tuple(outcomes), Cost(price, transport), objective, best_bound, solve_time_s)
