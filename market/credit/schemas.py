import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import MAX_MINOR, Currency, Integer, Money, StrictSchema
from market.credit.models import PURPOSES


class ConsentIn(StrictSchema):
    factory_id = fields.UUID(required=True)
    lender_id = fields.UUID(required=True, metadata={"description": "the lender organization's id"})
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    days = Integer(load_default=90, validate=validate.Range(min=1, max=366))


class ConsentOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    factory_id = fields.Function(lambda c: str(c.factory.public_id))
    lender_id = fields.Function(lambda c: str(c.lender.public_id))
    lender_name = fields.Function(lambda c: c.lender.name)
    purpose = fields.String()
    valid_from = fields.DateTime()
    valid_until = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)


class AccessOut(ma.Schema):
    at = fields.DateTime()
    lender_name = fields.Function(lambda a: a.lender.name)
    action = fields.String()
    detail = fields.String()
    ledger_index = fields.Integer(allow_none=True)


class ReportIn(StrictSchema):
    factory_id = fields.UUID(required=True)


class ReportOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    factory_id = fields.Function(lambda r: str(r.factory.public_id))
    scorecard_version = fields.String()
    score = fields.Integer(allow_none=True, metadata={"description": "null: insufficient data (content.rating says why)"})
    pd_ppm = fields.Integer(allow_none=True,
                            metadata={"description": "probability of default within 12 months, parts per million"})
    grade = fields.String(allow_none=True, metadata={"description": "null: insufficient data, no grade"})
    as_of = fields.DateTime()
    content_sha256 = fields.String(attribute="content_hash")
    ledger_index = fields.Integer(allow_none=True, metadata={"description": "the credit.report_issued entry"})
    salt = fields.String(metadata={"description": "opens the entry's commitment with report, factory, lender, content_sha256"})
    content = fields.Dict()


class ApplicationIn(StrictSchema):
    factory_id = fields.UUID(required=True)
    lender_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("order", "equipment")))
    order_id = fields.UUID(load_default=None, allow_none=True)
    amount_minor = Money(required=True, validate=validate.Range(min=1, max=MAX_MINOR))
    currency = Currency(load_default="CNY")
    term_months = Integer(required=True, validate=validate.Range(min=1, max=120))
    purpose = fields.String(load_default="", validate=validate.Length(max=500))


class RepaymentOut(ma.Schema):
    seq = fields.Integer()
    due_on = fields.Date()
    amount_minor = fields.Integer()
    paid_at = fields.DateTime(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)


class FinancedPayoutOut(ma.Schema):
    """Order financing: the factory's payout on the order assigned to the lender (payments)."""
    id = fields.UUID()
    state = fields.String(metadata={"description": "proposed, disbursing, active, settled, recourse, withdrawn"})
    principal_minor = fields.Integer()
    fee_minor = fields.Integer()
    due_minor = fields.Integer()
    paid_minor = fields.Integer(metadata={"description": "received by the lender from the order's payout"})
    outstanding_minor = fields.Integer()
    currency = fields.String()
    due_on = fields.Date(allow_none=True)
    buyer_confirmed = fields.Boolean(metadata={"description": "the buyer confirmed the payable (false: unconfirmed)"})
    buyer_confirmed_at = fields.DateTime(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)
    buyer_confirmed_ledger_index = fields.Integer(allow_none=True)


class ApplicationOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    factory_id = fields.Function(lambda a: str(a.factory.public_id))
    lender_id = fields.Function(lambda a: str(a.lender.public_id))
    kind = fields.String()
    amount_minor = fields.Integer()
    currency = fields.String()
    term_months = fields.Integer()
    purpose = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    approved_amount_minor = fields.Integer(allow_none=True)
    rate_bp = fields.Integer(allow_none=True)
    decline_reasons = fields.List(fields.String())
    disbursed_at = fields.DateTime(allow_none=True)
    repayments = fields.List(fields.Nested(RepaymentOut))
    assignment = fields.Nested(FinancedPayoutOut, allow_none=True)


class DecisionIn(StrictSchema):
    approve = fields.Boolean(required=True)
    amount_minor = Money(load_default=None, allow_none=True)
    rate_bp = Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=10000))
    reasons = fields.List(fields.String(validate=validate.Length(max=300)), load_default=list,
                          validate=validate.Length(max=4))
    report_id = fields.UUID(load_default=None, allow_none=True)
    confirm_above_suggested = fields.Boolean(
        load_default=False, metadata={"description": "approve an amount above the suggested credit line of the report "
                                                     "the decision rests on (without it: 409 above_suggested_line)"})


class RepaymentIn(StrictSchema):
    seq = Integer(required=True, validate=validate.Range(min=1, max=120))


class BehaviourOut(ma.Schema):
    on_time = fields.Integer()
    late = fields.Integer()
    overdue = fields.Integer()


class ExposureTotalOut(ma.Schema):
    contracts = fields.Integer()
    outstanding_minor = fields.Integer()
    overdue_minor = fields.Integer()
    behaviour = fields.Nested(BehaviourOut)


class ProductExposureOut(ExposureTotalOut):
    product = fields.String()


class GradeExposureOut(ExposureTotalOut):
    grade = fields.String(metadata={"description": "the grade of your latest report on the factory, or `unrated`"})


class RegionExposureOut(ExposureTotalOut):
    region = fields.String()


class FactoryExposureOut(ExposureTotalOut):
    factory_id = fields.String()
    name = fields.String()
    region = fields.String()
    grade = fields.String(allow_none=True)


class PortfolioAlertOut(ma.Schema):
    kind = fields.String(metadata={"description": "overdue, grade_drop, oee_collapse or machine_down"})
    factory_id = fields.String()
    factory_name = fields.String()
    product = fields.String()
    contract = fields.String()
    overdue_minor = fields.Integer()
    currency = fields.String()
    recourse = fields.Boolean()
    at = fields.String()
    facts = fields.Dict()


class PendingOut(ma.Schema):
    kind = fields.String(metadata={"description": "buyer_confirmation, lessee_signature or consent_renewal"})
    product = fields.String(allow_none=True)
    contract = fields.String(allow_none=True)
    factory_id = fields.String()
    factory_name = fields.String()
    until = fields.DateTime(allow_none=True)


class PortfolioQuery(StrictSchema):
    currency = Currency(load_default="CNY")


class PortfolioOut(ma.Schema):
    currency = fields.String()
    total = fields.Nested(ExposureTotalOut)
    by_product = fields.List(fields.Nested(ProductExposureOut))
    by_grade = fields.List(fields.Nested(GradeExposureOut))
    by_region = fields.List(fields.Nested(RegionExposureOut))
    factories = fields.List(fields.Nested(FactoryExposureOut))
    alerts = fields.List(fields.Nested(PortfolioAlertOut))
    pending = fields.List(fields.Nested(PendingOut))
