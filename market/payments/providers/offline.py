"""Offline provider (the default): the buyer pays by bank transfer quoting the payment's
reference; the operator confirms each receipt and each outgoing transfer (payouts,
refunds, reversals) by hand. Same records, states and ledger events as Stripe: every
movement starts 'pending' and the operator's confirmation makes it 'succeeded'."""
from __future__ import annotations

from market.payments.providers.base import AccountStatus, Result


class OfflineProvider:
    name = "offline"
    manual = True

    def start_payment(self, payment, movement, *, transfer_group: str) -> Result:
        return Result("pending", details={"reference": payment.reference})

    def payment_status(self, payment) -> Result:
        return Result("pending")

    def cancel_payment(self, payment) -> Result:
        return Result("succeeded")  # nothing was taken: nothing to undo

    def transfer(self, movement, *, destination, transfer_group, source) -> Result:
        return Result("pending")

    def refund(self, movement, *, payment) -> Result:
        return Result("pending")

    def reverse(self, movement, *, transfer_id) -> Result:
        return Result("pending")

    def create_account(self, *, organization_public_id: str, email: str) -> str:
        return f"offline-{organization_public_id}"

    def onboarding_link(self, external_id: str, *, return_url: str, refresh_url: str) -> str:
        return return_url

    def account_status(self, external_id: str) -> AccountStatus:
        # bank payouts need no onboarding with a provider: the operator pays the factory's account
        return AccountStatus(external_id, True, True, "active", [])
