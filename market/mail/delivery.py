"""Sending what the queue holds, once per message.

A sender first claims a row (pending -> sending, in its own committed transaction, only if
nobody else did), then talks to the server, then records the outcome. Two senders (the
after-commit job and the sweep, or two workers) never both send a row. A sender that dies
after its claim leaves the row "sending" until MAIL_SEND_LEASE_S passes; the sweep then
makes it due again. (That one case may send a message twice, if the death came after the
server took it and before "sent" was recorded: the receiver sees the same Message-ID.)

Temporary failures (4xx, unreachable, timeout) are retried with exponential back-off,
MAIL_RETRY_BASE_S x 2^(attempt-1), up to MAIL_MAX_ATTEMPTS; a permanent refusal (5xx) marks
the row failed at once. last_error is for the operator's page and log, never for a user.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app
from sqlalchemy import select, update

from market import jobs
from market.db import unit_of_work, utcnow
from market.mail import transport
from market.mail.addresses import mail_domain, sender_address
from market.mail.models import OutboxEmail

log = logging.getLogger("market.mail")

TASK = "market.send_mail"
MAX_BACKOFF = timedelta(hours=6)


def as_message(row: OutboxEmail) -> EmailMessage:
    """The MIME message of a queued row: text, and HTML as its alternative. The default
    policy writes a non-ASCII subject as RFC 2047 encoded words (=?utf-8?b?...?=)."""
    message = EmailMessage()
    message["From"] = sender_address()
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to us
    message.set_content(row.body)
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html")
    message["Content-Language"] = row.language.replace("_", "-")  # after: set_content drops Content-* headers
    return message


def send_later(ids: list[int]) -> None:
    """Hand the rows to a background job (Celery with a broker, else this process's worker
    thread): the request that queued them does not wait for the mail server."""
    jobs.submit(TASK, list(ids), kind="mail")


def send_task(ids: list[int]) -> None:
    """The background job: send each row that is due and nobody else claimed."""
    for mail_id in ids:
        send(mail_id)


def _claim(mail_id: int, now: datetime) -> OutboxEmail | None:
    lease = timedelta(seconds=float(current_app.config["MAIL_SEND_LEASE_S"]))
    with unit_of_work() as s:
        claimed = s.execute(update(OutboxEmail)
                            .where(OutboxEmail.id == mail_id, OutboxEmail.status == "pending",
                                   OutboxEmail.next_attempt_at <= now)
                            .values(status="sending", attempts=OutboxEmail.attempts + 1,
                                    next_attempt_at=now + lease)).rowcount
        s.commit()
        if not claimed:
            return None
        row = s.get(OutboxEmail, mail_id)
        if row.message_id is None:  # queued before 0018
            row.message_id = make_msgid(domain=mail_domain())
            s.commit()
        return row


def send(mail_id: int, now: datetime | None = None) -> str | None:
    """Send one row if it is due and unclaimed. Returns its new status ("sent", "pending"
    for a retry, "failed"), or None when it was not this caller's to send."""
    now = now or utcnow()
    row = _claim(mail_id, now)
    if row is None:
        return None
    config = current_app.config
    try:
        try:
            message = as_message(row)
        except ValueError as exc:  # e.g. a line break in the address: no server will ever take it
            raise transport.PermanentFailure(f"not a message: {exc}") from exc
        transport.for_app(config).send(message)
    except transport.PermanentFailure as exc:
        values = {"status": "failed", "last_error": str(exc)[:2000]}
    except Exception as exc:  # temporary, or unexpected: the back-off keeps it from looping
        backoff = min(MAX_BACKOFF, timedelta(seconds=float(config["MAIL_RETRY_BASE_S"]) * 2 ** (row.attempts - 1)))
        failed = row.attempts >= int(config["MAIL_MAX_ATTEMPTS"])
        values = {"status": "failed" if failed else "pending", "next_attempt_at": now + backoff,
                  "last_error": str(exc)[:2000]}
    else:
        values = {"status": "sent", "sent_at": utcnow(), "last_error": None}
    if values["status"] != "sent":
        log.warning("mail not sent", extra={"mail_id": mail_id, "attempts": row.attempts, "status": values["status"],
                                            "error": values["last_error"]})
    with unit_of_work() as s:
        s.execute(update(OutboxEmail).where(OutboxEmail.id == mail_id).values(**values))
        s.commit()
    return values["status"]


def send_due(now: datetime | None = None, limit: int = 200) -> dict:
    """The periodic sweep: rows due now (never handed to a job because of a crash, or
    waiting for a retry) are sent; a row "sending" past its lease lost its sender."""
    now = now or utcnow()
    with unit_of_work() as s:
        s.execute(update(OutboxEmail).where(OutboxEmail.status == "sending", OutboxEmail.next_attempt_at <= now)
                  .values(status="pending"))
        ids = s.scalars(select(OutboxEmail.id).where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
                        .order_by(OutboxEmail.id).limit(limit)).all()
        s.commit()
    counts: dict[str, int] = defaultdict(int)
    for mail_id in ids:
        counts[send(mail_id, now) or "skipped"] += 1
    return dict(counts)


def retry_now(mail_id: int) -> bool:
    """The operator's "send again" for a failed row: due now, attempts counted afresh."""
    with unit_of_work() as s:
        changed = s.execute(update(OutboxEmail).where(OutboxEmail.id == mail_id, OutboxEmail.status == "failed")
                            .values(status="pending", attempts=0, next_attempt_at=utcnow())).rowcount
        s.commit()
    return bool(changed)


def recent(limit: int = 50) -> list[OutboxEmail]:
    """The newest rows of the queue, for the operator's page."""
    with unit_of_work() as s:
        return list(s.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit)))
