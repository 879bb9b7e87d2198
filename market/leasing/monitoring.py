"""Fund-flow monitoring for the lessor (and the lessee, who sees what its lessor sees): where
the money went, where the machine is and how it runs, and how the rent is paid. Signing a
lease is the lessee's consent to this view of the leased machine, and of nothing else."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from market import bus
from market.auth import Actor
from market.db import unit_of_work, utcnow
from market.leasing.domain_events import LeasedMachineAlert
from market.leasing.models import Lease, RentInvoice
from market.leasing.services import find
from market.telemetry import calendar as cal
from market.telemetry.models import Alert, MachineDay, StateInterval

DOWN_ALERT = timedelta(hours=48)
IDLE_DAYS = 7  # no run time over this many closed days: the machine is idle
UTILIZATION_DAYS = 30


@dataclass
class Monitor:
    lease: Lease
    state: str | None  # the machine's latest known state
    state_since: datetime | None
    utilization: float | None  # run time share of the calendar over the last closed days
    run_hours: float
    alerts: list[str] = field(default_factory=list)  # down_48h, idle, moved
    invoices: int = 0
    paid: int = 0
    paid_late: int = 0
    overdue: int = 0
    max_days_late: int = 0
    billed_minor: int = 0
    outstanding_minor: int = 0


def alerts(s, lease: Lease, now: datetime) -> list[str]:
    """The leased machine's alerts now: down for 48 hours or more (and still down), idle (no
    run time on any of the last IDLE_DAYS closed days it reported), moved to another factory."""
    machine = lease.machine
    today = cal.local_day(now, lease.factory.timezone)
    out = []
    down = s.scalar(select(Alert.since).where(Alert.machine_id == machine.id, Alert.kind == "down",
                                              Alert.cleared_at.is_(None)).order_by(Alert.since).limit(1))
    if down is not None and now - down >= DOWN_ALERT:
        out.append("down_48h")
    idle_run = s.execute(select(func.count(MachineDay.id), func.coalesce(func.sum(MachineDay.run_total_s), 0)).where(
        MachineDay.machine_id == machine.id, MachineDay.day >= today - timedelta(days=IDLE_DAYS),
        MachineDay.day < today)).one()
    if idle_run[0] >= IDLE_DAYS and idle_run[1] == 0:
        out.append("idle")
    if machine.factory_id != lease.factory_id:
        out.append("moved")
    return out


def raise_alerts(now: datetime | None = None) -> int:
    """Periodic: tell each lessor of its active leases' machine alerts, once per lease, alert
    and factory day (bus.publish_once). Returns how many were published."""
    now = now or utcnow()
    n = 0
    with unit_of_work() as s:
        for lease in list(s.scalars(select(Lease).where(Lease.status == "active")).unique()):
            day = cal.local_day(now, lease.factory.timezone).isoformat()
            for kind in alerts(s, lease, now):
                n += bus.publish_once(s, f"lease-alert:{lease.id}:{kind}:{day}",
                                      LeasedMachineAlert(lease.id, lease.lessor_org_id, kind, day))
        s.commit()
    return n


def monitor(actor: Actor, lease_id: uuid.UUID, now: datetime | None = None) -> Monitor:
    now = now or utcnow()
    with unit_of_work() as s:
        lease = find(s, actor, lease_id)
        machine = lease.machine
        last = s.execute(select(StateInterval.state, StateInterval.start_at).where(
            StateInterval.machine_id == machine.id).order_by(StateInterval.start_at.desc()).limit(1)).first()
        today = cal.local_day(now, lease.factory.timezone)
        since = today - timedelta(days=UTILIZATION_DAYS)
        days = s.execute(select(func.count(MachineDay.id), func.coalesce(func.sum(MachineDay.run_total_s), 0)).where(
            MachineDay.machine_id == machine.id, MachineDay.day >= since, MachineDay.day < today)).one()
        m = Monitor(lease, last.state if last else None, last.start_at if last else None,
                    round(days[1] / (days[0] * 86400), 4) if days[0] else None, round(days[1] / 3600, 1))
        m.alerts = alerts(s, lease, now)
        for inv in s.scalars(select(RentInvoice).where(RentInvoice.lease_id == lease.id)).unique():
            m.invoices += 1
            m.billed_minor += inv.rent_minor
            if inv.status == "paid":
                m.paid += 1
                m.paid_late += (inv.days_late or 0) > 0
                m.max_days_late = max(m.max_days_late, inv.days_late or 0)
            else:
                m.outstanding_minor += inv.rent_minor
                if inv.status == "overdue":
                    m.overdue += 1
                    m.max_days_late = max(m.max_days_late, (today - inv.due_on).days)
        return m
