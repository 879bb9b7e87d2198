"""Factories, machines and capacity windows: the supply side of the marketplace."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from market import bus, errors, policy
from market.auth import Actor
from market.catalog.access import own_factories, own_machines, own_windows
from market.catalog.domain_events import MachineStatusChanged
from market.catalog.models import CapacityWindow, Factory, Machine, MachineProcess
from market.catalog.recurrence import Recurrence, expand, local_to_utc
from market.catalog.taxonomy import taxonomy
from market.db import unit_of_work, utcnow, write_lock
from market.pagination import Order as Keys
from market.pagination import Page, paginate, since
from market.regions.places import region_code

MAX_WINDOW = timedelta(days=31)
BLOCKING_STATUSES = ("open", "booked", "unavailable")
PLACE_FIELDS = {"country", "region", "address", "name"}  # what a factory's division is read from


def check_processes(codes: list[str], field: str = "processes") -> list[str]:
    known = taxonomy().processes
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise errors.Invalid(f"unknown process code(s): {', '.join(unknown)}; see GET /api/v1/processes", field=field)
    if not codes:
        raise errors.Invalid("at least one process is required", field=field)
    return list(dict.fromkeys(codes))


def check_certifications(codes: list[str], field: str = "certifications") -> list[str]:
    unknown = [c for c in codes if c not in taxonomy().certifications]
    if unknown:
        known = ", ".join(taxonomy().certifications)
        raise errors.Invalid(f"unknown certification(s): {', '.join(unknown)}; known: {known}", field=field)
    return list(dict.fromkeys(codes))


# --- factories ------------------------------------------------------------------------------

def _factory(s: Session, actor: Actor, public_id: uuid.UUID, *, lock: bool = False) -> Factory:
    stmt = select(Factory).where(Factory.public_id == public_id, own_factories(actor))
    factory = s.scalar(stmt.with_for_update(of=Factory) if lock else stmt)
    if factory is None:
        raise errors.NotFound(f"factory {public_id} not found")
    return factory


def create_factory(actor: Actor, data: dict) -> Factory:
    policy.require_kind(actor, "factory")
    data = dict(data)
    data["certifications"] = check_certifications(data.get("certifications", []))
    data["region_code"] = region_code(data.get("country", "CN"), data["region"], data.get("address", ""), data.get("name", ""))
    with unit_of_work() as s:
        factory = Factory(organization_id=actor.org_id, **data)
        s.add(factory)
        s.commit()
        return factory


def update_factory(actor: Actor, public_id: uuid.UUID, data: dict) -> Factory:
    with unit_of_work() as s:
        factory = _factory(s, actor, public_id)
        if "certifications" in data:
            data["certifications"] = check_certifications(data["certifications"])
        for key, value in data.items():
            setattr(factory, key, value)
        if PLACE_FIELDS & set(data):
            factory.region_code = region_code(factory.country, factory.region, factory.address, factory.name)
        s.commit()
        return factory


def get_factory(actor: Actor, public_id: uuid.UUID) -> Factory:
    with unit_of_work() as s:
        return _factory(s, actor, public_id)


def list_factories(actor: Actor, page: int = 1, per_page: int = 50, cursor: str | None = None) -> Page[Factory]:
    with unit_of_work() as s:
        return paginate(s, select(Factory).where(own_factories(actor)), page, per_page, cursor=cursor,
                        order=Keys.of(Factory.id))


def public_profile(public_id: uuid.UUID) -> Factory:
    """The public face of a factory: name, region, certifications, machines' processes."""
    with unit_of_work() as s:
        factory = s.scalar(select(Factory).where(Factory.public_id == public_id))
        if factory is None:
            raise errors.NotFound(f"factory {public_id} not found")
        factory.machines  # load while the session is open
        return factory


# --- machines -------------------------------------------------------------------------------

def _machine(s: Session, actor: Actor, public_id: uuid.UUID, *, lock: bool = False) -> Machine:
    stmt = select(Machine).where(Machine.public_id == public_id, own_machines(actor))
    machine = s.scalar(stmt.with_for_update(of=Machine) if lock else stmt)
    if machine is None:
        raise errors.NotFound(f"machine {public_id} not found")
    return machine


