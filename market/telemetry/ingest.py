"""The one ingest path (HTTP batches and MQTT messages alike): validate each reading,
store the valid ones exactly once per (machine, ts), recompute the days they touch,
raise or clear alerts, append closed days' summaries to the ledger; one transaction."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from market import errors
from market.catalog.models import Machine
from market.db import unit_of_work, utcnow, write_lock
from market.metrics import TELEMETRY_READINGS
from market.telemetry import effects, rollup
from market.telemetry.devices import DeviceAuth
from market.telemetry.models import Device, Reading
from market.telemetry.readings import MAX_BATCH, ReadingIn, Window, parse_batch

COLUMNS = ("machine_id", "ts", "state", "reason", "total", "good", "spindle_load", "temperature", "power_kw", "device_id")


@dataclass
class IngestResult:
    machine_id: uuid.UUID
    accepted: int  # valid readings: stored now or already stored before (safe to drop from a device's buffer)
    stored: int  # new rows
    duplicates: int  # valid readings already stored (a retry)
    rejected: list[dict] = field(default_factory=list)  # [{index, reason}]

    def to_dict(self) -> dict:
        return {"machine_id": str(self.machine_id), "accepted": self.accepted, "stored": self.stored,
                "duplicates": self.duplicates, "rejected": self.rejected}


def window(now: datetime) -> Window:
    cfg = current_app.config
    return Window.around(now, retention_days=cfg["TELEMETRY_RETENTION_DAYS"], max_skew_s=cfg["TELEMETRY_MAX_SKEW_S"])


def rows_of(machine_id: int, device_id: int | None, readings: list[ReadingIn]) -> list[tuple]:
    return [(machine_id, r.ts, r.state, r.reason, r.total, r.good, r.spindle_load, r.temperature, r.power_kw, device_id)
            for r in readings]


def store(s: Session, rows: list[tuple]) -> int:
    """Insert rows, skipping (machine_id, ts) already stored; returns how many are new.
    PostgreSQL: COPY into a per-session staging table, then one INSERT ... SELECT ... ON
    CONFLICT DO NOTHING. SQLite: executemany of INSERT ... ON CONFLICT DO NOTHING."""
    if not rows:
        return 0
    conn = s.connection()
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS telemetry_staging "
                       "(LIKE telemetry_readings INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
        cols = ", ".join(COLUMNS)
        with cursor.copy(f"COPY telemetry_staging ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO telemetry_readings ({cols}) SELECT {cols} FROM telemetry_staging "
                       "ON CONFLICT (machine_id, ts) DO NOTHING")
        stored = cursor.rowcount
        cursor.execute("TRUNCATE telemetry_staging")
        return stored
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    stmt = sqlite_insert(Reading.__table__).on_conflict_do_nothing(index_elements=["machine_id", "ts"])
    result = conn.execute(stmt, [dict(zip(COLUMNS, row)) for row in rows])
    return result.rowcount


def ingest(device: DeviceAuth, raws, *, machine_public_id: uuid.UUID | None = None,
           now: datetime | None = None, source: str = "http") -> IngestResult:
    """Ingest a batch from `device`. Raises Forbidden when the batch names another machine
    than the device's, PayloadTooLarge past MAX_BATCH readings."""
    if not isinstance(raws, list):
        raise errors.Invalid("readings must be a list", field="readings")
    if len(raws) > MAX_BATCH:
        raise errors.PayloadTooLarge(f"a batch holds at most {MAX_BATCH} readings, got {len(raws)}", field="readings")
    if machine_public_id is not None and machine_public_id != device.machine_public_id:
        raise errors.Forbidden(f"this device is enrolled for machine {device.machine_public_id}, "
                               f"not {machine_public_id}", field="machine_id")
    now = now or utcnow()
    readings, rejected = parse_batch(raws, window(now))
    reschedule = None
    with unit_of_work() as s:
        write_lock(s)
        # one writer per machine at a time: its days are recomputed from what is committed
        machine = s.scalar(select(Machine).where(Machine.id == device.machine_id).with_for_update(of=Machine))
        if s.scalar(select(Device.revoked_at).where(Device.id == device.device_id)) is not None:
            raise errors.Unauthorized("this device was revoked")
        stored = store(s, rows_of(machine.id, device.device_id, readings))
        s.execute(update(Device).where(Device.id == device.device_id).values(last_seen_at=now))
        if stored:
            days = rollup.affected_days(s, machine.id, machine.factory.timezone, [r.ts for r in readings])
            rollup.recompute_machine(s, machine.id, days, now)
            recomputed = rollup.recompute_factory(s, machine.factory_id, days, now)
            reschedule = effects.check_machine(s, machine, now)
            rollup.summarize(s, machine.factory_id, now, recomputed)
        s.commit()
    TELEMETRY_READINGS.labels(source).inc(stored)  # the ingest rate in /metrics: new readings only
    if reschedule:
        effects.reschedule(*reschedule)
    return IngestResult(device.machine_public_id, len(readings), stored, len(readings) - stored, rejected)


def insert_direct(s: Session, machine_id: int, readings: list[ReadingIn]) -> int:
    """Bulk load for the simulator's direct-to-database mode and the demo seed (trusted,
    already valid readings); the caller recomputes."""
    return store(s, rows_of(machine_id, None, readings))

