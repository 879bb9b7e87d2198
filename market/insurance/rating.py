"""The rating inputs of a machine over the window before a day: run hours and downtime share
from its ledger-committed daily summaries (the committed payloads, not the live rows: the
premium follows what the ledger holds), MTTR and maintenance records from its state intervals,
load from its readings. Reading a machine's data needs the factory's consent (offer) or the
policy the insured accepted (each later period)."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.catalog.models import Machine
from market.insurance import tariff
from market.telemetry import calendar as cal
from market.telemetry.models import MachineDay, Reading
from market.telemetry.queries import machine_intervals

WINDOW_DAYS = 90
# a planned stop whose reason is one of these is a maintenance record
MAINTENANCE_REASONS = ("maintenance", "preventive_maintenance", "pm", "保养", "维护")
# where each measure comes from: "ledger" (committed summaries, verifiable) or "platform"
BASIS = {"run_hours": "ledger", "downtime_share": "ledger", "load": "platform", "mttr_hours": "platform",
         "maintenance": "platform"}


def window(before: date) -> tuple[date, date]:
    """The rating window of a period starting on `before`: the WINDOW_DAYS local days before it."""
    return before - timedelta(days=WINDOW_DAYS), before


def inputs(s: Session, machine: Machine, before: date) -> tuple[tariff.RatingInputs, dict]:
    """The machine's measures over window(before), and a note of the window and its days."""
    tz = machine.factory.timezone
    start, end = window(before)
    days = [d.committed for d in s.scalars(select(MachineDay).where(
        MachineDay.machine_id == machine.id, MachineDay.day >= start, MachineDay.day < end,
        MachineDay.ledger_index.is_not(None))) if d.committed]
    run_hours = share = None
    if days:
        run_s = sum(int(d["run_total_s"]) for d in days)
        down_s = sum(int(d.get("down_s", 0)) for d in days)
        run_hours = Decimal(run_s) / 3600 * 30 / len(days)
        share = Decimal(down_s) / (len(days) * 86400)
    lo, hi = cal.day_bounds(start, tz)[0], cal.day_bounds(end - timedelta(days=1), tz)[1]
    down = machine_intervals(s, start=lo, end=hi, machine_id=machine.id, states=("down",))
    mttr = (Decimal(sum(int((b - a).total_seconds()) for _, a, b, _, _ in down)) / 3600 / len(down)) if down else None
    stops = machine_intervals(s, start=lo, end=hi, machine_id=machine.id, states=("planned_stop",))
    maintenance = Decimal(sum(1 for *_, reason in stops if (reason or "").lower() in MAINTENANCE_REASONS))
    load = s.scalar(select(func.avg(Reading.spindle_load)).where(
        Reading.machine_id == machine.id, Reading.ts >= lo, Reading.ts < hi, Reading.spindle_load.is_not(None)))
    measures = tariff.RatingInputs(
        run_hours=run_hours, downtime_share=share, mttr_hours=mttr, maintenance=maintenance,
        load=None if load is None else max(Decimal(0), Decimal(str(round(float(load), 4)))))
    return measures, {"window_start": start.isoformat(), "window_end": end.isoformat(), "days": len(days)}


def quote(s: Session, machine: Machine, coverage: str, sum_insured_minor: int, before: date) -> dict:
    """The premium of a period starting on `before` with its factors and rating window."""
    measures, note = inputs(s, machine, before)
    return {**tariff.rate(coverage, sum_insured_minor, measures).as_dict(), **note}
