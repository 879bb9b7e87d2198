"""A factory's closures: local days with no planned time (shutdowns, annual maintenance, a
local holiday), and whether China's public holidays apply to its calendar. Days already
computed in the range are recomputed (a closed day committed to the ledger gets a
correcting summary, never an edit)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market import errors, policy
from market.auth import Actor
from market.db import unit_of_work, utcnow, write_lock
from market.telemetry import calendar as cal
from market.telemetry import dirty, holidays
from market.telemetry.models import CalendarClosure, MachineDay
from market.telemetry.services import _factory

MAX_CLOSURE_DAYS = 366


def _out(row: CalendarClosure) -> dict:
    return {"id": row.public_id, "first_day": row.first_day, "last_day": row.last_day, "reason": row.reason}


def check_days(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise errors.refusal(errors.Invalid, _l("The last day must not be before the first day."), field="last_day",
                             detail=f"last_day {last_day} is before first_day {first_day}")
    if (last_day - first_day).days >= MAX_CLOSURE_DAYS:
        raise errors.refusal(errors.Invalid, _l("A closure lasts at most %(n)s days.", n=MAX_CLOSURE_DAYS),
                             field="last_day", detail=f"a closure lasts at most {MAX_CLOSURE_DAYS} days")


def _recompute(s, factory, first_day: date, last_day: date, now) -> None:
    """Mark the computed days of the range (up to today) dirty for every machine."""
    today = cal.local_day(now, factory.timezone)
    last = min(last_day, today)
    if last < first_day:
        return
    rows = s.execute(select(MachineDay.machine_id, MachineDay.day).where(
        MachineDay.factory_id == factory.id, MachineDay.day >= first_day, MachineDay.day <= last))
    days: dict[int, set[date]] = {}
    for machine_id, day in rows:
        days.setdefault(machine_id, set()).add(day)
    for machine_id, marked in days.items():
        # the day after too: an overnight shift of the last closed day no longer runs into it
        dirty.mark(s, machine_id, factory.id, marked | {d + timedelta(days=1) for d in marked if d < today}, now)


def list_closures(actor: Actor, factory_id: uuid.UUID) -> list[dict]:
    with unit_of_work() as s:
        factory = _factory(s, actor, factory_id)
        return [_out(r) for r in s.scalars(select(CalendarClosure).where(CalendarClosure.factory_id == factory.id)
                                           .order_by(CalendarClosure.first_day, CalendarClosure.id))]


def add_closure(actor: Actor, factory_id: uuid.UUID, first_day: date, last_day: date | None, reason: str = "") -> dict:
    now = utcnow()
    last_day = last_day or first_day
    with unit_of_work() as s:
        write_lock(s)
        factory = _factory(s, actor, factory_id)  # another tenant's factory: 404 before anything else
        policy.require_kind(actor, "factory")
        check_days(first_day, last_day)
        row = CalendarClosure(factory_id=factory.id, first_day=first_day, last_day=last_day, reason=reason.strip())
        s.add(row)
        s.flush()
        _recompute(s, factory, first_day, last_day, now)
        out, factory_pk = _out(row), factory.id
        s.commit()
    dirty.rollup_factory(factory_pk, now)
    return out


def delete_closure(actor: Actor, factory_id: uuid.UUID, closure_id: uuid.UUID) -> None:
    now = utcnow()
    with unit_of_work() as s:
        write_lock(s)
        factory = _factory(s, actor, factory_id)
        policy.require_kind(actor, "factory")
        row = s.scalar(select(CalendarClosure).where(CalendarClosure.public_id == closure_id,
                                                     CalendarClosure.factory_id == factory.id))
        if row is None:
            raise errors.NotFound(f"closure {closure_id} not found")
        first_day, last_day = row.first_day, row.last_day
        s.delete(row)
        s.flush()
        _recompute(s, factory, first_day, last_day, now)
        factory_pk = factory.id
        s.commit()
    dirty.rollup_factory(factory_pk, now)


def holiday_coverage() -> dict:
    """Which years China's holiday data covers (the API and the portal say so)."""
    return {"first_year": holidays.FIRST_YEAR, "last_year": holidays.LAST_YEAR}
