"""What telemetry changes elsewhere. A machine down past the threshold stops selling: its
open windows become unavailable and, when work is booked on it, MachineWentDown tells the
domains above (matching re-plans that work, as for a machine leaving 'active'); when it
runs again those windows reopen."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import bus
from market.catalog.models import CapacityWindow, Machine
from market.db import unit_of_work, utcnow, write_lock
from market.telemetry.domain_events import MachineWentDown
from market.telemetry.intervals import NO_DATA
from market.telemetry.models import Alert, Device, Reading

UP_STATES = ("running", "idle", "setup")


@dataclass(frozen=True)
class Current:
    state: str  # 'offline' with reason 'no_data' when the device went silent
    reason: str
    since: datetime | None
    seen: datetime | None


def current_state(s: Session, machine_id: int, now: datetime) -> Current:
    gap = timedelta(seconds=current_app.config["TELEMETRY_OFFLINE_AFTER_S"])
    mine = select(Reading).where(Reading.machine_id == machine_id, Reading.ts <= now)
    seen = s.scalar(select(Reading.ts).where(Reading.machine_id == machine_id, Reading.ts <= now)
                    .order_by(Reading.ts.desc()).limit(1))
    last = s.scalar(mine.where(Reading.state.is_not(None)).order_by(Reading.ts.desc()).limit(1))
    if seen is None or last is None:
        return Current("offline", NO_DATA, None, seen)
    if last.state != "offline" and seen + gap < now:
        return Current("offline", NO_DATA, seen + gap, seen)
    # the state began at the first reading of its current run
    other = s.scalar(select(Reading.ts).where(Reading.machine_id == machine_id, Reading.ts < last.ts,
                                              Reading.state.is_not(None), Reading.state != last.state)
                     .order_by(Reading.ts.desc()).limit(1))
    since_stmt = select(Reading.ts).where(Reading.machine_id == machine_id, Reading.state == last.state,
                                          Reading.ts <= last.ts)
    if other is not None:
        since_stmt = since_stmt.where(Reading.ts > other)
    since = s.scalar(since_stmt.order_by(Reading.ts).limit(1))
    return Current(last.state, last.reason or "", since, seen)


def check_machine(s: Session, machine: Machine, now: datetime) -> None:
    """Raise or clear the machine's down alert inside the caller's transaction; a raised
    alert with work booked on the machine publishes MachineWentDown (in that transaction)."""
    cur = current_state(s, machine.id, now)
    alert = s.scalar(select(Alert).where(Alert.machine_id == machine.id, Alert.cleared_at.is_(None)).limit(1))
    threshold = timedelta(minutes=current_app.config["TELEMETRY_DOWN_ALERT_MINUTES"])
    if cur.state == "down" and alert is None and cur.since is not None and now - cur.since >= threshold:
        windows = list(s.scalars(select(CapacityWindow).where(
            CapacityWindow.machine_id == machine.id, CapacityWindow.status == "open", CapacityWindow.end_at > now)
            .with_for_update(of=CapacityWindow)))
        for w in windows:
            w.status = "unavailable"
        alert = Alert(machine_id=machine.id, factory_id=machine.factory_id, kind="down", reason=cur.reason,
                      since=cur.since, raised_at=now, window_ids=[w.id for w in windows])
        s.add(alert)
        s.flush()
        booked = s.scalar(select(CapacityWindow.id).where(
            CapacityWindow.machine_id == machine.id, CapacityWindow.status == "booked",
            CapacityWindow.start_at >= now).limit(1))
        if booked is not None:
            bus.publish(s, MachineWentDown(alert.id, machine.id, machine.factory_id, machine.factory.organization_id))
    elif alert is not None and cur.state in UP_STATES:
        for w in s.scalars(select(CapacityWindow).where(
                CapacityWindow.id.in_(alert.window_ids or [-1]), CapacityWindow.status == "unavailable",
                CapacityWindow.end_at > now).with_for_update(of=CapacityWindow)):
            w.status = "open"
        alert.cleared_at = now


def alert_awaits_replan(alert_id: int) -> bool:
    """The alert is open and no re-plan was linked to it yet."""
    with unit_of_work() as s:
        alert = s.get(Alert, alert_id)
        return alert.cleared_at is None and alert.job_id is None


def link_replan(alert_id: int, job_id: int) -> None:
    """Record on the alert the re-plan job it caused (for the operator)."""
    with unit_of_work() as s:
        s.get(Alert, alert_id).job_id = job_id
        s.commit()


def sweep(now: datetime | None = None) -> int:
    """Periodic: check every machine with an enrolled device (a machine that went down and
    then silent raises its alert here). Returns how many alerts are open afterwards."""
    now = now or utcnow()
    with unit_of_work() as s:
        machine_ids = list(s.scalars(select(Device.machine_id).where(Device.revoked_at.is_(None)).distinct()))
    for machine_id in machine_ids:
        with unit_of_work() as s:
            write_lock(s)
            machine = s.scalar(select(Machine).where(Machine.id == machine_id).with_for_update(of=Machine))
            check_machine(s, machine, now)
            s.commit()
    with unit_of_work() as s:
        return len(list(s.scalars(select(Alert.id).where(Alert.cleared_at.is_(None)))))
