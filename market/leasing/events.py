"""Ledger events of leasing. Amounts and terms are private between lessor and lessee: each
event carries a salted commitment (ledger.disclosure); the salt stays on the lease or invoice."""
from __future__ import annotations

from datetime import datetime

from ledger.disclosure import commit
from ledger.events import Event


def _what(lease) -> dict:
    return {"lease": str(lease.public_id), "machine": str(lease.machine.public_id),
            "factory": str(lease.factory.public_id)}


def offered(lease, when: datetime) -> Event:
    return Event(type="lease.offered", org=str(lease.lessor.public_id), when=when, what=_what(lease),
                 data={"commitment": commit(lease.terms, lease.salt)})


def signed_payload(lease) -> dict:
    """The offered terms and the SHA-256 of the contract PDF in each language."""
    return {**lease.terms, "contract_sha256": lease.contract_sha256}


def signed(lease, when: datetime) -> Event:
    """The lessee's signature over the very terms the offer committed to, and the contract."""
    return Event(type="lease.signed", org=str(lease.lessee.public_id), when=when, what=_what(lease),
                 data={"commitment": commit(signed_payload(lease), lease.salt)})


def disbursement_payload(lease) -> dict:
    return {"lease": str(lease.public_id), "payee": str(lease.supplier.public_id),
            "amount_minor": lease.disbursed_minor, "currency": lease.currency}


def disbursed(lease, when: datetime) -> Event:
    return Event(type="lease.disbursed", org=str(lease.lessor.public_id), when=when, what=_what(lease),
                 data={"commitment": commit(disbursement_payload(lease), lease.disbursement_salt)})


def rent_invoiced(invoice, when: datetime) -> Event:
    return Event(type="lease.rent_invoiced", org=str(invoice.lease.lessor.public_id), when=when,
                 what={**_what(invoice.lease), "invoice": str(invoice.public_id)},
                 data={"period": invoice.period_no, "commitment": commit(invoice.committed, invoice.salt)})


def rent_paid(invoice, when: datetime) -> Event:
    return Event(type="lease.rent_paid", org=str(invoice.lease.lessor.public_id), when=when,
                 what={**_what(invoice.lease), "invoice": str(invoice.public_id)},
                 data={"period": invoice.period_no, "days_late": invoice.days_late or 0})


def rent_overdue(invoice, when: datetime) -> Event:
    return Event(type="lease.rent_overdue", org=str(invoice.lease.lessor.public_id), when=when,
                 what={**_what(invoice.lease), "invoice": str(invoice.public_id)},
                 data={"period": invoice.period_no, "due_on": invoice.due_on.isoformat()})
