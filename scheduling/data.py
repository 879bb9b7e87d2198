"""Problem data: solver-independent dataclasses that validate themselves.

Time is integer minutes from a problem epoch chosen by the caller (e.g. "now" rounded
down); money is integer minor units of ``Problem.currency``.  The horizon is derived
from the data (:attr:`Problem.horizon`), never a constant.
"""

from __future__ import annotations

import math
import heapq
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
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
    """One step of a job.  Duration = ceil(setup + pieces x run) minutes, where pieces =
    job quantity x ``multiplier`` (a component's pieces per finished piece in a BOM)."""

    process: str
    setup_minutes: Fraction | Decimal | int | float | str = 0
    run_minutes_per_unit: Fraction | Decimal | int | float | str = 0
    splittable: bool = False
    name: str = ""
    multiplier: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.multiplier, bool) or not isinstance(self.multiplier, int) or self.multiplier < 1:
            raise ValueError(f"operation {self.process!r}: multiplier {self.multiplier!r} must be an integer >= 1")
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
    """An order: operations, quantity, value (for percent pricing), dates.

    ``value`` is what percent-of-value windows take their share of; None = unknown, and
    then no percent-of-value window is a candidate for the job.

    ``after[k]`` lists the operations that must end (plus transport) before operation k
    starts: a bill of materials whose components merge into assembly steps is a DAG.
    ``after=None`` is the plain routing, a chain (operation k after k - 1).  The job is
    complete when its sink operations (those nothing comes after) have all ended."""

    id: str
    quantity: int
    operations: tuple[Operation, ...]
    due: int
    release: int = 0
    value: int | None = 0
    weight: int = 1
    hard_due: bool = False
    after: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "operations", tuple(self.operations))
        if self.after is not None:
            object.__setattr__(self, "after", check_precedence(len(self.operations), self.after, job_id=self.id))
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

    # -- the precedence graph (derived, cached) -----------------------------------
    def predecessors(self, k: int) -> tuple[int, ...]:
        if self.after is None:
            return (k - 1,) if k else ()
        return self.after[k]

    @cached_property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """(predecessor, successor) pairs: each is one shipment when their sites differ."""
        return tuple((p, k) for k in range(len(self.operations)) for p in self.predecessors(k))

    @cached_property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        out: list[list[int]] = [[] for _ in self.operations]
        for p, k in self.edges:
            out[p].append(k)
        return tuple(tuple(x) for x in out)

    @cached_property
    def order(self) -> tuple[int, ...]:
        """Operations in topological order, lowest index first among the ready ones
        (so a chain keeps its order)."""
        return _topological(len(self.operations), self.predecessors)

    @cached_property
    def sinks(self) -> tuple[int, ...]:
        return tuple(k for k, succ in enumerate(self.successors) if not succ)

    @property
    def is_chain(self) -> bool:
        return all(self.predecessors(k) == ((k - 1,) if k else ()) for k in range(len(self.operations)))

    def pieces(self, k: int) -> int:
        """Pieces operation k makes: the job's quantity times the operation's multiplier."""
        return self.quantity * self.operations[k].multiplier

    @cached_property
    def durations(self) -> tuple[int, ...]:
        return tuple(op.duration(self.pieces(k)) for k, op in enumerate(self.operations))

    @cached_property
    def heads(self) -> tuple[int, ...]:
        """Minutes of work that must be done before operation k can start (longest path in)."""
        head = [0] * len(self.operations)
        for k in self.order:
            head[k] = max((head[p] + self.durations[p] for p in self.predecessors(k)), default=0)
        return tuple(head)

    @cached_property
    def tails(self) -> tuple[tuple[int, int], ...]:
        """(minutes, operations) of the longest path after operation k to a sink."""
        tail = [(0, 0)] * len(self.operations)
        for k in reversed(self.order):
            tail[k] = max(((self.durations[s] + tail[s][0], 1 + tail[s][1]) for s in self.successors[k]),
                          default=(0, 0))
        return tuple(tail)

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


