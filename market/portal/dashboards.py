"""What each kind of organization sees first. Read-only queries, scoped by the row scopes of
the domains that own the rows (catalog.access, orders.access)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from market.accounts.models import Organization
from market.auth import Actor
from market.catalog.access import own_factories, own_machines, own_windows
from market.catalog.models import CapacityWindow, Factory, Machine
from market.db import unit_of_work, utcnow
from market.orders.access import visible_orders
from market.orders.models import Order
from market.orders.services import order_board


def public_stats() -> dict:
    with unit_of_work() as s:
        return {
            "factories": s.scalar(select(func.count(Factory.id))),
            "machines": s.scalar(select(func.count(Machine.id)).where(Machine.status == "active")),
            "open_windows": s.scalar(select(func.count(CapacityWindow.id)).where(
                CapacityWindow.status == "open", CapacityWindow.end_at > utcnow())),
            "open_orders": s.scalar(select(func.count(Order.id)).where(Order.state.in_(("open", "quoted")))),
        }


def _orders_by_state(s, actor: Actor) -> dict[str, int]:
    rows = s.execute(select(Order.state, func.count()).where(visible_orders(actor)).group_by(Order.state))
    return dict(rows.all())


def for_actor(actor: Actor, now: datetime | None = None) -> dict:
    """The dashboard of `actor`'s kind of organization: the figures that answer its first
    questions (portal/*_figures.py) and the lists below them."""
    now = now or utcnow()
    with unit_of_work() as s:
        d: dict = {"orders_by_state": _orders_by_state(s, actor)}
        if actor.org_kind in ("factory", "operator"):
            d["factories"] = list(s.scalars(select(Factory).where(own_factories(actor)).order_by(Factory.id)))
            d["machines"] = s.scalar(select(func.count(Machine.id)).where(own_machines(actor)))
            d["upcoming"] = list(s.scalars(
                select(CapacityWindow).where(own_windows(actor), CapacityWindow.status == "open",
                                             CapacityWindow.end_at > utcnow())
                .order_by(CapacityWindow.start_at).limit(10)))
            d["open_windows"] = s.scalar(select(func.count(CapacityWindow.id)).where(
                own_windows(actor), CapacityWindow.status == "open", CapacityWindow.end_at > utcnow()))
        if actor.org_kind in ("buyer", "operator"):
            d["recent_orders"] = list(s.scalars(select(Order).where(visible_orders(actor))
                                                .order_by(Order.created_at.desc()).limit(10)))
        if actor.is_operator:
            d["organizations"] = list(s.scalars(select(Organization).order_by(Organization.kind, Organization.name)))
    if actor.org_kind == "factory":
        from market.matching.stranded import stranded_work
        from market.portal.factory_figures import factory_figures

        d["figures"] = factory_figures(actor, now)
        d["board"] = order_board(actor, per_page=5)
        d["stranded"] = stranded_work(actor)
    if actor.org_kind in ("factory", "buyer"):
        from market.production.services import open_lots

        d["lots"] = open_lots(actor)
    if actor.org_kind == "buyer":
        from market.portal.buyer_figures import buyer_figures

        d["figures"] = buyer_figures(actor, now)
    if actor.org_kind == "lender":  # the same query as the lender's /credit page
        from market.credit.services import portfolio
        from market.portal.lender_figures import lender_figures

        d["portfolio"] = portfolio(actor)
        d["figures"] = lender_figures(actor, now)
    if actor.org_kind == "insurer":
        from market.insurance.services import insurable_machines, policies_of

        d["machines"], d["policies"] = insurable_machines(actor), policies_of(actor)
    if actor.is_operator:
        from market.matching.services import recent_batches
        from market.portal.operator_figures import operator_figures

        d["figures"] = operator_figures(now)
        d["batches"] = recent_batches(actor)
    return d
