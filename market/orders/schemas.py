from datetime import timezone

import marshmallow as ma
from flask import g
from marshmallow import fields, validate

from market import policy
from market.api_common import Integer, Currency, Money, StrictSchema, SyncArgs
from market.orders.states import STATES


class OperationIn(StrictSchema):
    process_code = fields.String(required=True)
    setup_minutes = Integer(required=True, validate=validate.Range(min=0, max=100000))
    run_minutes_per_unit = fields.Float(required=True, validate=validate.Range(min=0, max=100000),
                                        metadata={"description": "minutes per piece, up to 3 decimals"})
    tolerance = fields.String(load_default="", validate=validate.Length(max=100))
    notes = fields.String(load_default="", validate=validate.Length(max=2000))
    component = fields.String(load_default="", validate=validate.Length(max=100), metadata={
        "description": "name of the component (in `components`) this operation makes; empty = the finished "
                       "product itself (e.g. its assembly)"})
    after = fields.List(Integer(validate=validate.Range(min=0, max=10**6)), load_default=None, allow_none=True,
                        validate=validate.Length(max=20), metadata={
        "description": "seqs (1-based positions in `operations`) that must be finished, and shipped here, "
                       "before this operation starts; null = the previous operation (a plain routing), "
                       "[] = none (a component's first step). No cycles."})

    @ma.validates("run_minutes_per_unit")
    def _three_decimals(self, value, **_):
        if abs(round(value, 3) - value) > 1e-9:
            raise ma.ValidationError("at most 3 decimals")


class ComponentIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    quantity_per_parent = Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000), metadata={
        "description": "pieces of this component in one finished piece"})
    material = fields.String(load_default="", validate=validate.Length(max=100))


class OrderIn(StrictSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    part_number = fields.String(load_default="", validate=validate.Length(max=100))
    material = fields.String(load_default="", validate=validate.Length(max=100))
    quantity = Integer(required=True, validate=validate.Range(min=1, max=10**7))
    due_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    budget_minor = Money(required=True, metadata={
        "description": "your budget ceiling, integer minor units; only you and the operator see it, never a factory"})
    declared_value_minor = Money(load_default=None, allow_none=True, metadata={
        "description": "the value of the finished parts (all pieces), integer minor units: the basis of "
                       "percent_of_value prices (a window at 800 bp costs 8 % of it). Without it no "
                       "percent_of_value capacity is offered. Factories see it."})
    currency = Currency(load_default="CNY")
    delivery_address = fields.String(load_default="", validate=validate.Length(max=500))
    delivery_latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    delivery_longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    required_certifications = fields.List(fields.String(), load_default=list)
    operations = fields.List(fields.Nested(OperationIn), required=True, validate=validate.Length(min=1, max=20))
    components = fields.List(fields.Nested(ComponentIn), load_default=list, validate=validate.Length(max=20), metadata={
        "description": "the product structure (bill of materials): components, each made by the operations "
                       "that name it, merging into the operations that list theirs in `after`"})
    submit = fields.Boolean(load_default=False, metadata={"description": "publish at once (state open)"})


class OrderPatch(OrderIn):
    class Meta:
        exclude = ("submit",)


class OperationOut(ma.Schema):
    seq = Integer()
    process_code = fields.String()
    setup_minutes = Integer()
    run_minutes_per_unit = fields.Decimal(as_string=True, metadata={"type": "string", "format": "decimal",
                                                                    "description": "minutes per piece, e.g. \"2.500\""})
    tolerance = fields.String()
    notes = fields.String()
    component = fields.String()
    after = fields.Function(lambda op: op.after_seqs, allow_none=True, metadata={
        "type": "array", "items": {"type": "integer"}, "nullable": True,
        "description": "seqs this operation waits for; null = the previous one"})


class ComponentOut(ma.Schema):
    name = fields.String()
    quantity_per_parent = Integer()
    material = fields.String()
    operations = fields.List(Integer(), attribute="seqs")
    feeds = fields.List(Integer(), metadata={"description": "seqs of the operations it merges into"})


class OrderEventOut(ma.Schema):
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    note = fields.String()
    at = fields.DateTime()


class OrderOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    buyer = fields.Function(lambda o: o.buyer.name)
    title = fields.String()
    part_number = fields.String()
    material = fields.String()
    quantity = Integer()
    due_at = fields.DateTime()
    budget_minor = fields.Method("_budget", allow_none=True, metadata={
        "type": "integer", "description": "the buyer's budget ceiling: shown to the buyer and the operator, null for factories"})
    declared_value_minor = Integer(allow_none=True)
    currency = fields.String()
    delivery_address = fields.String()
    delivery_latitude = fields.Float(allow_none=True)
    delivery_longitude = fields.Float(allow_none=True)
    required_certifications = fields.List(fields.String())
    state = fields.String()
    operations = fields.List(fields.Nested(OperationOut))
    components = fields.List(fields.Nested(ComponentOut))
    history = fields.List(fields.Nested(OrderEventOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _budget(self, order):
        viewer = g.get("api_actor")  # the token's actor (market.auth.require_token)
        return order.budget_minor if viewer is not None and policy.sees_budget(viewer, order) else None


class OrderListArgs(SyncArgs):
    state = fields.String(validate=validate.OneOf(STATES))


class TransitionIn(StrictSchema):
    to = fields.String(required=True, validate=validate.OneOf(STATES))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class QuoteRequestIn(StrictSchema):
    factory_id = fields.UUID(required=True)


class InvitedOut(ma.Schema):
    organization_id = fields.UUID(attribute="public_id")
    name = fields.String()


class MessageIn(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10000))


class AttachmentOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    filename = fields.String()
    content_type = fields.String()
    size_bytes = Integer()
    sha256 = fields.String()
    created_at = fields.DateTime()


class MessageOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    author = fields.Function(lambda m: m.author_org.name)
    body = fields.String()
    attachments = fields.List(fields.Nested(AttachmentOut))
    created_at = fields.DateTime()


class FileIn(ma.Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class BoardOrderOut(OrderOut):
    class Meta:
        exclude = ("history", "delivery_address", "delivery_latitude", "delivery_longitude", "budget_minor")
