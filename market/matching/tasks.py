"""The worker's side of solve jobs: "market.run_job" runs one SolveJob (see jobs.py)."""
from __future__ import annotations

import logging
import time

from sqlalchemy import update

from market import jobs
from market.db import unit_of_work, utcnow
from market.matching.jobs import RUN_JOB, user_message
from market.matching.models import SolveJob
from market.matching.services import run_batch_job, run_quote_job, run_reschedule_job
from market.metrics import JOBS_FAILED, SOLVE_SECONDS

log = logging.getLogger("market.jobs")

RUNNERS = {"quote": run_quote_job, "reschedule": run_reschedule_job, "batch": run_batch_job}


def register(tasks: jobs.Tasks) -> None:
    tasks.add(RUN_JOB, execute)


def execute(kind: str, job_id: int) -> None:
    """Run one job here and now: 'running' while it works; the job itself records 'done'
    with its result; an exception records 'failed' with the reason (and is re-raised)."""
    with unit_of_work() as s:
        # Claim the job: only a queued job starts. A job handed out twice (re-queued after
        # its broker lost it, or raced by two workers) runs once.
        claimed = s.execute(update(SolveJob).where(SolveJob.id == job_id, SolveJob.status == "queued")
                            .values(status="running")).rowcount
        s.commit()
    if not claimed:
        log.info("job already taken, skipped", extra={"kind": kind, "job": job_id})
        return
    started = time.perf_counter()
    try:
        RUNNERS[kind](job_id)
    except Exception as exc:
        SOLVE_SECONDS.labels(kind, "failed").observe(time.perf_counter() - started)
        JOBS_FAILED.labels(kind).inc()
        with unit_of_work() as s:
            job = s.get(SolveJob, job_id)
            # the detail (SQL, traceback) goes to the log only; the job's user reads a message
            log.error("job failed", exc_info=exc, extra={"kind": kind, "job": job_id, "reference": str(job.public_id)})
            job.status, job.error, job.finished_at = "failed", user_message(exc, job.public_id), utcnow()
            s.commit()
        raise
    SOLVE_SECONDS.labels(kind, "done").observe(time.perf_counter() - started)
