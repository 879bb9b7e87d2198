"""Rent: one invoice per monthly period once all its days are closed, computed from the leased
machine's ledger-committed daily summaries (their disclosed payloads, not the live rows);
overdue marking; payments; and the invoice's evidence bundle, which anyone re-verifies with
`python -m ledger verify-evidence` (the `usage_rent` fact recomputes the rent from the
committed run seconds and the lease's committed terms)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ledger.disclosure import new_salt
from ledger.events import format_when
from ledger.evidence import EVIDENCE_FORMAT, fmt, usage_rent
from market import bus, errors, policy
from market.auth import Actor
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import proved_entries, record
from market.leasing import events as ev
from market.leasing.domain_events import RentInvoiced, RentOverdue
from market.leasing.models import Lease, RentInvoice
from market.leasing.services import find
from market.payments import contracts
from market.payments.models import ContractTransfer
from market.leasing.terms import GRACE_DAYS, period
from market.telemetry import calendar as cal
from market.telemetry.models import MachineDay
from market.telemetry.rollup import offline_after

DAY_TYPE, TERMS_TYPE, INVOICE_TYPE = "telemetry.machine_day_summary", "lease.signed", "lease.rent_invoiced"


def _last_closed(lease: Lease, now: datetime) -> date:
    """The latest day of the factory whose summary is final (telemetry.rollup's rule)."""
    return cal.local_day(now - offline_after(), lease.factory.timezone) - timedelta(days=1)


def _invoice(s, lease: Lease, n: int, now: datetime) -> RentInvoice:
    start, end = period(lease.start_day, n)
    days = list(s.scalars(select(MachineDay).where(
        MachineDay.machine_id == lease.machine_id, MachineDay.day >= start, MachineDay.day < end,
        MachineDay.ledger_index.is_not(None)).order_by(MachineDay.day)))
    # the committed payloads, not the live figures: the rent follows what the ledger holds
    seconds = sum(int(d.committed["run_total_s"]) for d in days)
    rent = usage_rent(fixed=lease.fixed_minor, floor=lease.floor_minor, rate=lease.rate_minor_per_hour, seconds=seconds)
    inv = RentInvoice(public_id=uuid.uuid4(), lease_id=lease.id, period_no=n, period_start=start, period_end=end,
                      days=len(days), run_total_s=seconds, rent_minor=rent, due_on=end + timedelta(days=GRACE_DAYS),
                      status="open", created_at=now, salt=new_salt(),
                      day_entries=[{"entry": d.ledger_index, "payload": d.committed, "salt": d.salt} for d in days])
    inv.lease = lease
    inv.committed = {"lease": str(lease.public_id), "invoice": str(inv.public_id), "period": n,
                     "start": start.isoformat(), "end": end.isoformat(), "days": len(days), "run_total_s": seconds,
                     "rent_minor": rent, "currency": lease.currency, "due_on": inv.due_on.isoformat(),
                     # the instant it is late: the end of the due day at the factory (credit's late share)
                     "due_by": format_when(cal.day_bounds(inv.due_on, lease.factory.timezone)[1])}
    s.add(inv)
    return inv


def issue_invoices(now: datetime | None = None) -> int:
    """Periodic: invoice every period of every active lease whose days are all closed and not
    yet invoiced. Returns how many invoices were issued."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        issued = []
        for lease in s.scalars(select(Lease).where(Lease.status == "active").with_for_update(of=Lease)).unique():
            have = set(s.scalars(select(RentInvoice.period_no).where(RentInvoice.lease_id == lease.id)))
            last = _last_closed(lease, now)
            for n in range(lease.term_months):
                if period(lease.start_day, n)[1] - timedelta(days=1) > last:
                    break
                if n not in have:
                    issued.append(_invoice(s, lease, n, now))
        if issued:
            s.flush()
            bus.publish(s, *[RentInvoiced(inv.id, inv.lease_id, inv.due_on.isoformat()) for inv in issued])
            for inv, entry in zip(issued, record(s, *[ev.rent_invoiced(inv, now) for inv in issued])):
                inv.ledger_index = entry.index
        s.commit()
        return len(issued)


def mark_overdue(now: datetime | None = None) -> int:
    """Periodic: open invoices past their due day (the factory's local day) become overdue."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        late = [inv for inv in s.scalars(select(RentInvoice).where(RentInvoice.status == "open")).unique()
                if inv.due_on < cal.local_day(now, inv.lease.factory.timezone)]
        for inv in late:
            inv.status = "overdue"
        if late:
            bus.publish(s, *[RentOverdue(inv.id, inv.lease_id, inv.due_on.isoformat()) for inv in late])
        for inv, entry in zip(late, record(s, *[ev.rent_overdue(inv, now) for inv in late]) if late else []):
            inv.overdue_ledger_index = entry.index
        s.commit()
        return len(late)


def _find_invoice(s, actor: Actor, invoice_id: uuid.UUID, *, lock: bool = False) -> RentInvoice:
    inv = policy.one_row(s, RentInvoice, invoice_id, missing=_l("No such invoice."), lock=lock)
    find(s, actor, inv.lease.public_id)  # the same 404 as the lease for anyone else
    return inv


def invoices_of(actor: Actor, lease_id: uuid.UUID) -> list[RentInvoice]:
    with unit_of_work() as s:
        lease = find(s, actor, lease_id)
        return list(s.scalars(select(RentInvoice).where(RentInvoice.lease_id == lease.id)
                              .order_by(RentInvoice.period_no)).unique())


def pay(actor: Actor, invoice_id: uuid.UUID, *, now: datetime | None = None):
    """The lessee pays the period's rent to the lessor through the payments module: pending
    until the money arrives (offline: the operator confirms the bank transfer)."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        inv = _find_invoice(s, actor, invoice_id, lock=True)
        lease = inv.lease
        if lease.lessee_org_id != actor.org_id:
            raise errors.refusal(errors.Forbidden, _l("Only the lessee pays the rent."))
        if inv.status == "paid":
            raise errors.refusal(errors.Conflict, _l("This invoice is already paid."))
        t = contracts.request(s, kind="lease_rent", contract=str(lease.public_id), item=str(inv.public_id),
                              payer_org_id=lease.lessee_org_id, payee_org_id=lease.lessor_org_id,
                              amount_minor=inv.rent_minor, currency=lease.currency, now=now)
        s.commit()
        return t


def record_payment(actor: Actor, invoice_id: uuid.UUID, *, now: datetime | None = None) -> RentInvoice:
    """The lessor confirms it received the period's rent outside the platform: recorded as a
    rent transfer the payee itself settled; days late are kept for behaviour."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        inv = _find_invoice(s, actor, invoice_id, lock=True)
        lease = inv.lease
        if lease.lessor_org_id != actor.org_id:
            raise errors.refusal(errors.Forbidden, _l("Only the lessor confirms rent received."))
        if inv.status == "paid":
            raise errors.refusal(errors.Conflict, _l("This invoice is already paid."))
        t = s.scalar(select(ContractTransfer).where(ContractTransfer.kind == "lease_rent",
                                                    ContractTransfer.item == str(inv.public_id),
                                                    ContractTransfer.state == "pending"))
        if t is None:
            t = contracts.request(s, kind="lease_rent", contract=str(lease.public_id), item=str(inv.public_id),
                                  payer_org_id=lease.lessee_org_id, payee_org_id=lease.lessor_org_id,
                                  amount_minor=inv.rent_minor, currency=lease.currency, now=now)
        contracts.settle(s, t, external_id=None, by_org_public_id=str(actor.org_public_id), now=now)
        s.commit()
        return s.get(RentInvoice, inv.id)


def rent_paid(s, item: str, amount_minor: int, when: datetime) -> None:
    """The period's rent reached the lessor (in the payments transaction)."""
    inv = s.scalar(select(RentInvoice).where(RentInvoice.public_id == uuid.UUID(item)).with_for_update(of=RentInvoice))
    if inv is None or inv.status == "paid" or amount_minor != inv.rent_minor:
        raise errors.Conflict(f"rent invoice {item} does not wait for {amount_minor}")
    inv.status, inv.paid_at = "paid", when
    inv.days_late = max(0, (cal.local_day(when, inv.lease.factory.timezone) - inv.due_on).days)
    inv.paid_ledger_index = record(s, ev.rent_paid(inv, when))[0].index


def facts(lease: Lease, inv: RentInvoice) -> list[dict]:
    """Per committed day a record of its run seconds with the lease's terms and the invoiced
    rent beside it: the verifier recomputes both figures and checks they agree."""
    def day(k: int, path: str) -> dict:
        return {"disclosure": k, "path": path, "type": DAY_TYPE}

    def terms(path: str) -> dict:
        return {"disclosure": 0, "path": path, "type": TERMS_TYPE}

    records = [{"day": day(k, "day"), "x": day(k, "run_total_s"), "machine": day(k, "machine"),
                "leased": terms("machine"), "rate": terms("rate_minor_per_hour"), "floor": terms("floor_minor"),
                "fixed": terms("fixed_minor"), "invoiced": {"disclosure": 1, "path": "rent_minor", "type": INVOICE_TYPE}}
               for k in range(2, 2 + len(inv.day_entries))]
    window = {"field": "day", "start": inv.period_start.isoformat(), "end": inv.period_end.isoformat()}
    return [{"name": "run_seconds", "value": fmt(inv.run_total_s) if records else None, "op": "sum",
             "window": window, "records": [{"day": r["day"], "x": r["x"]} for r in records]},
            {"name": "rent_minor", "value": fmt(inv.rent_minor) if records else None, "op": "usage_rent",
             "window": window, "records": records}]


def evidence(actor: Actor, invoice_id: uuid.UUID) -> dict:
    """The invoice's evidence bundle (lessor or lessee): the signed terms, the invoice and each
    counted machine day, each with its inclusion proof against one signed checkpoint."""
    with unit_of_work() as s:
        inv = _find_invoice(s, actor, invoice_id)
        lease = inv.lease
        disclosures = [{"entry": lease.signed_ledger_index, "path": "event.data.commitment",
                        "payload": ev.signed_payload(lease),
                        "salt": lease.salt},
                       {"entry": inv.ledger_index, "path": "event.data.commitment", "payload": inv.committed,
                        "salt": inv.salt}]
        disclosures += [{"entry": d["entry"], "path": "event.data.commitment", "payload": d["payload"],
                         "salt": d["salt"]} for d in inv.day_entries]
        indices = sorted({d["entry"] for d in disclosures})
        cp, entries = proved_entries(s, indices)
        return {"format": EVIDENCE_FORMAT,
                "subject": {"lease": str(lease.public_id), "invoice": str(inv.public_id), "period": inv.period_no,
                            "rent_minor": inv.rent_minor, "currency": lease.currency},
                "size": cp.tree_size, "checkpoint": cp.note, "public_key": cp.verifier_key,
                "entries": entries, "disclosures": disclosures, "facts": facts(lease, inv)}
