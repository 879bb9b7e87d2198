"""Portal: a factory passes operations of its booking on; the sub-tier consents to be named
or answers a blocked cancellation; every party of an order sees the tiers under it."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from market.auth import Actor, portal_actor
from market.db import unit_of_work
from market.errors import DomainError
from market.orders.models import Order
from market.orders.services import get_order
from market.subcontracting import services, tree
from market.subcontracting.models import SubcontractNode
from market.web import forms

bp = Blueprint("subcontracting", __name__)


@bp.post("/orders/<uuid:order_id>/subcontract")
@login_required
def subcontract(order_id):
    from market.orders.views import order_page

    actor = portal_actor()
    get_order(actor, order_id)  # someone else's order is a 404, whatever the form says
    ticked = request.form.getlist("operation_seqs")  # the boxes ticked, to tick them again
    try:
        done = services.subcontract(actor, order_id, [int(v) for v in ticked if v.strip().isdigit()])
    except DomainError as exc:
        errors, status = forms.refused(exc)
        return order_page(actor, order_id, "subcontract", {"operation_seqs": ticked}, errors), status
    flash(_("Sub-order opened; the solver is quoting it."), "success")
    return redirect(url_for("matching.quotes", order_id=done.order.public_id,
                            job=done.quote_job.public_id if done.quote_job else None))


@bp.post("/orders/<uuid:order_id>/name-consent")
@login_required
def consent(order_id):
    with forms.flashing_errors():
        node = services.set_name_disclosed(portal_actor(), order_id, request.form.get("name_disclosed") == "1")
        flash(_("The buyers above now see your name.") if node.name_disclosed
              else _("The buyers above see “a certified subcontractor”."), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/cancel-agreement")
@login_required
def agreement(order_id):
    with forms.flashing_errors():
        services.settle_blocked_cancel(portal_actor(), order_id, request.form.get("agreed") == "1")
        flash(_("Your answer was recorded; the operator settles the rest."), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.get("/orders/<uuid:order_id>/tiers")
@login_required
def tiers(order_id):
    actor = portal_actor()
    return render_template("subcontracting/tiers.html", root=tree.tiers_of(actor, order_id), order_id=order_id)


def order_panel(actor: Actor, order) -> dict:
    """Subcontracting's part of the order page (market/orders/page.py): what the viewer may
    pass on, whether the order is part of a tree, and the sub-tier's consent and answers."""
    with unit_of_work() as s:
        in_tree = s.get(SubcontractNode, order.id) is not None
        node = s.get(SubcontractNode, order.id)
        has_subs = s.scalar(select(Order.id).where(Order.parent_order_id == order.id).limit(1)) is not None
    return {"subcontracting": {
        "passable": services.passable_operations(actor, order) if order.state in services.SUBCONTRACTABLE else [],
        "in_tree": in_tree or has_subs,
        "is_sub_order": order.parent_order_id is not None,
        "name_disclosed": bool(node and node.name_disclosed),
        "cancel_flag": node.cancel_flag if node else None,
        "makes_it": services.makes(actor, order),
    }}
