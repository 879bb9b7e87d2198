"""The order lifecycle as an explicit state machine. Pure: no Flask, no database."""
from __future__ import annotations

from market.errors import IllegalTransition

STATES = (
    "draft", "open", "quoted", "accepted", "in_production", "shipped", "delivered", "closed",
    "cancelled", "disputed",
)

# (from, to) -> which party may make that move. "system" is the platform itself
# (quoting, booking); the operator may act wherever a party may.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "open"): "buyer",
    ("draft", "cancelled"): "buyer",
    ("open", "quoted"): "system",
    ("open", "cancelled"): "buyer",
    ("quoted", "open"): "system",  # every quote expired
    ("quoted", "accepted"): "buyer",
    ("quoted", "cancelled"): "buyer",
    ("accepted", "in_production"): "factory",
    ("accepted", "cancelled"): "buyer",
    ("in_production", "shipped"): "factory",
    ("shipped", "delivered"): "buyer",
    ("shipped", "disputed"): "buyer",
    ("delivered", "closed"): "system",
    ("delivered", "disputed"): "buyer",
    ("disputed", "closed"): "operator",
    ("disputed", "delivered"): "operator",
}


# Moves only one service makes, never a plain "move the order" request: entering
# 'accepted' books capacity and opens the payment, so it happens by accepting a quote.
ONLY_VIA: dict[tuple[str, str], str] = {
    ("quoted", "accepted"): "accept one of its quotes (POST /api/v1/quotes/{id}/accept)",
}


def allowed_targets(current: str, party: str) -> list[str]:
    """The moves `party` may request directly (moves in ONLY_VIA are left out)."""
    return [to for (frm, to), who in TRANSITIONS.items()
            if frm == current and _may(party, who) and (frm, to) not in ONLY_VIA]


def _may(party: str, who: str) -> bool:
    return party == who or party in ("operator", "system")


def check_transition(current: str, target: str, party: str, *, via_service: bool = False) -> None:
    """Raise IllegalTransition unless `party` may move an order from `current` to `target`.
    A move in ONLY_VIA is allowed only with `via_service` (the service that owns it)."""
    if (current, target) in ONLY_VIA and not via_service:
        raise IllegalTransition(current, target, f"an order becomes {target} when you {ONLY_VIA[(current, target)]}",
                                by_accepting_a_quote=(current, target) == ("quoted", "accepted"))
    if target not in STATES:
        raise IllegalTransition(current, target, f"unknown state; states are {', '.join(STATES)}")
    who = TRANSITIONS.get((current, target))
    if who is None:
        options = sorted({to for (frm, to) in TRANSITIONS if frm == current})
        reason = f"allowed next states are {', '.join(options)}" if options else f"'{current}' is final"
        raise IllegalTransition(current, target, reason)
    if not _may(party, who):
        raise IllegalTransition(current, target, f"only the {who} may make this move")
