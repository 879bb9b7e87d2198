"""Portal: orders (post, follow, move along), the factory order board, thread and drawings."""
import uuid

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market import policy
from market.api_common import MAX_MINOR
from market.auth import portal_actor
from market.catalog.search import CapacityQuery, search_capacity
from market.errors import DomainError
from market.orders import attachments as files
from market.orders import page
from market.orders import schemas as sc
from market.orders import services
from market.web import forms

bp = Blueprint("orders", __name__)
OPERATION_ROWS = 8
COMPONENT_ROWS = 4
OP_FIELDS = ("process_code", "setup_minutes", "run_minutes_per_unit", "tolerance", "notes", "component", "after")
COMPONENT_FIELDS = ("name", "quantity_per_parent", "material")


def _typed_values(form) -> dict:
    """Flat form fields (op-1-process_code ...) -> the order as typed; a refused form is shown
    again from this. Operations: the rows with a process, in order (so the errors of operation
    n land on row n), then any other row with something typed in it, kept for the buyer to see."""
    values = forms.clean(form, lists=("required_certifications",), skip=("csrf_token", "action"))
    rows = [{k: values.pop(f"op-{i}-{k}") for k in OP_FIELDS if f"op-{i}-{k}" in values}
            for i in range(1, OPERATION_ROWS + 1)]
    values["operations"] = ([r for r in rows if r.get("process_code")]
                            + [r for r in rows if r and not r.get("process_code")])
    parts = [{k: values.pop(f"comp-{i}-{k}") for k in COMPONENT_FIELDS if f"comp-{i}-{k}" in values}
             for i in range(1, COMPONENT_ROWS + 1)]
    values["components"] = [p for p in parts if p]
    return values


def _after(text: str | None):
    """"2, 3" (the operations this one waits for) -> ["2", "3"]; empty = the previous one
    (None); "-" = none (a component's first step). The schema checks they are numbers."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    if text in ("-", "—"):
        return []
    return [t for t in text.replace("，", ",").replace(",", " ").split() if t]


def _order_values(typed: dict, publish: bool) -> dict:
    """The order as typed -> the API's order shape: blank rows dropped, budget in minor units,
    the due date the end of that day in the portal's zone. Never changes `typed`."""
    operations = [{**row, "after": _after(row.get("after"))} for row in typed["operations"] if row.get("process_code")]
    values = {**typed, "submit": publish, "operations": operations}
    if "budget" in values:
        values["budget_minor"] = _to_minor(values.pop("budget"))
    if "declared_value" in values:
        values["declared_value_minor"] = _to_minor(values.pop("declared_value"), field="declared_value_minor")
    return forms.local_dates(values, ("due_at",), end_of_day=("due_at",))


@bp.app_context_processor
def _budget_rule():
    """Templates ask `sees_budget(order)`: the ceiling is shown to its buyer and the operator only."""
    return {"sees_budget": lambda order=None: policy.sees_budget(portal_actor(), order)}


@bp.get("/orders")
@login_required
def index():
    state = request.args.get("state") or None
    page = services.list_orders(portal_actor(), state=state, page=request.args.get("page", 1, type=int))
    return render_template("orders/index.html", page=page, state=state)


@bp.route("/orders/new", methods=["GET", "POST"])
@login_required
def new():
    values, errors = {"currency": "CNY", "quantity": 100}, {}
    if request.method == "POST":
        try:
            values = _typed_values(request.form)
            data = forms.load(sc.OrderIn(), _order_values(values, request.form.get("action") == "publish"))
            order = services.create_order(portal_actor(), data)
            flash(_("Order saved."), "success")
            return redirect(url_for("orders.show", order_id=order.public_id))
        except forms.FormError as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = forms.field_errors(exc)
    return render_template("orders/form.html", values=values, errors=errors, rows=OPERATION_ROWS,
                           component_rows=COMPONENT_ROWS), 422 if errors else 200


