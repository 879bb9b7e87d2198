"""Lease contracts: the lessor offers (with the factory's live consent), the lessee signs or
declines, the lessor disburses to the payee. Each step is one transaction with its ledger entry."""
from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger.disclosure import new_salt
from market import bus, errors, policy
from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.models import Factory, Machine
from market.credit.access import live_consent
from market.credit.models import Consent
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import record
from market.leasing import contract
from market.payments import contracts
from market.leasing import events as ev
from market.leasing.domain_events import LeaseOffered, LeaseSigned
from market.leasing import terms as lease_terms
from market.leasing.models import Lease
from market.telemetry import calendar as cal

OPEN = ("offered", "signed", "active")  # a machine is in at most one of these at a time


def terms_payload(lease: Lease) -> dict:
    """What the lease's ledger entries commit to (integers and strings only)."""
    return {"lease": str(lease.public_id), "lessor": str(lease.lessor.public_id),
            "lessee": str(lease.lessee.public_id), "supplier": str(lease.supplier.public_id),
            "factory": str(lease.factory.public_id), "machine": str(lease.machine.public_id),
            "kind": lease.kind, "schedule": lease.schedule, "currency": lease.currency,
            "term_months": lease.term_months, "price_minor": lease.price_minor,
            "down_payment_minor": lease.down_payment_minor, "fixed_minor": lease.fixed_minor,
            "rate_minor_per_hour": lease.rate_minor_per_hour, "floor_minor": lease.floor_minor}


def offer(actor: Actor, *, factory_id: uuid.UUID, machine_id: uuid.UUID, kind: str, schedule: str, currency: str,
          term_months: int, price_minor: int, down_payment_minor: int = 0, fixed_minor: int = 0,
          rate_minor_per_hour: int = 0, floor_minor: int = 0, supplier_id: uuid.UUID | None = None,
          now: datetime | None = None) -> Lease:
    """A lessor (lender organization) offers a lease on one machine of a factory that has
    granted it live access to its data. New equipment is paid to its supplier, never to the
    lessee; in a sale-and-leaseback the lessee sells the machine, so it is the payee."""
    policy.require_kind(actor, "lender")
    lease_terms.check(kind=kind, schedule=schedule, term_months=term_months, price_minor=price_minor,
                      down_payment_minor=down_payment_minor, fixed_minor=fixed_minor,
                      rate_minor_per_hour=rate_minor_per_hour, floor_minor=floor_minor)
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        factory = s.scalar(select(Factory).where(Factory.public_id == factory_id))
        consent = factory is not None and s.scalar(select(Consent.id).where(
            Consent.factory_id == factory.id, live_consent(actor, now)).limit(1))
        if not consent:
            raise errors.refusal(errors.NotFound, _l("No such factory, or it has not granted you access to its data."),
                                  field="factory_id")
        machine = s.scalar(select(Machine).where(Machine.public_id == machine_id).with_for_update(of=Machine))
        if machine is None or machine.factory_id != factory.id:
            raise errors.refusal(errors.Invalid, _l("This machine is not one of the factory's machines."), field="machine_id")
        if s.scalar(select(Lease.id).where(Lease.machine_id == machine.id, Lease.status.in_(OPEN)).limit(1)):
            raise errors.refusal(errors.Conflict, _l("This machine already has an open lease."), field="machine_id")
        lessee = factory.organization
        if kind == "leaseback":
            if supplier_id is not None and supplier_id != lessee.public_id:
                raise errors.refusal(errors.Invalid, _l("In a sale-and-leaseback the seller, and so the payee, is the lessee."),
                                     field="supplier_id")
            supplier = lessee
        else:
            supplier = supplier_id is not None and s.scalar(select(Organization).where(
                Organization.public_id == supplier_id))
            if not supplier:
                raise errors.refusal(errors.Invalid, _l("Name the equipment supplier who is paid for the new machine."),
                                     field="supplier_id")
            if supplier.id in (lessee.id, actor.org_id):
                raise errors.refusal(errors.Invalid, _l("The supplier is paid for the machine: it cannot be the lessee or the lessor."),
                                     field="supplier_id")
        lease = Lease(public_id=uuid.uuid4(), lessor_org_id=actor.org_id, lessee_org_id=lessee.id,
                      factory_id=factory.id, machine_id=machine.id, supplier_org_id=supplier.id, kind=kind,
                      schedule=schedule, currency=currency, term_months=term_months, price_minor=price_minor,
                      down_payment_minor=down_payment_minor, fixed_minor=fixed_minor,
                      rate_minor_per_hour=rate_minor_per_hour, floor_minor=floor_minor, status="offered",
                      created_at=now, salt=new_salt(), terms={})
        lease.lessor, lease.lessee, lease.supplier = s.get(Organization, actor.org_id), lessee, supplier
        lease.factory, lease.machine = factory, machine
        lease.terms = terms_payload(lease)
        s.add(lease)
        s.flush()
        bus.publish(s, LeaseOffered(lease.id, lease.lessor_org_id, lease.lessee_org_id))
        lease.offer_ledger_index = record(s, ev.offered(lease, now))[0].index
        s.commit()
        return lease


def visible(actor: Actor):
    """Leases an actor may see: the lessor's and the lessee's own; everything for operators.
    Anyone else gets 404, not even the lease's existence."""
    return policy.party_rows(actor, Lease.lessor_org_id, Lease.lessee_org_id)


