"""Sending deliveries: claim, POST, record; retry with back-off; disable a dead endpoint.

A delivery is claimed by moving it to "sending" with a lease (next_attempt_at = now +
WEBHOOK_LEASE_S) in one committed UPDATE, so two senders never send it at once; a sender
killed mid-batch leaves its claims to expire, and the sweep sends them then. Results are
committed as they come in (group commit), so a crash repeats at most the requests that were
in flight or just answered (at-least-once: the receiver recognises a repeat by its
`webhook-id`).

`now` drives the schedule (tests inject it); the `webhook-timestamp` a receiver checks is
always the real clock.
"""
from __future__ import annotations

import json
import logging
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Text, cast, delete, insert, or_, select, update

from market import bus
from market.db import among, sqlite_writer, unit_of_work, utcnow
from market.errors import Invalid
from market.notifications import http, robots, signing, ssrf
from market.notifications.domain_events import WebhookEndpointDisabled
from market.notifications.webhook_models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger("market.notifications.sender")
DUE = ("pending", "sending")  # a "sending" row whose lease is over is due again
RECORD_EVERY_S = 0.05  # the results of concurrent sends are committed together at this pace


def send_due(now: datetime | None = None, limit: int | None = None) -> dict:
    """The sweep: send every due delivery (new ones nobody handed off, retries whose wait
    is over, claims of a lost sender); purge old log rows. Returns counts by outcome."""
    now = now or utcnow()
    limit = limit or current_app.config["WEBHOOK_BATCH"]
    totals: Counter = Counter()
    while True:
        claimed = _claim(now, None, limit)
        if not claimed:
            break
        totals.update(_send_all(claimed, now))
        if len(claimed) < limit:
            break
    totals["purged"] = _purge(now)
    return dict(totals)


def follow(every_s: float, *, stop=None) -> None:
    """A sender process (`market webhooks-send --follow SECONDS`, with WEBHOOK_DISPATCH=sweep in
    the processes that write deliveries): claim and send what is due, look again after
    `every_s` when nothing was, until `stop` (a threading.Event) is set. Its own interpreter,
    so its POSTs and bookkeeping do not queue for the GIL behind the web or fan-out work of
    the writing process (the figures are in docs/notifications.md). Old log rows are purged
    once a minute, not on every look."""
    limit = current_app.config["WEBHOOK_BATCH"]
    purged_at = 0.0
    while stop is None or not stop.is_set():
        now = utcnow()
        claimed = _claim(now, None, limit)
        if claimed:
            _send_all(claimed, now)
        if time.monotonic() - purged_at > 60:
            _purge(now)
            purged_at = time.monotonic()
        if len(claimed) < limit:
            time.sleep(every_s)


def send_ids(ids: list[int], now: datetime | None = None) -> dict:
    """Send these deliveries now if they are still due (the hand-off after a commit)."""
    now = now or utcnow()
    counts: Counter = Counter()
    batch = current_app.config["WEBHOOK_BATCH"]
    for start in range(0, len(ids), batch):
        counts.update(_send_all(_claim(now, ids[start:start + batch], batch), now))
    return dict(counts)


def _claim(now: datetime, ids: list[int] | None, limit: int) -> list[int]:
    lease = timedelta(seconds=current_app.config["WEBHOOK_LEASE_S"])
    due = (WebhookDelivery.status.in_(DUE), WebhookDelivery.next_attempt_at <= now)
    with sqlite_writer(), unit_of_work() as s:
        if ids is None:
            ids = list(s.scalars(select(WebhookDelivery.id).where(*due)
                                 .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit)))
        if not ids:
            return []
        # the WHERE is evaluated again under the row lock: of two senders, one gets each row
        claimed = list(s.scalars(update(WebhookDelivery).where(among(s, WebhookDelivery.id, ids), *due)
                                 .values(status="sending", next_attempt_at=now + lease)
                                 .returning(WebhookDelivery.id)))
        s.commit()
    return sorted(claimed)


@dataclass(frozen=True)
class _Job:
    """What a sender thread needs for one delivery (read for the whole batch in one query)."""
    delivery_id: int
    endpoint_id: int
    event_id: str
    body: str  # the JSON text as written when the delivery was owed (webhooks.deliver_webhooks)
    channel: str
    url: str
    secret: str | None
    language: str
    target: ssrf.Target | None = None  # the endpoint's checked addresses, resolved once per batch


