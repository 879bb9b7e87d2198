"""The webhook channel's entry point for whoever decides who is told what (the notification
core): `deliver_webhook` writes one delivery per subscribed endpoint into the caller's
transaction and, once that commits, hands them to a sender off the request path.

    from market.notifications.webhooks import deliver_webhook
    with unit_of_work() as s:
        ...  # the business change
        deliver_webhook(s, organization_id=org.id, kind="quote.accepted",
                        data={"order": {"id": str(order.public_id)}, "links": {"self": external_url(...)}},
                        event_id=f"evt_{...}")
        s.commit()

`data` is what the receiving organization may see: ids, states and links, never another
tenant's private figures (the caller builds it for this recipient). `event_id` makes it
idempotent: the same event told twice to an endpoint is one delivery.
"""
from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import jobs
from market.db import after_commit, utcnow
from market.notifications.kinds import KINDS
from market.notifications.webhook_models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("market.notifications.webhooks")
TASK = "notifications.send_webhooks"


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def deliver_webhook(session: Session, organization_id: int, kind: str, data: dict, *,
                    event_id: str | None = None, endpoint_ids: list[int] | None = None) -> list[int]:
    """Owe event `kind` to every active endpoint of `organization_id` subscribed to it (or
    to `endpoint_ids`, whatever they subscribed to: test events and redeliveries). Returns
    the new deliveries' ids; they go out after `session` commits, never if it rolls back."""
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}: add it to market/notifications/kinds.py")
    event_id = event_id or new_event_id()
    query = select(WebhookEndpoint).where(WebhookEndpoint.organization_id == organization_id,
                                          WebhookEndpoint.status == "active")
    if endpoint_ids is not None:
        query = query.where(WebhookEndpoint.id.in_(endpoint_ids))
    endpoints = [e for e in session.scalars(query) if endpoint_ids is not None or kind in e.kinds]
    if not endpoints:
        return []
    told = set(session.scalars(select(WebhookDelivery.endpoint_id).where(
        WebhookDelivery.event_id == event_id, WebhookDelivery.endpoint_id.in_([e.id for e in endpoints]))))
    now = utcnow()
    body = {"id": event_id, "type": kind, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    rows = [WebhookDelivery(endpoint_id=e.id, event_id=event_id, kind=kind, body=body, next_attempt_at=now)
            for e in endpoints if e.id not in told]
    session.add_all(rows)
    session.flush()
    ids = [row.id for row in rows]
    for delivery_id in ids:
        after_commit(session, "webhooks_pending", delivery_id, _dispatch_after_commit)
    return ids


def _dispatch_after_commit(ids: list[int]) -> None:
    if current_app.config["WEBHOOK_DISPATCH"] == "background":
        dispatch(current_app._get_current_object(), ids)


def dispatch(app: Flask, ids: list[int]) -> None:
    """Hand deliveries to a sender: the broker's workers when there is one, else this
    process's webhook thread (never the request's thread: a slow receiver costs nobody's
    answer). If both fail the periodic sweep sends them: the rows are committed already."""
    if app.config.get("CELERY_BROKER_URL"):
        try:
            jobs.send_task(app, TASK, args=[ids])
            return
        except Exception as exc:
            log.warning("broker unreachable, sending webhooks in-process", extra={"error": str(exc)})
    executor = app.extensions.get("webhook_dispatch")
    if executor is None:
        executor = app.extensions["webhook_dispatch"] = ThreadPoolExecutor(1, thread_name_prefix="webhooks")

    def run():
        from market.notifications import sender

        with app.app_context():
            try:
                sender.send_ids(ids)
            except Exception:
                log.exception("webhook dispatch failed; the sweep will retry")

    executor.submit(run)
