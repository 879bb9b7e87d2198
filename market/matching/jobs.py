"""Solve jobs (quotes, re-plans, batch matches): recorded as a SolveJob row the caller
polls, then handed to the background (market/jobs.py: Celery or the in-process worker) as
the task "market.run_job"; the worker's side is market/matching/tasks.py."""
from __future__ import annotations

from market import jobs
from market.db import unit_of_work, when_committed
from market.matching.models import SolveJob

RUN_JOB = "market.run_job"


def enqueue(kind: str, organization_id: int, *, order_id: int | None = None, result: dict | None = None) -> SolveJob:
    """Record a job (the caller polls it) and hand it to the background."""
    with unit_of_work() as s:
        job = SolveJob(kind=kind, organization_id=organization_id, order_id=order_id, result=result or {})
        s.add(job)
        s.commit()
    when_committed(lambda: submit(kind, job.id))  # the worker must find the job's row
    return job


def submit(kind: str, job_id: int) -> None:
    """Hand job `job_id` of `kind` (see tasks.RUNNERS) to the background."""
    jobs.submit(RUN_JOB, kind, job_id, kind=kind)


def user_message(exc: Exception, reference) -> str:
    """What the job's user is told: a domain error's own message; anything else (a bug, a
    database error with its SQL) only that it failed and the reference to find it in the log."""
    from market.errors import DomainError

    if isinstance(exc, DomainError):
        return exc.detail[:2000]
    return (f"the job could not be completed because of an internal error (reference {reference}); "
            "it has been logged. Try again; if it fails again, contact support with the reference.")
