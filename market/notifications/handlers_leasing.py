"""Listeners to leasing (market/leasing/domain_events.py): the lessee learns of an offer and of
each period's rent invoiced or overdue; the lessor of the signature (or the refusal), of its
lessee's rent invoiced and overdue, and of alerts on the leased machine (fund-flow
monitoring). Only the lease's two parties are told; amounts are read from the lease here."""
from __future__ import annotations

from market.db import unit_of_work
from market.i18n import money
from market.leasing.domain_events import LeasedMachineAlert, LeaseOffered, LeaseSigned, RentInvoiced, RentOverdue
from market.leasing.models import Lease, RentInvoice
from market.notifications import recipients as who
from market.notifications.telling import save, tell, when


def _link(lease: Lease) -> tuple[str, str]:
    return ("lease", str(lease.public_id))


def _names(lease: Lease) -> dict:
    return {"lessor": lease.lessor.name, "lessee": lease.lessee.name, "machine": lease.machine.name,
            "factory": lease.factory.name}


def on_lease_offered(event: LeaseOffered) -> None:
    with unit_of_work() as s:
        lease = s.get(Lease, event.lease_id)
        params = {**_names(lease), "price": money(lease.price_minor, lease.currency), "months": lease.term_months}
        save(s, tell(who.members(s, [lease.lessee_org_id]), "lease.offered", params), _link(lease))


def on_lease_signed(event: LeaseSigned) -> None:
    with unit_of_work() as s:
        lease = s.get(Lease, event.lease_id)
        kind = "lease.signed" if event.accepted else "lease.declined"
        save(s, tell(who.members(s, [lease.lessor_org_id]), kind, _names(lease)), _link(lease))


def _invoice(s, invoice_id: int):
    inv = s.get(RentInvoice, invoice_id)
    lease = inv.lease
    params = {**_names(lease), "period": inv.period_no + 1, "rent": money(inv.rent_minor, lease.currency),
              "due": when(inv.due_on)}
    return inv, lease, params


def on_rent_invoiced(event: RentInvoiced) -> None:
    with unit_of_work() as s:
        _, lease, params = _invoice(s, event.invoice_id)
        save(s, tell(who.members(s, [lease.lessee_org_id, lease.lessor_org_id]), "lease.rent_invoiced", params),
             _link(lease))


def on_rent_overdue(event: RentOverdue) -> None:
    with unit_of_work() as s:
        inv, lease, params = _invoice(s, event.invoice_id)
        if inv.status == "paid":  # paid since the scan
            return
        save(s, tell(who.members(s, [lease.lessee_org_id, lease.lessor_org_id]), "lease.rent_overdue", params),
             _link(lease))


def on_machine_alert(event: LeasedMachineAlert) -> None:
    with unit_of_work() as s:
        lease = s.get(Lease, event.lease_id)
        params = {**_names(lease), "alert": event.alert}  # worded in the reader's language (catalogue.ALERTS)
        save(s, tell(who.members(s, [lease.lessor_org_id]), "lease.machine_alert", params), _link(lease))


HANDLED = (
    (LeaseOffered, on_lease_offered), (LeaseSigned, on_lease_signed), (RentInvoiced, on_rent_invoiced),
    (RentOverdue, on_rent_overdue), (LeasedMachineAlert, on_machine_alert),
)
