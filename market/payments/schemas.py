"""Payments API schemas (marshmallow)."""
import marshmallow as ma

from market.api_common import Integer, Money, StrictSchema
from market.payments.states import DISPUTE_OUTCOMES, TIERS


class PayoutOut(ma.Schema):
    factory_id = ma.fields.UUID()
    factory = ma.fields.String()
    state = ma.fields.String(metadata={"description": "held | frozen | releasing | paid | cancelled"})
    tier = ma.fields.String()
    gross_minor = ma.fields.Integer()
    commission_minor = ma.fields.Integer()
    subcontracted_minor = ma.fields.Integer(metadata={"description": "set aside for the escrows of the sub-orders "
                                                                     "this factory placed (its own view only)"})
    net_minor = ma.fields.Integer()
    breakdown = ma.fields.List(ma.fields.Dict())
    paid_at = ma.fields.DateTime(allow_none=True)


class MovementOut(ma.Schema):
    id = ma.fields.UUID()
    kind = ma.fields.String(metadata={"description": "intent | capture | transfer | commission | commission_return | "
                                                     "refund | reversal"})
    state = ma.fields.String(metadata={"description": "pending | succeeded | failed"})
    amount_minor = ma.fields.Integer()
    currency = ma.fields.String()
    factory_id = ma.fields.UUID(allow_none=True)
    reason = ma.fields.String()
    error = ma.fields.String()
    external_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    done_at = ma.fields.DateTime(allow_none=True)
    ledger_index = ma.fields.Integer(allow_none=True)


class PaymentOut(ma.Schema):
    id = ma.fields.UUID()
    order_id = ma.fields.UUID()
    order_title = ma.fields.String()
    order_state = ma.fields.String()
    provider = ma.fields.String(metadata={"description": "offline | stripe"})
    state = ma.fields.String(metadata={"description": "requires_payment | processing | captured | partially_refunded | "
                                                      "refunded | cancelled"})
    amount_minor = ma.fields.Integer()
    currency = ma.fields.String()
    reference = ma.fields.String(metadata={"description": "quote it on the bank transfer (offline)"})
    captured_at = ma.fields.DateTime(allow_none=True)
    refunded_minor = ma.fields.Integer()
    client_secret = ma.fields.String(allow_none=True, metadata={"description": "buyer, Stripe: for Stripe.js"})
    publishable_key = ma.fields.String(allow_none=True)
    bank_details = ma.fields.String(allow_none=True)
    production_waits_for_payment = ma.fields.Boolean(metadata={
        "description": "true: no lot starts before the payment is captured (PAYMENT_BEFORE_PRODUCTION=1); "
                       "false: the factories may start before the money is in"})
    payouts = ma.fields.List(ma.fields.Nested(PayoutOut))
    movements = ma.fields.List(ma.fields.Nested(MovementOut))


class AssignmentOut(ma.Schema):
    """A factory's payout on the order assigned to a lender (receivables financing)."""
    id = ma.fields.UUID()
    factory_id = ma.fields.UUID()
    factory = ma.fields.String()
    assignee = ma.fields.String(metadata={"description": "the lender paid first from this payout"})
    state = ma.fields.String(metadata={"description": "proposed | disbursing | active | settled | recourse | withdrawn"})
    principal_minor = ma.fields.Integer()
    fee_minor = ma.fields.Integer()
    due_minor = ma.fields.Integer(metadata={"description": "principal + fee: paid to the lender first on release"})
    paid_minor = ma.fields.Integer()
    outstanding_minor = ma.fields.Integer()
    currency = ma.fields.String()
    due_on = ma.fields.Date(allow_none=True)
    buyer_confirmed = ma.fields.Boolean()
    buyer_confirmed_at = ma.fields.DateTime(allow_none=True)
    ledger_index = ma.fields.Integer(allow_none=True)
    buyer_confirmed_ledger_index = ma.fields.Integer(allow_none=True)


class ConfirmReceiptIn(StrictSchema):
    bank_reference = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))


class ConfirmMovementIn(StrictSchema):
    movement_id = ma.fields.UUID(required=True)
    bank_reference = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))


