"""What orders tells the domains above it (market/bus.py): an order is about to move. Orders
knows nothing of payments or production; they listen (market/<domain>/handlers.py).

Both events are published inside the move's unit of work, before the move is recorded, so an
in-unit-of-work handler may refuse it (raise a DomainError: nothing is written) or write what
must commit with it. Fields are JSON-able: the handler reloads the order by id from the
session it is given (the same, locked, object the publisher holds).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from market.auth import Actor


@dataclass(frozen=True)
class OrderMoveRequested:
    """A party moves the order itself (orders.services.transition; the move was checked
    against the state machine), as opposed to a move that follows another domain's step
    (a quote accepted, a lot shipped). Published before `OrderMoving`; ledger entries a
    handler adds go to the move's batch (`Batch.of(session)`), appended after the handlers
    of `OrderMoving` have written theirs and before the order's own entry."""

    order_id: int
    from_state: str
    to_state: str
    note: str
    actor: dict  # `actor_fields`: who moves it


@dataclass(frozen=True)
class OrderMoving:
    """An order changes state now (orders.services.move, the one place it does): every move,
    whoever makes it. A handler may refuse it."""

    order_id: int
    from_state: str
    to_state: str
    note: str = ""
    actor: dict | None = None  # `actor_fields`; None: the platform itself (quotes ready, quotes lapsed)
    quote_id: int | None = None  # the quote whose acceptance moves the order to "accepted"


@dataclass(frozen=True)
class QuoteRequested:
    """The buyer asked a factory's organization to quote on an order (orders.services.
    invite_factory), published once per (order, factory) in the invitation's unit of work."""

    order_id: int
    factory_org_id: int
    actor_user_id: int | None = None


@dataclass(frozen=True)
class MessagePosted:
    """Someone wrote on an order's thread (orders.services.post_message); whoever may read the
    thread may be told. The body stays in the thread: listeners read it there."""

    order_id: int
    message_id: int
    author_org_id: int
    author_user_id: int | None = None


def actor_fields(actor: Actor | None) -> dict | None:
    """An actor as an event carries it (JSON-able); `actor_of` gives it back."""
    if actor is None:
        return None
    return {"org_id": actor.org_id, "org_public_id": str(actor.org_public_id), "org_kind": actor.org_kind,
            "org_name": actor.org_name, "user_id": actor.user_id, "role": actor.role, "scopes": sorted(actor.scopes)}


def actor_of(fields: dict | None) -> Actor | None:
    if fields is None:
        return None
    return Actor(**{**fields, "org_public_id": uuid.UUID(fields["org_public_id"]), "scopes": frozenset(fields["scopes"])})
