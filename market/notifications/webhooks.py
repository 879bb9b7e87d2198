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

import json
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from market import jobs
from market.db import after_commit, among, insert_ids, json_text, utcnow
from market.notifications.kinds import KINDS
from market.notifications.webhook_models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("market.notifications.webhooks")
TASK = "notifications.send_webhooks"


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Owed:
    """One event owed to an organization's subscribed endpoints (see deliver_webhooks)."""

    organization_id: int
    kind: str
    data: dict
    event_id: str


def deliver_webhook(session: Session, organization_id: int, kind: str, data: dict, *,
                    event_id: str | None = None, endpoint_ids: list[int] | None = None) -> list[int]:
    """Owe event `kind` to every active endpoint of `organization_id` subscribed to it (or
    to `endpoint_ids`, whatever they subscribed to: test events and redeliveries). Returns
    the new deliveries' ids; they go out after `session` commits, never if it rolls back."""
    return deliver_webhooks(session, [Owed(organization_id, kind, data, event_id or new_event_id())],
                            endpoint_ids=endpoint_ids)


def deliver_webhooks(session: Session, owed: list[Owed], *, endpoint_ids: list[int] | None = None) -> list[int]:
    """`deliver_webhook` for many events at once (a fan-out batch): one query finds the
    endpoints of all their organizations with what each was told already, one INSERT writes
    the deliveries. An event id already delivered to an endpoint is not owed again."""
    for item in owed:
        if item.kind not in KINDS:
            raise ValueError(f"unknown event kind {item.kind!r}: add it to market/notifications/kinds.py")
    if not owed:
        return []
    organization_ids = {item.organization_id for item in owed}
    event_ids = {item.event_id for item in owed}
    # the endpoints, with which of these events each was told already: one query for the batch
    told_event = WebhookDelivery.event_id
    query = (select(WebhookEndpoint.id, WebhookEndpoint.organization_id, WebhookEndpoint.kinds, told_event)
             .outerjoin(WebhookDelivery, (WebhookDelivery.endpoint_id == WebhookEndpoint.id)
                        & among(session, WebhookDelivery.event_id, event_ids))
             .where(WebhookEndpoint.organization_id.in_(organization_ids), WebhookEndpoint.status == "active")
             .order_by(WebhookEndpoint.id))
    if endpoint_ids is not None:
        query = query.where(WebhookEndpoint.id.in_(endpoint_ids))
    endpoints: dict[int, dict[int, list]] = {}
    told: set[tuple[int, str]] = set()
    for endpoint_id, organization_id, kinds, event_id in session.execute(query):
        endpoints.setdefault(organization_id, {})[endpoint_id] = kinds
        if event_id is not None:
            told.add((endpoint_id, event_id))
    if not endpoints:
        return []
    now = utcnow()
    stamp = now.isoformat().replace("+00:00", "Z")
    rows = []
    for item in owed:
        body = None
        for endpoint_id, kinds in endpoints.get(item.organization_id, {}).items():
            if (endpoint_id, item.event_id) in told or (endpoint_ids is None and item.kind not in kinds):
                continue
            told.add((endpoint_id, item.event_id))
            # encoded once, here: the sender sends (and signs) this very text, on every attempt
            body = body or json.dumps({"id": item.event_id, "type": item.kind, "timestamp": stamp,
                                       "data": item.data}, separators=(",", ":"), ensure_ascii=False)
            rows.append({"endpoint_id": endpoint_id, "event_id": item.event_id, "kind": item.kind, "body": body,
                         "next_attempt_at": now, "created_at": now})
    if not rows:
        return []
    # a Core insert: the fan-out writes one per event, and the ORM's flush costs more than the row;
    # the body goes in as the text encoded above (json_text), not encoded again by the JSON type
    table = WebhookDelivery.__table__
    ids = insert_ids(session, table, rows, statement=insert(table).values(body=json_text(session, "body")))
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
