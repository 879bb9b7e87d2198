"""Which operation of an order lacks capacity when no quote is possible: the buyer is told
where to look (a later due date helps only if that process gets more capacity). Pure: reads
the problem the quote solve was given, no database."""
from __future__ import annotations

from scheduling.data import Problem


def bottleneck(problem: Problem, job_id: str) -> dict | None:
    """{"seq": n, "process": code} of the operation whose usable capacity (minutes of open
    windows on machines able to do it, that can price it for this job and take its lot) covers
    the least of what it needs; the first such operation on a tie. None for an unknown job or
    an order without operations."""
    job = next((j for j in problem.jobs if j.id == job_id), None)
    if job is None or not job.operations:
        return None
    best, best_ratio = None, None
    for k, op in enumerate(job.operations):
        need = op.duration(job.quantity)
        have = sum(w.end - w.start for m in problem.machines if op.process in m.capabilities for w in m.windows
                   if w.min_lot <= job.quantity
                   and w.price_for(minutes=need, quantity=job.quantity, value=job.value) is not None)
        ratio = have / need
        if best_ratio is None or ratio < best_ratio:
            best, best_ratio = k, ratio
    return {"seq": int(job.operations[best].name or best + 1), "process": job.operations[best].process.split("#")[0]}
