"""Telemetry for the factory and the API: OEE series, state timelines, shift calendar,
machine profiles, periodic jobs. Reads are scoped by market.policy (another tenant's id
is not found)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from market import errors, policy
from market.auth import Actor
from market.catalog.access import own_factories, own_machines
from market.catalog.models import Factory, Machine
from market.db import unit_of_work, utcnow, write_lock
from market.telemetry import calendar as cal
from market.telemetry import dirty, effects, holidays
from market.telemetry.models import Device, FactoryDay, MachineDay, MachineProfile, Reading, ShiftCalendar
from market.telemetry.oee import Figures
from market.telemetry.queries import factory_figures, machine_intervals

GRANULARITIES = ("day", "week", "month")
MAX_OEE_DAYS = 400
MAX_STATE_SPAN = timedelta(days=31)


@dataclass(frozen=True)
class Period:
    start: date  # first local day of the period
    end: date  # last local day of the period
    figures: Figures

    def to_dict(self) -> dict:
        f = self.figures
        return {"start": self.start, "end": self.end, "planned_s": f.planned_s,
                "run_s": f.run_s, "total": f.total, "good": f.good, **f.ratios()}


def period_of(day: date, granularity: str) -> tuple[date, date]:
    if granularity == "day":
        return day, day
    if granularity == "week":  # ISO weeks, Monday first
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    start = day.replace(day=1)
    nxt = (start + timedelta(days=32)).replace(day=1)
    return start, nxt - timedelta(days=1)


def group(days: list[tuple[date, Figures]], granularity: str) -> list[Period]:
    if granularity not in GRANULARITIES:
        raise errors.Invalid(f"granularity must be one of {', '.join(GRANULARITIES)}", field="granularity")
    sums: dict[tuple[date, date], Figures] = {}
    for day, figures in days:
        key = period_of(day, granularity)
        sums[key] = sums[key] + figures if key in sums else figures
    return [Period(a, b, f) for (a, b), f in sorted(sums.items())]


def _check_days(start: date, end: date) -> None:
    if end < start:
        raise errors.Invalid("'to' must not be before 'from'", field="to")
    if (end - start).days > MAX_OEE_DAYS:
        raise errors.Invalid(f"at most {MAX_OEE_DAYS} days per request", field="to")


def _factory(s: Session, actor: Actor, public_id: uuid.UUID) -> Factory:
    factory = s.scalar(select(Factory).where(Factory.public_id == public_id, own_factories(actor)))
    if factory is None:
        raise errors.NotFound(f"factory {public_id} not found")
    return factory


def _machine(s: Session, actor: Actor, public_id: uuid.UUID) -> Machine:
    machine = s.scalar(select(Machine).where(Machine.public_id == public_id, own_machines(actor)))
    if machine is None:
        raise errors.NotFound(f"machine {public_id} not found")
    return machine


def default_days(tz: str, start: date | None, end: date | None, span: int = 30) -> tuple[date, date]:
    end = end or cal.local_day(utcnow(), tz)
    return start or end - timedelta(days=span - 1), end


def machine_oee(actor: Actor, machine_id: uuid.UUID, start: date | None, end: date | None,
                granularity: str = "day") -> tuple[Machine, list[Period]]:
    with unit_of_work() as s:
        machine = _machine(s, actor, machine_id)
        start, end = default_days(machine.factory.timezone, start, end)
        _check_days(start, end)
        rows = s.scalars(select(MachineDay).where(MachineDay.machine_id == machine.id, MachineDay.day >= start,
                                                  MachineDay.day <= end).order_by(MachineDay.day))
        days = [(r.day, Figures(r.planned_s, r.run_s, r.total, r.good, r.ideal_work_ms,
                                r.run_s if r.ideal_work_ms is not None else 0)) for r in rows]
        return machine, group(days, granularity)


def factory_oee(actor: Actor, factory_id: uuid.UUID, start: date | None, end: date | None,
                granularity: str = "day") -> tuple[Factory, list[Period]]:
    with unit_of_work() as s:
        factory = _factory(s, actor, factory_id)
        start, end = default_days(factory.timezone, start, end)
        _check_days(start, end)
        rows = s.scalars(select(FactoryDay).where(FactoryDay.factory_id == factory.id, FactoryDay.day >= start,
                                                  FactoryDay.day <= end).order_by(FactoryDay.day))
        return factory, group([(r.day, factory_figures(r)) for r in rows], granularity)


def machine_states(actor: Actor, machine_id: uuid.UUID, start: datetime | None, end: datetime | None) -> list[dict]:
    end = end or utcnow()
    start = start or end - timedelta(days=1)
    if end <= start:
        raise errors.Invalid("'to' must be after 'from'", field="to")
    if end - start > MAX_STATE_SPAN:
        raise errors.Invalid(f"at most {MAX_STATE_SPAN.days} days per request", field="to")
    with unit_of_work() as s:
        machine = _machine(s, actor, machine_id)
        return [{"start": a, "end": b, "state": st, "reason": r}
                for _, a, b, st, r in machine_intervals(s, start=start, end=end, machine_id=machine.id)]


def daily_summaries(actor: Actor, factory_id: uuid.UUID, start: date | None, end: date | None) -> list[dict]:
    """What the factory can disclose to a lender: each committed day's payload and salt,
    and the ledger entry they open."""
    with unit_of_work() as s:
        factory = _factory(s, actor, factory_id)
        start, end = default_days(factory.timezone, start, end)
        _check_days(start, end)
        rows = s.scalars(select(FactoryDay).where(FactoryDay.factory_id == factory.id, FactoryDay.day >= start,
                                                  FactoryDay.day <= end, FactoryDay.ledger_index.is_not(None))
                         .order_by(FactoryDay.day))
        return [{"day": r.day.isoformat(), "payload": r.committed, "salt": r.salt, "ledger_index": r.ledger_index,
                 "corrections": r.corrections} for r in rows]


# --- settings ----------------------------------------------------------------------------

def _mark_today(s: Session, factory: Factory, machine_ids: list[int], now: datetime) -> None:
    """Settings apply from today on: past days keep the figures (and commitments) they had.
    Marks today dirty for the machines that have figures today; the caller rolls up after
    committing."""
    today = cal.local_day(now, factory.timezone)
    for machine_id in machine_ids:
        if s.scalar(select(MachineDay.id).where(MachineDay.machine_id == machine_id, MachineDay.day == today)):
            dirty.mark(s, machine_id, factory.id, {today}, now)


def get_shift_calendar(actor: Actor, factory_id: uuid.UUID) -> dict:
    with unit_of_work() as s:
        factory = _factory(s, actor, factory_id)
        row = s.get(ShiftCalendar, factory.id)
        follows = row.public_holidays if row else True
        return {"factory_id": factory.public_id, "timezone": factory.timezone,
                "weekly": row.weekly if row else cal.DEFAULT_WEEKLY, "is_default": row is None,
                "public_holidays": follows,
                # China's holidays apply only in a mainland zone, for the years the data covers
                "public_holidays_apply": follows and factory.timezone in holidays.CN_ZONES,
                "public_holiday_years": [holidays.FIRST_YEAR, holidays.LAST_YEAR]}


def set_shift_calendar(actor: Actor, factory_id: uuid.UUID, weekly: dict, public_holidays: bool | None = None) -> dict:
    """Set the weekly shifts (and, when given, whether China's public holidays apply)."""
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        factory = _factory(s, actor, factory_id)  # another tenant's factory: 404 before anything else
        policy.require_kind(actor, "factory")
        weekly = cal.check_weekly(weekly)
        row = s.get(ShiftCalendar, factory.id)
        if row is None:
            row = ShiftCalendar(factory_id=factory.id, weekly=weekly, public_holidays=True, updated_at=now)
            s.add(row)
        else:
            row.weekly, row.updated_at = weekly, now
        if public_holidays is not None:
            row.public_holidays = public_holidays
        s.flush()
        _mark_today(s, factory, [m.id for m in factory.machines], now)
        factory_pk = factory.id
        s.commit()
    dirty.rollup_factory(factory_pk, now)
    return get_shift_calendar(actor, factory_id)


def get_profile(actor: Actor, machine_id: uuid.UUID) -> dict:
    with unit_of_work() as s:
        machine = _machine(s, actor, machine_id)
        ideal = s.scalar(select(MachineProfile.ideal_cycle_ms).where(MachineProfile.machine_id == machine.id))
        return {"machine_id": machine.public_id, "ideal_cycle_s": ideal / 1000 if ideal else None}


def set_profile(actor: Actor, machine_id: uuid.UUID, ideal_cycle_s: float | None) -> dict:
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        machine = _machine(s, actor, machine_id)
        policy.require_kind(actor, "factory")
        ms = int(round(ideal_cycle_s * 1000)) if ideal_cycle_s else None
        row = s.get(MachineProfile, machine.id)
        if row is None:
            s.add(MachineProfile(machine_id=machine.id, ideal_cycle_ms=ms, updated_at=now))
        else:
            row.ideal_cycle_ms, row.updated_at = ms, now
        s.flush()
        _mark_today(s, machine.factory, [machine.id], now)
        factory_pk = machine.factory_id
        s.commit()
    dirty.rollup_factory(factory_pk, now)
    return get_profile(actor, machine_id)


# --- periodic ----------------------------------------------------------------------------

def rollup_all(now: datetime | None = None) -> dict:
    """Periodic (cron: `market telemetry rollup`): mark today and yesterday dirty for every
    machine with an enrolled device (a silent device shows as offline), recompute every
    dirty day (late data included), summarise closed days on the ledger, then check for
    down machines."""
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        machines = list(s.execute(select(Machine.id, Machine.factory_id, Factory.timezone).join(Factory).where(
            Machine.id.in_(select(Device.machine_id).where(Device.revoked_at.is_(None))))).all())
        for machine_id, factory_id, tz in machines:
            today = cal.local_day(now, tz)
            dirty.mark(s, machine_id, factory_id, {today - timedelta(days=1), today}, now)
        s.commit()
    done = dirty.drain(now)
    return {"factories": done["factories"], "machines": len(machines), "days": done["marks"],
            "open_alerts": effects.sweep(now)}


def purge_readings(now: datetime | None = None, retention_days: int | None = None) -> int:
    """Delete raw readings older than the retention period; intervals and daily aggregates
    stay. Returns how many readings were deleted."""
    from flask import current_app

    days = retention_days if retention_days is not None else current_app.config["TELEMETRY_RETENTION_DAYS"]
    horizon = (now or utcnow()) - timedelta(days=days)
    with unit_of_work() as s:
        deleted = s.execute(delete(Reading).where(Reading.ts < horizon)).rowcount
        s.commit()
        return deleted
