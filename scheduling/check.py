"""Independent feasibility checker: trusts nothing the solver computed.

Used by the tests on every solution.  Deliberately re-derives durations, window spans
and transport lags from the raw problem data instead of reusing the model's candidates.
"""

from __future__ import annotations

import math
from collections import defaultdict

from .data import Problem
from .result import Solution


def check(problem: Problem, solution: Solution, *, require_all: bool = False) -> list[str]:
    """Return a list of violations (empty = feasible).

    ``require_all`` demands that every job of the problem is filled.
    """
    errors: list[str] = []
    jobs = {j.id: j for j in problem.jobs}
    machines = {m.id: m for m in problem.machines}
    per_job = defaultdict(dict)
    per_machine = defaultdict(list)
    for b in problem.busy:
        per_machine[b.machine_id].append((b.start, b.end, f"busy {b.label or ''}".strip()))
    for a in solution.assignments:
        tag = f"{a.job_id}/op{a.op_index}"
        job = jobs.get(a.job_id)
        machine = machines.get(a.machine_id)
        if job is None or machine is None or not 0 <= a.op_index < len(job.operations):
            errors.append(f"{tag}: unknown job, operation or machine {a.machine_id!r}")
            continue
        if a.op_index in per_job[a.job_id]:
            errors.append(f"{tag}: assigned twice")
        per_job[a.job_id][a.op_index] = a
        op = job.operations[a.op_index]
        if op.process not in machine.capabilities:
            errors.append(f"{tag}: machine {machine.id} cannot do {op.process}")
        if a.site_id != machine.site_id:
            errors.append(f"{tag}: site {a.site_id} is not machine {machine.id}'s site {machine.site_id}")
        if not 0 <= a.first_window <= a.last_window < len(machine.windows):
            errors.append(f"{tag}: window span {a.first_window}..{a.last_window} does not exist on {machine.id}")
            continue
        if a.first_window != a.last_window and not op.splittable:
            errors.append(f"{tag}: not splittable but spans windows {a.first_window}..{a.last_window}")
        span = machine.windows[a.first_window:a.last_window + 1]
        pieces = job.quantity * op.multiplier  # a BOM component: pieces per finished piece
        if any(w.min_lot > pieces for w in span):
            errors.append(f"{tag}: quantity {pieces} below a window's min lot on {machine.id}")
        duration = max(1, math.ceil(op.setup_minutes + pieces * op.run_minutes_per_unit))
        inside = sum(max(0, min(a.end, w.end) - max(a.start, w.start)) for w in span)
        if not (span[0].start <= a.start < span[0].end and span[-1].start < a.end <= span[-1].end):
            errors.append(f"{tag}: [{a.start}, {a.end}) does not start in window {a.first_window} and end in {a.last_window}")
        if inside != duration or a.end - a.start != duration + sum(
                y.start - x.end for x, y in zip(span, span[1:])):
            errors.append(f"{tag}: {inside} minutes inside windows, needs exactly {duration} contiguous minutes")
        per_machine[a.machine_id].append((a.start, a.end, tag))
    for machine_id, items in per_machine.items():
        items.sort()
        for (s1, e1, t1), (s2, e2, t2) in zip(items, items[1:]):
            if s2 < e1:
                errors.append(f"machine {machine_id}: {t1} [{s1}, {e1}) overlaps {t2} [{s2}, {e2})")
    for job in problem.jobs:
        ops = per_job.get(job.id, {})
        if not ops:
            if require_all:
                errors.append(f"{job.id}: not filled")
            continue
        if len(ops) != len(job.operations):
            errors.append(f"{job.id}: {len(ops)} of {len(job.operations)} operations assigned")
            continue
        for k, a in sorted(ops.items()):
            if a.start < job.release:
                errors.append(f"{job.id}: op{k} starts at {a.start} before release {job.release}")
        edges, problems = _edges(job)
        errors.extend(f"{job.id}: {p}" for p in problems)
        for p, k in edges:
            a, b = ops[p], ops[k]
            lag = problem.leg(a.site_id, b.site_id).minutes
            if b.start < a.end + lag:
                errors.append(f"{job.id}: op{k} starts {b.start} before op{p} end {a.end} + transport {lag}")
        if job.hard_due:
            for k in _sinks(len(job.operations), edges):
                if ops[k].end > job.due:
                    errors.append(f"{job.id}: op{k} completes {ops[k].end} after hard due {job.due}")
    return errors


def _edges(job) -> tuple[list[tuple[int, int]], list[str]]:
    """The precedence edges read from the raw ``Job.after`` (the chain when None), and what
    is wrong with them — not trusting the job's own validation or derived graph."""
    n = len(job.operations)
    if job.after is None:
        return [(k - 1, k) for k in range(1, n)], []
    edges, problems = [], []
    if len(job.after) != n:
        problems.append(f"after has {len(job.after)} entries for {n} operations")
    for k, row in enumerate(job.after[:n]):
        for p in row:
            if not (isinstance(p, int) and 0 <= p < n and p != k):
                problems.append(f"op{k} names an impossible predecessor {p!r}")
            else:
                edges.append((p, k))
    # a cycle would make every solution infeasible: Kahn's algorithm must consume every node
    indegree = [0] * n
    for _, k in edges:
        indegree[k] += 1
    stack = [k for k in range(n) if not indegree[k]]
    seen = 0
    while stack:
        x = stack.pop()
        seen += 1
        for p, k in edges:
            if p == x:
                indegree[k] -= 1
                if not indegree[k]:
                    stack.append(k)
    if seen != n:
        problems.append("the operations' precedence graph has a cycle")
    return edges, problems


def _sinks(n: int, edges) -> list[int]:
    has_successor = {p for p, _ in edges}
    return [k for k in range(n) if k not in has_successor]
