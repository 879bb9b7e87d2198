"""Ledger events of insurance. Terms, premiums and indemnities are private between insurer and
insured: each event carries a salted commitment (ledger.disclosure); the salt stays on the row."""
from __future__ import annotations

from datetime import datetime

from ledger.disclosure import commit
from ledger.events import Event


def _what(policy) -> dict:
    return {"policy": str(policy.public_id), "machine": str(policy.machine.public_id),
            "factory": str(policy.factory.public_id)}


def offered(policy, when: datetime) -> Event:
    return Event(type="insurance.policy_offered", org=str(policy.insurer.public_id), when=when, what=_what(policy),
                 data={"commitment": commit(policy.terms, policy.salt)})


def issued(policy, when: datetime) -> Event:
    """The insured's acceptance over the very terms the offer committed to: the policy is issued."""
    return Event(type="insurance.policy_issued", org=str(policy.insured.public_id), when=when, what=_what(policy),
                 data={"commitment": commit(policy.terms, policy.salt)})


def premium_invoiced(inv, when: datetime) -> Event:
    return Event(type="insurance.premium_invoiced", org=str(inv.policy.insurer.public_id), when=when,
                 what={**_what(inv.policy), "invoice": str(inv.public_id)},
                 data={"period": inv.period_no, "commitment": commit(inv.committed, inv.salt)})


def premium_paid(inv, when: datetime) -> Event:
    return Event(type="insurance.premium_paid", org=str(inv.policy.insurer.public_id), when=when,
                 what={**_what(inv.policy), "invoice": str(inv.public_id)}, data={"period": inv.period_no})


def claim_filed(claim, when: datetime) -> Event:
    return Event(type="insurance.claim_filed", org=str(claim.policy.insured.public_id), when=when,
                 what={**_what(claim.policy), "claim": str(claim.public_id)},
                 data={"commitment": commit(claim.committed, claim.salt)})


def decision_payload(claim) -> dict:
    return {"claim": str(claim.public_id), "status": claim.status, "approved_minor": claim.approved_minor or 0,
            "currency": claim.policy.currency}


def claim_decided(claim, when: datetime) -> Event:
    return Event(type="insurance.claim_decided", org=str(claim.policy.insurer.public_id), when=when,
                 what={**_what(claim.policy), "claim": str(claim.public_id)},
                 data={"commitment": commit(decision_payload(claim), claim.salt)})
