"""REST API: an organization's webhook endpoints and chat robots, their delivery log,
redelivery. Managing them is for owners (a member's token gets 403)."""
from __future__ import annotations

from uuid import UUID

import marshmallow as ma
from flask_smorest import Blueprint

from market.api_common import PageArgs, StrictSchema, page_schema
from market.auth import api_actor, require_token
from market.notifications import endpoints as services
from market.notifications.kinds import SUBSCRIBABLE, label
from market.notifications.webhook_models import CHANNELS
from market.pagination import page_of

blp = Blueprint("webhooks_api", __name__, url_prefix="/api/v1",
                description="Webhooks (Standard Webhooks) and chat robots (WeCom, DingTalk, Feishu)")

Kinds = lambda **kw: ma.fields.List(ma.fields.String(validate=ma.validate.Length(max=64)),  # noqa: E731
                                    validate=ma.validate.Length(min=1, max=len(SUBSCRIBABLE)), **kw)


class EndpointIn(StrictSchema):
    url = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2048))
    kinds = Kinds(required=True)
    channel = ma.fields.String(load_default="standard", validate=ma.validate.OneOf(CHANNELS))
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    # Standard Webhooks: leave out to get a generated one (shown once); robots: the chat app's
    # signing secret (DingTalk "SEC…", Feishu), if the robot has one
    secret = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=500))
    language = ma.fields.String(load_default="en", validate=ma.validate.OneOf(services.LANGUAGES))


class EndpointPatch(StrictSchema):
    url = ma.fields.String(validate=ma.validate.Length(min=1, max=2048))
    kinds = Kinds()
    description = ma.fields.String(validate=ma.validate.Length(max=200))
    language = ma.fields.String(validate=ma.validate.OneOf(services.LANGUAGES))
    status = ma.fields.String(validate=ma.validate.OneOf(("active", "disabled")))


class EndpointOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    channel = ma.fields.String()
    url = ma.fields.String()
    description = ma.fields.String()
    kinds = ma.fields.List(ma.fields.String())
    language = ma.fields.String()
    status = ma.fields.String()
    disabled_at = ma.fields.DateTime(allow_none=True)
    disabled_reason = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()


class CreatedOut(EndpointOut):
    secret = ma.fields.String(attribute="secret_once", allow_none=True,
                              metadata={"description": "shown once: store it now"})


class AttemptOut(ma.Schema):
    attempted_at = ma.fields.DateTime()
    ok = ma.fields.Boolean()
    status_code = ma.fields.Integer(allow_none=True)
    duration_ms = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    response_body = ma.fields.String(allow_none=True)


class DeliveryOut(ma.Schema):
    id = ma.fields.UUID(attribute="delivery.public_id")
    event_id = ma.fields.String(attribute="delivery.event_id")
    kind = ma.fields.String(attribute="delivery.kind")
    status = ma.fields.String(attribute="delivery.status")
    attempts_made = ma.fields.Integer(attribute="delivery.attempts")
    next_attempt_at = ma.fields.DateTime(attribute="delivery.next_attempt_at")
    created_at = ma.fields.DateTime(attribute="delivery.created_at")
    delivered_at = ma.fields.DateTime(attribute="delivery.delivered_at", allow_none=True)
    body = ma.fields.Dict(attribute="delivery.body")
    attempts = ma.fields.List(ma.fields.Nested(AttemptOut))


class DeliveryArgs(PageArgs):
    status = ma.fields.String(validate=ma.validate.OneOf(("pending", "sending", "delivered", "failed", "cancelled")))


class QueuedOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    event_id = ma.fields.String()
    status = ma.fields.String()


class KindOut(ma.Schema):
    kind = ma.fields.String()
    label = ma.fields.String()


def _with_secret(created: services.Created):
    created.endpoint.secret_once = created.secret  # a plain attribute of this answer, never stored
    return created.endpoint


@blp.route("/webhooks/kinds")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(KindOut))
def kinds(args):
    """The event kinds an endpoint may subscribe to."""
    return page_of([{"kind": k, "label": label(k)} for k in SUBSCRIBABLE], **args)


@blp.route("/webhooks")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(EndpointOut))
def list_endpoints(args):
    """Your webhook endpoints."""
    return page_of(services.list_endpoints(api_actor()), **args)


@blp.route("/webhooks", methods=["POST"])
@require_token("write")
@blp.arguments(EndpointIn)
@blp.response(201, CreatedOut)
def create(data):
    """Register an endpoint. The answer carries its signing secret: the only time it is shown."""
    created = services.create_endpoint(api_actor(), **data)
    return _with_secret(created)


@blp.route("/webhooks/<uuid:endpoint_id>")
@require_token("read")
@blp.response(200, EndpointOut)
def get(endpoint_id: UUID):
    """One webhook endpoint with the event kinds it receives."""
    return services.get_endpoint(api_actor(), endpoint_id)


@blp.route("/webhooks/<uuid:endpoint_id>", methods=["PATCH"])
@require_token("write")
@blp.arguments(EndpointPatch)
@blp.response(200, EndpointOut)
def patch(data, endpoint_id: UUID):
    """Change a webhook endpoint's URL, kinds or state."""
    return services.update_endpoint(api_actor(), endpoint_id, **data)


@blp.route("/webhooks/<uuid:endpoint_id>", methods=["DELETE"])
@require_token("write")
@blp.response(204)
def delete(endpoint_id: UUID):
    """Delete a webhook endpoint; nothing more is sent to it."""
    services.delete_endpoint(api_actor(), endpoint_id)


@blp.route("/webhooks/<uuid:endpoint_id>/rotate-secret", methods=["POST"])
@require_token("write")
@blp.response(200, CreatedOut)
def rotate(endpoint_id: UUID):
    """Rotate a webhook endpoint's signing secret (the new one is shown once)."""
    created = services.rotate_secret(api_actor(), endpoint_id)
    return _with_secret(created)


@blp.route("/webhooks/<uuid:endpoint_id>/test", methods=["POST"])
@require_token("write")
@blp.response(202, QueuedOut)
def test(endpoint_id: UUID):
    """Send a `webhook.test` event to this endpoint."""
    return services.send_test(api_actor(), endpoint_id)


@blp.route("/webhooks/<uuid:endpoint_id>/deliveries")
@require_token("read")
@blp.arguments(DeliveryArgs, location="query")
@blp.response(200, page_schema(DeliveryOut))
def deliveries(args, endpoint_id: UUID):
    """The delivery log, newest first: each delivery with its attempts (response code,
    duration, the start of the receiver's answer)."""
    return services.list_deliveries(api_actor(), endpoint_id, **args)


@blp.route("/webhook-deliveries/<uuid:delivery_id>/redeliver", methods=["POST"])
@require_token("write")
@blp.response(202, QueuedOut)
def redeliver(delivery_id: UUID):
    """Send it again, with the same webhook-id."""
    return services.redeliver(api_actor(), delivery_id)
