"""The operator's regional dashboard: per region (province, city) × process class, the idle
capacity offered, the hours booked, the fill rate of orders, a price index and the number of
factories. Aggregates only, never a tenant's row; `start`/`end` are passed in (tests inject them).

Definitions (docs/dashboards.md, "Regional dashboard"):
- a factory's cell is its city (GB/T 2260, market/regions); a factory that named only a province
  sits in the province's own cell, one without a division (abroad, ambiguous) in the "unplaced" cell;
- a window belongs to every class of its machine's processes (once per class), so classes do not add
  up to the market; its hours are clipped to [start, end);
- offered hours: windows `open`; booked hours: windows `booked`;
- fill rate: of the orders posted (opened) in the period that a factory of the cell was quoted for
  in the class, the share whose accepted quote places a line of that class with a factory of the cell;
- price index: the median (the lower middle of an even count, so it is an offered price, in minor
  units) of the per-hour CNY prices of the cell's open and booked windows;
- factories: the distinct factories with a window or a quote line in the cell.

k-anonymity: a cell drawn from fewer than K factories shows nothing but that it is suppressed.
Totals (a province's, a class's) are computed from the shown cells only, never from all rows: a
total minus its shown cells is then zero, and no suppressed cell can be recomputed by subtraction.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from statistics import median_low
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market import errors

from market.catalog.models import CapacityWindow, Factory, MachineProcess
from market.catalog.taxonomy import taxonomy
from market.db import unit_of_work
from market.orders.models import Order, OrderEvent, Quote, QuoteLine
from market.regions.divisions import divisions
from market.web.forms import major

DEFAULT_DAYS = 30
MAX_DAYS = 366
K = 3  # no cell is shown that fewer factories contribute to
FILLED = ("accepted", "in_production", "shipped", "delivered", "closed", "disputed")
UNPLACED = ""  # the cell key of factories without a division


@dataclass(frozen=True)
class Place:
    province_code: str
    province_zh: str
    province_en: str
    city_code: str
    city_zh: str
    city_en: str


NOWHERE = Place(UNPLACED, "", "", UNPLACED, "", "")


@dataclass
class _Acc:
    factories: set = field(default_factory=set)
    open_s: float = 0.0
    booked_s: float = 0.0
    prices: list = field(default_factory=list)
    quoted: set = field(default_factory=set)
    filled: set = field(default_factory=set)

    def add(self, other: "_Acc") -> None:
        self.factories |= other.factories
        self.open_s += other.open_s
        self.booked_s += other.booked_s
        self.prices += other.prices
        self.quoted |= other.quoted
        self.filled |= other.filled


@dataclass(frozen=True)
class Cell:
    place: Place
    class_code: str
    factories: int | None  # None when suppressed, like every figure below
    suppressed: bool
    offered_hours: float | None = None
    booked_hours: float | None = None
    quoted_orders: int | None = None
    filled_orders: int | None = None
    price_index_minor: int | None = None  # CNY minor units per hour

    @property
    def fill_rate(self) -> float | None:
        return self.filled_orders / self.quoted_orders if self.quoted_orders else None


@dataclass(frozen=True)
class Regional:
    start: datetime
    end: datetime
    k: int
    cells: list[Cell]  # cities, by class then province then city
    provinces: list[Cell]  # per province × class: the sum of its shown cities
    classes: list[Cell]  # per class: the sum of its shown cells (place NOWHERE)

    @property
    def class_codes(self) -> list[str]:
        return list(dict.fromkeys(c.class_code for c in self.cells))

    def total_of(self, class_code: str) -> Cell | None:
        return next((c for c in self.classes if c.class_code == class_code), None)


def place_of(code: str | None) -> Place:
    """The province and city a factory's division lies in."""
    table = divisions().by_code
    d = table.get(code or "")
    if d is None:
        return NOWHERE
    province = table[d.code[:2] + "0000"]
    city = table.get(d.code[:4] + "00") if d.level > 1 else None
    city = city or province  # municipalities have no city level; a province-only factory sits in it
    return Place(province.code, province.zh, province.en, city.code, city.zh, city.en)


def _clip(a: datetime, b: datetime, start: datetime, end: datetime) -> float:
    return max((min(b, end) - max(a, start)).total_seconds(), 0.0)