class ReceiptIn(StrictSchema):
    bank_reference = ma.fields.String(load_default="", validate=ma.validate.Length(max=64))


class DisputeIn(StrictSchema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))
    qc_data = ma.fields.String(load_default="", validate=ma.validate.Length(max=20000),
                               metadata={"description": "QC measurements backing the claim (text or JSON)"})
    evidence = ma.fields.List(ma.fields.UUID(), load_default=list, validate=ma.validate.Length(max=20),
                              metadata={"description": "ids of attachments of this order (photos, reports)"})


class ResolveIn(StrictSchema):
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(DISPUTE_OUTCOMES))
    refund_minor = Money(load_default=None, allow_none=True)
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class DisputeOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    state = ma.fields.String(metadata={"description": "open | resolving | resolved"})
    from_state = ma.fields.String()
    reason = ma.fields.String()
    qc_data = ma.fields.String()
    evidence = ma.fields.List(ma.fields.String())
    outcome = ma.fields.String(allow_none=True)
    refund_minor = ma.fields.Integer()
    resolution_note = ma.fields.String()
    opened_at = ma.fields.DateTime()
    resolved_at = ma.fields.DateTime(allow_none=True)
    opened_ledger_index = ma.fields.Integer(allow_none=True)
    resolved_ledger_index = ma.fields.Integer(allow_none=True)


class PayoutListItem(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    order_id = ma.fields.UUID(attribute="order_public_id")
    factory_id = ma.fields.Function(lambda p: str(p.factory.public_id))
    factory = ma.fields.Function(lambda p: p.factory.name)
    state = ma.fields.String()
    gross_minor = ma.fields.Integer()
    commission_minor = ma.fields.Integer()
    net_minor = ma.fields.Integer()
    paid_at = ma.fields.DateTime(allow_none=True)
    updated_at = ma.fields.DateTime()


class AccountOut(ma.Schema):
    provider = ma.fields.String()
    external_id = ma.fields.String()
    details_submitted = ma.fields.Boolean()
    payouts_enabled = ma.fields.Boolean()
    transfers_status = ma.fields.String(metadata={"description": "active | pending | inactive"})
    requirements_due = ma.fields.List(ma.fields.String())


class OnboardingIn(StrictSchema):
    return_url = ma.fields.Url(required=True, require_tld=False)
    refresh_url = ma.fields.Url(required=True, require_tld=False)


class LinkOut(ma.Schema):
    url = ma.fields.String()


class RuleIO(StrictSchema):
    tier = ma.fields.String(required=True, validate=ma.validate.OneOf(TIERS))
    process_class = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=64))
    percent_bp = Integer(required=True, validate=ma.validate.Range(min=0, max=10000),
                         metadata={"description": "basis points: 800 = 8 %"})
    minimum_minor = Money(load_default=0)


class PlanIn(StrictSchema):
    organization_id = ma.fields.UUID(required=True)
    tier = ma.fields.String(required=True, validate=ma.validate.OneOf(TIERS))


class PlanOut(ma.Schema):
    tier = ma.fields.String()


class PdfArgs(StrictSchema):
    lang = ma.fields.String(load_default="en", validate=ma.validate.OneOf(("en", "zh_CN")))


class RevenueOut(ma.Schema):
    per_currency = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Dict(keys=ma.fields.String(),
                                                                                  values=ma.fields.Integer()))


class ContractTransferOut(ma.Schema):
    id = ma.fields.UUID(attribute="public_id")
    kind = ma.fields.String(metadata={"description": "lease_disbursement (lessor to supplier) or lease_rent (lessee to lessor)"})
    contract = ma.fields.String()
    item = ma.fields.String()
    amount_minor = ma.fields.Integer()
    currency = ma.fields.String()
    provider = ma.fields.String()
    state = ma.fields.String()
    external_id = ma.fields.String(allow_none=True)
    ledger_index = ma.fields.Integer(allow_none=True)
    done_ledger_index = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    done_at = ma.fields.DateTime(allow_none=True)


class ContractTransferConfirmIn(StrictSchema):
    bank_reference = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
