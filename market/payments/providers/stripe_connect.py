"""Stripe Connect provider: separate charges and transfers. The buyer's PaymentIntent is
captured at acceptance (never an authorization hold: production outlasts it); each
factory gets a Transfer to its connected account on delivery, with the order's
`transfer_group`; refunds come from the platform's charge, reversals from transfers.

Every write carries an idempotency key from our Movement (`smm-<kind>-<uuid>-a<attempt>`),
and retries after a timeout or 5xx reuse it, so a retried call can never move money twice.
"""
from __future__ import annotations

import logging
import time

import stripe

from market.payments.providers.base import AccountStatus, ProviderUnavailable, Result

log = logging.getLogger(__name__)

RETRYABLE = (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)


class StripeProvider:
    name = "stripe"
    manual = False

    def __init__(self, secret_key: str, *, api_base: str | None = None, retries: int = 3, timeout_s: float = 20,
                 backoff_s: float = 0.5, connect_country: str | None = None):
        bases = {"api": api_base.rstrip("/")} if api_base else {}
        # our own retry loop (below) reuses our key; the library's would be invisible to us
        self.client = stripe.StripeClient(secret_key, base_addresses=bases, max_network_retries=0,
                                          http_client=stripe.RequestsClient(timeout=timeout_s))
        self.retries, self.backoff_s, self.connect_country = retries, backoff_s, connect_country

    def _call(self, fn, *args, key: str | None = None, params: dict | None = None):
        options = {"idempotency_key": key} if key else {}
        for n in range(self.retries + 1):
            try:
                return fn(*args, params=params or {}, options=options)
            except stripe.IdempotencyError:
                raise
            except RETRYABLE as exc:
                log.warning("stripe call failed (try %d of %d, key %s): %s", n + 1, self.retries + 1, key, exc)
                if n == self.retries:
                    raise ProviderUnavailable(str(exc)) from exc
                time.sleep(self.backoff_s * (2 ** n))

    @staticmethod
    def _failed(exc: stripe.StripeError) -> Result:
        return Result("failed", error=getattr(exc, "user_message", None) or str(exc))

    # --- the buyer's payment -------------------------------------------------------------

    def start_payment(self, payment, movement, *, transfer_group: str) -> Result:
        try:
            pi = self._call(self.client.v1.payment_intents.create, key=movement.idempotency_key, params={
                "amount": payment.amount_minor, "currency": payment.currency.lower(),
                "payment_method_types": ["card"], "transfer_group": transfer_group,
                "metadata": {"payment": str(payment.public_id), "movement": str(movement.public_id),
                             "reference": payment.reference}})
        except stripe.StripeError as exc:
            return self._failed(exc)
        return Result("pending", external_id=pi.id, client_secret=pi.client_secret)

    def payment_status(self, payment) -> Result:
        pi = self._call(self.client.v1.payment_intents.retrieve, payment.external_id)
        return _pi_result(pi)

    def cancel_payment(self, payment) -> Result:
        if not payment.external_id:
            return Result("succeeded")
        try:
            pi = self._call(self.client.v1.payment_intents.cancel, payment.external_id,
                            key=f"smm-cancel-{payment.public_id}-a{payment.attempt}")
        except stripe.InvalidRequestError as exc:
            return self._failed(exc)
        return Result("succeeded" if pi.status == "canceled" else "failed", external_id=pi.id,
                      error="" if pi.status == "canceled" else f"payment intent is {pi.status}")

    # --- money out -----------------------------------------------------------------------

    def transfer(self, movement, *, destination, transfer_group, source) -> Result:
        if not destination:
            return Result("pending", error="the factory has not connected a Stripe account yet")
        params = {"amount": movement.amount_minor, "currency": movement.currency.lower(), "destination": destination,
                  "transfer_group": transfer_group, "metadata": {"movement": str(movement.public_id)}}
        if source:
            params["source_transaction"] = source  # funds come from this charge: no balance race
        try:
            tr = self._call(self.client.v1.transfers.create, key=movement.idempotency_key, params=params)
        except stripe.StripeError as exc:
            return self._failed(exc)
        return Result("succeeded", external_id=tr.id)

    def refund(self, movement, *, payment) -> Result:
        try:
            re = self._call(self.client.v1.refunds.create, key=movement.idempotency_key, params={
                "payment_intent": payment.external_id, "amount": movement.amount_minor,
                "metadata": {"movement": str(movement.public_id)}})
        except stripe.StripeError as exc:
            return self._failed(exc)
        return Result(_refund_status(re.status), external_id=re.id)

    def reverse(self, movement, *, transfer_id) -> Result:
        try:
            rv = self._call(self.client.v1.transfers.reversals.create, transfer_id, key=movement.idempotency_key,
                            params={"amount": movement.amount_minor, "metadata": {"movement": str(movement.public_id)}})
        except stripe.StripeError as exc:
            return self._failed(exc)
        return Result("succeeded", external_id=rv.id)

    # --- Connect onboarding --------------------------------------------------------------

    def create_account(self, *, organization_public_id: str, email: str) -> str:
        params = {"type": "express", "email": email, "capabilities": {"transfers": {"requested": True}},
                  "metadata": {"organization": organization_public_id}}
        if self.connect_country:
            params["country"] = self.connect_country
        acct = self._call(self.client.v1.accounts.create, key=f"smm-account-{organization_public_id}", params=params)
        return acct.id

    def onboarding_link(self, external_id: str, *, return_url: str, refresh_url: str) -> str:
        link = self._call(self.client.v1.account_links.create, params={
            "account": external_id, "return_url": return_url, "refresh_url": refresh_url, "type": "account_onboarding"})
        return link.url

    def account_status(self, external_id: str) -> AccountStatus:
        return account_status_of(self._call(self.client.v1.accounts.retrieve, external_id))


def account_status_of(acct) -> AccountStatus:
    capabilities = acct.get("capabilities") or {}
    requirements = acct.get("requirements") or {}
    return AccountStatus(acct["id"], bool(acct.get("details_submitted")), bool(acct.get("payouts_enabled")),
                         capabilities.get("transfers", "inactive"), list(requirements.get("currently_due") or []))


def _pi_result(pi) -> Result:
    if pi["status"] == "succeeded":
        return Result("succeeded", external_id=pi["id"], details={"amount_received": pi.get("amount_received") or pi["amount"],
                                                                  "charge": _charge_id(pi)})
    if pi["status"] == "canceled":
        return Result("failed", external_id=pi["id"], error="payment intent canceled")
    return Result("pending", external_id=pi["id"], details={"status": pi["status"]})


def _charge_id(pi) -> str | None:
    charge = pi.get("latest_charge")
    if isinstance(charge, dict):
        return charge.get("id")
    return charge


def _refund_status(status: str | None) -> str:
    return {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(status or "", "pending")
