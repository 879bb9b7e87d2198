"""The events notifications listen to (registered in create_app): each handler runs after the
publisher committed (an outbox row makes it survive a crash), reads who must be told from the
database, and writes the notifications in one transaction keyed by that outbox row, so a second
run writes nothing (fanout.write). Which kind goes to whom is catalogue.KINDS."""
from __future__ import annotations

from sqlalchemy import func, select

from market import bus
from market.accounts.domain_events import SecurityActivity
from market.accounts.models import Organization, User
from market.audit.models import SecurityEvent
from market.catalog.models import Factory, Machine
from market.credit.domain_events import RatingPosted
from market.db import unit_of_work
from market.matching.domain_events import NoQuotePossible, QuotesReady, ReplanFailed, Replanned
from market.notifications import handlers_credit, handlers_insurance, handlers_leasing, handlers_payments
from market.notifications import recipients as who
from market.notifications.domain_events import WebhookEndpointDisabled
from market.notifications.fanout import Tell
from market.notifications.telling import in_batch, order_link as _order_link, save as _save, tell as _tell, when as _when
from market.orders.domain_events import MessagePosted, OrderMoving, QuoteRequested
from market.orders.models import Message, Order
from market.production import codes
from market.production.domain_events import LotStarted, OperationFinished, QcFailed
from market.production.models import Lot
from market.telemetry.domain_events import MachineWentDown

EXCERPT = 140


# --- orders --------------------------------------------------------------------------------

def on_quote_requested(event: QuoteRequested) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "buyer": order.buyer.name, "quantity": order.quantity,
                  "due": order.due_at.date().isoformat()}
        _save(s, _tell(who.members(s, [event.factory_org_id]), "quote.invited", params), _order_link(order))


def on_order_moving(event: OrderMoving) -> None:
    """Every order move; the catalogue says which moves tell whom. Texts carry the order's
    title and state only: a factory never learns the price, the budget or the other factories."""
    actor_user = (event.actor or {}).get("user_id")
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        base = {"order": order.title}
        to, tells = event.to_state, []

        def users(org_ids):
            return who.members(s, org_ids, exclude_user_id=actor_user)

        if to == "accepted":
            starts = who.booked_starts(s, order.id, event.quote_id)
            for org_id, start in starts.items():
                tells += _tell(users([org_id]), "order.booked", {**base, "start": _when(start)})
            losers = [o for o in who.invited_orgs(s, order.id) if o not in starts]
            tells += _tell(users(losers), "order.awarded_elsewhere", base)
        elif to == "cancelled":
            orgs = {*who.booked_orgs(s, order.id), *who.invited_orgs(s, order.id)}
            tells += _tell(users(orgs), "order.cancelled", base)
        elif to == "in_production":
            tells += _tell(users([order.buyer_org_id]), "order.in_production", base)
        elif to == "shipped":
            tells += _tell(users([order.buyer_org_id]), "order.shipped", base)
        elif to == "disputed":
            tells += _tell(users([*who.operator_orgs(s), *who.booked_orgs(s, order.id)]), "dispute.opened", base)
        elif event.from_state == "disputed" and to in ("closed", "delivered"):
            tells += _tell(users([order.buyer_org_id, *who.booked_orgs(s, order.id)]), "dispute.resolved",
                           {**base, "state": to})
        elif to == "delivered":
            tells += _tell(users(who.booked_orgs(s, order.id)), "order.delivered", base)
        if tells:
            _save(s, tells, _order_link(order))


def on_message_posted(event: MessagePosted) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        message = s.get(Message, event.message_id)
        text = " ".join(message.body.split())
        excerpt = text if len(text) <= EXCERPT else text[:EXCERPT - 1] + "…"
        params = {"order": order.title, "author": s.get(Organization, event.author_org_id).name, "excerpt": excerpt}
        orgs = who.thread_orgs(s, order) - {event.author_org_id}
        _save(s, _tell(who.members(s, orgs), "message.posted", params), _order_link(order))


# --- matching ------------------------------------------------------------------------------

def on_quotes_ready(event: QuotesReady) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "count": event.alternatives}
        _save(s, _tell(who.members(s, [order.buyer_org_id]), "quotes.ready", params), _order_link(order))


def on_no_quote(event: NoQuotePossible) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "reason": event.reason}
        if event.bottleneck:  # the buyer's own order: its operation and process
            params["bottleneck"] = {"seq": event.bottleneck["seq"], "process": event.bottleneck["process"]}
        _save(s, _tell(who.members(s, [order.buyer_org_id]), "quotes.none", params), _order_link(order))


def on_replanned(event: Replanned) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "ends": _when(event.ends_at)}
        orgs = [order.buyer_org_id, event.factory_org_id]
        _save(s, _tell(who.members(s, orgs), "replan.done", params), _order_link(order))


def on_replan_failed(event: ReplanFailed) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        params = {"order": order.title, "operations": ", ".join(event.operations)}
        orgs = [order.buyer_org_id, event.factory_org_id]
        _save(s, _tell(who.members(s, orgs), "replan.failed", params), _order_link(order))


# --- production ----------------------------------------------------------------------------

def on_qc_failed(event: QcFailed) -> None:
    """The buyer and the factories making the order (they read its lots) learn a lot failed."""
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        lot = s.get(Lot, event.lot_id)
        step = f"#{event.operation_seq}" if event.operation_seq is not None else "final"
        params = {"order": order.title, "lot": codes.display(lot.trace_code), "step": step}
        orgs = [order.buyer_org_id, *who.booked_orgs(s, order.id)]
        users = who.members(s, orgs, exclude_user_id=event.actor_user_id)
        _save(s, _tell(users, "qc.failed", params), _order_link(order))


