"""A factory's supplier quality as catalog search and the solver read it: one stored number
per factory (permille), written by credit.

Why a stored (denormalized) value and not a reader handed over at start-up: catalog and
matching sit below credit (market/layers.py) and cannot compute the score themselves, and
search must order and paginate windows by it in SQL; with a reader, every search would gather
every candidate factory's ledger-backed facts and sort all its windows in Python. So credit
recomputes the score when its inputs change (a delivery, a dispute, a QC failure, a rating:
market/credit/handlers.py, market/credit/quality.py) and stores it here; the rule that makes
the number lives only in market/credit/quality_score.py.

A factory credit has not scored yet (no delivery, no rating) has no row and reads as
UNSCORED_PERMILLE, the score the rule gives to no evidence (tests/market/test_ratings_score.py
keeps them equal).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from market.db import Base, UTCDateTime, utcnow

UNSCORED_PERMILLE = 734


class SupplierQuality(Base):
    __tablename__ = "supplier_quality"
    __table_args__ = (CheckConstraint("permille BETWEEN 0 AND 1000", name="permille_range"),)

    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id", ondelete="CASCADE"), primary_key=True)
    permille: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def permille_column():
    """SQL for a joined factory's quality (outer join SupplierQuality on factory_id)."""
    return func.coalesce(SupplierQuality.permille, UNSCORED_PERMILLE)


def quality_of(s: Session, factory_ids: Iterable[int]) -> dict[int, float]:
    """factory id -> quality in [0, 1], for every id asked (unscored ones at the default)."""
    ids = list(set(factory_ids))
    out = {fid: UNSCORED_PERMILLE / 1000 for fid in ids}
    if ids:
        for fid, value in s.execute(select(SupplierQuality.factory_id, SupplierQuality.permille)
                                    .where(SupplierQuality.factory_id.in_(ids))):
            out[fid] = value / 1000
    return out


def store(s: Session, factory_id: int, permille: int, now: datetime) -> None:
    """Write a factory's score (credit calls this in its own unit of work)."""
    if not 0 <= permille <= 1000:
        raise ValueError(f"permille {permille} out of range 0..1000")
    # an upsert: two refreshes of a factory scored for the first time must not collide
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SupplierQuality).values(factory_id=factory_id, permille=permille, updated_at=now)
    s.execute(stmt.on_conflict_do_update(index_elements=[SupplierQuality.factory_id],
                                         set_={"permille": permille, "updated_at": now}))
