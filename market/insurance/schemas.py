import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import MAX_MINOR, Currency, Integer, Money, StrictSchema
from market.insurance.tariff import COVERAGES


class PolicyIn(StrictSchema):
    factory_id = fields.UUID(required=True)
    machine_id = fields.UUID(required=True, metadata={"description": "a machine of that factory"})
    coverage = fields.String(required=True, validate=validate.OneOf(COVERAGES),
                             metadata={"description": "breakdown (downtime loss) or warranty (extended warranty)"})
    currency = Currency(load_default="CNY")
    term_months = Integer(required=True, validate=validate.Range(min=1, max=60))
    start_day = fields.Date(required=True, metadata={"description": "first day covered, the factory's local day"})
    sum_insured_minor = Money(required=True, validate=validate.Range(min=1, max=MAX_MINOR),
                              metadata={"description": "sum insured; for breakdown also the limit of one claim"})
    rate_minor_per_hour = Money(load_default=0, metadata={"description": "indemnity per down hour (breakdown)"})
    deductible_hours = Integer(load_default=0, validate=validate.Range(min=0, max=720),
                               metadata={"description": "down hours of each claim not indemnified (breakdown)"})


class PolicyAcceptIn(StrictSchema):
    accept = fields.Boolean(required=True)


class ClaimFileIn(StrictSchema):
    start_at = fields.AwareDateTime(required=True, metadata={"description": "start of the loss window"})
    end_at = fields.AwareDateTime(required=True, metadata={"description": "end of the loss window (exclusive)"})


class ClaimDecisionIn(StrictSchema):
    approve = fields.Boolean(required=True)
    approved_minor = Money(load_default=None, allow_none=True,
                           metadata={"description": "approve less than claimed; default: the indemnity claimed"})
    reason = fields.String(load_default="", validate=validate.Length(max=500))


def _org(attr):
    return fields.Function(lambda p: str(getattr(p, attr).public_id))


class RatingFactorOut(ma.Schema):
    name = fields.String()
    measure = fields.String(allow_none=True)
    factor = fields.String()


class PremiumQuoteOut(ma.Schema):
    coverage = fields.String()
    base_minor = fields.Integer()
    multiplier = fields.String()
    premium_minor = fields.Integer()
    factors = fields.List(fields.Nested(RatingFactorOut))
    window_start = fields.String()
    window_end = fields.String()
    days = fields.Integer()


class PolicyOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    insurer_id, insured_id = _org("insurer"), _org("insured")
    factory_id, machine_id = _org("factory"), _org("machine")
    insurer_name = fields.Function(lambda p: p.insurer.name)
    insured_name = fields.Function(lambda p: p.insured.name)
    machine_name = fields.Function(lambda p: p.machine.name)
    coverage = fields.String()
    currency = fields.String()
    term_months = fields.Integer()
    start_day = fields.Date()
    end_day = fields.Date(metadata={"description": "exclusive"})
    sum_insured_minor = fields.Integer()
    rate_minor_per_hour = fields.Integer()
    deductible_hours = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    quote = fields.Nested(PremiumQuoteOut, metadata={"description": "the indicative premium when offered, with its factors"})
    salt = fields.String(metadata={"description": "opens the offer and issue entries' commitment with `terms`"})
    terms = fields.Dict()
    offer_ledger_index = fields.Integer(allow_none=True)
    issued_ledger_index = fields.Integer(allow_none=True)


class PremiumOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    policy_id = fields.Function(lambda inv: str(inv.policy.public_id))
    period_no = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "exclusive"})
    premium_minor = fields.Integer()
    quote = fields.Nested(PremiumQuoteOut, metadata={"description": "the factors that priced this period"})
    due_on = fields.Date()
    status = fields.String()
    paid_at = fields.DateTime(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)


class ClaimCandidateOut(ma.Schema):
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    reason = fields.String()
    seconds = fields.Integer()
    indemnity_minor = fields.Integer()


class ClaimOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    policy_id = fields.Function(lambda c: str(c.policy.public_id))
    start_at = fields.DateTime()
    end_at = fields.DateTime()
    down_s = fields.Integer()
    days = fields.Dict(keys=fields.String(), values=fields.Integer())
    claimed_minor = fields.Integer()
    status = fields.String()
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    approved_minor = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)
    decided_ledger_index = fields.Integer(allow_none=True)
