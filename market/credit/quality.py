"""Keeps every factory's stored supplier quality (market/catalog/quality.py) equal to what the
rule (market/credit/quality_score.py) makes of its current evidence: the public scorecard's
counts (market/credit/supplier.py reads the same facts) and its buyers' ratings.

`refresh` runs whenever an input changes: a rating (in the rating's transaction), and the
order moves and QC failures credit listens to (market/credit/handlers.py). Tenure grows with
time alone; `refresh_all` (CLI `market credit refresh-quality`) brings it up to date.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.catalog import quality as stored
from market.catalog.models import Factory
from market.credit import facts as facts_mod
from market.credit.quality_score import Evidence, permille
from market.credit.rating_models import Rating, RatingSubject
from market.db import unit_of_work, utcnow


def tenure_months(factory: Factory, now: datetime) -> int:
    return max((now - factory.created_at).days, 0) * 12 // 365


def rating_counts(s: Session, factory_id: int) -> tuple[int, int]:
    """(ratings, sum of their stars) of the factory."""
    n, total = s.execute(select(func.count(Rating.id), func.coalesce(func.sum(Rating.stars), 0))
                         .join(RatingSubject, RatingSubject.rating_id == Rating.id)
                         .where(RatingSubject.factory_id == factory_id)).one()
    return int(n), int(total)


def evidence_of(s: Session, factory: Factory, now: datetime) -> Evidence:
    f = facts_mod.gather(s, factory, now)
    ratings, stars = rating_counts(s, factory.id)
    return Evidence(deliveries=len(f.deliveries), on_time=sum(d.delivered_at <= d.promised_at for d in f.deliveries),
                    qc_checks=len(f.qc), qc_passed=sum(q.result == "pass" for q in f.qc),
                    disputes=len(f.disputes or []), tenure_months=tenure_months(factory, now),
                    ratings=ratings, stars_total=stars)


def refresh(s: Session, factory_ids: Iterable[int], now: datetime) -> None:
    """Recompute and store the quality of these factories in `s`'s transaction (no commit)."""
    for factory in s.scalars(select(Factory).where(Factory.id.in_(set(factory_ids))).order_by(Factory.id)):
        stored.store(s, factory.id, permille(evidence_of(s, factory, now)), now)


def refresh_all(now: datetime | None = None) -> int:
    now = now or utcnow()
    with unit_of_work() as s:
        ids = list(s.scalars(select(Factory.id)))
    for start in range(0, len(ids), 50):  # one short transaction per batch
        with unit_of_work() as s:
            refresh(s, ids[start:start + 50], now)
            s.commit()
    return len(ids)


def supplier_quality(factory_ids: Iterable[int]) -> dict[int, float]:
    """factory id (internal) -> supplier quality in [0, 1], as search and the solver see it:
    for any domain that shows the score (e.g. next to bids)."""
    with unit_of_work() as s:
        return stored.quality_of(s, factory_ids)