def _collect(s, start: datetime, end: datetime) -> dict[tuple[str, str], _Acc]:
    """Raw sums per (city code, class code), before any suppression."""
    class_of = {code: p.class_code for code, p in taxonomy().processes.items()}
    city = {fid: place_of(code).city_code for fid, code in s.execute(select(Factory.id, Factory.region_code))}
    acc: dict[tuple[str, str], _Acc] = defaultdict(_Acc)
    seen: set[tuple[int, str]] = set()
    rows = s.execute(select(CapacityWindow.id, CapacityWindow.factory_id, CapacityWindow.start_at, CapacityWindow.end_at,
                            CapacityWindow.status, CapacityWindow.pricing_mode, CapacityWindow.price,
                            CapacityWindow.currency, MachineProcess.process_code)
                     .join(MachineProcess, MachineProcess.machine_id == CapacityWindow.machine_id)
                     .where(CapacityWindow.status.in_(("open", "booked")), CapacityWindow.start_at < end,
                            CapacityWindow.end_at > start))
    for wid, fid, a, b, status, mode, price, currency, process in rows:
        cls = class_of.get(process)
        if cls is None or (wid, cls) in seen:  # a machine with two milling processes counts its window once
            continue
        seen.add((wid, cls))
        cell = acc[(city[fid], cls)]
        cell.factories.add(fid)
        if status == "open":
            cell.open_s += _clip(a, b, start, end)
        else:
            cell.booked_s += _clip(a, b, start, end)
        if mode == "per_hour" and currency == "CNY":
            cell.prices.append(int(price))
    posted = (select(OrderEvent.order_id).where(OrderEvent.to_state == "open", OrderEvent.at >= start,
                                                 OrderEvent.at < end).distinct().subquery())
    lines = s.execute(select(QuoteLine.factory_id, QuoteLine.process_code, Quote.order_id, Quote.status, Order.state)
                      .join(Quote, Quote.id == QuoteLine.quote_id).join(Order, Order.id == Quote.order_id)
                      .join(posted, posted.c.order_id == Order.id))
    for fid, process, order_id, quote_status, order_state in lines:
        cls = class_of.get(process)
        if cls is None:
            continue
        cell = acc[(city[fid], cls)]
        cell.factories.add(fid)
        cell.quoted.add(order_id)
        if quote_status == "accepted" and order_state in FILLED:
            cell.filled.add(order_id)
    return acc


def _cell(place: Place, cls: str, a: _Acc, k: int) -> Cell:
    if len(a.factories) < k:
        return Cell(place, cls, None, True)
    return Cell(place, cls, len(a.factories), False, round(a.open_s / 3600, 1), round(a.booked_s / 3600, 1),
                len(a.quoted), len(a.filled), median_low(a.prices) if a.prices else None)


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise errors.refusal(errors.Invalid, _l("'%(value)s' is not a date: write it as 2030-03-31", value=text[:40]),
                             field=name) from None


def period(first: str | None, last: str | None, now: datetime, tz: str) -> tuple[datetime, datetime]:
    """The days `first`..`last` (inclusive, ISO dates in the portal's zone `tz`) as [start, end) in
    UTC; by default the DEFAULT_DAYS days up to today (`now` in `tz`). Bad or reversed dates are
    field errors."""
    zone = ZoneInfo(tz)
    to_day = _day(last, "to") or now.astimezone(zone).date()
    from_day = _day(first, "from") or to_day - timedelta(days=DEFAULT_DAYS - 1)
    if from_day > to_day:
        raise errors.refusal(errors.Invalid, _l("the first day must not come after the last"), field="from")
    if (to_day - from_day).days + 1 > MAX_DAYS:
        raise errors.refusal(errors.Invalid, _l("choose at most %(n)d days", n=MAX_DAYS), field="from")

    def utc(d: date) -> datetime:
        return datetime.combine(d, time(), zone).astimezone(timezone.utc)

    return utc(from_day), utc(to_day + timedelta(days=1))


def regional(start: datetime, end: datetime, k: int = K) -> Regional:
    """The dashboard over [start, end)."""
    if not start < end:
        raise ValueError(f"period start {start} is not before its end {end}")
    with unit_of_work() as s:
        acc = _collect(s, start, end)
    places = {code: place_of(code) for code, _ in acc}
    order = {c.code: i for i, c in enumerate(taxonomy().classes)}

    def sort_key(item):
        (city, cls), _ = item
        p = places[city]
        return (order.get(cls, len(order)), p.province_code == UNPLACED, p.province_code, city)

    cells: list[Cell] = []
    by_province: dict[tuple[str, str], _Acc] = defaultdict(_Acc)
    by_class: dict[str, _Acc] = defaultdict(_Acc)
    for (city, cls), a in sorted(acc.items(), key=sort_key):
        cell = _cell(places[city], cls, a, k)
        cells.append(cell)
        if not cell.suppressed:  # the one rule against recomputation by subtraction: totals add shown cells only
            by_province[(places[city].province_code, cls)].add(a)
            by_class[cls].add(a)
    provinces = []
    for (province, cls), a in by_province.items():
        p = places[next(c for c, x in acc if places[c].province_code == province)]
        provinces.append(_cell(Place(p.province_code, p.province_zh, p.province_en, "", "", ""), cls, a, k))
    classes = [_cell(NOWHERE, cls, a, k) for cls, a in by_class.items()]
    return Regional(start, end, k, cells, provinces, classes)


CSV_HEADER = ("class_code", "province_code", "province_zh", "province_en", "city_code", "city_zh", "city_en",
              "factories", "offered_hours", "booked_hours", "quoted_orders", "filled_orders", "fill_rate",
              "price_index_cny_per_hour", "suppressed")


def csv_rows(r: Regional) -> list[tuple]:
    """The city cells, then the province and class totals (blank where suppressed): what the
    CSV export writes, money in yuan with two decimals (exact, from minor units)."""
    out = [CSV_HEADER]
    for c in r.cells + r.provinces + r.classes:
        p = c.place
        rate = "" if c.fill_rate is None else f"{c.fill_rate:.3f}"
        figures = ("", "", "", "", "", "", "") if c.suppressed else (
            c.factories, c.offered_hours, c.booked_hours, c.quoted_orders, c.filled_orders, rate, major(c.price_index_minor, "CNY"))
        out.append((c.class_code, p.province_code, p.province_zh, p.province_en, p.city_code, p.city_zh, p.city_en,
                    *figures, "yes" if c.suppressed else "no"))
    return out
