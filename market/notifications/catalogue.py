"""What the platform tells whom: one row per notification kind. The handlers
(market/notifications/handlers.py) pick the row by its event, compute the recipients from the
database by the row's audience, and write what the row says. docs/notifications.md is rendered
from this table (`market notifications`; tests/market/test_notifications_catalogue.py
compares them).

Texts are lazy (rendered in the reader's language when shown or mailed) and take only the
params their recipients may know: never a price, a budget or another factory's name.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from market.i18n import label

# Who receives a kind by default; computed at fan-out (market/notifications/recipients.py).
AUDIENCES = {
    "buyer": "the members of the order's buyer organization",
    "booked": "the members of the factories the accepted quote places work with",
    "invited": "the members of the factories invited to quote on the order (an invitation: the one invited)",
    "not_booked": "the members of factories invited to quote on the order that the accepted quote does not use",
    "thread": "the members of every organization that reads the order's thread (buyer, invited, booked), "
              "except the author's",
    "factory": "the members of the factory concerned (its machine, its re-plan)",
    "rated": "the members of the factories a rating rates (those the order's accepted quote placed work with)",
    "operator": "the platform operator's members",
    "user": "the user concerned",
    "owners": "the organization's owners",
}

# Where a notification leads: link kind -> (endpoint, URL argument of the public id)
LINKS = {
    "order": ("orders.show", "order_id"),
    "machine": ("catalog.machine", "machine_id"),
    "tokens": ("accounts.tokens", None),
    "team": ("accounts.team", None),
    "account": ("notifications.preferences", None),
}


@dataclass(frozen=True)
class Kind:
    name: str
    event: str  # the domain event (and the move) that raises it
    audience: tuple[str, ...]  # keys of AUDIENCES
    action: bool  # action needed: e-mail on by default
    link: str  # key of LINKS
    title: object  # lazy string, %(name)s params
    body: object


KINDS: tuple[Kind, ...] = (
    # orders: invitations, the lifecycle, the thread
    Kind("quote.invited", "orders.QuoteRequested", ("invited",), True, "order",
         _l("You are invited to quote"),
         _l("%(buyer)s asks you to quote on “%(order)s” (%(quantity)s pcs, due %(due)s).")),
    Kind("order.booked", "orders.OrderMoving → accepted", ("booked",), True, "order",
         _l("Your factory was booked"),
         _l("“%(order)s” was accepted with work for your factory, starting %(start)s. Plan the work.")),
    Kind("order.awarded_elsewhere", "orders.OrderMoving → accepted", ("not_booked",), False, "order",
         _l("Order awarded"),
         _l("“%(order)s”, which you were invited to quote on, has been awarded. Thank you for quoting.")),
    Kind("order.cancelled", "orders.OrderMoving → cancelled", ("booked", "invited"), False, "order",
         _l("Order cancelled"),
         _l("“%(order)s” was cancelled by the buyer; capacity booked for it is free again.")),
    Kind("order.in_production", "orders.OrderMoving → in_production", ("buyer",), False, "order",
         _l("Production started"),
         _l("Production of “%(order)s” has started.")),
    Kind("order.shipped", "orders.OrderMoving → shipped", ("buyer",), True, "order",
         _l("Order shipped"),
         _l("“%(order)s” was shipped. Confirm the delivery when it arrives.")),
    Kind("order.delivered", "orders.OrderMoving → delivered", ("booked",), False, "order",
         _l("Order delivered"),
         _l("The buyer confirmed the delivery of “%(order)s”; the payout follows.")),
    Kind("dispute.opened", "orders.OrderMoving → disputed", ("operator", "booked"), True, "order",
         _l("Dispute opened"),
         _l("The buyer opened a dispute on “%(order)s”.")),
    Kind("dispute.resolved", "orders.OrderMoving disputed → closed/delivered", ("buyer", "booked"), False, "order",
         _l("Dispute resolved"),
         _l("The operator resolved the dispute on “%(order)s”: the order is now %(state)s.")),
    Kind("message.posted", "orders.MessagePosted", ("thread",), False, "order",
         _l("New message"),
         _l("%(author)s wrote on “%(order)s”: %(excerpt)s")),
    # matching: quotes and re-plans
    Kind("quotes.ready", "matching.QuotesReady", ("buyer",), True, "order",
         _l("Quotes are ready"),
         _l("%(count)s quote(s) for “%(order)s” are ready to compare and accept.")),
    Kind("quotes.none", "matching.NoQuotePossible", ("buyer",), True, "order",
         _l("No quote possible"),
         _l("No quote could be made for “%(order)s”: %(reason)s")),
    Kind("replan.done", "matching.Replanned", ("buyer", "factory"), False, "order",
         _l("Work re-planned"),
         _l("A machine stopped; the work on “%(order)s” was moved and now ends %(ends)s.")),
    Kind("replan.failed", "matching.ReplanFailed", ("buyer", "factory"), True, "order",
         _l("Re-plan failed"),
         _l("A machine stopped and operation(s) %(operations)s of “%(order)s” could not be moved; "
            "the work stays booked on it.")),
    # production
    Kind("qc.failed", "production.QcFailed", ("buyer", "booked"), True, "order",
         _l("QC failed"),
         _l("An inspection of lot %(lot)s of “%(order)s” failed (%(step)s).")),
    # credit: ratings
    Kind("rating.received", "credit.RatingPosted", ("rated",), False, "order",
         _l("New rating"),
         _l("The buyer of “%(order)s” rated your work %(stars)s of 5 stars. You may reply once, in public.")),
    # telemetry
    Kind("machine.down", "telemetry.MachineWentDown", ("factory",), True, "machine",
         _l("Machine down"),
         _l("%(machine)s has been down past the alert threshold with work booked on it; a re-plan was requested.")),
    # accounts: security
    Kind("security.password_changed", "accounts.SecurityActivity password.reset", ("user",), True, "account",
         _l("Your password was changed"),
         _l("Your password was reset. If this was not you, reset it again and tell your organization's owner.")),
    Kind("security.locked", "accounts.SecurityActivity account.locked", ("user",), True, "account",
         _l("Sign-in locked"),
         _l("Too many failed sign-ins: signing in is locked for %(minutes)s minutes.")),
    Kind("security.token_created", "accounts.SecurityActivity token.created", ("owners",), True, "tokens",
         _l("New API token"),
         _l("An API token “%(name)s” (%(scope)s, %(prefix)s…) was created for your organization.")),
    Kind("security.member_added", "accounts.SecurityActivity member.added", ("owners",), False, "team",
         _l("Member added"),
         _l("%(member)s was added to your organization.")),
)

BY_NAME = {k.name: k for k in KINDS}

# NoQuotePossible.reason (market/matching/domain_events.py) as the buyer reads it
REASONS = {
    "no_capacity": _l("no open capacity can make this order; try a later due date."),
    "value_not_declared": _l("capacity priced as a share of the job value was left out because the order "
                             "declares no part value; declare it or try a later due date."),
    "over_ceiling": _l("every way to make it costs more than the ceiling of one quote; split it into smaller orders."),
}


def render(kind_name: str, params: dict, language: str) -> tuple[str, str]:
    """(title, body) of a notification in `language` ('en', 'zh_CN')."""
    kind = BY_NAME[kind_name]
    with force_locale(language):
        values = dict(params)
        if "reason" in values:
            values["reason"] = str(REASONS.get(values["reason"], values["reason"]))
        if "state" in values:
            values["state"] = str(label(values["state"]))
        try:
            return str(kind.title) % values, str(kind.body) % values
        except (KeyError, TypeError, ValueError):  # a row written by an older catalogue: the title still says what
            return str(kind.title) % {}, ""


def wants_email_by_default(kind_name: str) -> bool:
    return BY_NAME[kind_name].action


def markdown_table() -> str:
    """docs/notifications.md's table, from KINDS (English)."""
    rows = ["| kind | event | who receives it | action needed (e-mail on) | leads to | title |",
            "|---|---|---|---|---|---|"]
    with force_locale("en"):
        for k in KINDS:
            who = "; ".join(AUDIENCES[a] for a in k.audience)
            rows.append(f"| `{k.name}` | {k.event} | {who} | {'yes' if k.action else 'no'} | {k.link} | {k.title} |")
    return "\n".join(rows) + "\n"