def on_lot_started(event: LotStarted) -> None:
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        lot = s.get(Lot, event.lot_id)
        params = {"order": order.title, "lot": codes.display(lot.trace_code), "seq": event.seq}
        users = who.members(s, [order.buyer_org_id], exclude_user_id=event.actor_user_id)
        _save(s, _tell(users, "lot.started", params), _order_link(order))


def on_operation_finished(event: OperationFinished) -> None:
    """The buyer follows the lot; the factories of the next operation learn the pieces are
    coming (the factory that finished it knows)."""
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        lot = s.get(Lot, event.lot_id)
        params = {"order": order.title, "lot": codes.display(lot.trace_code), "seq": event.seq, "good": event.good,
                  "rejected": event.rejected}
        done_by = s.get(Factory, event.factory_id).organization_id
        nxt = {f.organization_id for f in (s.get(Factory, i) for i in event.next_factory_ids)} - {done_by}
        users = who.members(s, [order.buyer_org_id, *sorted(nxt)], exclude_user_id=event.actor_user_id)
        _save(s, _tell(users, "operation.finished", params), _order_link(order))


# --- credit: ratings ----------------------------------------------------------------------

def on_rating_posted(event: RatingPosted) -> None:
    """Each rated factory hears of it; the text names neither the buyer nor the other factories."""
    with unit_of_work() as s:
        order = s.get(Order, event.order_id)
        orgs = who.factory_orgs(s, event.factory_ids)
        tells = _tell(who.members(s, orgs, exclude_user_id=event.actor_user_id), "rating.received",
                      {"order": order.title, "stars": event.stars})
        _save(s, tells, _order_link(order))


# --- telemetry -----------------------------------------------------------------------------

def on_machine_down(event: MachineWentDown) -> None:
    with unit_of_work() as s:
        machine = s.get(Machine, event.machine_id)
        tells = _tell(who.members(s, [event.organization_id]), "machine.down", {"machine": machine.name})
        _save(s, tells, ("machine", str(machine.public_id)))


# --- accounts ------------------------------------------------------------------------------

def on_security_activity(event: SecurityActivity) -> None:
    """Password changed, sign-in locked (the user); token made, member added (the owners,
    save the one who did it)."""
    if event.action not in ("password.reset", "account.locked", "token.created", "member.added", "login.succeeded"):
        return
    with unit_of_work() as s:
        user = s.get(User, event.user_id) if event.user_id else None
        if event.action == "login.succeeded":
            if user and _new_address(s, user.id, event.detail.get("address")):
                _save(s, [Tell(user, "security.new_address", {"address": event.detail["address"]})], ("account", ""))
            return
        if event.action == "password.reset" and user:
            _save(s, [Tell(user, "security.password_changed", {})], ("account", ""))
        elif event.action == "account.locked" and user:
            _save(s, [Tell(user, "security.locked", {"minutes": event.detail.get("minutes", "")})], ("account", ""))
        elif event.action == "token.created" and event.organization_id:
            params = {k: event.detail.get(k, "") for k in ("name", "scope", "prefix")}
            users = who.owners(s, event.organization_id, exclude_user_id=event.actor_user_id)
            _save(s, _tell(users, "security.token_created", params), ("tokens", ""))
        elif event.action == "member.added" and user:
            users = who.owners(s, user.organization_id, exclude_user_id=event.actor_user_id)
            _save(s, _tell(users, "security.member_added", {"member": user.name}), ("team", ""))


def _new_address(s, user_id: int, address: str | None) -> bool:
    """This sign-in (already in the security log, market/audit) is the first from `address`,
    and not the user's first sign-in at all (a new account has no known address to compare)."""
    if not address:
        return False
    signed_in = (select(func.count()).select_from(SecurityEvent)
                 .where(SecurityEvent.user_id == user_id, SecurityEvent.action == "login.succeeded"))
    from_here = signed_in.where(SecurityEvent.ip == address[:45])
    return (s.scalar(from_here) or 0) <= 1 and (s.scalar(signed_in) or 0) > 1


# --- notifications -------------------------------------------------------------------------

def on_endpoint_disabled(event: WebhookEndpointDisabled) -> None:
    """The owners of the endpoint's organization learn it no longer receives anything."""
    with unit_of_work() as s:
        params = {"url": event.url, "reason": event.reason}
        _save(s, _tell(who.owners(s, event.organization_id), "webhook.disabled", params), ("webhook", event.endpoint_id))


HANDLED = (
    (QuoteRequested, on_quote_requested), (OrderMoving, on_order_moving), (MessagePosted, on_message_posted),
    (QuotesReady, on_quotes_ready), (NoQuotePossible, on_no_quote), (Replanned, on_replanned),
    (ReplanFailed, on_replan_failed), (QcFailed, on_qc_failed), (RatingPosted, on_rating_posted), (MachineWentDown, on_machine_down),
    (SecurityActivity, on_security_activity),
    (LotStarted, on_lot_started), (OperationFinished, on_operation_finished),
    (WebhookEndpointDisabled, on_endpoint_disabled),
    *handlers_payments.HANDLED, *handlers_credit.HANDLED, *handlers_insurance.HANDLED, *handlers_leasing.HANDLED,
)


def register(b: bus.MessageBus) -> None:
    from market.notifications import bid_handlers

    for event_type, handler in HANDLED + bid_handlers.HANDLED:
        # batch handlers: a batch of events of one type writes its notifications together
        b.after_commit(event_type, in_batch(handler), batch=True)