def create_machine(actor: Actor, data: dict) -> Machine:
    policy.require_kind(actor, "factory")
    data = dict(data)
    processes = check_processes(data.pop("processes", []))
    factory_id = data.pop("factory_id")
    with unit_of_work() as s:
        try:
            factory = _factory(s, actor, factory_id)
        except errors.NotFound as exc:
            raise errors.Invalid(exc.detail, field="factory_id") from None
        machine = Machine(factory=factory, **data)
        machine.process_rows = [MachineProcess(process_code=c) for c in processes]
        s.add(machine)
        s.commit()
        return machine


def update_machine(actor: Actor, public_id: uuid.UUID, data: dict) -> Machine:
    data = dict(data)
    with unit_of_work() as s:
        machine = _machine(s, actor, public_id, lock=True)
        old_status = machine.status
        if "processes" in data:
            codes = check_processes(data.pop("processes"))
            machine.process_rows = [MachineProcess(process_code=c) for c in codes]
        for key, value in data.items():
            setattr(machine, key, value)
        if machine.status == "retired":
            # A retired machine sells nothing: its open windows are withdrawn with it.
            for window in s.scalars(select(CapacityWindow).where(
                    CapacityWindow.machine_id == machine.id, CapacityWindow.status == "open")):
                window.status = "withdrawn"
        if machine.status != old_status:
            # telemetry revokes a retired machine's devices (in this transaction); matching
            # re-plans the work booked on a machine that left 'active' (after the commit)
            bus.publish(s, MachineStatusChanged(machine.id, machine.factory_id, machine.factory.organization_id,
                                                old_status, machine.status))
        s.commit()
    return machine


def get_machine(actor: Actor, public_id: uuid.UUID) -> Machine:
    with unit_of_work() as s:
        return _machine(s, actor, public_id)


def list_machines(actor: Actor, factory_id: uuid.UUID | None = None, page: int = 1, per_page: int = 50,
                  cursor: str | None = None) -> Page[Machine]:
    with unit_of_work() as s:
        stmt = select(Machine).where(own_machines(actor))
        if factory_id:
            stmt = stmt.where(Machine.factory.has(Factory.public_id == factory_id))
        return paginate(s, stmt, page, per_page, cursor=cursor, order=Keys.of(Machine.id))


# --- capacity windows -----------------------------------------------------------------------