def _topological(n: int, predecessors) -> tuple[int, ...]:
    indegree = [len(predecessors(k)) for k in range(n)]
    succ: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        for p in predecessors(k):
            succ[p].append(k)
    ready = [k for k in range(n) if not indegree[k]]
    heapq.heapify(ready)
    out = []
    while ready:
        k = heapq.heappop(ready)
        out.append(k)
        for s in succ[k]:
            indegree[s] -= 1
            if not indegree[s]:
                heapq.heappush(ready, s)
    return tuple(out)


class PrecedenceError(ValueError):
    """A job's ``after`` is not a DAG over its operations.  ``kind`` says why ("shape",
    "not_index", "self", "range", "twice", "cycle"), ``operation`` which operation's list is
    wrong (None for "shape"), ``value`` the offending predecessor, ``cycle`` the closed path."""

    def __init__(self, message: str, *, kind: str, operation: int | None = None, value=None,
                 cycle: tuple[int, ...] = ()):
        super().__init__(message)
        self.kind, self.operation, self.value, self.cycle = kind, operation, value, cycle


def check_precedence(n: int, after, *, job_id: str = "") -> tuple[tuple[int, ...], ...]:
    """``after`` (predecessor indices per operation) as a tuple of sorted tuples, or
    :class:`PrecedenceError` naming the first problem found."""
    who = f"job {job_id!r}: " if job_id else ""
    try:
        rows = [list(row) for row in after]
    except TypeError:
        raise PrecedenceError(f"{who}after must be a sequence of predecessor lists, got {after!r}",
                              kind="shape") from None
    if len(rows) != n:
        raise PrecedenceError(f"{who}after has {len(rows)} entries for {n} operations", kind="shape")
    out = []
    for k, row in enumerate(rows):
        for p in row:
            if isinstance(p, bool) or not isinstance(p, int):
                raise PrecedenceError(f"{who}operation {k} names predecessor {p!r}, not an operation index",
                                      kind="not_index", operation=k, value=p)
            if p == k:
                raise PrecedenceError(f"{who}operation {k} cannot come after itself", kind="self", operation=k, value=p)
            if not 0 <= p < n:
                raise PrecedenceError(f"{who}operation {k} names predecessor {p}, out of range 0..{n - 1}",
                                      kind="range", operation=k, value=p)
        if len(set(row)) != len(row):
            raise PrecedenceError(f"{who}operation {k} names a predecessor twice: {row}", kind="twice", operation=k)
        out.append(tuple(sorted(row)))
    if len(_topological(n, lambda k: out[k])) != n:
        cycle = tuple(_cycle(out))
        raise PrecedenceError(f"{who}operations {' -> '.join(map(str, cycle))} form a cycle", kind="cycle",
                              operation=cycle[0], cycle=cycle)
    return tuple(out)


def _cycle(after: list[tuple[int, ...]]) -> list[int]:
    """One cycle of the predecessor graph (which must have one), as a closed path."""
    state = [0] * len(after)  # 0 new, 1 on the path, 2 done
    path: list[int] = []

    def visit(k: int) -> list[int] | None:
        state[k] = 1
        path.append(k)
        for p in after[k]:
            if state[p] == 1:
                cycle = path[path.index(p):] + [p]
                return cycle[::-1]  # predecessor first: p -> ... -> k -> p
            if state[p] == 0 and (found := visit(p)) is not None:
                return found
        path.pop()
        state[k] = 2
        return None

    for k in range(len(after)):
        if state[k] == 0 and (found := visit(k)) is not None:
            return found
    raise AssertionError("no cycle")  # pragma: no cover - only called when the sort failed


def _unique(kind: str, ids: list[str]) -> None:
    seen = set()
    for i in ids:
        if i in seen:
            raise ValueError(f"duplicate {kind} id {i!r}")
        seen.add(i)
