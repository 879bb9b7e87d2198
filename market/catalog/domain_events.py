"""What the catalog tells the domains above it (market/bus.py). The catalog knows nothing of
telemetry or matching; they listen (market/<domain>/handlers.py)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MachineStatusChanged:
    """A factory set a machine's status (active, maintenance, retired), published in the
    update's unit of work, with the machine row locked. Telemetry revokes a retired
    machine's devices in that transaction; matching re-plans the work booked on a machine
    that left 'active' once it committed."""

    machine_id: int
    factory_id: int
    organization_id: int
    old: str
    new: str
