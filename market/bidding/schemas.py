"""What the bidding API reads and answers. Money in integer minor units within the one
ceiling (api_common.Money); moments are aware ISO 8601."""
from __future__ import annotations

from datetime import timezone

import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import Integer, Money, StrictSchema


class OperationPriceIn(StrictSchema):
    seq = Integer(required=True, validate=validate.Range(min=1, max=1000))
    price_minor = Money(required=True)


class BidIn(StrictSchema):
    factory_id = fields.UUID(load_default=None, metadata={
        "description": "the bidding factory (one of yours); optional when your organization has one"})
    price_minor = Money(load_default=None, allow_none=True, metadata={"description": "price of the whole order"})
    operation_prices = fields.List(fields.Nested(OperationPriceIn), load_default=None, allow_none=True,
                                   validate=validate.Length(min=1, max=100),
                                   metadata={"description": "or a price per operation (every operation once)"})
    promised_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc,
                                       metadata={"description": "when the finished order will be ready"})
    expires_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc,
                                      metadata={"description": "the bid holds until then (at most 90 days)"})
    conditions = fields.String(load_default="", validate=validate.Length(max=4000))


class CounterIn(StrictSchema):
    price_minor = Money(load_default=None, allow_none=True)
    promised_at = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=timezone.utc)
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class NoteIn(StrictSchema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class OperationPriceOut(ma.Schema):
    seq = fields.Integer()
    price_minor = fields.Integer()


class BidStepOut(ma.Schema):
    revision = fields.Integer()
    kind = fields.String(metadata={"description": "submitted | revised | withdrawn | countered | counter_accepted | "
                                                  "counter_rejected | declined | accepted | lost | closed"})
    by = fields.String(metadata={"description": "factory | buyer | platform"})
    price_minor = fields.Integer(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)
    note = fields.String()
    operations = fields.List(fields.Nested(OperationPriceOut))
    at = fields.DateTime()
    ledger_index = fields.Integer(allow_none=True)


class BidAttachmentOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    filename = fields.String()
    content_type = fields.String()
    size_bytes = fields.Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()


class CounterOut(ma.Schema):
    price_minor = fields.Integer(allow_none=True)
    promised_at = fields.DateTime(allow_none=True)


def step_by(bid, step) -> str:
    if step.actor_org_id is None:
        return "platform"
    return "factory" if step.actor_org_id == bid.factory_org_id else "buyer"


class BidOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    order_id = fields.Function(lambda b: str(b.order.public_id))
    order_title = fields.Function(lambda b: b.order.title)
    factory_id = fields.Function(lambda b: str(b.factory.public_id))
    factory = fields.Function(lambda b: b.factory.name)
    status = fields.String(metadata={"description": "open | countered | withdrawn | declined | accepted | lost | closed"})
    revision = fields.Integer()
    price_basis = fields.String(metadata={"description": "order | operation"})
    price_minor = fields.Integer()
    operation_prices = fields.Method("_operations")
    currency = fields.String()
    promised_at = fields.DateTime()
    expires_at = fields.DateTime()
    conditions = fields.String()
    counter = fields.Method("_counter", allow_none=True, metadata={"description": "the buyer's pending counter-offer"})
    quote_id = fields.Function(lambda b: str(b.quote.public_id) if b.quote else None, allow_none=True, metadata={
        "description": "the quote that booked the accepted bid (GET /quotes/{id})"})
    steps = fields.Method("_steps", metadata={"description": "the whole thread, oldest first"})
    attachments = fields.List(fields.Nested(BidAttachmentOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _operations(self, bid):
        return [{"seq": seq, "price_minor": p} for seq, p in sorted(bid.operation_prices.items())]

    def _counter(self, bid):
        if bid.status != "countered":
            return None
        return CounterOut().dump({"price_minor": bid.counter_price_minor, "promised_at": bid.counter_promised_at})

    def _steps(self, bid):
        return [BidStepOut().dump({**{k: getattr(step, k) for k in ("revision", "kind", "price_minor", "promised_at",
                                                                    "expires_at", "note", "at", "ledger_index")},
                                   "operations": step.operations, "by": step_by(bid, step)}) for step in bid.steps]
