"""Money under contracts that are not an order's escrow: a lease's disbursement (lessor →
equipment supplier, never the lessee for new equipment) and its rent (lessee → lessor).

Recorded like the rest of payments: a transfer is written `pending` with a ledger entry
(`payment.contract_transfer`, a salted commitment to kind, parties, amount), then finished
`succeeded` with a second entry (`payment.contract_transfer_done`) when the money arrived —
with the offline provider when the operator confirms the bank transfer (`confirm`). The owner
of the contract (leasing) learns it from `ContractTransferDone` (market/bus.py) in the same
transaction. At most one live transfer per kind and item (a unique index), so a rent is never
collected twice.

The invariant (`totals`): per contract, what the transfers moved equals what the contract's
owner booked as paid — leasing checks it (market/leasing/money.py) after every step.

With the Stripe provider configured, contract money still goes the offline way: a Connect
transfer pays out of the platform's balance, and the lessor's money is not in it (funding the
platform from the lessor first is not built)."""
from __future__ import annotations

import uuid
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.disclosure import commit, new_salt
from ledger.events import Event
from market import bus, errors, policy
from market.accounts.models import Organization
from market.auth import Actor
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import record
from market.payments.domain_events import ContractTransferDone
from market.payments.models import ContractTransfer

OFFLINE = "offline"


def payload(t: ContractTransfer, s: Session) -> dict:
    """What the transfer's commitment opens to."""
    payer, payee = s.get(Organization, t.payer_org_id), s.get(Organization, t.payee_org_id)
    return {"transfer": str(t.public_id), "kind": t.kind, "contract": t.contract, "item": t.item,
            "payer": str(payer.public_id), "payee": str(payee.public_id), "amount_minor": t.amount_minor,
            "currency": t.currency}


def _event(type_: str, t: ContractTransfer, s: Session, org_public_id: str, when: datetime, data: dict) -> Event:
    return Event(type=type_, org=org_public_id, when=when,
                 what={"transfer": str(t.public_id), "contract": t.contract, "item": t.item}, data=data)


def request(s: Session, *, kind: str, contract: str, item: str, payer_org_id: int, payee_org_id: int,
            amount_minor: int, currency: str, now: datetime) -> ContractTransfer:
    """A transfer to be made (pending until the money arrives). The caller commits."""
    live = s.scalar(select(ContractTransfer).where(ContractTransfer.kind == kind, ContractTransfer.item == item,
                                                   ContractTransfer.state.in_(("pending", "succeeded"))))
    if live is not None:
        raise errors.refusal(errors.Conflict, _l("This payment is already on its way or made."),
                             detail=f"a {kind} for {item} is already {live.state}")
    if amount_minor <= 0:
        raise errors.refusal(errors.Invalid, _l("Nothing to pay."), field="amount_minor")
    t = ContractTransfer(public_id=uuid.uuid4(), kind=kind, contract=contract, item=item, payer_org_id=payer_org_id,
                         payee_org_id=payee_org_id, amount_minor=amount_minor, currency=currency, provider=OFFLINE,
                         state="pending", salt=new_salt(), created_at=now)
    s.add(t)
    s.flush()
    payer = s.get(Organization, payer_org_id)
    t.ledger_index = record(s, _event("payment.contract_transfer", t, s, str(payer.public_id), now,
                                      {"kind": kind, "commitment": commit(payload(t, s), t.salt)}))[0].index
    return t


def _finish(s: Session, t: ContractTransfer, external_id: str | None, org_public_id: str, now: datetime) -> None:
    t.state, t.done_at, t.external_id = "succeeded", now, external_id
    bus.publish(s, ContractTransferDone(t.id, t.kind, t.contract, t.item, t.amount_minor, now.isoformat()))
    t.done_ledger_index = record(s, _event("payment.contract_transfer_done", t, s, org_public_id, now,
                                           {"kind": t.kind, "commitment": commit(payload(t, s), t.salt)}))[0].index


def settle(s: Session, t: ContractTransfer, *, external_id: str | None, by_org_public_id: str, now: datetime) -> None:
    """The payee itself confirms it received the money (outside the operator's bank). The caller commits."""
    if t.state != "pending":
        raise errors.refusal(errors.Conflict, _l("This payment is already recorded."), detail=f"the transfer is {t.state}")
    _finish(s, t, external_id, by_org_public_id, now)


def confirm(actor: Actor, transfer_id: uuid.UUID, bank_reference: str, *, now: datetime | None = None) -> ContractTransfer:
    """Operator, offline: the bank transfer arrived at the payee. To anyone else no transfer
    exists (404, like another tenant's order)."""
    if not actor.is_operator:
        raise errors.refusal(errors.NotFound, _l("No such payment."))
    now = now or utcnow()
    with unit_of_work() as s:
        write_lock(s)
        t = policy.one_row(s, ContractTransfer, transfer_id, missing=_l("No such payment."), lock=True)
        if t.state != "pending":
            raise errors.refusal(errors.Conflict, _l("This payment is already recorded."),
                                 detail=f"the transfer is {t.state}")
        _finish(s, t, bank_reference.strip()[:64] or None, str(actor.org_public_id), now)
        s.commit()
        return t


def pending(actor: Actor) -> list[ContractTransfer]:
    """Operator: transfers waiting for the bank's confirmation."""
    policy.require_kind(actor, "operator")
    with unit_of_work() as s:
        return list(s.scalars(select(ContractTransfer).where(ContractTransfer.state == "pending")
                              .order_by(ContractTransfer.created_at)))


def of_contract(s: Session, contract: str) -> list[ContractTransfer]:
    return list(s.scalars(select(ContractTransfer).where(ContractTransfer.contract == contract)
                          .order_by(ContractTransfer.id)))


def totals(s: Session, contract: str) -> dict[tuple[str, str], int]:
    """(kind, state) -> sum of amounts, for the contract's invariant."""
    rows = s.execute(select(ContractTransfer.kind, ContractTransfer.state, func.sum(ContractTransfer.amount_minor))
                     .where(ContractTransfer.contract == contract)
                     .group_by(ContractTransfer.kind, ContractTransfer.state)).all()
    return {(k, st): int(v) for k, st, v in rows}