def find(s, actor: Actor, lease_id: uuid.UUID, *, lock: bool = False) -> Lease:
    return policy.one_row(s, Lease, lease_id, visible(actor), missing=_l("No such lease."), lock=lock)


def get(actor: Actor, lease_id: uuid.UUID) -> Lease:
    with unit_of_work() as s:
        return find(s, actor, lease_id)


def offer_choices(actor: Actor, now: datetime | None = None) -> dict:
    """What a lessor's offer form picks from, by name: the factories that granted it live
    access to their data, their machines, and the organizations that can be paid for new
    equipment (factories' organizations, the lessor aside)."""
    if actor.org_kind != "lender":
        return {"factories": [], "machines": [], "suppliers": []}
    now = now or utcnow()
    with unit_of_work() as s:
        consenting = select(Consent.factory_id).where(live_consent(actor, now))
        factories = list(s.scalars(select(Factory).where(Factory.id.in_(consenting)).order_by(Factory.name)))
        machines = list(s.scalars(select(Machine).where(Machine.factory_id.in_([f.id for f in factories]))
                                  .order_by(Machine.name))) if factories else []
        names = {f.id: f.name for f in factories}
        suppliers = s.scalars(select(Organization).where(Organization.kind == "factory", Organization.id != actor.org_id)
                              .order_by(Organization.name).limit(500))
        return {"factories": [(str(f.public_id), f.name) for f in factories],
                "machines": [(str(m.public_id), f"{names[m.factory_id]} · {m.name}") for m in machines],
                "suppliers": [(str(o.public_id), o.name) for o in suppliers]}


def leases_of(actor: Actor) -> list[Lease]:
    with unit_of_work() as s:
        return list(s.scalars(select(Lease).where(visible(actor)).order_by(Lease.created_at.desc()).limit(500)).unique())


def sign(actor: Actor, lease_id: uuid.UUID, *, accept: bool, now: datetime | None = None) -> Lease:
    """The lessee accepts the offered terms (its signature over their commitment) or declines."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        lease = find(s, actor, lease_id, lock=True)
        if lease.lessee_org_id != actor.org_id:
            raise errors.refusal(errors.Forbidden, _l("Only the lessee signs or declines a lease offer."))
        if lease.status != "offered":
            raise errors.refusal(errors.Conflict, _l("This lease is %(status)s; only offers are signed.", status=lease.status))
        bus.publish(s, LeaseSigned(lease.id, lease.lessor_org_id, lease.lessee_org_id, accept))
        if accept:
            lease.status, lease.signed_at = "signed", now
            contract.attach(lease)
            lease.signed_ledger_index = record(s, ev.signed(lease, now))[0].index
        else:
            lease.status = "declined"
        s.commit()
        return lease


def disburse(actor: Actor, lease_id: uuid.UUID, *, now: datetime | None = None) -> Lease:
    """The lessor pays the payee (the supplier; the lessee only in a sale-and-leaseback) the
    price less the down payment, through the payments module (payments/contracts.py): the
    transfer is pending until the money arrives (offline: the operator confirms the bank
    transfer); then `disbursed` activates the lease and rent periods start on that day."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        lease = find(s, actor, lease_id, lock=True)
        if lease.lessor_org_id != actor.org_id:
            raise errors.refusal(errors.Forbidden, _l("Only the lessor disburses a lease."))
        if lease.status != "signed":
            raise errors.refusal(errors.Conflict, _l("This lease is %(status)s; only signed leases are disbursed.",
                                                     status=lease.status))
        if lease.kind == "new" and lease.supplier_org_id == lease.lessee_org_id:
            raise errors.refusal(errors.Conflict, _l("New equipment is paid to its supplier, never to the lessee."))  # fund-flow guard
        contracts.request(s, kind="lease_disbursement", contract=str(lease.public_id), item=str(lease.public_id),
                          payer_org_id=lease.lessor_org_id, payee_org_id=lease.supplier_org_id,
                          amount_minor=lease.price_minor - lease.down_payment_minor, currency=lease.currency, now=now)
        s.commit()
        return lease


def disbursed(s, contract: str, amount_minor: int, when: datetime) -> None:
    """The disbursement reached the payee (in the payments transaction): the lease is active,
    its rent periods start on that day of the factory."""
    lease = s.scalar(select(Lease).where(Lease.public_id == uuid.UUID(contract)).with_for_update(of=Lease))
    if lease is None or lease.status != "signed":
        raise errors.Conflict(f"lease {contract} is not waiting for its disbursement")
    lease.status, lease.disbursed_at, lease.disbursed_minor = "active", when, amount_minor
    lease.disbursement_salt = new_salt()
    lease.start_day = cal.local_day(when, lease.factory.timezone)
    lease.disbursed_ledger_index = record(s, ev.disbursed(lease, when))[0].index


def transfers(actor: Actor, lease_id: uuid.UUID):
    """The lease's money through payments (lessor and lessee; 404 for anyone else)."""
    with unit_of_work() as s:
        lease = find(s, actor, lease_id)
        return contracts.of_contract(s, str(lease.public_id))


def contract_pdf(actor: Actor, lease_id: uuid.UUID, lang: str) -> bytes:
    """The contract as the lessee signed it (lessor and lessee only)."""
    if lang not in contract.LANGS:
        raise errors.refusal(errors.Invalid, _l("Language is en or zh_CN."), field="lang")
    with unit_of_work() as s:
        lease = find(s, actor, lease_id)
        data = contract.pdf(lease, lang)
        if data is None:
            raise errors.refusal(errors.NotFound, _l("The contract exists once the lessee has signed."))
        return data
