"""What telemetry tells the domains above it (market/bus.py). Telemetry knows nothing of
matching; it listens (market/matching/handlers.py). Not to be confused with events.py (the
ledger entries telemetry writes)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MachineWentDown:
    """A machine has been down past TELEMETRY_DOWN_ALERT_MINUTES with work booked on it
    from now on: its down alert `alert_id` was raised (its open windows became unavailable)
    in the unit of work that publishes this. When it runs again the alert clears."""

    alert_id: int
    machine_id: int
    factory_id: int
    organization_id: int
