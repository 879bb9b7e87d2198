"""The public supplier scorecard on a factory's profile: public facts only (counts and
rates a buyer may see), from the same ledger-backed facts as the credit features, counted
once for the card and the supplier quality (market/credit/quality.py evidence_of)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from market.catalog.models import Factory
from market.credit.quality import evidence_of
from market.db import unit_of_work, utcnow


@dataclass(frozen=True)
class SupplierCard:
    jobs_completed: int
    on_time_rate: float | None
    qc_pass_rate: float | None
    disputes: int
    tenure_months: int


def supplier_card(factory_id: uuid.UUID) -> SupplierCard | None:
    with unit_of_work() as s:
        factory = s.scalar(select(Factory).where(Factory.public_id == factory_id))
        if factory is None:
            return None
        e = evidence_of(s, factory, utcnow())
        return SupplierCard(e.deliveries, e.on_time / e.deliveries if e.deliveries else None,
                            e.qc_passed / e.qc_checks if e.qc_checks else None, e.disputes, e.tenure_months)
