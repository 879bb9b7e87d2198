"""Portal pages of production: a lot's shop-floor page, its printable label."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.orders.services import get_order
from market.production import labels, material_views, services
from market.production.schemas import FinishIn, LotIn, QcIn, ShipmentIn
from market.web import forms

bp = Blueprint("production", __name__)


@bp.get("/lots/<uuid:lot_id>")
@login_required
def lot(lot_id):
    view = services.lot_view(portal_actor(), lot_id)
    return render_template("production/lot.html", v=view, lot=view.lot, order=view.order,
                           trace_url=labels.trace_url(view.lot.trace_code),
                           **material_views.lot_panel(portal_actor(), view))


@bp.get("/lots/<uuid:lot_id>/label")
@login_required
def label(lot_id):
    lot, order = services.get_lot(portal_actor(), lot_id)
    return render_template("production/label.html", lot=lot, order=order,
                           qr=labels.qr_svg(lot.trace_code, 6, inline=True), trace_url=labels.trace_url(lot.trace_code))


@bp.post("/orders/<uuid:order_id>/lots")
@login_required
def commission(order_id):
    get_order(portal_actor(), order_id)  # someone else's order is a 404, whatever the form says
    with forms.flashing_errors():
        data = forms.load(LotIn(), forms.clean(request.form))
        lot = services.commission_lot(portal_actor(), order_id, data.get("quantity"))
        flash(_("Lot started."), "success")
        return redirect(url_for("production.lot", lot_id=lot.public_id))
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/lots/<uuid:lot_id>/operations/<int:seq>/<any(start, finish):step>")
@login_required
def operation(lot_id, seq, step):
    services.get_lot(portal_actor(), lot_id)  # someone else's lot is a 404, whatever the form says
    with forms.flashing_errors():
        if step == "start":
            services.start_operation(portal_actor(), lot_id, seq)
        else:
            data = forms.load(FinishIn(), forms.clean(request.form))
            services.finish_operation(portal_actor(), lot_id, seq, data["good"], data["rejected"])
        flash(_("Operation recorded."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id))


@bp.post("/lots/<uuid:lot_id>/qc")
@login_required
def qc(lot_id):
    services.get_lot(portal_actor(), lot_id)  # someone else's lot is a 404, whatever the form says
    with forms.flashing_errors():
        raw = forms.clean(request.form, skip=("csrf_token", "m_name", "m_value", "m_unit", "m_lower", "m_upper",
                                              "sampling_aql", "sampling_nonconforming"))
        if request.form.get("sampling_aql"):  # an AQL plan decides the result from the count found
            raw["sampling"] = {"aql": request.form["sampling_aql"],
                               "nonconforming": request.form.get("sampling_nonconforming", "")}
            raw.pop("result", None)
        keys = ("name", "value", "unit", "lower", "upper")  # one table row per measurement
        rows = zip(*(request.form.getlist(f"m_{k}") for k in keys))
        raw["measurements"] = [{k: v.strip() for k, v in zip(keys, row) if v.strip()}
                               for row in rows if any(v.strip() for v in row)]
        services.record_qc(portal_actor(), lot_id, forms.load(QcIn(), raw))
        flash(_("Inspection recorded."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id) + "#qc")


@bp.post("/lots/<uuid:lot_id>/shipment")
@login_required
def ship(lot_id):
    services.get_lot(portal_actor(), lot_id)  # someone else's lot is a 404, whatever the form says
    with forms.flashing_errors():
        data = forms.load(ShipmentIn(), forms.clean(request.form))
        services.ship_lot(portal_actor(), lot_id, data["carrier"], data["tracking_ref"])
        flash(_("Lot shipped."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id))


@bp.post("/lots/<uuid:lot_id>/delivery")
@login_required
def delivery(lot_id):
    services.get_lot(portal_actor(), lot_id)  # someone else's lot is a 404, whatever the form says
    with forms.flashing_errors():
        services.confirm_delivery(portal_actor(), lot_id)
        flash(_("Delivery confirmed."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id))


def order_panel(actor, order) -> dict:
    """Production's part of the order page (market/orders/page.py): its lots, and whether
    the viewer may start one."""
    return {"lots": services.shown_lots(actor, order.public_id),
            "may_commission": services.may_commission(actor, order)}