def _to_minor(amount: str | None, field: str = "budget_minor"):
    """An amount typed in major units ("12,000.50") -> integer minor units, exactly."""
    return forms.scaled_int(amount, field, places=2, maximum=MAX_MINOR)


@bp.get("/orders/<uuid:order_id>")
@login_required
def show(order_id):
    return order_page(portal_actor(), order_id)


def order_page(actor, order_id, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The order's page; a refused form (refused = "message", or a higher domain's, e.g. credit's
    "rating") comes back with what was typed."""
    order = services.get_order(actor, order_id)
    # production moves (start, ship) are made lot by lot on the production card
    moves = [m for m in services.next_states(actor, order) if m not in ("in_production", "shipped")]
    # quotes, bookings and lots are higher domains' (market/orders/page.py)
    return render_template("orders/show.html", order=order, next_states=moves,
                           messages=services.list_messages(actor, order_id),
                           attachments=services.list_attachments(actor, order_id),
                           invited=services.invited_factories(actor, order_id),
                           is_buyer=order.buyer_org_id == actor.org_id,
                           refused=refused, values=values or {}, errors=errors or {},
                           **page.panels(actor, order))


@bp.post("/orders/<uuid:order_id>/transition")
@login_required
def move(order_id):
    with forms.flashing_errors():
        services.transition(portal_actor(), order_id, request.form.get("to", ""), request.form.get("note", ""))
        flash(_("Order updated."), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/messages")
@login_required
def message(order_id):
    actor = portal_actor()
    services.get_order(actor, order_id)  # another tenant's order: 404 before the form is read
    values = forms.clean(request.form)
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    try:
        services.post_message(actor, order_id, request.form.get("body", ""), uploads)
    except DomainError as exc:
        errors, status = forms.refused(exc)
        return order_page(actor, order_id, "message", values, errors), status
    return redirect(url_for("orders.show", order_id=order_id) + "#thread")


@bp.post("/orders/<uuid:order_id>/attachments")
@login_required
def attach(order_id):
    actor = portal_actor()
    services.get_order(actor, order_id)  # another tenant's order: 404 before the upload is read
    try:
        services.add_attachment(actor, order_id, request.files.get("file"))
    except DomainError as exc:
        # nothing typed to keep (a browser never refills a file input): the page says why
        errors, status = forms.refused(exc)
        return order_page(actor, order_id, "attach", {}, errors), status
    flash(_("Drawing attached."), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.get("/attachments/<uuid:attachment_id>")
@login_required
def download(attachment_id):
    return files.send(services.get_attachment(portal_actor(), attachment_id))


@bp.post("/orders/<uuid:order_id>/invite")
@login_required
def invite(order_id):
    try:
        factory_id = uuid.UUID(request.form.get("factory_id", ""))
    except ValueError:
        factory_id = None
    with forms.flashing_errors():
        services.invite_factory(portal_actor(), order_id, factory_id)
        flash(_("The factory was asked to quote."), "success")
    return redirect(url_for("orders.show", order_id=order_id))


@bp.get("/orders/<uuid:order_id>/capacity")
@login_required
def capacity(order_id):
    """Matching capacity for each operation of the order, before its due date."""
    actor = portal_actor()
    order = services.get_order(actor, order_id)
    per_op = []
    for op in order.operations:
        page = search_capacity(CapacityQuery(process=op.process_code, end=order.due_at,
                                             certifications=tuple(order.required_certifications), per_page=10))
        per_op.append((op, page))
    return render_template("orders/capacity.html", order=order, per_op=per_op)


@bp.get("/board")
@login_required
def board():
    page = services.order_board(portal_actor(), page=request.args.get("page", 1, type=int))
    return render_template("orders/board.html", page=page)


@bp.get("/board/<uuid:order_id>")
@login_required
def board_order(order_id):
    return render_template("orders/board_order.html", order=services.board_order(portal_actor(), order_id))
