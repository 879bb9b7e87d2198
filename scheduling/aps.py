"""Use 3 — factory schedule (APS) and rescheduling after a machine goes down.

:func:`schedule_shop` plans one factory's accepted jobs on its own machines as a flexible
job-shop: weighted tardiness first (dominating weight), then makespan.

:func:`reschedule` re-plans from ``now``:

* an operation that started before ``now`` (``start < now``) stays frozen where it is —
  unless its machine is down and it was still running at ``now``: then it is
  **interrupted**.  The part already done stays frozen on the down machine as
  "<name> (done part)" ending at ``now``; the rest becomes a new operation
  "<name> (remainder)" that needs a fresh setup plus the unfinished run minutes and may
  go to any eligible machine that is up;
* a down machine offers no time from ``now`` until its ``until`` (``None`` = open end);
* everything not started may move, but not before ``now``;
* the result carries a per-job diff of the promised completion (old vs new).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Iterable, Mapping

from .candidates import CandidateOptions, Frozen
from .data import Job, Machine, Operation, Problem, Window
from .greedy import edd_dispatch
from .objective import Weights
from .params import SolverParams
from .result import Solution
from .solve import solve

APS_CANDIDATES = CandidateOptions(windows_per_machine=None)


def _only_site(problem: Problem, site_id: str | None) -> Problem:
    if site_id is None:
        return problem
    machines = tuple(m for m in problem.machines if m.site_id == site_id)
    ids = {m.id for m in machines}
    return replace(problem, machines=machines, busy=tuple(b for b in problem.busy if b.machine_id in ids),
                   sites=tuple(s for s in problem.sites if s.id == site_id))


def schedule_shop(problem: Problem, *, site_id: str | None = None,
                  params: SolverParams = SolverParams(time_limit_s=10.0),
                  candidate_options: CandidateOptions = APS_CANDIDATES,
                  hint: Solution | None = None) -> Solution:
    """All jobs of ``problem`` on the machines of ``site_id`` (all machines if None)."""
    shop = _only_site(problem, site_id)
    if hint is None:
        greedy = edd_dispatch(shop, candidate_options=candidate_options)
        hint = greedy if greedy.assignments else None
    horizon = shop.horizon
    weights = Weights(price=0, transport=0, tardiness=horizon + 1, makespan=1)
    return solve(shop, weights=weights, params=params, candidate_options=candidate_options, hint=hint)


@dataclass(frozen=True)
class JobChange:
    job_id: str
    old_completion: int | None
    new_completion: int | None

    @property
    def delay(self) -> int | None:
        if self.old_completion is None or self.new_completion is None:
            return None
        return self.new_completion - self.old_completion


@dataclass(frozen=True)
class Rescheduled:
    solution: Solution
    problem: Problem  # the re-planned problem (interrupted operations split in two)
    diff: tuple[JobChange, ...]
    interrupted: tuple[tuple[str, int], ...]  # (job id, op index in the *old* problem)


def _down_windows(machine: Machine, now: int, until: int | None) -> Machine:
    kept: list[Window] = []
    for w in machine.windows:
        if w.end <= now:
            kept.append(w)
            continue
        if w.start < now:
            kept.append(replace(w, end=now))
        if until is not None and w.end > until:
            kept.append(replace(w, start=max(w.start, until)))
    return replace(machine, windows=tuple(kept))


def _processed(machine: Machine, first: int, last: int, start: int, now: int) -> int:
    return sum(max(0, min(now, w.end) - max(start, w.start)) for w in machine.windows[first:last + 1])


def _split_after(job: Job, span: list[tuple[int, int]]) -> tuple[tuple[int, ...], ...] | None:
    """The BOM's precedence with interrupted operations split in two: the done part takes
    the old operation's predecessors, the remainder follows the done part, and successors
    follow the remainder.  A chain stays a chain (None), its indices simply shift."""
    if job.after is None:
        return None
    after: list[tuple[int, ...]] = []
    for k, (first, last) in enumerate(span):
        after.append(tuple(span[p][1] for p in job.after[k]))
        if last != first:
            after.append((first,))
    return tuple(after)


def reschedule(problem: Problem, previous: Solution, now: int, *,
               down_machines: Mapping[str, int | None] | Iterable[str] = (),
               site_id: str | None = None, params: SolverParams = SolverParams(time_limit_s=10.0),
               candidate_options: CandidateOptions = APS_CANDIDATES) -> Rescheduled:
    """Re-plan ``problem`` from ``now`` given the ``previous`` plan and machines that went down."""
    down = dict(down_machines) if isinstance(down_machines, Mapping) else {m: None for m in down_machines}
    for machine_id in down:
        problem.machine(machine_id)  # KeyError-like check with the id in the message
    machines = tuple(_down_windows(m, now, down[m.id]) if m.id in down else m for m in problem.machines)
    frozen: dict[tuple[str, int], Frozen] = {}
    jobs: list[Job] = []
    interrupted = []
    by_key = {a.key: a for a in previous.assignments}
    for job in problem.jobs:
        ops: list[Operation] = []
        span: list[tuple[int, int]] = []  # old op index -> (first, last) new index
        for k, op in enumerate(job.operations):
            a = by_key.get((job.id, k))
            new_k = len(ops)
            if a is None or a.start >= now:
                ops.append(op)
            elif a.machine_id in down and a.end > now:
                old_machine = problem.machine(a.machine_id)
                done = _processed(old_machine, a.first_window, a.last_window, a.start, now)
                last = max(i for i in range(a.first_window, a.last_window + 1) if old_machine.windows[i].start < now)
                name = op.name or op.process
                pieces = job.pieces(k)
                ops.append(Operation(op.process, done, 0, op.splittable, f"{name} (done part)", op.multiplier))
                total_run = op.run_minutes_per_unit * pieces
                run_left = total_run if done <= op.setup_minutes else total_run - (done - op.setup_minutes)
                ops.append(Operation(op.process, op.setup_minutes, Fraction(run_left) / pieces,
                                     op.splittable, f"{name} (remainder)", op.multiplier))
                frozen[(job.id, new_k)] = Frozen(a.machine_id, a.first_window, last, a.start)
                interrupted.append((job.id, k))
            else:
                ops.append(op)
                frozen[(job.id, new_k)] = Frozen(a.machine_id, a.first_window, a.last_window, a.start)
            span.append((new_k, len(ops) - 1))
        jobs.append(replace(job, operations=tuple(ops), after=_split_after(job, span)))
    new_problem = replace(problem, machines=machines, jobs=tuple(jobs))
    options = CandidateOptions(candidate_options.max_span, candidate_options.windows_per_machine,
                               candidate_options.max_candidates, now, frozen, candidate_options.keep)
    solution = schedule_shop(new_problem, site_id=site_id, params=params, candidate_options=options)
    diff = []
    for job in problem.jobs:
        old = previous.job(job.id)
        new = solution.job(job.id)
        diff.append(JobChange(job.id, old.completion if old else None, new.completion if new else None))
    return Rescheduled(solution, new_problem, tuple(diff), tuple(interrupted))
