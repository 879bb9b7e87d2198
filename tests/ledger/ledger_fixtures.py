"""Shared test data of the ledger tests (imported by conftest and by the crash child)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ledger.events import Event

ORIGIN = "smm.test/ledger"

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


def make_events(n: int, start: int = 0) -> list[Event]:
    """``n`` believable QC events for lots L<start>..L<start+n-1>."""
    return [
        Event(
            type="qc.recorded",
            org=f"factory-{i % 3}",
            when=T0 + timedelta(minutes=i),
            what={"lot": f"L{i}", "partNumber": "PN-7"},
            where={"readPoint": f"machine-{i % 5}"},
            why={"bizStep": "inspecting", "disposition": "conformant" if i % 7 else "non_conformant"},
            data={"passed": bool(i % 7), "diameter_um": 12000 + i},
        )
        for i in range(start, start + n)
    ]
