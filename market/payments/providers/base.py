"""The provider interface: what the payment services ask of a payment provider. Each call
names our record (a Movement) so the provider can make it idempotent."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Result:
    """What the provider did: 'succeeded' (money moved), 'pending' (it will move later: a
    webhook or the operator finishes it) or 'failed' (it will not: `error` says why)."""

    status: str
    external_id: str | None = None
    error: str = ""
    client_secret: str | None = None
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.status not in ("succeeded", "pending", "failed"):
            raise ValueError(f"result status {self.status!r} is not succeeded, pending or failed")


@dataclass(frozen=True)
class AccountStatus:
    external_id: str
    details_submitted: bool
    payouts_enabled: bool
    transfers_status: str  # active | pending | inactive
    requirements_due: list[str]


class ProviderUnavailable(Exception):
    """The provider did not answer (timeout, 5xx) after our retries: the movement stays
    pending and is retried later with the same idempotency key."""


class Provider(Protocol):
    name: str
    manual: bool  # True: the operator confirms money movements by hand (bank transfers)

    def start_payment(self, payment, movement, *, transfer_group: str) -> Result: ...
    def payment_status(self, payment) -> Result: ...
    def cancel_payment(self, payment) -> Result: ...
    def transfer(self, movement, *, destination: str | None, transfer_group: str, source: str | None) -> Result: ...
    def refund(self, movement, *, payment) -> Result: ...
    def reverse(self, movement, *, transfer_id: str) -> Result: ...
    def create_account(self, *, organization_public_id: str, email: str) -> str: ...
    def onboarding_link(self, external_id: str, *, return_url: str, refresh_url: str) -> str: ...
    def account_status(self, external_id: str) -> AccountStatus: ...
