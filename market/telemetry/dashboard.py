"""The factory's telemetry dashboard: live states, OEE trend with its losses stacked,
downtime Pareto, utilization heatmap (machine x hour of week), alerts, sellable idle time.
Read-only, scoped by the policy; the numbers are laid out for inline SVG here so the
template only draws."""
from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from market import errors
from market.auth import Actor
from market.catalog.access import own_factories
from market.catalog.models import CapacityWindow, Factory, Machine
from market.db import unit_of_work, utcnow
from market.telemetry import calendar as cal
from market.telemetry.effects import current_state
from market.telemetry.models import Alert, Device, FactoryDay, MachineDay, MachineProfile
from market.telemetry.queries import factory_figures, machine_intervals
from market.telemetry.rollup import factory_calendar

TREND_DAYS = 30
HEATMAP_DAYS = 28
LOSS_STATES = ("down", "idle", "setup")


def _stack(f) -> dict | None:
    """OEE and its three losses, stacking to 100 % of planned time."""
    a, p, q = f.availability, f.performance, f.quality
    if a is None:
        return None
    p = min(p, 1.0) if p is not None else 1.0
    q = q if q is not None else 1.0
    return {"oee": a * p * q, "quality_loss": a * p * (1 - q), "performance_loss": a * (1 - p), "availability_loss": 1 - a}


def _heatmap(rows, machines, tz, start, end) -> dict:
    """Share of each hour of the week (local) that each machine was running."""
    zone = ZoneInfo(tz)
    run = defaultdict(lambda: [0.0] * 168)
    for machine_id, a, b, _, _ in rows:
        t = a
        while t < b:
            local = t.astimezone(zone)
            nxt = min(b, (local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)).astimezone(t.tzinfo))
            run[machine_id][local.weekday() * 24 + local.hour] += (nxt - t).total_seconds()
            t = nxt
    weeks = max((end - start).days / 7, 1)
    return {m.id: [min(v / (3600 * weeks), 1.0) for v in run[m.id]] for m in machines}


def outside_calendar(days, calendar: cal.Calendar) -> dict | None:
    """Why running time is missing from OEE: (day, run_total_s, run_s) of recent machine days
    -> the hours run outside planned time and the days that held them, by the calendar's kind
    of day (a public holiday, a closure, or a day or hour its shifts leave out); None if none."""
    hours, kinds = 0.0, {"holiday": set(), "closed": set(), "other": set()}
    for day, run_total_s, run_s in days:
        outside = run_total_s - run_s
        if outside < 60:  # a minute's overlap at a shift's edge is no story
            continue
        hours += outside / 3600
        kind = calendar.kind(day)
        kinds[kind if kind in ("holiday", "closed") else "other"].add(day)
    if hours == 0:
        return None
    return {"hours": hours, **{k: len(v) for k, v in kinds.items()}}


def _own_factory(s, actor: Actor, factory_id: uuid.UUID) -> Factory:
    factory = s.scalar(select(Factory).where(Factory.public_id == factory_id, own_factories(actor)))
    if factory is None:
        raise errors.NotFound(f"factory {factory_id} not found")
    return factory


def lost_time(actor: Actor, factory_id: uuid.UUID, *, state: str, reason: str | None = None) -> dict:
    """The intervals behind one bar of the downtime Pareto (same period, same states): each
    machine's stretches in `state` (and `reason`; 'unspecified' is no reason given), newest first."""
    if state not in LOSS_STATES:
        raise errors.Invalid(f"state must be one of {', '.join(LOSS_STATES)}, not {state!r}", field="state")
    now = utcnow()
    with unit_of_work() as s:
        factory = _own_factory(s, actor, factory_id)
        names = dict(s.execute(select(Machine.id, Machine.name).where(Machine.factory_id == factory.id)).all())
        rows = [{"machine": names[m], "start": a, "end": b, "reason": r or "unspecified", "hours": (b - a).total_seconds() / 3600}
                for m, a, b, _, r in machine_intervals(s, start=now - timedelta(days=TREND_DAYS), end=now,
                                                       factory_id=factory.id, states=(state,))
                if reason is None or (r or "unspecified") == reason]
        rows.sort(key=lambda x: x["start"], reverse=True)
        return {"factory": factory, "timezone": factory.timezone, "state": state, "reason": reason, "rows": rows,
                "hours": sum(x["hours"] for x in rows), "days": TREND_DAYS}


