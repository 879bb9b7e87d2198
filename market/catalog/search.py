"""Capacity search: open windows by process, time, region or distance, certification, price.

Factories are few next to windows, so location and certification filters are resolved
over the factories first (exact great-circle distance in Python), and the window query
stays a plain indexed range scan that behaves the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ARRAY, Integer, any_, bindparam, func, or_, select

from market import errors
from market.catalog.models import CapacityWindow, Factory, Machine, MachineProcess
from market.catalog.quality import SupplierQuality, permille_column
from market.catalog.taxonomy import taxonomy
from market.db import unit_of_work, utcnow
from market.pagination import Page, paginate
from market.regions.resolve import lookup

EARTH_RADIUS_KM = 6371.0
SORTS = {
    "start": (CapacityWindow.start_at, CapacityWindow.id),
    "price": (CapacityWindow.price, CapacityWindow.start_at, CapacityWindow.id),
    # best suppliers first (market/catalog/quality.py), the earliest window of each first
    "quality": (permille_column().desc(), CapacityWindow.start_at, CapacityWindow.id),
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
    cursor: str | None = None  # a ranked list: the cursor carries the next page (market/pagination.py)


@dataclass(frozen=True)
class WindowView:
    public_id: uuid.UUID
    machine_public_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    pricing_mode: str
    price: int
    currency: str
    min_lot: int
    lead_time_days: int
    status: str
    series_id: uuid.UUID | None


@dataclass(frozen=True)
class MachineView:
    public_id: uuid.UUID
    name: str
    model: str
    tolerance_um: int | None
    processes: list[str]


@dataclass(frozen=True)
class FactoryView:
    public_id: uuid.UUID
    name: str
    region: str
    region_code: str | None
    timezone: str
    certifications: list[str]
    quality: float  # supplier quality in [0, 1]


@dataclass(frozen=True)
class Hit:
    window: WindowView
    machine: MachineView
    factory: FactoryView
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


def in_region(term: str):
    """Factories in the divisions `term` names (a code, a Chinese or English name in any case
    and spacing; a city takes in its districts, and an English name every place spelled so:
    "Suzhou" is 苏州 and 宿州), or whose region or city is written `term` (other countries)."""
    written = " ".join(term.split()).lower()
    return or_(*(Factory.region_code.startswith(d.prefix, autoescape=True) for d in lookup(term)),
               func.lower(func.trim(Factory.region)) == written, func.lower(func.trim(Factory.city)) == written)


def _factories_matching(s, q: CapacityQuery, distances: dict[int, float]) -> list[int]:
    """Factory ids with every wanted certification within the radius; fills `distances`."""
    stmt = select(Factory.id, Factory.certifications, Factory.latitude, Factory.longitude)
    if q.region:
        stmt = stmt.where(in_region(q.region))
    if q.radius_km is not None:
        # a bounding box in SQL first, the exact great-circle distance in Python after
        dlat = math.degrees(q.radius_km / EARTH_RADIUS_KM)
        dlon = dlat / max(math.cos(math.radians(q.latitude)), 0.01)
        stmt = stmt.where(Factory.latitude.between(q.latitude - dlat, q.latitude + dlat))
        if dlon < 180:
            stmt = stmt.where(Factory.longitude.between(q.longitude - dlon, q.longitude + dlon))
    wanted = set(q.certifications)
    ids = []
    for fid, certs, lat, lon in s.execute(stmt):
        if not wanted <= set(certs or ()):
            continue
        if q.radius_km is not None:
            d = distance_km(q.latitude, q.longitude, lat, lon)
            if d > q.radius_km:
                continue
            distances[fid] = d
        ids.append(fid)
    return ids


def _one_of(s, column, ids: list[int]):
    """`column IN ids`; on PostgreSQL as `= ANY(array)`: one parameter, one plan to cache."""
    if s.bind.dialect.name == "postgresql":
        return column == any_(bindparam("machine_ids", ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def search_capacity(q: CapacityQuery) -> Page[Hit]:
    _validate(q)
    with unit_of_work() as s:
        distances: dict[int, float] = {}
        factory_ids = None
        if q.certifications or q.radius_km is not None:
            factory_ids = _factories_matching(s, q, distances)

        # Resolve the machines first (few rows), then read their windows through the
        # (machine_id, status, start_at, end_at) index instead of scanning windows by date.
        codes = [q.process] if q.process else taxonomy().processes_of_class(q.process_class) if q.process_class else None
        machine_ids = None
        if codes or q.region or factory_ids is not None:
            mstmt = select(Machine.id).where(Machine.status == "active")
            if codes:
                mstmt = mstmt.where(Machine.id.in_(
                    select(MachineProcess.machine_id).where(MachineProcess.process_code.in_(codes))))
            if q.region:
                mstmt = mstmt.where(Machine.factory_id.in_(select(Factory.id).where(in_region(q.region))))
            if factory_ids is not None:
                mstmt = mstmt.where(Machine.factory_id.in_(factory_ids))
            machine_ids = list(s.scalars(mstmt))

        since = q.start or utcnow()
        # Plain columns, not entities: a search page must not pay for eager-loaded graphs.
        W, M, F = CapacityWindow, Machine, Factory
        stmt = (
            select(W.public_id, M.public_id, W.start_at, W.end_at, W.pricing_mode, W.price, W.currency, W.min_lot,
                   W.lead_time_days, W.status, W.series_id, M.id, M.public_id, M.name, M.model, M.tolerance_um,
                   F.id, F.public_id, F.name, F.region, F.region_code, F.timezone, F.certifications, permille_column())
            .select_from(CapacityWindow)
            .join(Machine, CapacityWindow.machine_id == Machine.id)
            .join(Factory, CapacityWindow.factory_id == Factory.id)
            .outerjoin(SupplierQuality, SupplierQuality.factory_id == CapacityWindow.factory_id)
            .where(CapacityWindow.status == "open", CapacityWindow.end_at > since)
            .order_by(*SORTS[q.sort])
        )
        # the same conditions on the windows alone count the hits: the machine, factory and
        # quality joins add columns, never rows (foreign keys; quality is one row per factory)
        count = select(func.count()).select_from(CapacityWindow).where(
            CapacityWindow.status == "open", CapacityWindow.end_at > since)
        if machine_ids is None:
            stmt = stmt.where(Machine.status == "active")
            count = count.join(Machine, CapacityWindow.machine_id == Machine.id).where(Machine.status == "active")
        else:
            stmt = stmt.where(_one_of(s, CapacityWindow.machine_id, machine_ids))
            count = count.where(_one_of(s, CapacityWindow.machine_id, machine_ids))
        extra = []
        if q.end:
            extra.append(CapacityWindow.start_at < q.end)
        if q.pricing_mode:
            extra.append(CapacityWindow.pricing_mode == q.pricing_mode)
        if q.max_price is not None:
            extra.append(CapacityWindow.price <= q.max_price)
        if q.min_lot_at_most is not None:
            extra.append(CapacityWindow.min_lot <= q.min_lot_at_most)
        if extra:
            stmt, count = stmt.where(*extra), count.where(*extra)
        page = paginate(s, stmt, q.page, q.per_page, scalars=False, count=count, cursor=q.cursor)
        processes = defaultdict(list)
        on_page = {row[11] for row in page.items}
        if on_page:
            for mid, code in s.execute(select(MachineProcess.machine_id, MachineProcess.process_code)
                                       .where(MachineProcess.machine_id.in_(on_page))
                                       .order_by(MachineProcess.process_code)):
                processes[mid].append(code)
        page.items = [
            Hit(WindowView(*row[:11]), MachineView(row[12], row[13], row[14], row[15], processes[row[11]]),
                FactoryView(*row[17:23], row[23] / 1000), distances.get(row[16]))
            for row in page.items
        ]
        return page


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def hit_json(hit: Hit) -> dict:
    """One hit as schemas.HitOut dumps it, without marshmallow's per-field work (a search page
    is the mixed load's most frequent call); test_capacity_search_json compares the two."""
    w, m, f = hit.window, hit.machine, hit.factory
    return {
        "window": {"id": str(w.public_id), "machine_id": str(w.machine_public_id), "start": _iso(w.start_at),
                   "end": _iso(w.end_at), "pricing_mode": w.pricing_mode, "price": None if w.price is None else int(w.price),
                   "currency": w.currency, "min_lot": None if w.min_lot is None else int(w.min_lot),
                   "lead_time_days": None if w.lead_time_days is None else int(w.lead_time_days), "status": w.status,
                   "series_id": None if w.series_id is None else str(w.series_id)},
        "machine": {"id": str(m.public_id), "name": m.name, "model": m.model,
                    "processes": None if m.processes is None else [str(p) for p in m.processes],
                    "tolerance_um": None if m.tolerance_um is None else int(m.tolerance_um)},
        "factory": {"id": str(f.public_id), "name": f.name, "region": f.region, "region_code": f.region_code,
                    "certifications": None if f.certifications is None else [str(c) for c in f.certifications],
                    "quality": None if f.quality is None else float(f.quality)},
        "distance_km": None if hit.distance_km is None else float(hit.distance_km),
    }


def page_json(page: Page[Hit]) -> dict:
    """A search page as page_schema(HitOut) dumps it."""
    return page.envelope([hit_json(h) for h in page.items])
