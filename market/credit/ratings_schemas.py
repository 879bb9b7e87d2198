"""Ratings on the wire."""
import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import Integer, StrictSchema, page_schema
from market.credit.rating_models import MAX_COMMENT, MAX_REPLY


class RatingIn(StrictSchema):
    stars = Integer(required=True, validate=validate.Range(min=1, max=5),
                    metadata={"description": "1 (poor) to 5 (excellent)"})
    comment = fields.String(load_default="", validate=validate.Length(max=MAX_COMMENT))
    show_buyer_name = fields.Boolean(load_default=False, metadata={
        "description": "show your organization's name with the rating on the factories' profiles (hidden by default)"})


class ReplyIn(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REPLY))


class SubjectOut(ma.Schema):
    factory_id = fields.Function(lambda s: str(s.factory.public_id))
    factory_name = fields.Function(lambda s: s.factory.name)
    reply = fields.String(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    reply_ledger_index = fields.Integer(allow_none=True)


class RatingOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    stars = fields.Integer()
    comment = fields.String()
    show_buyer_name = fields.Boolean()
    created_at = fields.DateTime()
    ledger_index = fields.Integer(allow_none=True)
    factories = fields.List(fields.Nested(SubjectOut), attribute="subjects")


class PublicRatingOut(ma.Schema):
    id = fields.UUID()
    stars = fields.Integer()
    comment = fields.String()
    buyer_name = fields.String(allow_none=True, metadata={"description": "null when the buyer stays anonymous"})
    created_at = fields.DateTime()
    reply = fields.String(allow_none=True)
    replied_at = fields.DateTime(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)


class RatingSummaryOut(ma.Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True, metadata={"description": "the plain mean of the stars"})
    smoothed = fields.Float(metadata={"description": "the Bayesian average the supplier quality uses"})
    quality = fields.Float(metadata={"description": "supplier quality in [0, 1]: search ranking and the solver use it"})


class RatingsPage(page_schema(PublicRatingOut)):
    """The list envelope plus the factory's summary."""

    summary = fields.Nested(RatingSummaryOut)
