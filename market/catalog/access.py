"""Row scopes of the catalog: which factories, machines and capacity windows an actor may see
as their own (operators: every row). Query filters, so another tenant's id is not found (404).
The rules that need nothing but the actor are the kernel's market/policy.py."""
from __future__ import annotations

from sqlalchemy import ColumnElement, true

from market.auth import Actor
from market.catalog.models import CapacityWindow, Factory, Machine


def own_factories(actor: Actor) -> ColumnElement[bool]:
    return true() if actor.is_operator else Factory.organization_id == actor.org_id


def own_machines(actor: Actor) -> ColumnElement[bool]:
    return true() if actor.is_operator else Machine.factory.has(Factory.organization_id == actor.org_id)


def own_windows(actor: Actor) -> ColumnElement[bool]:
    if actor.is_operator:
        return true()
    return CapacityWindow.factory_id.in_(
        Factory.__table__.select().with_only_columns(Factory.id).where(Factory.organization_id == actor.org_id)
    )