def _send_all(ids: list[int], now: datetime) -> Counter:
    """POST the claimed deliveries on WEBHOOK_SENDER_THREADS threads; results are committed
    as they come in (all that finished while the previous commit ran go in one transaction,
    so the database keeps up with the senders and a crash repeats only those few)."""
    if not ids:
        return Counter()
    app = current_app._get_current_object()
    jobs, counts = _load(ids)
    threads = max(1, int(app.config["WEBHOOK_SENDER_THREADS"]))

    def post(job: _Job):
        with app.app_context():
            return _post(job)

    if threads == 1 or len(jobs) == 1:
        for job in jobs:
            counts.update(_record([post(job)], now))
        return counts
    pool = app.extensions.get("webhook_senders")
    if pool is None or pool._max_workers != threads:
        pool = app.extensions["webhook_senders"] = ThreadPoolExecutor(threads, thread_name_prefix="webhook-send")
    pending = {pool.submit(post, job) for job in jobs}
    while pending:
        # what finishes within RECORD_EVERY_S goes in one transaction: few commits, and a crash
        # repeats at most those requests (at-least-once; the receiver knows them by webhook-id)
        done, pending = wait(pending, timeout=RECORD_EVERY_S)
        if done:
            counts.update(_record([f.result() for f in done], now))
    return counts


def _load(ids: list[int]) -> tuple[list[_Job], Counter]:
    counts: Counter = Counter()
    with unit_of_work() as s:
        # the body as stored text: sent and signed as is, never decoded and encoded again
        rows = s.execute(select(WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookDelivery.event_id,
                                cast(WebhookDelivery.body, Text), WebhookDelivery.status, WebhookEndpoint.status,
                                WebhookEndpoint.channel, WebhookEndpoint.url, WebhookEndpoint.secret,
                                WebhookEndpoint.language)
                         .join(WebhookEndpoint).where(among(s, WebhookDelivery.id, ids))).all()
        jobs, cancelled = [], []
        targets: dict[str, ssrf.Target | None] = {}
        policy = ssrf.Policy.from_config(current_app.config)
        for delivery_id, endpoint_id, event_id, body, status, endpoint_status, channel, url, secret, language in rows:
            if status != "sending":
                counts["skipped"] += 1
            elif endpoint_status != "active":
                cancelled.append(delivery_id)
            else:
                if channel == "standard" and url not in targets:
                    # the SSRF check once per endpoint and batch (not per request): its addresses
                    # are what every request of the batch connects to. A refusal is each job's own.
                    try:
                        targets[url] = ssrf.resolve(url, policy)
                    except Invalid:
                        targets[url] = None
                jobs.append(_Job(delivery_id, endpoint_id, event_id, body, channel, url, secret, language,
                                 targets.get(url)))
        if cancelled:
            s.execute(update(WebhookDelivery).where(among(s, WebhookDelivery.id, cancelled))
                      .values(status="cancelled", last_error="endpoint disabled"))
            counts["cancelled"] += len(cancelled)
        s.commit()
    return jobs, counts


def _post(job: _Job) -> tuple[_Job, http.Response, bool]:
    """The request of one delivery (no database): its answer and whether it counts as received."""
    config = current_app.config
    sent_at = utcnow()  # what the receiver checks against its clock, whatever the sweep's `now` is
    timeouts = {"connect_timeout": config["WEBHOOK_CONNECT_TIMEOUT_S"], "timeout": config["WEBHOOK_TIMEOUT_S"]}
    try:
        if job.channel == "standard":
            target = job.target or ssrf.resolve(job.url, ssrf.Policy.from_config(config))
            payload = job.body.encode()
            headers = signing.standard_headers(job.secret, job.event_id, sent_at, payload)
            answer = http.post(target, payload, headers, **timeouts)
            return job, answer, answer.ok
        robot_url, payload_bytes = robots.request_for(job.channel, job.url, job.secret, json.loads(job.body),
                                                      job.language, sent_at)
        answer = http.post(ssrf.resolve(robot_url, ssrf.Policy.from_config(config)), payload_bytes, {}, **timeouts)
        return job, answer, robots.accepted(job.channel, answer.status_code, answer.body)
    except Invalid as exc:  # the host now resolves to a refused address (DNS rebinding) or none
        return job, http.Response(False, None, 0, None, f"refused: {exc.detail}"), False
    except Exception as exc:  # a bug must not leave the claim to its lease only: log it as an attempt
        log.exception("webhook send failed", extra={"delivery_id": job.delivery_id})
        return job, http.Response(False, None, 0, None, f"internal error: {type(exc).__name__}"), False


