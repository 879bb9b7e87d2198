import marshmallow as ma
from marshmallow import fields, validate

from market.api_common import MAX_MINOR, Currency, Integer, Money, StrictSchema
from market.leasing.models import KINDS, SCHEDULES


class LeaseIn(StrictSchema):
    factory_id = fields.UUID(required=True)
    machine_id = fields.UUID(required=True, metadata={"description": "a machine of that factory"})
    supplier_id = fields.UUID(load_default=None, allow_none=True,
                              metadata={"description": "the equipment supplier's organization (the payee); "
                                                       "omitted in a sale-and-leaseback, where the lessee is paid"})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    schedule = fields.String(required=True, validate=validate.OneOf(SCHEDULES))
    currency = Currency(load_default="CNY")
    term_months = Integer(required=True, validate=validate.Range(min=1, max=120))
    price_minor = Money(required=True, validate=validate.Range(min=1, max=MAX_MINOR))
    down_payment_minor = Money(load_default=0)
    fixed_minor = Money(load_default=0, metadata={"description": "fixed rent per monthly period"})
    rate_minor_per_hour = Money(load_default=0, metadata={"description": "rent per run hour"})
    floor_minor = Money(load_default=0, metadata={"description": "least usage rent per period"})


class SignIn(StrictSchema):
    accept = fields.Boolean(required=True)


def _org(attr):
    return fields.Function(lambda lease: str(getattr(lease, attr).public_id))


class LeaseOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    lessor_id, lessee_id, supplier_id = _org("lessor"), _org("lessee"), _org("supplier")
    factory_id, machine_id = _org("factory"), _org("machine")
    lessor_name = fields.Function(lambda lease: lease.lessor.name)
    lessee_name = fields.Function(lambda lease: lease.lessee.name)
    supplier_name = fields.Function(lambda lease: lease.supplier.name)
    machine_name = fields.Function(lambda lease: lease.machine.name)
    kind = fields.String()
    schedule = fields.String()
    currency = fields.String()
    term_months = fields.Integer()
    price_minor = fields.Integer()
    down_payment_minor = fields.Integer()
    fixed_minor = fields.Integer()
    rate_minor_per_hour = fields.Integer()
    floor_minor = fields.Integer()
    status = fields.String()
    start_day = fields.Date(allow_none=True)
    created_at = fields.DateTime()
    signed_at = fields.DateTime(allow_none=True)
    disbursed_at = fields.DateTime(allow_none=True)
    disbursed_minor = fields.Integer(allow_none=True)
    salt = fields.String(metadata={"description": "opens the offer and signature entries' commitment with `terms`"})
    terms = fields.Dict()
    offer_ledger_index = fields.Integer(allow_none=True)
    signed_ledger_index = fields.Integer(allow_none=True)
    disbursed_ledger_index = fields.Integer(allow_none=True)


class InvoiceOut(ma.Schema):
    id = fields.UUID(attribute="public_id")
    lease_id = fields.Function(lambda inv: str(inv.lease.public_id))
    period_no = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date(metadata={"description": "exclusive"})
    days = fields.Integer()
    run_total_s = fields.Integer()
    rent_minor = fields.Integer()
    due_on = fields.Date()
    status = fields.String()
    paid_at = fields.DateTime(allow_none=True)
    days_late = fields.Integer(allow_none=True)
    ledger_index = fields.Integer(allow_none=True)


class MonitorOut(ma.Schema):
    lease_id = fields.Function(lambda m: str(m.lease.public_id))
    factory_id = fields.Function(lambda m: str(m.lease.machine.factory.public_id))
    factory_name = fields.Function(lambda m: m.lease.machine.factory.name)
    region = fields.Function(lambda m: m.lease.machine.factory.region)
    payee_id = fields.Function(lambda m: str(m.lease.supplier.public_id))
    disbursed_minor = fields.Function(lambda m: m.lease.disbursed_minor)
    state = fields.String(allow_none=True)
    state_since = fields.DateTime(allow_none=True)
    utilization = fields.Float(allow_none=True)
    run_hours = fields.Float()
    alerts = fields.List(fields.String())
    invoices = fields.Integer()
    paid = fields.Integer()
    paid_late = fields.Integer()
    overdue = fields.Integer()
    max_days_late = fields.Integer()
    billed_minor = fields.Integer()
    outstanding_minor = fields.Integer()
