"""What credit tells the domains above it (market/bus.py): consents given, withdrawn or running
out, reports issued, financing decided, paid out and repaid late, and the alerts a lender
watches. Not to be confused with events.py (the ledger entries credit writes). Amounts stay in
the credit tables: an event carries ids, and the listener reads what its reader may know."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConsentGranted:
    """A factory let a lender read its data (`purpose`, until `valid_until`, ISO)."""

    consent_id: int
    factory_id: int
    lender_org_id: int
    purpose: str
    valid_until: str
    actor_user_id: int | None = None


@dataclass(frozen=True)
class ConsentRevoked:
    """A factory withdrew a consent before its end."""

    consent_id: int
    factory_id: int
    lender_org_id: int
    actor_user_id: int | None = None


@dataclass(frozen=True)
class ConsentExpiring:
    """A live consent ends at `valid_until` (ISO), within CONSENT_EXPIRY_NOTICE_DAYS;
    published once per consent by the periodic reminders (credit.reminders)."""

    consent_id: int
    factory_id: int
    lender_org_id: int
    valid_until: str


@dataclass(frozen=True)
class CreditReportIssued:
    """A lender was issued a credit report on a factory (credit.services.issue_report)."""

    report_id: int
    factory_id: int
    lender_org_id: int


@dataclass(frozen=True)
class FinancingDecided:
    """A lender approved or declined a financing application (`status`)."""

    application_id: int
    factory_id: int
    lender_org_id: int
    status: str


@dataclass(frozen=True)
class FinancingDisbursed:
    """A lender paid out an approved application; its instalments are scheduled."""

    application_id: int
    factory_id: int
    lender_org_id: int


@dataclass(frozen=True)
class InstalmentDue:
    """Instalment `seq` of a disbursed financing falls due on `due_on` (ISO date), within
    INSTALMENT_NOTICE_DAYS; published once per instalment by the periodic reminders."""

    application_id: int
    repayment_id: int
    seq: int
    due_on: str


@dataclass(frozen=True)
class InstalmentOverdue:
    """Instalment `seq` was due on `due_on` and is not paid; published once per instalment."""

    application_id: int
    repayment_id: int
    seq: int
    due_on: str


@dataclass(frozen=True)
class LenderAlertRaised:
    """An alert of credit.alerts on a consented factory (`kind`: grade_drop, oee_collapse,
    machine_down; `facts` as the lender's alert page shows them); published once per alert
    (its `key`) by the periodic reminders."""

    lender_org_id: int
    factory_id: int
    kind: str
    key: str
    facts: dict


@dataclass(frozen=True)
class RatingPosted:
    """A buyer rated a delivered order (credit.ratings.rate_order), published in the rating's
    unit of work. `factory_ids`: the factories it rates (the accepted quote's)."""

    rating_id: int
    order_id: int
    factory_ids: tuple[int, ...]
    stars: int
    actor_user_id: int | None = None
