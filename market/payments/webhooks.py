"""Stripe webhooks: verified with the endpoint secret by Stripe's own signature check
(bad signatures, and timestamps further than the tolerance in the past *or the future*, are
refused), checked for shape (a signed but malformed event is a 400, see webhook_shapes),
processed exactly once (the event id is claimed first, in the same transaction as its
effects: a concurrent duplicate waits for it and answers 'duplicate'), and safe in any
order: an event can only move a record forward, and money events find their record by our
own metadata, so a late or replayed event changes nothing. Money in another currency than
the record's is refused (422) and logged, never applied."""
from __future__ import annotations

import json
import logging
import time

import stripe
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from market import errors
from market.db import unit_of_work, write_lock
from market.payments.execution import fail, finish, pending_for_org, record_capture, run_pending
from market.payments.models import Movement, Payment, PaymentAccount, WebhookEvent
from market.payments.providers.stripe_connect import _charge_id, account_status_of
from market.payments.movements import after_commit
from market.payments.states import PAYMENT_RANK, moves_forward
from market.payments.webhook_shapes import BadWebhook, check_event

log = logging.getLogger("market.payments.webhooks")


def receive(payload: bytes, signature: str) -> str:
    """Verify and process one delivery; returns what was done ('duplicate' for a replay)."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        raise errors.NotFound("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)")
    tolerance = current_app.config["STRIPE_WEBHOOK_TOLERANCE_S"]
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), signature or "", secret, tolerance=tolerance)
    except UnicodeDecodeError:
        raise BadWebhook("payload is not UTF-8 text") from None
    except stripe.SignatureVerificationError as exc:
        raise BadWebhook(f"signature refused: {exc.user_message or exc}") from None
    signed_at = _signed_at(signature)
    if signed_at > time.time() + tolerance:  # Stripe's check only looks back
        raise BadWebhook(f"signature timestamp {signed_at} is more than {tolerance} s in the future")
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise BadWebhook("payload is not a JSON Stripe event") from None
    event_id, type_, obj = check_event(event)
    with unit_of_work() as s:
        write_lock(s)
        if s.get(WebhookEvent, event_id) is not None:
            return "duplicate"
        # Claim the id before acting: a concurrent delivery of the same event blocks on this
        # row until we commit, then fails here instead of applying the event a second time.
        row = WebhookEvent(id=event_id, provider="stripe", type=type_, object_id=obj["id"][:64], outcome="")
        s.add(row)
        try:
            s.flush()
        except IntegrityError:
            return "duplicate"
        row.outcome = _dispatch(s, type_, obj, event_id)[:200]
        try:
            s.commit()
        except IntegrityError:  # the same event delivered twice at once: the other one won
            return "duplicate"
        log.info("stripe event %s %s: %s", event_id, type_, row.outcome)
        return row.outcome


def _signed_at(header: str) -> int:
    """The `t=` of a Stripe-Signature header (already verified to be there)."""
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                break
    raise BadWebhook("signature has no timestamp")


def _same_currency(obj, expected: str, what: str, event_id: str) -> None:
    got = obj["currency"]
    if got.upper() != expected.upper():
        log.error("stripe event %s refused: %s is in %s; the event says %s", event_id, what, expected, got,
                  extra={"event": event_id, "currency": got, "expected": expected})
        raise errors.Invalid(f"{what} is in {expected.upper()}; this event says {got.upper()}", field="currency")


def _dispatch(s: Session, type_: str, obj, event_id: str) -> str:
    if type_.startswith("payment_intent."):
        return _payment_intent(s, type_, obj, event_id)
    if type_ in ("transfer.created", "transfer.updated"):
        return _movement_done(s, obj, "transfer", event_id)
    if type_ == "transfer.reversed":
        outcomes = [_movement_done(s, rv, "reversal", event_id) for rv in (obj.get("reversals") or {}).get("data") or []]
        return "; ".join(outcomes) or "no reversals listed"
    if type_ in ("refund.created", "refund.updated", "charge.refund.updated"):
        return _refund(s, obj, event_id)
    if type_ == "charge.refunded":
        outcomes = [_refund(s, r, event_id) for r in (obj.get("refunds") or {}).get("data") or []]
        return "; ".join(outcomes) or "refunds not listed"
    if type_ == "account.updated":
        return _account(s, obj)
    return "ignored"


def _payment_of(s: Session, obj) -> Payment | None:
    stmt = select(Payment).with_for_update(of=Payment)
    payment = s.scalar(stmt.where(Payment.external_id == obj["id"]))
    if payment is None and (obj.get("metadata") or {}).get("payment"):
        payment = s.scalar(stmt.where(Payment.public_id == _uuid(obj["metadata"]["payment"])))
    return payment


def _payment_intent(s: Session, type_: str, obj, event_id: str) -> str:
    payment = _payment_of(s, obj)
    if payment is None:
        return "unknown payment intent"
    _same_currency(obj, payment.currency, f"payment {payment.public_id}", event_id)
    if payment.external_id is None:  # we crashed before storing the id: adopt it now
        payment.external_id = obj["id"]
    if type_ == "payment_intent.succeeded":
        try:
            return record_capture(s, payment, obj.get("amount_received") or obj["amount"], _charge_id(obj))
        except errors.Conflict as exc:
            return str(exc)
    if type_ == "payment_intent.processing":
        if moves_forward(PAYMENT_RANK, payment.state, "processing"):
            payment.state = "processing"
            return "processing"
        return f"stale: payment is {payment.state}"
    if type_ == "payment_intent.payment_failed":
        error = (obj.get("last_payment_error") or {}).get("message", "declined")
        return f"attempt failed: {error}"
    if type_ == "payment_intent.canceled" and payment.external_id == obj["id"] and payment.state in ("requires_payment", "processing"):
        # cancelled at Stripe while the order still wants paying: the next visit gets a fresh intent
        payment.external_id, payment.client_secret, payment.attempt = None, None, payment.attempt + 1
        payment.state = "requires_payment"
        return "intent cancelled; a new one will be made"
    return "ignored"


def _movement_of(s: Session, obj, kind: str) -> Movement | None:
    stmt = select(Movement).where(Movement.kind == kind).with_for_update(of=Movement)
    mid = (obj.get("metadata") or {}).get("movement")
    m = s.scalar(stmt.where(Movement.public_id == _uuid(mid))) if mid else None
    return m or s.scalar(stmt.where(Movement.external_id == obj["id"]))


def _movement_done(s: Session, obj, kind: str, event_id: str) -> str:
    m = _movement_of(s, obj, kind)
    if m is None:
        return f"unknown {kind} {obj.get('id')}"
    _same_currency(obj, m.currency, f"{kind} {m.public_id}", event_id)
    if m.state != "pending":
        return f"{kind} already {m.state}"
    finish(s, m, external_id=obj["id"])
    return f"{kind} succeeded"


def _refund(s: Session, obj, event_id: str) -> str:
    m = _movement_of(s, obj, "refund")
    if m is None:
        return f"unknown refund {obj.get('id')}"
    _same_currency(obj, m.currency, f"refund {m.public_id}", event_id)
    if m.state != "pending":
        return f"refund already {m.state}"
    if obj.get("status") == "succeeded":
        finish(s, m, external_id=obj["id"])
        return "refund succeeded"
    if obj.get("status") in ("failed", "canceled"):
        m.external_id = m.external_id or obj["id"]
        fail(m, f"refund {obj['status']}: {obj.get('failure_reason') or ''}")
        return "refund failed"
    return f"refund {obj.get('status')}"


def _account(s: Session, obj) -> str:
    account = s.scalar(select(PaymentAccount).where(PaymentAccount.external_id == obj["id"]))
    if account is None:
        return "unknown account"
    status = account_status_of(obj)
    account.details_submitted, account.payouts_enabled = status.details_submitted, status.payouts_enabled
    account.transfers_status, account.requirements_due = status.transfers_status, status.requirements_due
    if status.transfers_status == "active":
        for order_id in pending_for_org(s, account.organization_id):
            after_commit(s, lambda order_id=order_id: run_pending(order_id))
    return f"account transfers {status.transfers_status}"


def _uuid(text):
    import uuid

    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None
