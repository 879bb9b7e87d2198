"""What leasing does when payments tells it money under a lease arrived (market/bus.py): in
the payment's transaction, the lease becomes active on its disbursement, a rent invoice paid
on its rent — so the lease's books and the transfers never disagree."""
from __future__ import annotations

from datetime import datetime

from market import bus
from market.leasing import rent, services
from market.payments.domain_events import ContractTransferDone


def register(b: bus.MessageBus) -> None:
    b.in_unit_of_work(ContractTransferDone, on_transfer_done)


def on_transfer_done(s, event: ContractTransferDone) -> None:
    when = datetime.fromisoformat(event.done_at)
    if event.kind == "lease_disbursement":
        services.disbursed(s, event.contract, event.amount_minor, when)
    elif event.kind == "lease_rent":
        rent.rent_paid(s, event.item, event.amount_minor, when)