def _check_span(start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise errors.Invalid(f"end ({end.isoformat()}) must be after start ({start.isoformat()})", field="end")
    if end - start > MAX_WINDOW:
        raise errors.Invalid(f"a window may last at most {MAX_WINDOW.days} days", field="end")
    if end <= now:
        raise errors.Invalid("the window ends in the past", field="end")


def _check_no_overlap(s: Session, machine: Machine, spans: list[tuple[datetime, datetime]]) -> None:
    ordered = sorted(spans)
    for (a_start, a_end), (b_start, b_end) in zip(ordered, ordered[1:]):
        if b_start < a_end:
            raise errors.Conflict(f"the new windows overlap each other at {b_start.isoformat()}", field="start")
    lo, hi = ordered[0][0], ordered[-1][1]
    existing = s.execute(
        select(CapacityWindow.public_id, CapacityWindow.start_at, CapacityWindow.end_at).where(
            CapacityWindow.machine_id == machine.id,
            CapacityWindow.status.in_(BLOCKING_STATUSES),
            CapacityWindow.start_at < hi, CapacityWindow.end_at > lo,
        )
    ).all()
    for pid, e_start, e_end in existing:
        for start, end in ordered:
            if e_start < end and start < e_end:
                raise errors.Conflict(
                    f"overlaps window {pid} ({e_start.isoformat()} to {e_end.isoformat()}) on this machine",
                    field="start")


def _insert_windows(actor: Actor, machine_id: uuid.UUID, spans, terms: dict, series_id=None) -> list[CapacityWindow]:
    policy.require_kind(actor, "factory")
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        try:
            # The machine row lock serialises publishers of one machine (no racing overlaps).
            machine = _machine(s, actor, machine_id, lock=True)
        except errors.NotFound as exc:
            raise errors.Invalid(exc.detail, field="machine_id") from None
        if machine.status == "retired":
            raise errors.Conflict("a retired machine cannot offer capacity", field="machine_id")
        tz = machine.factory.timezone
        spans = [(local_to_utc(a, tz), local_to_utc(b, tz)) for a, b in spans]
        for start, end in spans:
            _check_span(start, end, now)
        _check_no_overlap(s, machine, spans)
        windows = [
            CapacityWindow(machine=machine, factory_id=machine.factory_id, start_at=a, end_at=b,
                           series_id=series_id, **terms)
            for a, b in spans
        ]
        s.add_all(windows)
        s.commit()
        return windows


def _terms(data: dict) -> dict:
    terms = {k: data[k] for k in ("pricing_mode", "price", "currency", "min_lot", "lead_time_days") if k in data}
    if terms.get("pricing_mode") == "percent_of_value" and terms.get("price", 0) > 10000:
        raise errors.Invalid("percent_of_value price is in basis points and may not exceed 10000 (100 %)", field="price")
    return terms


def create_window(actor: Actor, data: dict) -> CapacityWindow:
    return _insert_windows(actor, data["machine_id"], [(data["start"], data["end"])], _terms(data))[0]


def create_recurring_windows(actor: Actor, data: dict) -> list[CapacityWindow]:
    rule = Recurrence(data["first_date"], data["weeks"], tuple(sorted(set(data["weekdays"]))),
                      data["start_time"], data["end_time"])
    with unit_of_work() as s:
        try:
            tz = _machine(s, actor, data["machine_id"]).factory.timezone
        except errors.NotFound as exc:
            raise errors.Invalid(exc.detail, field="machine_id") from None
    spans = expand(rule, tz)
    now = utcnow()
    spans = [(a, b) for a, b in spans if b > now]  # today's shift may already be over
    if not spans:
        raise errors.Invalid("the rule produces no window in the future", field="first_date")
    return _insert_windows(actor, data["machine_id"], spans, _terms(data), series_id=uuid.uuid4())


def withdraw_window(actor: Actor, public_id: uuid.UUID) -> CapacityWindow:
    with unit_of_work() as s:
        write_lock(s)
        window = s.scalar(select(CapacityWindow).where(CapacityWindow.public_id == public_id, own_windows(actor)).with_for_update(of=CapacityWindow))
        if window is None:
            raise errors.NotFound(f"capacity window {public_id} not found")
        if window.status != "open":
            raise errors.Conflict(f"only open windows can be withdrawn; this one is {window.status}")
        window.status = "withdrawn"
        s.commit()
        return window


WINDOWS_BY_START = Keys.of(CapacityWindow.start_at, CapacityWindow.id)
WINDOWS_BY_CHANGE = Keys.of(CapacityWindow.updated_at, CapacityWindow.id)


def list_windows(actor: Actor, *, machine_id: uuid.UUID | None = None, status: str | None = None,
                 updated_since: datetime | None = None, page: int = 1, per_page: int = 50,
                 cursor: str | None = None) -> Page[CapacityWindow]:
    """A factory's capacity windows (status=booked: its bookings) by start; with
    `updated_since`, the windows changed since then (booked, released, withdrawn) by (updated_at, id)."""
    with unit_of_work() as s:
        stmt = select(CapacityWindow).where(own_windows(actor))
        if machine_id:
            stmt = stmt.where(CapacityWindow.machine.has(Machine.public_id == machine_id))
        if status:
            stmt = stmt.where(CapacityWindow.status == status)
        stmt, order = since(stmt, CapacityWindow.updated_at, updated_since, changed=WINDOWS_BY_CHANGE,
                            otherwise=WINDOWS_BY_START)
        return paginate(s, stmt, page, per_page, cursor=cursor, order=order)


def get_window(actor: Actor, public_id: uuid.UUID) -> CapacityWindow:
    with unit_of_work() as s:
        window = s.scalar(select(CapacityWindow).where(CapacityWindow.public_id == public_id, own_windows(actor)))
        if window is None:
            raise errors.NotFound(f"capacity window {public_id} not found")
        return window
