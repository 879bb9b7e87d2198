"""What leasing tells the domains above it (market/bus.py): a lease offered, signed or
declined, a period's rent invoiced or overdue, and an alert on a leased machine for its lessor.
Not to be confused with events.py (the ledger entries leasing writes). Amounts stay in the
leasing tables: an event carries ids, and the listener reads what its reader may know."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LeaseOffered:
    """A lessor offered a lease on one of the lessee's machines."""

    lease_id: int
    lessor_org_id: int
    lessee_org_id: int


@dataclass(frozen=True)
class LeaseSigned:
    """The lessee signed (`accepted`) or declined the offer."""

    lease_id: int
    lessor_org_id: int
    lessee_org_id: int
    accepted: bool


@dataclass(frozen=True)
class RentInvoiced:
    """A period's rent was invoiced (due on `due_on`, ISO day)."""

    invoice_id: int
    lease_id: int
    due_on: str


@dataclass(frozen=True)
class RentOverdue:
    """A period's rent was not paid by its due day."""

    invoice_id: int
    lease_id: int
    due_on: str


@dataclass(frozen=True)
class LeasedMachineAlert:
    """The lessor's fund-flow monitoring found the leased machine down ≥ 48 h, idle or moved
    (`alert`); published once per lease, alert and factory day by the periodic scan."""

    lease_id: int
    lessor_org_id: int
    alert: str
    day: str
