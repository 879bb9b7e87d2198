"""The public supplier scorecard on a factory's profile: public facts only (counts and
rates a buyer may see), from the same ledger-backed facts as the credit features."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from market.catalog.models import Factory
from market.credit import facts as facts_mod
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
        now = utcnow()
        f = facts_mod.gather(s, factory, now)
        on_time = [d.delivered_at <= d.promised_at for d in f.deliveries]
        passed = [q.result == "pass" for q in f.qc]
        tenure = (now - factory.created_at).days * 12 // 365
        return SupplierCard(len(f.deliveries), sum(on_time) / len(on_time) if on_time else None,
                            sum(passed) / len(passed) if passed else None, len(f.disputes or []), tenure)
