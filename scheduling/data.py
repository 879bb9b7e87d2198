"""Problem data: solver-independent dataclasses that validate themselves.

Time is integer minutes from a problem epoch chosen by the caller (e.g. "now" rounded
down); money is integer minor units of ``Problem.currency``.  The horizon is derived
from the data (:attr:`Problem.horizon`), never a constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from fractions import Fraction
from typing import Mapping


class PricingMode(str, Enum):
    """iSESOL's three billing modes."""

    PER_HOUR = "per_hour"  # price = minor units per hour of machine time (pro rata, rounded up)
    PER_PIECE = "per_piece"  # price = minor units per piece
    PERCENT_OF_VALUE = "percent_of_value"  # price = basis points of the job value


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _fraction(value, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, Fraction, str)):
        raise TypeError(f"{what} must be a number, got {value!r}")
    try:
        return Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"{what} is not a number: {value!r}") from exc


@dataclass(frozen=True)
class Window:
    """A machine is offered for ``[start, end)`` under one pricing mode."""

    start: int
    end: int
    pricing: PricingMode = PricingMode.PER_HOUR
    price: int = 0
    min_lot: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "pricing", PricingMode(self.pricing))
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} must be after start {self.start}")
        if self.price < 0:
            raise ValueError(f"window price {self.price} must be >= 0")
        if self.min_lot < 1:
            raise ValueError(f"window min_lot {self.min_lot} must be >= 1")

    def price_for(self, *, minutes: int, quantity: int, value: int | None) -> int | None:
        """Price in minor units of running ``quantity`` pieces for ``minutes`` here; None
        when a percent-of-value window meets a job whose value is unknown (``value`` None)."""
        if self.pricing is PricingMode.PER_HOUR:
            return _ceil_div(self.price * minutes, 60)
        if self.pricing is PricingMode.PER_PIECE:
            return self.price * quantity
        return None if value is None else _ceil_div(value * self.price, 10_000)


@dataclass(frozen=True)
class Site:
    """A factory (site).  ``quality`` in [0, 1] comes from the supplier scorecard."""

    id: str
    quality: float = 1.0
    location: tuple[float, float] | None = None  # (latitude, longitude) in degrees

    def __post_init__(self) -> None:
        if not 0.0 <= self.quality <= 1.0:
            raise ValueError(f"site {self.id!r}: quality {self.quality} must be within [0, 1]")


@dataclass(frozen=True)
class Leg:
    """Transport between two sites: lead time and cost of one shipment."""

    minutes: int
    cost: int

    def __post_init__(self) -> None:
        if self.minutes < 0 or self.cost < 0:
            raise ValueError(f"transport leg needs minutes >= 0 and cost >= 0, got {self.minutes}, {self.cost}")


@dataclass(frozen=True)
class Machine:
    id: str
    site_id: str
    capabilities: frozenset[str]
    windows: tuple[Window, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "capabilities", frozenset(self.capabilities))
        windows = tuple(sorted(self.windows, key=lambda w: w.start))
        object.__setattr__(self, "windows", windows)
        for a, b in zip(windows, windows[1:]):
            if b.start < a.end:
                raise ValueError(
                    f"machine {self.id!r}: windows [{a.start}, {a.end}) and [{b.start}, {b.end}) overlap"
                )

    @property
    def window_ends(self) -> list[int]:
        """Sorted window ends (cached), for bisecting by time."""
        ends = self.__dict__.get("_ends")
        if ends is None:
            ends = [w.end for w in self.windows]
            object.__setattr__(self, "_ends", ends)
        return ends


@dataclass(frozen=True)
class Operation:
    """One step of a job.  Duration = ceil(setup + quantity x run) minutes."""

    process: str
    setup_minutes: Fraction | Decimal | int | float | str = 0
    run_minutes_per_unit: Fraction | Decimal | int | float | str = 0
    splittable: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        setup = _fraction(self.setup_minutes, f"operation {self.process!r} setup_minutes")
        run = _fraction(self.run_minutes_per_unit, f"operation {self.process!r} run_minutes_per_unit")
        if setup < 0 or run < 0:
            raise ValueError(f"operation {self.process!r}: setup {setup} and run {run} must be >= 0")
        object.__setattr__(self, "setup_minutes", setup)
        object.__setattr__(self, "run_minutes_per_unit", run)

    def duration(self, quantity: int) -> int:
        return max(1, math.ceil(self.setup_minutes + quantity * self.run_minutes_per_unit))


@dataclass(frozen=True)
class Job:
    """An order: ordered operations, quantity, value (for percent pricing), dates.

    ``value`` is what percent-of-value windows take their share of; None = unknown, and
    then no percent-of-value window is a candidate for the job."""

    id: str
    quantity: int
    operations: tuple[Operation, ...]
    due: int
    release: int = 0
    value: int | None = 0
    weight: int = 1
    hard_due: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "operations", tuple(self.operations))
        if self.quantity < 1:
            raise ValueError(f"job {self.id!r}: quantity {self.quantity} must be >= 1")
        if not self.operations:
            raise ValueError(f"job {self.id!r} has no operations")
        if self.value is not None and self.value < 0:
            raise ValueError(f"job {self.id!r}: value {self.value} must be >= 0")
        if self.weight < 0:
            raise ValueError(f"job {self.id!r}: weight {self.weight} must be >= 0")
        if self.due < self.release:
            raise ValueError(f"job {self.id!r}: due {self.due} is before release {self.release}")


