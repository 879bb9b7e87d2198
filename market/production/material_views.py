"""Portal pages of materials and quality documents: the factory's material lots (record one,
with its mill certificate), consumption and documents on a lot's page, the buyer's required
documents on the order page."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.errors import DomainError
from market.orders.services import get_order, producing_order_choices
from market.production import documents, materials, services
from market.production.material_models import DOCUMENT_KINDS, MATERIAL_SOURCES, UNITS
from market.production.lot_page import lot_page
from market.production.material_schemas import DocumentFormIn, InputIn, MaterialLotIn
from market.web import forms

bp = Blueprint("materials", __name__)


@bp.get("/materials")
@login_required
def index():
    return _materials_page(portal_actor())


def _materials_page(actor, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The material lots page; a refused form (refused = "record") comes back with what was typed."""
    return render_template("production/materials.html", lots=materials.material_lots(actor),
                           supplied_for=producing_order_choices(actor),
                           sources=sorted(MATERIAL_SOURCES, reverse=True),  # factory-procured, the usual case, first
                           units=UNITS, kinds=DOCUMENT_KINDS, refused=refused, values=values or {}, errors=errors or {})


@bp.post("/materials")
@login_required
def record():
    actor = portal_actor()
    values = forms.clean(request.form)
    try:
        data = forms.load(MaterialLotIn(), {**values, "public_cert": "public_cert" in values})
        upload = request.files.get("certificate")
        m = materials.record_material_lot(actor, data, upload if upload and upload.filename else None)
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return _materials_page(actor, "record", values, errors), status
    flash(_("Material lot %(heat)s recorded.", heat=m.heat_number), "success")
    return redirect(url_for("materials.index"))


@bp.post("/materials/<uuid:material_lot_id>/documents")
@login_required
def attach_material(material_lot_id):
    actor = portal_actor()
    materials.get_material_lot(actor, material_lot_id)  # someone else's is a 404
    try:
        data = _document_form()
        documents.attach_to_material_lot(actor, material_lot_id, data["kind"], data["public"], request.files.get("file"))
    except (forms.FormError, DomainError) as exc:
        # the refusal in the material lot's row (a browser never refills a file input)
        errors, status = forms.refused(exc)
        return _materials_page(actor, f"attach-{material_lot_id}", forms.clean(request.form), errors), status
    flash(_("Document attached."), "success")
    return redirect(url_for("materials.index"))


def _document_form() -> dict:
    return forms.load(DocumentFormIn(), {"kind": request.form.get("kind", ""), "public": "public" in request.form})


@bp.post("/lots/<uuid:lot_id>/inputs")
@login_required
def consume(lot_id):
    actor = portal_actor()
    services.get_lot(actor, lot_id)  # someone else's lot is a 404, whatever the form says
    values = forms.clean(request.form)
    try:
        materials.consume(actor, lot_id, forms.load(InputIn(), values))
    except (forms.FormError, DomainError) as exc:
        # two forms post here: a material lot's quantity, or another lot's pieces
        errors, status = forms.refused(exc)
        return lot_page(actor, lot_id, "consume-lot" if "input_lot" in request.form else "consume", values, errors), status
    flash(_("Consumption recorded."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id) + "#materials")


@bp.post("/lots/<uuid:lot_id>/documents")
@login_required
def attach(lot_id):
    actor = portal_actor()
    services.get_lot(actor, lot_id)  # someone else's lot is a 404, whatever the form says
    try:
        data = _document_form()
        documents.attach_to_lot(actor, lot_id, data["kind"], data["public"], request.files.get("file"))
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)  # the kind and the public box kept; a file is chosen again
        return lot_page(actor, lot_id, "document", forms.clean(request.form), errors), status
    flash(_("Document attached."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id) + "#documents")


@bp.get("/documents/<uuid:document_id>")
@login_required
def download(document_id):
    return documents.send(documents.document_file(portal_actor(), document_id))


@bp.post("/orders/<uuid:order_id>/required-documents")
@login_required
def require(order_id):
    from market.orders.views import order_page

    actor = portal_actor()
    get_order(actor, order_id)  # someone else's order is a 404
    values = {"documents": request.form.getlist("documents")}  # the boxes ticked, to tick them again
    try:
        documents.set_required_documents(actor, order_id, values["documents"])
    except DomainError as exc:
        errors, status = forms.refused(exc)
        return order_page(actor, order_id, "require", values, errors), status
    flash(_("Required documents saved."), "success")
    return redirect(url_for("orders.show", order_id=order_id) + "#required-documents")


def order_panel(actor, order) -> dict:
    """The order page's required-documents part (market/orders/page.py)."""
    return {"document_kinds": DOCUMENT_KINDS,
            "may_require_documents": documents.may_set_requirements(actor, order)}
