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
from sqlalchemy import insert, select
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
    # the endpoints with, for each, whether it was told this event already: one query
    told = WebhookDelivery.id.is_not(None)
    query = (select(WebhookEndpoint.id, WebhookEndpoint.kinds, told)
             .outerjoin(WebhookDelivery, (WebhookDelivery.endpoint_id == WebhookEndpoint.id)
                        & (WebhookDelivery.event_id == event_id))
             .where(WebhookEndpoint.organization_id == organization_id, WebhookEndpoint.status == "active"))
    if endpoint_ids is not None:
        query = query.where(WebhookEndpoint.id.in_(endpoint_ids))
    owed = [endpoint_id for endpoint_id, kinds, done in session.execute(query)
            if not done and (endpoint_ids is not None or kind in kinds)]
    if not owed:
        return []
    now = utcnow()
    body = {"id": event_id, "type": kind, "timestamp": now.isoformat().replace("+00:00", "Z"), "data": data}
    # a Core insert: the fan-out writes one per event, and the ORM's flush costs more than the row
    table = WebhookDelivery.__table__
    rows = [{"endpoint_id": endpoint_id, "event_id": event_id, "kind": kind, "body": body, "next_attempt_at": now,
             "created_at": now} for endpoint_id in owed]
    ids = list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
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