@dataclass(frozen=True)
class Busy:
    """Already-booked (frozen) time on a machine that nothing else may overlap."""

    machine_id: str
    start: int
    end: int
    label: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"busy interval on {self.machine_id!r}: end {self.end} must be after start {self.start}")


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Problem:
    """Sites, machines with open windows, jobs, transport and already-booked work.

    ``transport`` maps ``(from_site, to_site)`` to a :class:`Leg`; a missing pair falls
    back to the reverse pair, then to the great-circle distance between the sites'
    locations (``road_factor``, ``km_per_hour``, ``cost_per_km``).  Same site = free.
    """

    sites: tuple[Site, ...]
    machines: tuple[Machine, ...]
    jobs: tuple[Job, ...]
    transport: Mapping[tuple[str, str], Leg] = field(default_factory=dict)
    busy: tuple[Busy, ...] = ()
    currency: str = "CNY"
    km_per_hour: float = 50.0
    cost_per_km: int = 300
    road_factor: float = 1.3

    def __post_init__(self) -> None:
        for name in ("sites", "machines", "jobs", "busy"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "transport", dict(self.transport))
        _unique("site", [s.id for s in self.sites])
        _unique("machine", [m.id for m in self.machines])
        _unique("job", [j.id for j in self.jobs])
        site_ids = {s.id for s in self.sites}
        for m in self.machines:
            if m.site_id not in site_ids:
                raise ValueError(f"machine {m.id!r} is at unknown site {m.site_id!r}")
        machine_ids = {m.id for m in self.machines}
        for b in self.busy:
            if b.machine_id not in machine_ids:
                raise ValueError(f"busy interval on unknown machine {b.machine_id!r}")
        for (a, b), leg in self.transport.items():
            if a not in site_ids or b not in site_ids:
                raise ValueError(f"transport entry ({a!r}, {b!r}) names an unknown site")
            if not isinstance(leg, Leg):
                raise TypeError(f"transport entry ({a!r}, {b!r}) must be a Leg, got {leg!r}")
        sites = {s.id: s for s in self.sites}
        used = sorted({m.site_id for m in self.machines})
        for i, a in enumerate(used):
            for b in used[i + 1:]:
                if (a, b) not in self.transport and (b, a) not in self.transport:
                    if sites[a].location is None or sites[b].location is None:
                        raise ValueError(
                            f"no transport between sites {a!r} and {b!r}: give a Leg or both locations"
                        )

    # -- lookups -------------------------------------------------------------
    def site(self, site_id: str) -> Site:
        return self._sites[site_id]

    def machine(self, machine_id: str) -> Machine:
        return self._machines[machine_id]

    def job(self, job_id: str) -> Job:
        for j in self.jobs:
            if j.id == job_id:
                return j
        raise KeyError(f"unknown job {job_id!r}")

    @property
    def _sites(self) -> dict[str, Site]:
        cache = self.__dict__.get("_site_cache")
        if cache is None:
            cache = {s.id: s for s in self.sites}
            object.__setattr__(self, "_site_cache", cache)
        return cache

    @property
    def _machines(self) -> dict[str, Machine]:
        cache = self.__dict__.get("_machine_cache")
        if cache is None:
            cache = {m.id: m for m in self.machines}
            object.__setattr__(self, "_machine_cache", cache)
        return cache

    def leg(self, a: str, b: str) -> Leg:
        """Transport from site ``a`` to site ``b``."""
        if a == b:
            return Leg(0, 0)
        leg = self.transport.get((a, b)) or self.transport.get((b, a))
        if leg is not None:
            return leg
        cache = self.__dict__.setdefault("_leg_cache", {})
        if (a, b) not in cache:
            sa, sb = self.site(a), self.site(b)
            if sa.location is None or sb.location is None:
                raise ValueError(f"no transport between sites {a!r} and {b!r}")
            km = _haversine_km(sa.location, sb.location) * self.road_factor
            cache[(a, b)] = Leg(math.ceil(km / self.km_per_hour * 60), math.ceil(km * self.cost_per_km))
        return cache[(a, b)]

    @property
    def horizon(self) -> int:
        """Latest minute anything can happen: the end of the last window or busy interval."""
        ends = [w.end for m in self.machines for w in m.windows] + [b.end for b in self.busy]
        ends += [j.due for j in self.jobs]
        return max(ends, default=0)


def _unique(kind: str, ids: list[str]) -> None:
    seen = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {kind} id {i!r}")
        seen.add(i)
