"""What accounts tells the domains above it (market/bus.py). Plain, JSON-able records."""
from __future__ import annotations

from dataclasses import dataclass, field

# The security-relevant things that happen to accounts; the operator's log (market/audit) keeps them.
ACTIONS = (
    "account.created", "login.succeeded", "login.failed", "login.refused_locked", "account.locked", "logout",
    "password.reset_requested", "password.reset", "token.created", "token.revoked", "member.added",
)


@dataclass(frozen=True)
class SecurityActivity:
    """Someone signed up, signed in or failed to, was locked out, made or revoked a token,
    reset a password or was added to an organization. Published in the unit of work of the
    change (or of the failed attempt), so what records it commits with it.

    `user_id`: whom it concerns; `actor_user_id`: who did it, when someone else. `detail`
    never holds a secret: no password, no token (only its public prefix), no reset link; a
    login name that matches no account only as `login_name_digest`."""

    action: str
    user_id: int | None = None
    organization_id: int | None = None
    actor_user_id: int | None = None
    detail: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"unknown security action {self.action!r}; known: {', '.join(ACTIONS)}")