def factory_dashboard(actor: Actor, factory_id: uuid.UUID) -> dict:
    now = utcnow()
    with unit_of_work() as s:
        factory = _own_factory(s, actor, factory_id)
        tz = factory.timezone
        machines = list(s.scalars(select(Machine).where(Machine.factory_id == factory.id).order_by(Machine.name)))
        ids = [m.id for m in machines]
        devices = defaultdict(list)
        for d in s.scalars(select(Device).where(Device.factory_id == factory.id).order_by(Device.id.desc())):
            devices[d.machine_id].append(d)
        ideal = dict(s.execute(select(MachineProfile.machine_id, MachineProfile.ideal_cycle_ms)
                               .where(MachineProfile.machine_id.in_(ids or [-1]))).all())
        live = [{"machine": m, "current": current_state(s, m.id, now), "devices": devices[m.id],
                 "ideal_cycle_s": ideal[m.id] / 1000 if ideal.get(m.id) else None} for m in machines]
        today = cal.local_day(now, tz)
        first = today - timedelta(days=TREND_DAYS - 1)
        trend = []
        for row in s.scalars(select(FactoryDay).where(FactoryDay.factory_id == factory.id, FactoryDay.day >= first)
                             .order_by(FactoryDay.day)):
            f = factory_figures(row)
            trend.append({"day": row.day, "figures": f, "stack": _stack(f), "ledger_index": row.ledger_index})
        start = now - timedelta(days=TREND_DAYS)
        losses: dict[tuple[str, str], float] = defaultdict(float)
        for _, a, b, state, reason in machine_intervals(s, start=start, end=now, factory_id=factory.id, states=LOSS_STATES):
            losses[(state, reason or "unspecified")] += (b - a).total_seconds()
        pareto, cum, total_loss = [], 0.0, sum(losses.values()) or 1.0
        for (state, reason), secs in sorted(losses.items(), key=lambda kv: -kv[1])[:10]:
            cum += secs
            pareto.append({"state": state, "reason": reason, "hours": secs / 3600, "cumulative": cum / total_loss})
        heat_start = now - timedelta(days=HEATMAP_DAYS)
        heat = _heatmap(machine_intervals(s, start=heat_start, end=now, factory_id=factory.id, states=("running",)),
                        machines, tz, heat_start, now)
        alerts = list(s.scalars(select(Alert).where(Alert.factory_id == factory.id, Alert.cleared_at.is_(None))
                                .order_by(Alert.raised_at.desc())))
        open_windows = dict(s.execute(select(CapacityWindow.machine_id, func.count()).where(
            CapacityWindow.factory_id == factory.id, CapacityWindow.status.in_(("open", "booked")),
            CapacityWindow.end_at > now).group_by(CapacityWindow.machine_id)).all())
        recent = defaultdict(lambda: [0, 0])
        for md in s.scalars(select(MachineDay).where(MachineDay.factory_id == factory.id,
                                                     MachineDay.day >= today - timedelta(days=14))):
            recent[md.machine_id][0] += md.run_total_s
            recent[md.machine_id][1] += 1
        suggestions = []
        for m in machines:
            if m.status != "active" or open_windows.get(m.id) or m.id not in recent:
                continue
            run_s, days = recent[m.id]
            idle_h = 24 - run_s / 3600 / max(days, 1)
            if idle_h >= 8:
                quiet = sorted(range(168), key=lambda h: heat[m.id][h])[:3]
                suggestions.append({"machine": m, "idle_hours_per_day": idle_h, "quiet_hours": quiet})
        calendar = factory_calendar(s, factory)
        outside = outside_calendar(s.execute(select(MachineDay.day, MachineDay.run_total_s, MachineDay.run_s).where(
            MachineDay.factory_id == factory.id, MachineDay.day >= first)).all(), calendar)
        return {"factory": factory, "timezone": tz, "live": live, "outside": outside, "days": TREND_DAYS, "trend": trend, "pareto": pareto, "heatmap": heat,
                "machines": machines, "alerts": alerts, "suggestions": suggestions, "now": now,
                "down": [x for x in live if x["current"].state == "down"]}
