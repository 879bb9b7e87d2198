"""Periodic tasks: what Celery beat (or the in-process scheduler) runs on a clock.

Each task is safe to run twice or late: a batch match is skipped while one is under way,
a checkpoint is signed only when the ledger grew, anchoring retries whatever is pending,
expiry and the job and mail sweeps only touch rows that are due (a mail row is claimed before it is sent); the telemetry and payment tasks are
their domains' own periodic functions (idempotent by their design, see their docs).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from flask import current_app
from sqlalchemy import func, select, update

from market.db import unit_of_work, utcnow
from market.metrics import PERIODIC_RUNS

log = logging.getLogger("market.periodic")


@dataclass(frozen=True)
class Task:
    name: str
    run: Callable[[], dict]
    every_key: str  # setting holding its interval in seconds (market/settings.py)


def batch_match() -> dict:
    """Match every open order against all open capacity (one batch job, recorded under the
    operator); skipped when nothing is open or a batch is already queued or running."""
    from market.accounts.models import Organization
    from market.matching import tasks
    from market.matching.models import SolveJob
    from market.orders.models import Order

    with unit_of_work() as s:
        operator = s.scalar(select(Organization.id).where(Organization.kind == "operator").order_by(Organization.id))
        if operator is None:
            return {"skipped": "no operator organization"}
        if not s.scalar(select(func.count()).select_from(Order).where(Order.state == "open", Order.due_at > utcnow())):
            return {"skipped": "no open orders"}
        if s.scalar(select(func.count()).select_from(SolveJob)
                    .where(SolveJob.kind == "batch", SolveJob.status.in_(("queued", "running")))):
            return {"skipped": "a batch match is already under way"}
        job = SolveJob(kind="batch", organization_id=operator)
        s.add(job)
        s.commit()
    tasks.execute("batch", job.id)
    return {"job": str(job.public_id)}


def ledger_checkpoint() -> dict:
    from market.ops import anchoring

    return anchoring.checkpoint_and_anchor()


def expire_quotes() -> dict:
    from market.matching import services

    return {"expired": services.expire_quotes()}


def sweep_jobs() -> dict:
    """Nothing lost: a job still 'queued' long after it was handed off (its broker lost the
    message, or the process holding it in memory stopped) is handed off again (a job runs
    once: execute() claims it); one 'running' for far longer than any solve budget lost its
    worker and is marked failed, so its owner sees it and may ask again."""
    from market.matching import jobs
    from market.matching.models import SolveJob

    now = utcnow()
    requeue_before = now - timedelta(seconds=current_app.config["JOB_REQUEUE_AFTER_S"])
    lost_before = now - timedelta(seconds=current_app.config["JOB_LOST_AFTER_S"])
    with unit_of_work() as s:
        stale = list(s.execute(select(SolveJob.id, SolveJob.kind)
                               .where(SolveJob.status == "queued", SolveJob.created_at < requeue_before)))
        lost = s.execute(update(SolveJob).where(SolveJob.status == "running", SolveJob.created_at < lost_before)
                         .values(status="failed", finished_at=now,
                                 error="worker lost: no result within the time allowed; ask again")).rowcount
        s.commit()
    for job_id, kind in stale:
        jobs.submit(kind, job_id)
    if stale or lost:
        log.warning("job sweep", extra={"requeued": len(stale), "lost": lost})
    return {"requeued": len(stale), "lost": lost}


def deliver_events() -> dict:
    """Domain events whose after-commit handler has not run yet (a crash after the commit,
    a failed handler whose back-off is over) are delivered now (see market/bus.py)."""
    from market import bus

    return bus.deliver_due()


def send_mail() -> dict:
    """Mail that is due: never handed to a sender (a crash after the commit), or waiting for
    a retry after a temporary failure (see market/mail/delivery.py)."""
    from market.mail import delivery

    return delivery.send_due()


def send_webhooks() -> dict:
    """Webhook and chat-robot deliveries that are due (retries whose wait is over, ones no
    sender took after their commit, claims of a sender that died) go out now."""
    from market.notifications import sender

    return sender.send_due()


def send_notifications() -> dict:
    """Notification e-mails that are due (recorded at fan-out; quiet hours over) are sent."""
    from market.notifications import fanout

    return fanout.send_due()


def telemetry_rollup() -> dict:
    from market.telemetry import services

    return services.rollup_all()


def telemetry_purge() -> dict:
    from market.telemetry import services

    return {"deleted": services.purge_readings()}


def payments_retry() -> dict:
    from market.payments import execution

    return {"orders": len(execution.retry_all())}


def payout_release() -> dict:
    """Deliveries nobody confirmed within DELIVERY_AUTO_CONFIRM_DAYS are confirmed, which
    releases their payouts; assigned payouts whose buyer has not paid by the financing's due
    date become recourse on the factory."""
    from market.payments import assignments, services

    return {"confirmed": services.auto_confirm_deliveries(), "recourse": assignments.mark_overdue()}


def reminders() -> dict:
    """Facts that are true for a while and told once: payments overdue, deliveries about to be
    confirmed automatically, consents ending, instalments due or late, lender alerts."""
    from market.credit import reminders as credit
    from market.payments import reminders as payments

    return {**payments.publish_due(), **credit.publish_due()}


def expire_bids() -> dict:
    """Live bids whose validity ended are marked expired and their factories told."""
    from market.bidding import expiry

    return {"expired": expiry.expire_bids()}


def lease_rent() -> dict:
    """Rent invoices for lease periods whose days are all closed (from the ledger-committed
    machine days), then unpaid rent past its due day marked overdue, then the leased machines'
    alerts told to their lessors (once a day per lease and alert)."""
    from market.leasing import monitoring, rent

    return {"invoiced": rent.issue_invoices(), "overdue": rent.mark_overdue(), "alerts": monitoring.raise_alerts()}


def insurance_premiums() -> dict:
    """Premiums of policy periods that have started, priced from the machine's last 90 days;
    then policies past their last day end."""
    from market.insurance import premiums, services

    return {"invoiced": premiums.issue_premiums(), "ended": services.end_expired()}


def send_digests() -> dict:
    """One mail per user and DIGEST_EVERY_S listing the notifications they chose to get as a digest."""
    from market.notifications import digest

    return digest.send_due()


TASKS = {t.name: t for t in (
    Task("batch_match", batch_match, "BATCH_MATCH_EVERY_S"),
    Task("ledger_checkpoint", ledger_checkpoint, "CHECKPOINT_EVERY_S"),
    Task("expire_quotes", expire_quotes, "QUOTE_EXPIRY_EVERY_S"),
    Task("expire_bids", expire_bids, "BID_EXPIRY_EVERY_S"),
    Task("sweep_jobs", sweep_jobs, "JOB_SWEEP_EVERY_S"),
    Task("deliver_events", deliver_events, "EVENT_SWEEP_EVERY_S"),
    Task("send_webhooks", send_webhooks, "WEBHOOK_SWEEP_EVERY_S"),
    Task("send_mail", send_mail, "MAIL_SWEEP_EVERY_S"),
    Task("send_notifications", send_notifications, "NOTIFY_SEND_EVERY_S"),
    Task("telemetry_rollup", telemetry_rollup, "TELEMETRY_ROLLUP_EVERY_S"),
    Task("telemetry_purge", telemetry_purge, "TELEMETRY_PURGE_EVERY_S"),
    Task("payments_retry", payments_retry, "PAYMENTS_RETRY_EVERY_S"),
    Task("payout_release", payout_release, "PAYOUT_RELEASE_EVERY_S"),
    Task("reminders", reminders, "REMINDERS_EVERY_S"),
    Task("send_digests", send_digests, "NOTIFY_SEND_EVERY_S"),
    Task("lease_rent", lease_rent, "LEASE_RENT_EVERY_S"),
    Task("insurance_premiums", insurance_premiums, "INSURANCE_PREMIUMS_EVERY_S"),
)}


def intervals(config) -> dict[str, float]:
    """Task name -> seconds between runs; 0 switches a task off."""
    return {name: float(config[t.every_key]) for name, t in TASKS.items() if float(config[t.every_key]) > 0}


def run(name: str) -> dict:
    """Run periodic task `name` now (inside an app context), counted in /metrics."""
    try:
        result = TASKS[name].run()
    except Exception:
        PERIODIC_RUNS.labels(name, "failed").inc()
        log.exception("periodic task failed", extra={"task": name})
        raise
    PERIODIC_RUNS.labels(name, "ok").inc()
    log.info("periodic task ran", extra={"task": name, "result": result})
    return result
