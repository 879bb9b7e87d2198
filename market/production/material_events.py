"""Ledger events of materials, genealogy and quality documents (EPCIS 2.0 / CBV shapes).
What a trace page may show is in clear (material, grade, which lots went into which, document
kinds and file hashes); what a factory keeps to itself (heat number, supplier, quantities, a
private document's name) is a salted commitment (ledger.disclosure), its salt on our row."""
from __future__ import annotations

from ledger import disclosure
from ledger.events import Event

from market.production.quantities import display


def material_payload(m) -> dict:
    return {"heatNumber": m.heat_number, "supplier": m.supplier, "quantity": display(m.quantity_milli),
            "uom": m.unit}


def material_received(m, order_public_id: str | None) -> Event:
    why = {"bizStep": "receiving", "disposition": "available"}
    if order_public_id:  # buyer-supplied material arrives for one order
        why["bizTransactionList"] = [{"type": "po", "bizTransaction": order_public_id}]
    return Event(type="material.received", org=str(m.factory.organization.public_id), when=m.received_at,
                 what={"materialLot": str(m.public_id), "material": m.material, "grade": m.grade,
                       "source": m.source},
                 where={"bizLocation": str(m.factory.public_id)}, why=why,
                 data={"commitment": disclosure.commit(material_payload(m), m.salt)})


def input_payload(i, unit: str | None) -> dict:
    if i.material_lot_id is not None:
        return {"quantity": display(i.quantity_milli), "uom": unit}
    return {"pieces": i.pieces}


def lot_consumed(order, lot, factory, i, input_ref: dict, unit: str | None) -> Event:
    """TransformationEvent: `input_ref` ({"materialLot": id} or {"lot": id, "traceCode": …})
    went into `lot`; how much is committed."""
    return Event(type="lot.consumed", org=str(factory.organization.public_id), when=i.recorded_at,
                 what={"inputs": [input_ref], "output": {"lot": str(lot.public_id), "traceCode": lot.trace_code},
                       "order": str(order.public_id)},
                 where={"bizLocation": str(factory.public_id)},
                 why={"bizStep": "commissioning", "disposition": "in_progress", "bizTransactionList": [
                     {"type": "po", "bizTransaction": str(order.public_id)},
                     {"type": "prodorder", "bizTransaction": str(lot.public_id)}]},
                 data={"commitment": disclosure.commit(input_payload(i, unit), i.salt)})


def document_payload(d) -> dict:
    return {"filename": d.filename, "sizeBytes": d.size_bytes}


def document_attached(d, subject: dict) -> Event:
    """`subject`: {"lot": id, "traceCode": …} or {"materialLot": id}. The file's SHA-256 is
    always public (anyone holding the file can check it); a public document's name too."""
    data = {"kind": d.kind, "sha256": d.sha256, "public": d.public}
    if d.public:
        data.update(document_payload(d))
    else:
        data["commitment"] = disclosure.commit(document_payload(d), d.salt)
    return Event(type="document.attached", org=str(d.factory.organization.public_id), when=d.uploaded_at,
                 what={**subject, "document": str(d.public_id)}, where={"bizLocation": str(d.factory.public_id)},
                 why={"bizTransactionList": [{"type": "cert", "bizTransaction": str(d.public_id)}]}, data=data)
