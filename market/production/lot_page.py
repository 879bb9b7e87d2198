"""The lot's page, drawn for its own view and for every form on it that comes back refused
(production's operations, QC and shipment; materials' consumption): one home, no import circle
between the two view modules."""
from flask import render_template

from market.production import documents, labels, materials, sampling, services
from market.production.material_models import DOCUMENT_KINDS


def lot_page(actor, lot_id, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The lot's page; a refused form (refused = "qc", "ship", "consume", "consume-lot",
    "document", "start-<seq>", "finish-<seq>") comes back with what was typed."""
    view = services.lot_view(actor, lot_id)
    return render_template("production/lot.html", v=view, lot=view.lot, order=view.order,
                           trace_url=labels.trace_url(view.lot.trace_code),
                           refused=refused, values=values or {}, errors=errors or {},
                           **lot_panel(actor, view))


def lot_panel(actor, view) -> dict:
    """The lot page's materials, documents and sampling part (production.views.lot)."""
    mine = bool(view.my_seqs)
    held = [m for m in materials.material_lots(actor) if m.remaining_milli > 0
            and (m.order_id is None or m.order_id == view.order.id)] if mine else []
    return {"inputs": materials.inputs_of(actor, view.lot.public_id),
            "documents": documents.lot_documents(actor, view.lot.public_id),
            "held_materials": held, "document_kinds": DOCUMENT_KINDS, "aqls": sampling.AQLS,
            "sampling_plans": [sampling.plan(view.lot.quantity, a) for a in sampling.AQLS] if view.lot.quantity >= 2 else [],
            "missing_documents": documents.missing_for(actor, view.lot.public_id)}
