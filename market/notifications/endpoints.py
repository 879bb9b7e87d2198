"""Managing an organization's webhook endpoints and chat robots (owners only) and reading
their delivery log. Each function is one unit of work."""
from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market import policy
from market.auth import Actor
from market.db import unit_of_work, utcnow
from market.errors import Conflict, Invalid, NotFound
from market.notifications import signing, ssrf
from market.notifications.kinds import SUBSCRIBABLE
from market.notifications.webhook_models import CHANNELS, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from market.notifications.webhooks import deliver_webhook, dispatch
from market.pagination import Order as Keys
from market.pagination import Page, window

MAX_ROBOT_SECRET = 200
LANGUAGES = ("en", "zh_CN")


@dataclass(frozen=True)
class Created:
    endpoint: WebhookEndpoint
    secret: str | None  # shown once


def _check_kinds(kinds: list[str]) -> list[str]:
    unknown = sorted(set(kinds) - set(SUBSCRIBABLE))
    if unknown:
        raise Invalid(f"unknown event kind(s): {', '.join(unknown)}", field="kinds")
    if not kinds:
        raise Invalid("subscribe to at least one event kind", field="kinds")
    return [k for k in SUBSCRIBABLE if k in kinds]  # catalogue order, no repeats


def _check_secret(channel: str, secret: str | None) -> str | None:
    if channel == "standard":
        if not secret:
            return signing.new_secret()
        raw = secret.removeprefix(signing.SECRET_PREFIX)
        try:
            key = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise Invalid("secret must be whsec_ followed by base64", field="secret") from None
        if not signing.MIN_SECRET_BYTES <= len(key) <= signing.MAX_SECRET_BYTES:
            raise Invalid(f"secret must be {signing.MIN_SECRET_BYTES} to {signing.MAX_SECRET_BYTES} bytes, "
                          f"not {len(key)}", field="secret")
        return signing.SECRET_PREFIX + raw
    if secret is not None and len(secret) > MAX_ROBOT_SECRET:
        raise Invalid(f"secret longer than {MAX_ROBOT_SECRET} characters", field="secret")
    if secret and channel == "wecom":
        raise Invalid("WeCom robots are not signed: leave the secret empty (the key in the URL is the secret)",
                      field="secret")
    return secret or None


def _policy() -> ssrf.Policy:
    return ssrf.Policy.from_config(current_app.config)


