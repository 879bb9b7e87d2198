"""The money invariant of a lease: what went through payments (payments/contracts.py) is what
the lease's books say — the disbursement succeeded iff the lease is active (or ended) with
that amount disbursed, the rent received is the rent of the invoices marked paid, and nothing
is pending that the books already count."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.leasing.models import Lease, RentInvoice
from market.payments import contracts


@dataclass(frozen=True)
class Balance:
    disbursed_booked: int
    disbursed_moved: int
    disbursement_pending: int
    rent_booked: int
    rent_moved: int
    rent_pending: int

    @property
    def holds(self) -> bool:
        return self.disbursed_booked == self.disbursed_moved and self.rent_booked == self.rent_moved


def balance(s: Session, lease: Lease) -> Balance:
    t = contracts.totals(s, str(lease.public_id))
    paid = sum(i.rent_minor for i in s.scalars(select(RentInvoice).where(RentInvoice.lease_id == lease.id,
                                                                          RentInvoice.status == "paid")).unique())
    return Balance(lease.disbursed_minor or 0, t.get(("lease_disbursement", "succeeded"), 0),
                   t.get(("lease_disbursement", "pending"), 0), paid, t.get(("lease_rent", "succeeded"), 0),
                   t.get(("lease_rent", "pending"), 0))
