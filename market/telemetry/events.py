"""Ledger events of telemetry. The figures are private: the event carries a salted
commitment to them (ledger.disclosure); the salt stays on the FactoryDay row."""
from __future__ import annotations

from datetime import datetime

from ledger.events import Correction, Event


def daily_summary(org_public_id: str, factory_public_id: str, day: str, timezone: str, when: datetime,
                  commitment: str, corrects: Correction | None = None) -> Event:
    return Event(type="telemetry.daily_summary", org=org_public_id, when=when,
                 what={"factory": factory_public_id, "day": day},
                 where={"bizLocation": factory_public_id}, why={"bizStep": "sensor_reporting"},
                 data={"day": day, "timezone": timezone, "commitment": commitment}, corrects=corrects)


def machine_day_summary(org_public_id: str, factory_public_id: str, machine_public_id: str, day: str, timezone: str,
                        when: datetime, commitment: str, corrects: Correction | None = None) -> Event:
    return Event(type="telemetry.machine_day_summary", org=org_public_id, when=when,
                 what={"machine": machine_public_id, "factory": factory_public_id, "day": day},
                 where={"bizLocation": factory_public_id, "readPoint": machine_public_id},
                 why={"bizStep": "sensor_reporting"},
                 data={"day": day, "timezone": timezone, "commitment": commitment}, corrects=corrects)
