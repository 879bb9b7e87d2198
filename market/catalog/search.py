"""Capacity search: open windows by process, time, region or distance, certification, price.

Factories are few next to windows, so location and certification filters are resolved
over the factories first (exact great-circle distance in Python), and the window query
stays a plain indexed range scan that behaves the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from market import errors
from market.catalog.models import CapacityWindow, Factory, Machine, MachineProcess
from market.catalog.taxonomy import taxonomy
from market.db import unit_of_work, utcnow
from market.pagination import Page, paginate

EARTH_RADIUS_KM = 6371.0
SORTS = {
    "start": (CapacityWindow.start_at, CapacityWindow.id),
    "price": (CapacityWindow.price, CapacityWindow.start_at, CapacityWindow.id),
}


@dataclass(frozen=True)
class CapacityQuery:
    process: str | None = None
    process_class: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    certifications: tuple[str, ...] = field(default_factory=tuple)
    pricing_mode: str | None = None
    max_price: int | None = None
    min_lot_at_most: int | None = None
    sort: str = "start"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    window: CapacityWindow
    machine: Machine
    factory: Factory
    distance_km: float | None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _validate(q: CapacityQuery) -> None:
    tx = taxonomy()
    if q.process and q.process not in tx.processes:
        raise errors.Invalid(f"unknown process code '{q.process}'", field="process")
    if q.process_class and q.process_class not in {c.code for c in tx.classes}:
        raise errors.Invalid(f"unknown process class '{q.process_class}'", field="process_class")
    if q.start and q.end and q.end <= q.start:
        raise errors.Invalid("'to' must be after 'from'", field="to")
    near = (q.latitude, q.longitude, q.radius_km)
    if any(v is not None for v in near) and any(v is None for v in near):
        raise errors.Invalid("distance search needs lat, lon and radius_km together", field="radius_km")
    if q.max_price is not None and q.pricing_mode is None:
        raise errors.Invalid("max_price needs pricing_mode (prices of different modes do not compare)", field="max_price")
    if q.sort not in SORTS:
        raise errors.Invalid(f"sort must be one of {', '.join(SORTS)}", field="sort")
    unknown = [c for c in q.certifications if c not in tx.certifications]
    if unknown:
        raise errors.Invalid(f"unknown certification(s): {', '.join(unknown)}", field="certification")


def search_capacity(q: CapacityQuery) -> Page[Hit]:
    _validate(q)
    with unit_of_work() as s:
        distances: dict[int, float] = {}
        factory_ids = None
        if q.region or q.certifications or q.radius_km is not None:
            candidates = s.execute(select(Factory.id, Factory.region, Factory.certifications,
                                          Factory.latitude, Factory.longitude)).all()
            factory_ids = []
            for fid, region, certs, lat, lon in candidates:
                if q.region and region != q.region:
                    continue
                if not set(q.certifications) <= set(certs or ()):
                    continue
                if q.radius_km is not None:
                    d = distance_km(q.latitude, q.longitude, lat, lon)
                    if d > q.radius_km:
                        continue
                    distances[fid] = d
                factory_ids.append(fid)

        stmt = (
            select(CapacityWindow, Machine, Factory)
            .join(Machine, CapacityWindow.machine_id == Machine.id)
            .join(Factory, CapacityWindow.factory_id == Factory.id)
            .where(CapacityWindow.status == "open", Machine.status == "active",
                   CapacityWindow.end_at > (q.start or utcnow()))
            .order_by(*SORTS[q.sort])
        )
        codes = [q.process] if q.process else taxonomy().processes_of_class(q.process_class) if q.process_class else None
        if codes:
            stmt = stmt.where(CapacityWindow.machine_id.in_(
                select(MachineProcess.machine_id).where(MachineProcess.process_code.in_(codes))))
        if q.end:
            stmt = stmt.where(CapacityWindow.start_at < q.end)
        if factory_ids is not None:
            stmt = stmt.where(CapacityWindow.factory_id.in_(factory_ids))
        if q.pricing_mode:
            stmt = stmt.where(CapacityWindow.pricing_mode == q.pricing_mode)
        if q.max_price is not None:
            stmt = stmt.where(CapacityWindow.price <= q.max_price)
        if q.min_lot_at_most is not None:
            stmt = stmt.where(CapacityWindow.min_lot <= q.min_lot_at_most)
        page = paginate(s, stmt, q.page, q.per_page, scalars=False)
        page.items = [Hit(w, m, f, distances.get(f.id)) for w, m, f in page.items]
        return page
