"""Portal pages of production: a lot's shop-floor page, its printable label."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.errors import DomainError
from market.orders.services import get_order
from market.production import labels, services
from market.production.lot_page import lot_page
from market.production.schemas import FinishIn, LotIn, QcIn, ShipmentIn
from market.web import forms

bp = Blueprint("production", __name__)


@bp.get("/lots/<uuid:lot_id>")
@login_required
def lot(lot_id):
    return lot_page(portal_actor(), lot_id)


@bp.get("/lots/<uuid:lot_id>/label")
@login_required
def label(lot_id):
    lot, order = services.get_lot(portal_actor(), lot_id)
    return render_template("production/label.html", lot=lot, order=order,
                           qr=labels.qr_svg(lot.trace_code, 6, inline=True), trace_url=labels.trace_url(lot.trace_code))


@bp.post("/orders/<uuid:order_id>/lots")
@login_required
def commission(order_id):
    from market.orders.views import order_page

    actor = portal_actor()
    get_order(actor, order_id)  # someone else's order is a 404, whatever the form says
    values = forms.clean(request.form)
    try:
        data = forms.load(LotIn(), values)
        lot = services.commission_lot(actor, order_id, data.get("quantity"))
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return order_page(actor, order_id, "commission", values, errors), status
    flash(_("Lot started."), "success")
    return redirect(url_for("production.lot", lot_id=lot.public_id))


@bp.post("/lots/<uuid:lot_id>/operations/<int:seq>/<any(start, finish):step>")
@login_required
def operation(lot_id, seq, step):
    actor = portal_actor()
    services.get_lot(actor, lot_id)  # someone else's lot is a 404, whatever the form says
    values = forms.clean(request.form)
    try:
        if step == "start":
            services.start_operation(actor, lot_id, seq)
        else:
            data = forms.load(FinishIn(), values)
            services.finish_operation(actor, lot_id, seq, data["good"], data["rejected"])
    except (forms.FormError, DomainError) as exc:
        # shown in the operation's row: "start-2", or "finish-2" with the counts typed
        errors, status = forms.refused(exc)
        return lot_page(actor, lot_id, f"{step}-{seq}", values, errors), status
    flash(_("Operation recorded."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id))


MEASUREMENT_KEYS = ("name", "value", "unit", "lower", "upper")  # one table row per measurement


@bp.post("/lots/<uuid:lot_id>/qc")
@login_required
def qc(lot_id):
    actor = portal_actor()
    services.get_lot(actor, lot_id)  # someone else's lot is a 404, whatever the form says
    values = forms.clean(request.form, skip=tuple(f"m_{k}" for k in MEASUREMENT_KEYS))
    # the table's rows as typed, blank ones too, so each comes back in its place
    values["m"] = [dict(zip(MEASUREMENT_KEYS, (v.strip() for v in row)))
                   for row in zip(*(request.form.getlist(f"m_{k}") for k in MEASUREMENT_KEYS))]
    raw = {k: v for k, v in values.items() if k not in ("m", "sampling_aql", "sampling_nonconforming")}
    if values.get("sampling_aql"):  # an AQL plan decides the result from the count found
        raw["sampling"] = {"aql": values["sampling_aql"], "nonconforming": values.get("sampling_nonconforming", "")}
        raw.pop("result", None)
    # the rows with anything typed; an error of measurement n names row n of these
    typed_rows = [i for i, row in enumerate(values["m"]) if any(row.values())]
    raw["measurements"] = [{k: v for k, v in values["m"][i].items() if v} for i in typed_rows]
    try:
        services.record_qc(actor, lot_id, forms.load(QcIn(), raw))
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        errors = {_table_row(k, typed_rows): v for k, v in errors.items()}
        return lot_page(actor, lot_id, "qc", values, errors), status
    flash(_("Inspection recorded."), "success")
    return redirect(url_for("production.lot", lot_id=lot_id) + "#qc")


def _table_row(key: str, typed_rows: list[int]) -> str:
    """"measurements.1.value" (the 2nd typed row) -> "m.<its row in the table>.value"."""
    parts = key.split(".")
    if parts[0] == "measurements" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(typed_rows):
        return ".".join(["m", str(typed_rows[int(parts[1])]), *parts[2:]])
    return key


@bp.post("/lots/<uuid:lot_id>/shipment")
@login_required
def ship(lot_id):
    actor = portal_actor()
    services.get_lot(actor, lot_id)  # someone else's lot is a 404, whatever the form says
    values = forms.clean(request.form)
    try:
        data = forms.load(ShipmentIn(), values)
        services.ship_lot(actor, lot_id, data["carrier"], data["tracking_ref"])
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return lot_page(actor, lot_id, "ship", values, errors), status
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
