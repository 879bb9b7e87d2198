"""Which factory of the actor's acts on a lot, and which material lots the actor holds: the
lookups materials and documents share."""
from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import errors
from market.auth import Actor
from market.catalog.access import own_factories
from market.catalog.models import Factory
from market.production.material_models import MaterialLot
from market.production.services import Plan


def find_material_lot(s: Session, actor: Actor, public_id: uuid.UUID, *, lock: bool = False) -> MaterialLot:
    """A material lot the actor's organization holds (404 for anyone else's)."""
    stmt = select(MaterialLot).join(Factory, Factory.id == MaterialLot.factory_id).where(
        MaterialLot.public_id == public_id, own_factories(actor))
    m = s.scalar(stmt.with_for_update(of=MaterialLot) if lock else stmt)
    if m is None:
        raise errors.NotFound(f"material lot {public_id} not found")
    return m


def consuming_factory(actor: Actor, plan: Plan) -> int:
    """The actor's factory among those the accepted quote placed any operation with."""
    for seq in sorted(plan.lines):
        if actor.is_operator or any(plan.owners[f] == actor.org_id for f in plan.factories(seq)):
            return plan.factory_for(actor, seq)
    raise errors.refusal(errors.Forbidden, _l("only a factory making this order may record what its lots consume"))
