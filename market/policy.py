"""Authorization rules that need nothing but the actor and plain attributes: which kind of
organization or role may do what, and the party an organization plays on an order.

Writes check the organization kind here, never in views. Reads are scoped by query filters
(another tenant's id is simply not found: 404, not 403); those filters name a domain's rows,
so they live with the domain that owns the rows (the kernel knows no domain):
- market/catalog/access.py: own_factories, own_machines, own_windows;
- market/orders/access.py: visible_orders, lot_orders, producing_orders;
- market/credit/access.py: live_consent, credit_readable_factories.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, or_, select, true

from market import errors
from market.auth import Actor


def require_kind(actor: Actor, *kinds: str) -> None:
    if actor.org_kind not in kinds and not actor.is_operator:
        raise errors.refusal(errors.Forbidden, _l("your organization may not do this"),
                             detail=f"only {' or '.join(kinds)} organizations may do this")


def require_owner(actor: Actor, what: str) -> None:
    """Owner-only actions, on every path: a portal session carries the user's role, an API
    token its creator's current role, and anything else (no role) is refused."""
    if actor.role != "owner":
        raise errors.refusal(errors.Forbidden, _l("only an owner of the organization may do this"),
                             detail=f"only an owner may {what}")


def may_revoke_token(actor: Actor, token) -> bool:
    """A member revokes the tokens they created; an owner revokes any of the organization's."""
    return actor.role == "owner" or (token.created_by_id is not None and token.created_by_id == actor.user_id)


def own_rows(actor: Actor, org_column) -> ColumnElement[bool]:
    """Rows whose `org_column` is the actor's organization (operators: every row)."""
    return true() if actor.is_operator else org_column == actor.org_id


def party_rows(actor: Actor, *org_columns) -> ColumnElement[bool]:
    """Rows of a contract between organizations (a lease, a policy) that the actor is a party
    to, by any of `org_columns`; operators see every row."""
    return true() if actor.is_operator else or_(*(column == actor.org_id for column in org_columns))


def one_row(s, model, public_id, *where, missing, lock: bool = False):
    """The row of `model` with this public id that `where` lets the caller see, else the
    `missing` refusal (404): what is hidden and what does not exist answer alike."""
    q = select(model).where(model.public_id == public_id, *where)
    if lock:
        q = q.with_for_update(of=model)
    row = s.scalar(q)
    if row is None:
        raise errors.refusal(errors.NotFound, missing)
    return row


def sees_budget(actor: Actor, order=None) -> bool:
    """The budget ceiling is the buyer's own limit: its buyer and the operator see it, no
    factory does (prices are set by the factories' windows, never by what a buyer could pay).
    Without `order`: whether `actor` sees budget ceilings at all (a list's column).
    `order`: anything with `buyer_org_id` (an Order)."""
    if actor.is_operator:
        return True
    return actor.org_kind == "buyer" if order is None else order.buyer_org_id == actor.org_id


def require_line_factory(actor: Actor, factory_ids: set[int], owners: dict[int, int], what: str) -> None:
    """Production steps are done by the factory the accepted quote placed them with.
    `factory_ids`: factories of the step's quote lines; `owners`: factory id -> org id."""
    if actor.is_operator or any(owners[f] == actor.org_id for f in factory_ids):
        return
    raise errors.refusal(errors.Forbidden, _l("only the factory the accepted quote placed this step with may record it"),
                         detail=f"only the factory the accepted quote placed {what} with may record it")


def is_order_buyer(actor: Actor, order) -> bool:
    """`order`: anything with `buyer_org_id` (an Order)."""
    return order.buyer_org_id == actor.org_id


def party_of(actor: Actor, order) -> str:
    """The role an organization plays on an order, for the state machine."""
    if actor.is_operator:
        return "operator"
    if order.buyer_org_id == actor.org_id:
        return "buyer"
    return "factory"


def require_order_buyer(actor: Actor, order) -> None:
    if not (actor.is_operator or is_order_buyer(actor, order)):
        raise errors.refusal(errors.Forbidden, _l("only the buyer of this order may do this"))