def _own(s: Session, actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = s.scalar(select(WebhookEndpoint).where(WebhookEndpoint.public_id == endpoint_id,
                                                      WebhookEndpoint.organization_id == actor.org_id))
    if endpoint is None:
        raise NotFound("no such webhook endpoint")
    return endpoint


def create_endpoint(actor: Actor, *, url: str, kinds: list[str], channel: str = "standard", description: str = "",
                    secret: str | None = None, language: str = "en") -> Created:
    policy.require_owner(actor, "manage webhooks")
    if channel not in CHANNELS:
        raise Invalid(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if language not in LANGUAGES:
        raise Invalid(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    kinds = _check_kinds(kinds)
    secret = _check_secret(channel, secret)
    ssrf.resolve(url, _policy())
    with unit_of_work() as s:
        count = s.scalar(select(func.count()).select_from(WebhookEndpoint)
                         .where(WebhookEndpoint.organization_id == actor.org_id))
        if count >= current_app.config["WEBHOOK_MAX_ENDPOINTS"]:
            raise Conflict(f"an organization has at most {current_app.config['WEBHOOK_MAX_ENDPOINTS']} endpoints")
        endpoint = WebhookEndpoint(organization_id=actor.org_id, channel=channel, url=url.strip(),
                                   description=description, kinds=kinds, secret=secret, language=language,
                                   created_by_id=actor.user_id)
        s.add(endpoint)
        s.commit()
    return Created(endpoint, secret if channel == "standard" else None)


def list_endpoints(actor: Actor) -> list[WebhookEndpoint]:
    # owners only: a robot's URL carries its access key
    policy.require_owner(actor, "read webhook endpoints")
    with unit_of_work() as s:
        return list(s.scalars(select(WebhookEndpoint).where(WebhookEndpoint.organization_id == actor.org_id)
                              .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)))


def get_endpoint(actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    policy.require_owner(actor, "read webhook endpoints")
    with unit_of_work() as s:
        return _own(s, actor, endpoint_id)


def update_endpoint(actor: Actor, endpoint_id: uuid.UUID, **changes) -> WebhookEndpoint:
    """Change url, kinds, description, language or status ("active" enables a disabled
    endpoint again, forgetting its failures; "disabled" stops it)."""
    policy.require_owner(actor, "manage webhooks")
    with unit_of_work() as s:
        endpoint = _own(s, actor, endpoint_id)
        if "url" in changes:
            ssrf.resolve(changes["url"], _policy())
            endpoint.url = changes["url"].strip()
        if "kinds" in changes:
            endpoint.kinds = _check_kinds(changes["kinds"])
        if "description" in changes:
            endpoint.description = changes["description"]
        if "language" in changes:
            if changes["language"] not in LANGUAGES:
                raise Invalid(f"language must be one of {', '.join(LANGUAGES)}", field="language")
            endpoint.language = changes["language"]
        if changes.get("status") == "active" and endpoint.status != "active":
            endpoint.status, endpoint.disabled_at, endpoint.disabled_reason = "active", None, None
            endpoint.failing_since = None
        elif changes.get("status") == "disabled" and endpoint.status != "disabled":
            endpoint.status, endpoint.disabled_at = "disabled", utcnow()
            endpoint.disabled_reason = "disabled by an owner"
        s.commit()
        return endpoint


def rotate_secret(actor: Actor, endpoint_id: uuid.UUID) -> Created:
    policy.require_owner(actor, "manage webhooks")
    with unit_of_work() as s:
        endpoint = _own(s, actor, endpoint_id)
        if endpoint.channel != "standard":
            raise Conflict("a chat robot's secret is set in the chat app; edit the robot instead", field="secret")
        endpoint.secret = signing.new_secret()
        s.commit()
        return Created(endpoint, endpoint.secret)


def delete_endpoint(actor: Actor, endpoint_id: uuid.UUID) -> None:
    policy.require_owner(actor, "manage webhooks")
    with unit_of_work() as s:
        endpoint = _own(s, actor, endpoint_id)
        delivery_ids = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
        s.execute(WebhookAttempt.__table__.delete().where(WebhookAttempt.delivery_id.in_(delivery_ids)))
        s.execute(WebhookDelivery.__table__.delete().where(WebhookDelivery.endpoint_id == endpoint.id))
        s.delete(endpoint)
        s.commit()


def send_test(actor: Actor, endpoint_id: uuid.UUID) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only: ids and a link, nothing private."""
    from market.web.links import public_base_url

    policy.require_owner(actor, "manage webhooks")
    with unit_of_work() as s:
        endpoint = _own(s, actor, endpoint_id)
        if endpoint.status != "active":
            raise Conflict("the endpoint is disabled: enable it first", field="status")
        data = {"endpoint": {"id": str(endpoint.public_id)}, "organization": {"id": str(actor.org_public_id)},
                "summary": "Test event", "links": {"self": public_base_url() + "/settings/webhooks"}}
        [delivery_id] = deliver_webhook(s, actor.org_id, "webhook.test", data, endpoint_ids=[endpoint.id])
        s.commit()
        return s.get(WebhookDelivery, delivery_id)


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


NEWEST_DELIVERY_FIRST = Keys.of(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())


def list_deliveries(actor: Actor, endpoint_id: uuid.UUID, *, status: str | None = None, page: int = 1,
                    per_page: int = 20, cursor: str | None = None) -> Page[DeliveryView]:
    """The endpoint's delivery log, newest first, each with its attempts (keyset pages: the
    log of a busy endpoint is long)."""
    policy.require_owner(actor, "read the webhook log")
    with unit_of_work() as s:
        endpoint = _own(s, actor, endpoint_id)
        mine = select(WebhookDelivery.id, WebhookDelivery.created_at).where(WebhookDelivery.endpoint_id == endpoint.id)
        if status:
            mine = mine.where(WebhookDelivery.status == status)
        shown = window(mine, page, per_page, order=NEWEST_DELIVERY_FIRST, cursor=cursor)
        # one statement, so one snapshot: read in two, a sender committing in between shows an
        # attempt next to the status its delivery had before it (READ COMMITTED read skew)
        rows = s.execute(select(WebhookDelivery, WebhookAttempt)
                         .outerjoin(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
                         .where(WebhookDelivery.id.in_(select(shown.stmt.subquery().c.id)))
                         .order_by(*NEWEST_DELIVERY_FIRST.clauses(), WebhookAttempt.id))
        attempts: dict[WebhookDelivery, list[WebhookAttempt]] = {}
        for delivery, attempt in rows:
            attempts.setdefault(delivery, []).extend([attempt] if attempt is not None else [])
        views = [DeliveryView(d, tried) for d, tried in attempts.items()]
        return shown.finish(views, key_of=lambda v: (v.delivery.created_at, v.delivery.id),
                            count=lambda: s.scalar(select(func.count()).select_from(mine.subquery())))


def redeliver(actor: Actor, delivery_id: uuid.UUID, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again (same webhook-id: a receiver that has it recognises it)."""
    policy.require_owner(actor, "redeliver webhooks")
    now = now or utcnow()
    with unit_of_work() as s:
        row = s.execute(select(WebhookDelivery, WebhookEndpoint).join(WebhookEndpoint)
                        .where(WebhookDelivery.public_id == delivery_id,
                               WebhookEndpoint.organization_id == actor.org_id)).one_or_none()
        if row is None:
            raise NotFound("no such delivery")
        delivery, endpoint = row
        if endpoint.status != "active":
            raise Conflict("the endpoint is disabled: enable it first", field="status")
        if delivery.status == "sending":
            raise Conflict("the delivery is being sent right now", field="status")
        delivery.status, delivery.next_attempt_at = "pending", now
        s.commit()
    if current_app.config["WEBHOOK_DISPATCH"] == "background":
        dispatch(current_app._get_current_object(), [delivery.id])
    return delivery
