"""Background work: a solve never runs inside a web request.

Embedded default: one in-process worker thread per app. Production: with
`CELERY_BROKER_URL` set, jobs go to Celery (Redis) and `celery -A market.worker worker`
runs them. If the broker cannot be reached the job runs in-process instead: slower for
the web node, but nothing is lost.
"""
from __future__ import annotations

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from sqlalchemy import update

from market.metrics import JOBS_FAILED, JOBS_SUBMITTED, SOLVE_SECONDS

log = logging.getLogger("market.jobs")


def _registry() -> dict:
    from market.matching.services import run_batch_job, run_quote_job, run_reschedule_job

    return {"quote": run_quote_job, "reschedule": run_reschedule_job, "batch": run_batch_job}


def init_app(app: Flask) -> None:
    app.config.setdefault("CELERY_BROKER_URL", os.environ.get("CELERY_BROKER_URL"))
    app.extensions["jobs"] = None  # the thread starts with the first job, not at import or start-up
    app.extensions["celery"] = None


def celery_for(app: Flask):
    if app.extensions.get("celery") is None:
        from celery import Celery

        celery = Celery("market", broker=app.config["CELERY_BROKER_URL"])
        # Every broker call is bounded: a broker that accepts connections and never answers
        # costs a request BROKER_TIMEOUT_S at most (then the job runs in-process), never a worker.
        timeout = float(app.config.get("BROKER_TIMEOUT_S", 3))
        celery.conf.update(task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
                           broker_connection_retry_on_startup=True, broker_connection_timeout=timeout,
                           broker_transport_options={"max_retries": 1, "socket_connect_timeout": timeout,
                                                     "socket_timeout": timeout, "retry_on_timeout": False})

        @celery.task(name="market.run_job")
        def run_job(kind: str, job_id: int):
            with app.app_context():
                execute(kind, job_id)

        from market.telemetry.trigger import register

        register(celery, app)  # the telemetry rollup tasks
        app.extensions["celery"] = celery
    return app.extensions["celery"]


def enqueue(kind: str, organization_id: int, *, order_id: int | None = None, result: dict | None = None):
    """Record a job (the caller polls it) and hand it to the background."""
    from market.db import unit_of_work, when_committed
    from market.matching.models import SolveJob

    with unit_of_work() as s:
        job = SolveJob(kind=kind, organization_id=organization_id, order_id=order_id, result=result or {})
        s.add(job)
        s.commit()
    when_committed(lambda: submit(kind, job.id))  # the worker must find the job's row
    return job


def execute(kind: str, job_id: int) -> None:
    """Run one job here and now: 'running' while it works; the job itself records 'done'
    with its result; an exception records 'failed' with the reason (and is re-raised)."""
    from market.db import unit_of_work, utcnow
    from market.matching.models import SolveJob

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
        _registry()[kind](job_id)
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


class BrokerUnavailable(Exception):
    pass


def send_task(app: Flask, name: str, **options) -> None:
    """Publish task `name` once, bounded in time (see celery_for). After a failure the broker
    is skipped for BROKER_RETRY_AFTER_S: callers fall back at once instead of each waiting
    out the timeout again."""
    skip = app.extensions.setdefault("broker_down", {})
    url = app.config["CELERY_BROKER_URL"]
    if time.monotonic() < skip.get(url, 0.0):
        raise BrokerUnavailable(f"the broker failed less than {app.config.get('BROKER_RETRY_AFTER_S', 30)} s ago")
    try:
        celery_for(app).send_task(name, retry=False, **options)
    except Exception:
        skip[url] = time.monotonic() + float(app.config.get("BROKER_RETRY_AFTER_S", 30))
        raise
    skip.pop(url, None)


def user_message(exc: Exception, reference) -> str:
    """What the job's user is told: a domain error's own message; anything else (a bug, a
    database error with its SQL) only that it failed and the reference to find it in the log."""
    from market.errors import DomainError

    if isinstance(exc, DomainError):
        return exc.detail[:2000]
    return (f"the job could not be completed because of an internal error (reference {reference}); "
            "it has been logged. Try again; if it fails again, contact support with the reference.")


def submit(kind: str, *args) -> None:
    """Run job `kind` (see _registry) with `args` in the background."""
    app = current_app._get_current_object()
    if app.config.get("CELERY_BROKER_URL"):
        try:
            send_task(app, "market.run_job", args=[kind, *args])
            JOBS_SUBMITTED.labels(kind, "celery").inc()
            return
        except Exception as exc:  # broker down: run here rather than lose the job
            log.warning("broker unreachable, running the job in-process", extra={"kind": kind, "error": str(exc)})
    if app.extensions.get("jobs") is None:
        app.extensions["jobs"] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="solver")

    def run():
        with app.app_context():
            try:
                execute(kind, *args)
            except Exception:  # recorded on the job and logged by execute()
                pass

    JOBS_SUBMITTED.labels(kind, "in_process").inc()
    app.extensions["jobs"].submit(run)
