from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (JSON, BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, Integer, PrimaryKeyConstraint,
                        String, UniqueConstraint, Uuid)
from sqlalchemy import true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalog.models import Machine
from market.db import Base, UTCDateTime, new_public_id, utcnow

STATES = ("running", "idle", "setup", "down", "planned_stop", "offline")
ALERT_KINDS = ("down", "stale")  # stale: a device went silent


class Device(Base):
    """An edge device (gateway, PLC bridge) enrolled for one machine. Only hashes of its
    token are stored; the token is shown once at enrollment. Its MQTT username is its public id."""

    __tablename__ = "telemetry_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), index=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the same token as the device's MQTT password, in the broker's own hash (Mosquitto's
    # PBKDF2-SHA512 `$7$…`), copied into its password file; None: enrolled before broker accounts
    mqtt_password_hash: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    machine: Mapped[Machine] = relationship(lazy="joined")


class Reading(Base):
    """One timestamped reading of a machine, stored exactly once per (machine, ts).
    `state` holds until the next state reading; `total`/`good` are the device's cumulative
    part counters (they may reset); signals are optional."""

    __tablename__ = "telemetry_readings"
    __table_args__ = (PrimaryKeyConstraint("machine_id", "ts", name="pk_telemetry_readings"),)

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    total: Mapped[int | None] = mapped_column(BigInteger)
    good: Mapped[int | None] = mapped_column(BigInteger)
    spindle_load: Mapped[float | None] = mapped_column(Float)
    temperature: Mapped[float | None] = mapped_column(Float)
    power_kw: Mapped[float | None] = mapped_column(Float)
    device_id: Mapped[int | None] = mapped_column(Integer)


