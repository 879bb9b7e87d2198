"""Subcontracting API schemas (marshmallow). No price field anywhere in what is read: a tier's
price is between it and the tier that hired it (the sub-order's own quotes and payment)."""
from datetime import timezone

import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import Integer, Money, StrictSchema


class SubcontractIn(StrictSchema):
    operation_seqs = fields.List(Integer(validate=validate.Range(min=1, max=1000)), required=True,
                                 validate=validate.Length(min=1, max=20),
                                 metadata={"description": "the parent order's operations to pass on (#seq)"})
    due_at = fields.AwareDateTime(load_default=None, default_timezone=timezone.utc,
                                  metadata={"description": "at the latest when the parent needs them (the default)"})
    budget_minor = Money(load_default=None, metadata={"description": "the sub-order's ceiling; default: what the "
                                                                     "operations earn you on the parent order"})
    request_quotes = fields.Boolean(load_default=True, metadata={"description": "ask the solver for quotes at once"})


class SubOrderOut(ma.Schema):
    id = fields.UUID(attribute="order.public_id")
    parent_order_id = fields.UUID(attribute="parent_id")
    tier = fields.Integer(attribute="order.tier")
    operation_seqs = fields.List(fields.Integer(), attribute="order.parent_operation_seqs")
    state = fields.String(attribute="order.state")
    due_at = fields.DateTime(attribute="order.due_at")
    required_certifications = fields.List(fields.String(), attribute="order.required_certifications")
    quote_job_id = fields.Method("_job")

    def _job(self, obj):
        return str(obj.quote_job.public_id) if obj.quote_job else None


class NameConsentIn(StrictSchema):
    name_disclosed = fields.Boolean(required=True)


class NameConsentOut(ma.Schema):
    name_disclosed = fields.Boolean()


class CancelAgreementIn(StrictSchema):
    agreed = fields.Boolean(required=True)


class CancelAgreementOut(ma.Schema):
    cancel_flag = fields.String(allow_none=True)


class SubcontractTierOut(ma.Schema):
    tier = fields.Integer()
    order_id = fields.UUID(allow_none=True, metadata={"description": "null where you may not open that sub-order"})
    operation_seqs = fields.List(fields.Integer())
    processes = fields.List(fields.String())
    state = fields.String()
    due_at = fields.DateTime()
    promised_at = fields.DateTime(allow_none=True, metadata={"description": "counting the delays of the tiers below"})
    own_promised_at = fields.DateTime(allow_none=True)
    factories = fields.List(fields.String(), metadata={"description": "names where the tier consented, else "
                                                                      "\"a certified subcontractor\""})
    name_disclosed = fields.Boolean()
    cancel_flag = fields.String(allow_none=True)
    subs = fields.List(fields.Nested(lambda: SubcontractTierOut()))
