"""Ledger events of credit and financing. Entries are public: who lends to whom, amounts,
scores and report contents stay in our tables; an event carries only opaque ids and a
salted commitment to the private payload (ledger.disclosure), which the parties can open."""
from __future__ import annotations

from ledger.disclosure import commit
from ledger.events import Event

from market.db import utcnow


def _event(type_: str, org, what: dict, payload: dict, salt: str) -> Event:
    return Event(type=type_, org=str(org), when=utcnow(), what=what, data={"commitment": commit(payload, salt)})


def consent_payload(c, factory, lender) -> dict:
    return {"consent": str(c.public_id), "factory": str(factory.public_id), "lender": str(lender.public_id),
            "purpose": c.purpose, "valid_from": c.valid_from.isoformat(), "valid_until": c.valid_until.isoformat()}


def consent_granted(c, factory, lender) -> Event:
    return _event("consent.granted", factory.organization.public_id, {"consent": str(c.public_id)},
                  consent_payload(c, factory, lender), c.salt)


def consent_revoked(c, factory, lender) -> Event:
    return _event("consent.revoked", factory.organization.public_id, {"consent": str(c.public_id)},
                  {**consent_payload(c, factory, lender), "revoked_at": c.revoked_at.isoformat()}, c.salt)


def access_payload(entry, consent, lender) -> dict:
    return {"consent": str(consent.public_id) if consent else "", "lender": str(lender.public_id),
            "action": entry.action, "detail": entry.detail, "at": entry.at.isoformat()}


def consent_viewed(entry, consent, lender) -> Event:
    return _event("consent.viewed", lender.public_id, {"consent": str(consent.public_id) if consent else ""},
                  access_payload(entry, consent, lender), entry.salt)


def report_payload(report, factory, lender) -> dict:
    return {"report": str(report.public_id), "factory": str(factory.public_id), "lender": str(lender.public_id),
            "content_sha256": report.content_hash}


def report_issued(report, factory, lender) -> Event:
    return _event("credit.report_issued", lender.public_id, {"report": str(report.public_id)},
                  report_payload(report, factory, lender), report.salt)


def application_payload(app, factory) -> dict:
    return {"application": str(app.public_id), "factory": str(factory.public_id), "lender": str(app.lender.public_id),
            "kind": app.kind, "amount_minor": app.amount_minor, "currency": app.currency, "term_months": app.term_months}


def financing_applied(app, factory) -> Event:
    return _event("financing.applied", factory.organization.public_id, {"application": str(app.public_id)},
                  application_payload(app, factory), app.salt)


def decision_payload(app) -> dict:
    return {"application": str(app.public_id), "status": app.status, "amount_minor": app.approved_amount_minor or 0,
            "rate_bp": app.rate_bp or 0, "reasons": list(app.decline_reasons or [])}


def financing_decided(app) -> Event:
    return _event("financing.decided", app.lender.public_id, {"application": str(app.public_id)},
                  decision_payload(app), app.decision_salt)


def financing_disbursed(app) -> Event:
    return _event("financing.disbursed", app.lender.public_id, {"application": str(app.public_id)},
                  app.disbursement_payload, app.disbursement_salt)


def financing_repaid(app, repayment) -> Event:
    return _event("financing.repaid", app.factory.organization.public_id, {"application": str(app.public_id)},
                  repayment.committed, repayment.salt)


def rating_payload(rating, order, factories) -> dict:
    return {"rating": str(rating.public_id), "order": str(order.public_id),
            "factories": [str(f.public_id) for f in factories], "stars": rating.stars, "comment": rating.comment,
            "show_buyer_name": rating.show_buyer_name}


def rating_posted(rating, order, factories, buyer) -> Event:
    """The stars and comment are public on the profile; the entry commits to exactly them. In
    credit's namespace of the ledger vocabulary (ledger/events.py), so no ledger release."""
    return _event("credit.rating_posted", buyer.public_id, {"rating": str(rating.public_id), "order": str(order.public_id)},
                  rating_payload(rating, order, factories), rating.salt)


def rating_replied(rating, subject, factory) -> Event:
    return _event("credit.rating_replied", factory.organization.public_id,
                  {"rating": str(rating.public_id), "factory": str(factory.public_id)},
                  {"rating": str(rating.public_id), "factory": str(factory.public_id), "reply": subject.reply},
                  subject.reply_salt)
