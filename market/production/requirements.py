"""What an order's buyer requires on each lot before it ships (orders.required_documents),
checked by production.services.ship_lot."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from market import errors
from market.orders.models import Order
from market.production.material_models import LotDocument, LotInput
from market.production.models import Lot


def missing_documents(s: Session, order: Order, lot: Lot) -> list[str]:
    """The kinds the order requires that the lot lacks. A material certificate is present when
    the lot carries one, or when every material lot it consumed carries one."""
    required = list(order.required_documents or [])
    if not required:
        return []
    have = set(s.scalars(select(LotDocument.kind).where(LotDocument.lot_id == lot.id)))
    if "material_cert" in required and "material_cert" not in have:
        consumed = set(s.scalars(select(LotInput.material_lot_id).where(
            LotInput.lot_id == lot.id, LotInput.material_lot_id.is_not(None))))
        certified = set(s.scalars(select(LotDocument.material_lot_id).where(
            LotDocument.material_lot_id.in_(consumed), LotDocument.kind == "material_cert"))) if consumed else set()
        if consumed and consumed <= certified:
            have.add("material_cert")
    return [k for k in required if k not in have]


def require_for_shipment(s: Session, order: Order, lot: Lot) -> None:
    """Called by ship_lot: refuse (409, field `documents`) while a required document is missing."""
    missing = missing_documents(s, order, lot)
    if missing:
        exc = errors.refusal(errors.Conflict, _l("the order requires these documents on the lot before it ships: "
                                                 "%(missing)s", missing=", ".join(missing)), field="documents")
        exc.extra["missing_documents"] = missing
        raise exc
