"""Peer comparison (天正's 'competition radius'): the factory's features against factories
of the same process class in the same region: in China the same city (the first four digits
of the GB/T 2260 code, so Kunshan 320583 is Suzhou 320500's peer), elsewhere the same region
as written."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from market.catalog.models import Factory
from market.catalog.taxonomy import taxonomy
from market.credit.featureset import BY_NAME

MAX_PEERS = 30


def process_class(factory: Factory) -> str | None:
    """The class most of the factory's machine processes belong to."""
    tax = taxonomy()
    counts = Counter(tax.processes[p].class_code for m in factory.machines for p in m.processes if p in tax.processes)
    return counts.most_common(1)[0][0] if counts else None


def peer_factories(session: Session, factory: Factory) -> tuple[str | None, list[Factory]]:
    klass = process_class(factory)
    same_region = (Factory.region_code.startswith(factory.region_code[:4]) if factory.region_code
                   else Factory.region == factory.region)
    rows = session.scalars(select(Factory).where(same_region, Factory.id != factory.id)
                           .order_by(Factory.id)).unique().all()
    return klass, [f for f in rows if process_class(f) == klass][:MAX_PEERS]


@dataclass(frozen=True)
class Position:
    feature: str
    percentile: int | None  # share of peers (with a value) this factory does at least as well as
    peers: int
    median: float | None


def positions(subject: dict[str, float | None], peers: list[dict[str, float | None]]) -> dict[str, Position]:
    out = {}
    for name, value in subject.items():
        values = sorted(p[name] for p in peers if p.get(name) is not None)
        median = values[len(values) // 2] if values else None
        if value is None or not values:
            out[name] = Position(name, None, len(values), median)
            continue
        better = BY_NAME[name].higher_is_better
        beaten = sum(1 for v in values if (v <= value if better else v >= value))
        out[name] = Position(name, round(100 * beaten / len(values)), len(values), median)
    return out
