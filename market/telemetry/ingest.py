"""The one ingest path (HTTP batches and MQTT messages alike): validate each reading,
store the valid ones exactly once per (machine, ts), mark the local days they change dirty,
raise or clear alerts; one transaction. The days' aggregates and the ledger summaries are
recomputed by the rollup (market.telemetry.dirty), triggered after the commit."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from market import errors
from market.catalog.models import Machine
from market.db import unit_of_work, utcnow, write_lock
from market.metrics import TELEMETRY_READINGS
from market.telemetry import dirty, effects, trigger
from market.telemetry.devices import DeviceAuth
from market.telemetry.models import Device
from market.telemetry.readings import MAX_BATCH, ReadingIn, Row, Window, validate_batch

# a Row's fields, in order (readings.Row); machine_id and device_id are per batch
ROW_COLUMNS = ("ts", "state", "reason", "total", "good", "spindle_load", "temperature", "power_kw")
COLUMNS = ("machine_id", *ROW_COLUMNS, "device_id")
# binary COPY (several times faster than text: no formatting of timestamps and numbers);
# validation guarantees these Python types (int counters, float signals, aware datetimes)
COPY_TYPES = ("int4", "timestamptz", "varchar", "varchar", "int8", "int8", "float8", "float8", "float8", "int4")
LOOKUP_LIMIT = 50_000  # stored readings in a batch's time range worth fetching to leave them out


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


def _store_postgres(pg, machine_id: int, device_id: int | None, rows: list[Row]) -> int:
    """The common case, a batch of new readings, is one COPY straight into the table: the
    stamps already stored are looked up first and left out (the caller holds the machine,
    so no other ingest adds any meanwhile). Should a writer that does not hold it (a bulk
    load) race us, the COPY fails on the primary key inside a savepoint and the batch goes
    the conflict-proof way: COPY into a staging table, INSERT ... ON CONFLICT DO NOTHING."""
    cursor = pg.cursor()
    stamps = [r[0] for r in rows]
    cursor.execute("SELECT ts FROM telemetry_readings WHERE machine_id = %s AND ts >= %s AND ts <= %s LIMIT %s",
                   (machine_id, min(stamps), max(stamps), LOOKUP_LIMIT + 1))
    existing = {ts for (ts,) in cursor.fetchall()}
    fresh = [r for r in rows if r[0] not in existing] if existing else rows
    if not fresh:
        return 0
    if len(existing) <= LOOKUP_LIMIT:  # else: a batch spread over much stored history
        try:
            with pg.transaction():  # a savepoint
                with cursor.copy(f"COPY telemetry_readings ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(COPY_TYPES)
                    write = copy.write_row
                    for row in fresh:
                        write((machine_id, *row, device_id))
            return len(fresh)
        except psycopg.errors.UniqueViolation:
            pass
    cursor.execute("CREATE TEMP TABLE IF NOT EXISTS telemetry_staging_rows (ts timestamptz, state varchar(16), "
                   "reason varchar(64), total bigint, good bigint, spindle_load float8, temperature float8, "
                   "power_kw float8) ON COMMIT DELETE ROWS")
    with cursor.copy(f"COPY telemetry_staging_rows ({', '.join(ROW_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(COPY_TYPES[1:-1])
        write = copy.write_row
        for row in fresh:
            write(row)
    cursor.execute(f"INSERT INTO telemetry_readings ({', '.join(COLUMNS)}) "
                   f"SELECT %s, {', '.join(ROW_COLUMNS)}, %s FROM telemetry_staging_rows "
                   "ON CONFLICT (machine_id, ts) DO NOTHING", (machine_id, device_id))
    stored = cursor.rowcount
    cursor.execute("TRUNCATE telemetry_staging_rows")
    return stored


def store(s: Session, machine_id: int, device_id: int | None, rows: list[Row]) -> int:
    """Insert the machine's rows, skipping (machine_id, ts) already stored; returns how many
    are new. PostgreSQL: COPY into a per-session staging table, then one INSERT ... SELECT
    ... ON CONFLICT DO NOTHING. SQLite: one executemany of INSERT ... ON CONFLICT DO NOTHING.
    Both bypass per-value ORM type processing (the hot path); the stored values are the
    ones UTCDateTime would store (aware UTC on PostgreSQL, naive UTC text on SQLite)."""
    if not rows:
        return 0
    conn = s.connection()
    machine_id, device_id = int(machine_id), None if device_id is None else int(device_id)
    if conn.dialect.name == "postgresql":
        return _store_postgres(conn.connection.driver_connection, machine_id, device_id, rows)
    sql = (f"INSERT INTO telemetry_readings ({', '.join(COLUMNS)}) VALUES ({machine_id}, ?, ?, ?, ?, ?, ?, ?, ?, "
           f"{'NULL' if device_id is None else device_id}) ON CONFLICT (machine_id, ts) DO NOTHING")
    before = conn.connection.driver_connection.total_changes
    conn.exec_driver_sql(sql, [(r[0].replace(tzinfo=None).isoformat(" ", "microseconds"), *r[1:]) for r in rows])
    return conn.connection.driver_connection.total_changes - before


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
    rows, rejected = validate_batch(raws, window(now))
    with unit_of_work() as s:
        write_lock(s)
        # one writer per machine at a time: the days it marks see every earlier batch. NO KEY
        # UPDATE: the rollup's inserts that reference the machine (KEY SHARE) need not wait
        machine = s.scalar(select(Machine).where(Machine.id == device.machine_id)
                           .with_for_update(of=Machine, key_share=True))
        if s.scalar(select(Device.revoked_at).where(Device.id == device.device_id)) is not None:
            raise errors.Unauthorized("this device was revoked")
        if machine.status == "retired":  # even a device row that escaped revocation
            raise errors.Forbidden(f"machine {device.machine_public_id} is retired: it takes no telemetry",
                                   field="machine_id")
        stored = store(s, machine.id, device.device_id, rows)
        s.execute(update(Device).where(Device.id == device.device_id).values(last_seen_at=now))
        if stored:
            days = dirty.affected_days(s, machine.id, machine.factory.timezone, [r[0] for r in rows])
            dirty.mark(s, machine.id, machine.factory_id, days, now)
            effects.check_machine(s, machine, now)
        s.commit()
    TELEMETRY_READINGS.labels(source).inc(stored)  # the ingest rate in /metrics: new readings only
    if stored:
        trigger.after_ingest()
    return IngestResult(device.machine_public_id, len(rows), stored, len(rows) - stored, rejected)


def insert_direct(s: Session, machine_id: int, readings: list[ReadingIn]) -> int:
    """Bulk load for the simulator's direct-to-database mode and the demo seed (trusted,
    already valid readings); the caller recomputes."""
    return store(s, machine_id, None, [(r.ts, r.state, r.reason, r.total, r.good, r.spindle_load, r.temperature,
                                        r.power_kw) for r in readings])