def _record(results: list[tuple[_Job, http.Response, bool]], now: datetime) -> Counter:
    """Write the outcome of these requests in one transaction: the log, the delivery's next
    step (done, retry at its back-off, failed), the endpoint's health. Successes, the bulk
    of the work, are written with a few statements (one executemany for the log, one UPDATE
    of the deliveries per status code, one of their endpoints); failures one by one."""
    counts: Counter = Counter()
    with sqlite_writer(), unit_of_work() as s:
        at = utcnow()
        s.execute(insert(WebhookAttempt.__table__), [
            {"delivery_id": job.delivery_id, "attempted_at": at, "ok": ok, "status_code": answer.status_code,
             "duration_ms": answer.duration_ms, "error": _error(answer, ok), "response_body": answer.body}
            for job, answer, ok in results])
        by_code: dict[int | None, list[int]] = {}
        endpoint_ids: set[int] = set()
        for job, answer, ok in results:
            if ok:
                by_code.setdefault(answer.status_code, []).append(job.delivery_id)
                endpoint_ids.add(job.endpoint_id)
        table = WebhookDelivery.__table__  # Core, one UPDATE per status code (nearly always one): no ORM
        for code, done in by_code.items():
            s.execute(update(table).where(among(s, table.c.id, done))
                      .values(status="delivered", delivered_at=at, attempts=table.c.attempts + 1,
                              last_status_code=code, last_error=None))
            counts["delivered"] += len(done)
        if endpoint_ids:  # a success ends the endpoint's failing spell (the job knows its endpoint)
            s.execute(update(WebhookEndpoint).where(among(s, WebhookEndpoint.id, endpoint_ids),
                                                    WebhookEndpoint.failing_since.is_not(None))
                      .values(failing_since=None).execution_options(synchronize_session=False))
        for job, answer, ok in results:
            if not ok:
                counts[_failed(s, job.delivery_id, answer, now)] += 1
        s.commit()
    return counts


def _error(answer: http.Response, ok: bool) -> str | None:
    return answer.error or (None if ok else f"answered {answer.status_code}")


def _failed(s, delivery_id: int, answer: http.Response, now: datetime) -> str:
    """A failed attempt: retry after the next wait of the schedule, or give up; disable the
    endpoint when it has been failing persistently. Returns the delivery's new status."""
    config = current_app.config
    schedule = config["WEBHOOK_RETRY_SCHEDULE_S"]
    delivery = s.get(WebhookDelivery, delivery_id)
    endpoint = s.get(WebhookEndpoint, delivery.endpoint_id)
    error = _error(answer, False)
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = answer.status_code, error
    if delivery.attempts <= len(schedule):
        delivery.status = "pending"
        delivery.next_attempt_at = now + timedelta(seconds=schedule[delivery.attempts - 1])
    else:
        delivery.status = "failed"
    endpoint.failing_since = endpoint.failing_since or now
    dead_for = (now - endpoint.failing_since).total_seconds()
    # persistent failure: a delivery spent its whole schedule (~24 h; a manual redelivery of
    # it failing again does not count), or nothing got through for WEBHOOK_DISABLE_AFTER_S
    spent = delivery.attempts == len(schedule) + 1
    if endpoint.status == "active" and (spent or dead_for >= config["WEBHOOK_DISABLE_AFTER_S"]):
        _disable(s, endpoint, now, reason=f"every delivery failed for {dead_for / 3600:.1f} h (last: {error})")
    return delivery.status


def _disable(s, endpoint: WebhookEndpoint, now: datetime, reason: str) -> None:
    """Stop sending to an endpoint that stopped answering: its owners are told (the event
    below; the notification core turns it into an in-app notice and mail) and it stays
    visible, with the reason, on the webhooks page until an owner enables it again."""
    endpoint.status, endpoint.disabled_at, endpoint.disabled_reason = "disabled", now, reason[:500]
    s.execute(update(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                            WebhookDelivery.status == "pending")
              .values(status="cancelled", last_error="endpoint disabled"))
    log.warning("webhook endpoint disabled", extra={"endpoint": str(endpoint.public_id), "reason": reason})
    bus.publish(s, WebhookEndpointDisabled(endpoint_id=str(endpoint.public_id), organization_id=endpoint.organization_id,
                                           url=endpoint.url, reason=reason[:500], disabled_at=now.isoformat()))


def _purge(now: datetime) -> int:
    """Settled deliveries older than WEBHOOK_KEEP_DAYS leave the log (their attempts cascade)."""
    before = now - timedelta(days=current_app.config["WEBHOOK_KEEP_DAYS"])
    with unit_of_work() as s:
        old = select(WebhookDelivery.id).where(
            or_(WebhookDelivery.status.in_(("delivered", "failed", "cancelled"))), WebhookDelivery.created_at < before)
        ids = list(s.scalars(old.limit(5000)))
        if ids:
            s.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(ids)))
            s.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
        s.commit()
    return len(ids)
