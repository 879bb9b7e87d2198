"""Portal: request quotes, watch the solve, compare alternatives side by side, accept one."""
import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.matching import services, stranded
from market.orders import services as orders
from market.errors import Conflict, Forbidden, NotFound
from market.web import forms

bp = Blueprint("matching", __name__)


@bp.post("/orders/<uuid:order_id>/quotes")
@login_required
def request_quotes(order_id):
    with forms.flashing_errors():
        job = services.request_quotes(portal_actor(), order_id)
        return redirect(url_for("matching.quotes", order_id=order_id, job=job.public_id))
    return redirect(url_for("orders.show", order_id=order_id))


@bp.get("/orders/<uuid:order_id>/quotes")
@login_required
def quotes(order_id):
    actor = portal_actor()
    order = orders.get_order(actor, order_id)
    job = None
    if request.args.get("job"):
        try:
            job = services.get_job(actor, uuid.UUID(request.args["job"]))
        except ValueError:
            job = None
    all_quotes = services.list_quotes(actor, order_id)
    current = [q for q in all_quotes if q.status in ("open", "accepted")]
    return render_template("matching/quotes.html", order=order, job=job, quotes=current)


@bp.post("/quotes/<uuid:quote_id>/accept")
@login_required
def accept(quote_id):
    actor = portal_actor()
    q = services.get_quote(actor, quote_id)
    order_id = orders.get_order_by_id(actor, q.order_id).public_id
    try:
        services.accept_quote(actor, quote_id)
    except services.CapacityTaken as taken:
        if isinstance(taken, services.MachineDown):
            flash(_("A machine of this quote is no longer available (maintenance). Fresh quotes are being computed."),
                  "error")
        else:
            flash(_("Someone booked part of this capacity first. Fresh quotes are being computed."), "error")
        return redirect(url_for("matching.quotes", order_id=order_id, job=taken.extra.get("fresh_quote_job")))
    except (Conflict, Forbidden) as refused:  # expired, or the order moved on
        flash(refused.detail, "error")
        return redirect(url_for("matching.quotes", order_id=order_id))
    flash(_("Quote accepted: the capacity is booked for you."), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/requote")
@login_required
def requote(order_id):
    """After a failed re-plan: cancel, re-post and get fresh quotes over all factories."""
    with forms.flashing_errors():
        new_id, job = stranded.requote_elsewhere(portal_actor(), order_id)
        flash(_("The order was re-posted; fresh quotes from all factories are being computed."), "success")
        return redirect(url_for("matching.quotes", order_id=new_id, job=job.public_id))
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/operator/batch-match")
@login_required
def batch_match():
    job = services.request_batch_match(portal_actor())
    flash(_("Batch match started: every open order is being matched against all open capacity."), "success")
    return redirect(url_for("matching.batch", job_id=job.public_id))


@bp.get("/operator/batches/<uuid:job_id>")
@login_required
def batch(job_id):
    """A batch match's progress: the page polls while it runs and stops when it is done."""
    actor = portal_actor()
    if not actor.is_operator:  # batches are the operator's: to anyone else none exists (404, not 403)
        raise NotFound(f"batch {job_id} not found")
    job = services.get_job(actor, job_id)
    if job.kind != "batch":
        raise NotFound(f"batch {job_id} not found")
    return render_template("matching/batch.html", job=job)


def order_panel(actor, order) -> dict:
    """Matching's part of the order page (market/orders/page.py): the accepted quote, the
    booked capacity and any of it stranded on a machine that is down."""
    return {"bookings": services.bookings_of(actor, order.public_id),
            "accepted": services.accepted_quote(actor, order.public_id),
            "stranded": stranded.stranded_work(actor, order.public_id)}
