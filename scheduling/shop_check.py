"""Independent checker for job-shop / flexible job-shop schedules (trusts no solver).

Re-derives everything from the raw :class:`~scheduling.shop.ShopProblem`: every operation
scheduled once, on an eligible machine with that machine's duration, after its job
predecessor, no two operations overlapping on a machine, and the claimed makespan equal to
the latest end.
"""

from __future__ import annotations

from .shop import ShopProblem


def check_shop(problem: ShopProblem, schedule, makespan: int | None = None) -> list[str]:
    """Violations of ``schedule`` (iterable of objects with job, operation, machine, start,
    end); empty = feasible."""
    errors: list[str] = []
    by_op = {}
    per_machine: dict[int, list] = {}
    for o in schedule:
        tag = f"job {o.job} op {o.operation}"
        if not (0 <= o.job < len(problem.jobs) and 0 <= o.operation < len(problem.jobs[o.job])):
            errors.append(f"{tag}: no such operation")
            continue
        if (o.job, o.operation) in by_op:
            errors.append(f"{tag}: scheduled twice")
        by_op[(o.job, o.operation)] = o
        if (o.machine, o.end - o.start) not in problem.jobs[o.job][o.operation]:
            errors.append(f"{tag}: machine {o.machine} for {o.end - o.start} is not an alternative")
        if o.start < 0:
            errors.append(f"{tag}: starts at {o.start} < 0")
        per_machine.setdefault(o.machine, []).append((o.start, o.end, tag))
    for j, job in enumerate(problem.jobs):
        for k in range(len(job)):
            if (j, k) not in by_op:
                errors.append(f"job {j} op {k}: not scheduled")
            elif k and (j, k - 1) in by_op and by_op[(j, k)].start < by_op[(j, k - 1)].end:
                errors.append(f"job {j} op {k}: starts {by_op[(j, k)].start} before op {k - 1} ends "
                              f"{by_op[(j, k - 1)].end}")
    for m, items in per_machine.items():
        items.sort()
        for (s1, e1, t1), (s2, e2, t2) in zip(items, items[1:]):
            if s2 < e1:
                errors.append(f"machine {m}: {t1} [{s1}, {e1}) overlaps {t2} [{s2}, {e2})")
    if makespan is not None and by_op and makespan != max(o.end for o in by_op.values()):
        errors.append(f"claimed makespan {makespan} != latest end {max(o.end for o in by_op.values())}")
    return errors
