"""What telemetry does when a lower domain changes (registered in create_app)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from market import bus
from market.catalog.domain_events import MachineStatusChanged
from market.telemetry.devices import revoke_for_machine


def revoke_devices_of_retired_machine(s: Session, event: MachineStatusChanged) -> None:
    """A retired machine's edge devices stop speaking for it, in the retirement's own
    transaction: no reading is accepted for a machine the catalog already calls retired."""
    if event.new == "retired":
        revoke_for_machine(s, event.machine_id)


def register(b: bus.MessageBus) -> None:
    b.in_unit_of_work(MachineStatusChanged, revoke_devices_of_retired_machine)