class ShiftCalendar(Base):
    """A factory's weekly shifts in its own time zone: {"0": [["08:00", "20:00"]], ...}
    (0 = Monday; an end not after its start runs past midnight)."""

    __tablename__ = "telemetry_shift_calendars"

    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), primary_key=True)
    weekly: Mapped[dict] = mapped_column(JSON)
    # China's public holidays and 调休 make-up workdays apply (a factory in a mainland zone
    # without a row of its own follows them too); off for a plant that runs through them
    public_holidays: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarClosure(Base):
    """Local days [first_day, last_day] a factory is closed (a shutdown, an annual
    maintenance, a local holiday): no planned time, whatever the weekly shifts say."""

    __tablename__ = "telemetry_calendar_closures"
    __table_args__ = (CheckConstraint("last_day >= first_day", name="days_in_order"),
                      Index("ix_telemetry_calendar_closures_factory_days", "factory_id", "first_day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MachineProfile(Base):
    """What OEE needs to know about a machine: its ideal cycle time per part."""

    __tablename__ = "telemetry_machine_profiles"
    __table_args__ = (CheckConstraint("ideal_cycle_ms > 0", name="ideal_cycle_positive"),)

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"), primary_key=True)
    ideal_cycle_ms: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StateInterval(Base):
    """A machine in one state over [start_at, end_at), derived from readings and split at
    the factory's local midnights (so a day can be recomputed alone). Kept forever."""

    __tablename__ = "telemetry_state_intervals"
    __table_args__ = (Index("ix_telemetry_state_intervals_machine_start", "machine_id", "start_at"),
                      Index("ix_telemetry_state_intervals_factory_start", "factory_id", "start_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    day: Mapped[date] = mapped_column(Date)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(64), default="")


class MachineDay(Base):
    """One machine over one local day of its factory: seconds per state, planned busy time,
    actual production time inside it, and the parts counted then."""

    __tablename__ = "telemetry_machine_days"
    __table_args__ = (UniqueConstraint("machine_id", "day", name="uq_telemetry_machine_days_machine_day"),
                      Index("ix_telemetry_machine_days_factory_day", "factory_id", "day"),
                      Index("ix_telemetry_machine_days_ledger", "ledger_index"))

    id: Mapped[int] = mapped_column(primary_key=True)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    day: Mapped[date] = mapped_column(Date)
    planned_s: Mapped[int] = mapped_column(default=0)
    run_s: Mapped[int] = mapped_column(default=0)  # running inside planned busy time (APT)
    run_total_s: Mapped[int] = mapped_column(default=0)  # running at any time
    seconds: Mapped[dict] = mapped_column(JSON, default=dict)  # state -> seconds over the whole day
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    good: Mapped[int] = mapped_column(BigInteger, default=0)
    ideal_work_ms: Mapped[int | None] = mapped_column(BigInteger)  # ideal cycle x total; None: no ideal cycle
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the machine's own summary on the ledger, as for FactoryDay: usage-priced contracts (a lease's
    # rent per run hour) are proved from one machine's days, not from the factory's sums
    salt: Mapped[str | None] = mapped_column(String(64))
    committed: Mapped[dict | None] = mapped_column(JSON)
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    ledger_leaf: Mapped[str | None] = mapped_column(String(64))
    corrections: Mapped[int] = mapped_column(default=0)


class FactoryDay(Base):
    """A factory's machines summed over one local day. The figures are private; the ledger
    gets a salted commitment to them (`salt`, `ledger_index`, `ledger_leaf`). A recompute
    that changes them appends a correcting event and moves the index to it."""

    __tablename__ = "telemetry_factory_days"
    __table_args__ = (UniqueConstraint("factory_id", "day", name="uq_telemetry_factory_days_factory_day"),
                      Index("ix_telemetry_factory_days_ledger", "ledger_index"))

    id: Mapped[int] = mapped_column(primary_key=True)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    day: Mapped[date] = mapped_column(Date)
    machines: Mapped[int] = mapped_column(default=0)
    planned_s: Mapped[int] = mapped_column(default=0)
    run_s: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    good: Mapped[int] = mapped_column(BigInteger, default=0)
    ideal_work_ms: Mapped[int | None] = mapped_column(BigInteger)
    ideal_run_s: Mapped[int] = mapped_column(default=0)  # run time of the machines whose ideal cycle is known
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    salt: Mapped[str | None] = mapped_column(String(64))
    committed: Mapped[dict | None] = mapped_column(JSON)  # the payload the commitment was made from
    ledger_index: Mapped[int | None] = mapped_column(BigInteger)
    ledger_leaf: Mapped[str | None] = mapped_column(String(64))
    corrections: Mapped[int] = mapped_column(default=0)


class Alert(Base):
    """A machine reported down past the threshold: its future open windows were made
    unavailable (listed here, to reopen them when it runs again) and its bookings re-planned."""

    __tablename__ = "telemetry_alerts"
    __table_args__ = (CheckConstraint(f"kind IN {ALERT_KINDS}", name="kind"),
                      Index("ix_telemetry_alerts_machine_open", "machine_id", "cleared_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=new_public_id)
    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="down")
    reason: Mapped[str] = mapped_column(String(64), default="")
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_ids: Mapped[list] = mapped_column(JSON, default=list)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("solve_jobs.id"))

    machine: Mapped[Machine] = relationship(lazy="joined")


class DirtyDay(Base):
    """A (machine, local day) whose readings changed since its aggregates were computed.
    Ingest marks it in its own transaction (an upsert); the rollup claims it, recomputes the
    day and deletes the mark in one transaction, so every mark is consumed exactly once."""

    __tablename__ = "telemetry_dirty_days"
    __table_args__ = (PrimaryKeyConstraint("machine_id", "day", name="pk_telemetry_dirty_days"),
                      Index("ix_telemetry_dirty_days_factory", "factory_id"))

    machine_id: Mapped[int] = mapped_column(ForeignKey("machines.id"))
    day: Mapped[date] = mapped_column(Date)
    factory_id: Mapped[int] = mapped_column(ForeignKey("factories.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
