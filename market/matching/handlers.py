"""What matching does when a lower domain changes (registered in create_app): booked work on
a machine that stopped is re-planned on the factory's other machines.

Both handlers run after the change committed (an outbox row makes them survive a crash) and
may run twice: they look again at the machine and ask for the re-plan through
request_reschedule, which does not queue a second equal one."""
from __future__ import annotations

from sqlalchemy import select

from market import bus
from market.catalog.domain_events import MachineStatusChanged
from market.catalog.models import CapacityWindow, Machine
from market.db import unit_of_work, utcnow
from market.matching.services import request_reschedule
from market.telemetry import effects
from market.telemetry.domain_events import MachineWentDown


def replan_after_status_change(event: MachineStatusChanged) -> None:
    """The factory took a machine out of 'active' (maintenance, retired)."""
    if event.old != "active" or event.new == "active":
        return
    with unit_of_work() as s:
        if s.get(Machine, event.machine_id).status == "active":  # back already: nothing to move
            return
        booked = s.scalar(select(CapacityWindow.id).where(  # what a re-plan moves (reschedule.plan)
            CapacityWindow.machine_id == event.machine_id, CapacityWindow.status == "booked",
            CapacityWindow.start_at >= utcnow()).limit(1))
        if booked is None:  # nothing booked, or a re-plan already moved it
            return
    request_reschedule(event.factory_id, event.organization_id, [event.machine_id])


def replan_after_breakdown(event: MachineWentDown) -> None:
    """Telemetry saw the machine down past the threshold; the alert names the re-plan."""
    if not effects.alert_awaits_replan(event.alert_id):  # cleared (running again) or handled
        return
    job = request_reschedule(event.factory_id, event.organization_id, [event.machine_id])
    effects.link_replan(event.alert_id, job.id)


def register(b: bus.MessageBus) -> None:
    b.after_commit(MachineStatusChanged, replan_after_status_change)
    b.after_commit(MachineWentDown, replan_after_breakdown)
