"""Quality documents on lots: certificates of conformance, first-article inspection reports,
material (mill) certificates, inspection reports. A file is checked and stored like an order's
drawings (market/orders/attachments.py), its SHA-256 goes onto the ledger, and an order's
buyer may require kinds of documents that each lot must carry before it ships."""
from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.disclosure import new_salt

from market import errors, policy
from market.auth import Actor
from market.catalog.models import Factory
from market.db import unit_of_work, utcnow, write_lock
from market.journal.ledger import Batch
from market.orders import attachments as files
from market.orders.models import Order
from market.orders.services import find_order
from market.production import material_events
from market.production.genealogy import tree_documents
from market.production.holdings import consuming_factory, find_material_lot
from market.production.material_models import DOCUMENT_KINDS, LotDocument, MaterialLot
from market.production.models import Lot
from market.production.services import _lot, _plan

# orders past these states have shipped: what they require can no longer change
REQUIREMENTS_FROZEN = ("shipped", "delivered", "cancelled", "closed")


def add_document(s: Session, entries: Batch, stored: files.StoredFile, *, kind: str, public: bool,
                 factory: Factory, lot: Lot | None = None, material_lot: MaterialLot | None = None) -> LotDocument:
    """The document row and its ledger entry (appended with `entries`)."""
    if kind not in DOCUMENT_KINDS:
        raise errors.refusal(errors.Invalid, _l("a document is one of %(kinds)s", kinds=", ".join(DOCUMENT_KINDS)),
                             field="kind")
    doc = LotDocument(lot_id=lot.id if lot else None, material_lot_id=material_lot.id if material_lot else None,
                      kind=kind, public=public, factory_id=factory.id, uploaded_at=utcnow(), salt=new_salt(),
                      **stored.__dict__)
    s.add(doc)
    s.flush()
    s.refresh(doc)
    subject = ({"lot": str(lot.public_id), "traceCode": lot.trace_code} if lot
               else {"materialLot": str(material_lot.public_id)})
    entries.add(material_events.document_attached(doc, subject), doc)
    return doc


def attach_to_lot(actor: Actor, lot_id: uuid.UUID, kind: str, public: bool, upload) -> LotDocument:
    """A factory making the lot's order attaches a document to the lot."""
    with unit_of_work() as s:
        write_lock(s)
        lot, order = _lot(s, actor, lot_id, lock=True)
        factory = s.get(Factory, consuming_factory(actor, _plan(s, order)))
        with files.stored(upload) as kept:
            entries = Batch()
            doc = add_document(s, entries, kept, kind=kind, public=public, factory=factory, lot=lot)
            entries.record(s)
            s.commit()
        return doc


def attach_to_material_lot(actor: Actor, material_lot_id: uuid.UUID, kind: str, public: bool,
                           upload) -> LotDocument:
    """The holder of a material lot attaches a document (its mill certificate) to it."""
    with unit_of_work() as s:
        write_lock(s)
        m = find_material_lot(s, actor, material_lot_id, lock=True)
        with files.stored(upload) as kept:
            entries = Batch()
            doc = add_document(s, entries, kept, kind=kind, public=public, factory=m.factory, material_lot=m)
            entries.record(s)
            s.commit()
        return doc


def lot_documents(actor: Actor, lot_id: uuid.UUID) -> list[LotDocument]:
    with unit_of_work() as s:
        lot, _ = _lot(s, actor, lot_id)
        return list(s.scalars(select(LotDocument).where(LotDocument.lot_id == lot.id).order_by(LotDocument.id)))


def document_file(actor: Actor, document_id: uuid.UUID) -> LotDocument:
    """A document's file for the parties who may read its lot (or hold its material lot)."""
    with unit_of_work() as s:
        doc = s.scalar(select(LotDocument).where(LotDocument.public_id == document_id))
        if doc is None:
            raise errors.NotFound(f"document {document_id} not found")
        if doc.lot_id is not None:
            _lot(s, actor, s.get(Lot, doc.lot_id).public_id)
        else:
            find_material_lot(s, actor, s.get(MaterialLot, doc.material_lot_id).public_id)
        return doc


def public_document(code: str, document_id: uuid.UUID) -> LotDocument:
    """A public document of a lot in the genealogy behind trace code `code` (no login)."""
    with unit_of_work() as s:
        doc = s.scalar(select(LotDocument).where(LotDocument.public_id == document_id, LotDocument.public.is_(True)))
        if doc is None or doc.id not in tree_documents(s, code):
            raise errors.NotFound(f"document {document_id} not found")
        return doc


def send(doc: LotDocument):
    return files.send(doc)


# ---- what an order requires -----------------------------------------------------------

def set_required_documents(actor: Actor, order_id: uuid.UUID, kinds: list[str]) -> Order:
    """The buyer names the documents every lot of the order must carry before it ships."""
    unknown = [k for k in kinds if k not in DOCUMENT_KINDS]
    if unknown:
        raise errors.refusal(errors.Invalid, _l("unknown document kinds: %(unknown)s; known: %(kinds)s",
                                                 unknown=", ".join(unknown), kinds=", ".join(DOCUMENT_KINDS)),
                             field="documents")
    with unit_of_work() as s:
        order = find_order(s, actor, order_id, lock=True)
        policy.require_order_buyer(actor, order)
        if order.state in REQUIREMENTS_FROZEN:
            raise errors.refusal(errors.Conflict, _l("the order's lots have shipped: its required documents are fixed"),
                                 field="documents", detail=f"the order is {order.state}: its lots have shipped")
        order.required_documents = [k for k in DOCUMENT_KINDS if k in kinds]  # one order, no repeats
        s.commit()
        s.refresh(order)
        return order


def may_set_requirements(actor: Actor, order: Order) -> bool:
    """Whether the order page offers `actor` the required-documents form."""
    return (actor.is_operator or policy.is_order_buyer(actor, order)) and order.state not in REQUIREMENTS_FROZEN


def missing_for(actor: Actor, lot_id: uuid.UUID) -> list[str]:
    """The documents the lot's order requires that the lot still lacks (the lot page)."""
    from market.production.requirements import missing_documents

    with unit_of_work() as s:
        lot, order = _lot(s, actor, lot_id)
        return missing_documents(s, order, lot)
