"""Portal: factories, machines, capacity windows and capacity search. Pages that show what
higher domains know of a factory add their routes to this blueprint: the schedule
(matching/schedule_pages.py), the public profile (credit/public_profile.py)."""
from functools import partial

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.api_common import MAX_MINOR
from market.auth import portal_actor
from market.catalog import schemas as sc
from market.catalog import services
from market.catalog.search import CapacityQuery, search_capacity
from market.errors import DomainError
from market.web import forms

bp = Blueprint("catalog", __name__)
MACHINE_TYPED = {"hourly_rate_minor": "hourly_rate"}


def _submit(schema, raw: dict, action, *, prepare=dict, typed: dict | None = None):
    """Turn the typed values into the API's (`prepare`), validate them with the API's schema,
    call the service; (result, errors). `typed` names the form fields the schema knows under
    another name ({"hourly_rate_minor": "hourly_rate"}), so that errors show beside the field
    the user typed in."""
    try:
        return action(forms.load(schema, prepare(raw))), {}
    except forms.FormError as exc:
        errors = exc.errors
    except DomainError as exc:
        errors = exc.errors or {"_": [exc.detail]}
    return None, {(typed or {}).get(key, key): messages for key, messages in errors.items()}


def _machine_payload(values: dict) -> dict:
    """The hourly rate is typed in major units of the machine's currency (150.00 for ¥150/h)."""
    return forms.typed_amount(values, "hourly_rate", into="hourly_rate_minor",
                              places=forms.minor_places(values.get("currency")), maximum=MAX_MINOR)


def _window_payload(values: dict, currency: str, fields) -> dict:
    """The price is typed in major units of the machine's currency per hour or piece, or in
    percent of the job's value (2.5 for 2.5 %); the API takes minor units or basis points.
    The form holds both modes' fields; only the chosen mode's (`fields`) are sent."""
    values = {k: v for k, v in values.items() if k in fields} | {"currency": currency}
    if values.get("pricing_mode") == "percent_of_value":
        return forms.typed_amount(values, "price", into="price", places=2, maximum=10_000)
    return forms.typed_amount(values, "price", into="price", places=forms.minor_places(currency), maximum=MAX_MINOR)


@bp.get("/factories")
@login_required
def factories():
    return render_template("catalog/factories.html", page=services.list_factories(portal_actor()))


@bp.route("/factories/new", methods=["GET", "POST"])
@login_required
def new_factory():
    values, errors = {"timezone": "Asia/Shanghai"}, {}
    if request.method == "POST":
        values = forms.clean(request.form, lists=("certifications",))
        factory, errors = _submit(sc.FactoryIn(), values, lambda d: services.create_factory(portal_actor(), d))
        if factory:
            flash(_("Factory created. Now add its machines."), "success")
            return redirect(url_for("catalog.factory", factory_id=factory.public_id))
    return render_template("catalog/factory_form.html", values=values, errors=errors), 422 if errors else 200


@bp.route("/factories/<uuid:factory_id>/edit", methods=["GET", "POST"])
@login_required
def edit_factory(factory_id):
    factory = services.get_factory(portal_actor(), factory_id)
    values, errors = {**factory.__dict__}, {}
    if request.method == "POST":
        values = forms.clean(request.form, lists=("certifications",))
        values.setdefault("certifications", [])
        done, errors = _submit(sc.FactoryIn(), values, lambda d: services.update_factory(portal_actor(), factory_id, d))
        if done:
            return redirect(url_for("catalog.factory", factory_id=factory_id))
    return render_template("catalog/factory_form.html", factory=factory, values=values, errors=errors), 422 if errors else 200


@bp.get("/factories/<uuid:factory_id>")
@login_required
def factory(factory_id):
    actor = portal_actor()
    return render_template("catalog/factory.html", factory=services.get_factory(actor, factory_id),
                           machines=services.list_machines(actor, factory_id=factory_id, per_page=100).items)


@bp.route("/factories/<uuid:factory_id>/machines/new", methods=["GET", "POST"])
@login_required
def new_machine(factory_id):
    factory = services.get_factory(portal_actor(), factory_id)
    values, errors = {"status": "active", "currency": "CNY"}, {}
    if request.method == "POST":
        values = forms.clean(request.form, lists=("processes",))
        values["factory_id"] = str(factory_id)
        machine, errors = _submit(sc.MachineIn(), values, lambda d: services.create_machine(portal_actor(), d),
                                  prepare=_machine_payload, typed=MACHINE_TYPED)
        if machine:
            flash(_("Machine added. Publish its idle capacity below."), "success")
            return redirect(url_for("catalog.machine", machine_id=machine.public_id))
    return render_template("catalog/machine_form.html", factory=factory, values=values, errors=errors), 422 if errors else 200


@bp.route("/machines/<uuid:machine_id>/edit", methods=["GET", "POST"])
@login_required
def edit_machine(machine_id):
    machine = services.get_machine(portal_actor(), machine_id)
    values = {**machine.__dict__, "processes": machine.processes,
              "hourly_rate": forms.major(machine.hourly_rate_minor, machine.currency)}
    errors = {}
    if request.method == "POST":
        values = forms.clean(request.form, lists=("processes",))
        done, errors = _submit(sc.MachinePatch(), values, lambda d: services.update_machine(portal_actor(), machine_id, d),
                               prepare=_machine_payload, typed=MACHINE_TYPED)
        if done:
            return redirect(url_for("catalog.machine", machine_id=machine_id))
    return render_template("catalog/machine_form.html", factory=machine.factory, machine=machine,
                           values=values, errors=errors), 422 if errors else 200


@bp.get("/machines/<uuid:machine_id>")
@login_required
def machine(machine_id):
    actor = portal_actor()
    return render_template("catalog/machine.html", machine=services.get_machine(actor, machine_id),
                           windows=services.list_windows(actor, machine_id=machine_id, per_page=100,
                                                         page=request.args.get("page", 1, type=int)),
                           values={}, errors={})


@bp.post("/machines/<uuid:machine_id>/windows")
@login_required
def add_window(machine_id):
    actor = portal_actor()
    values = forms.clean(request.form, lists=("weekdays",))
    values["machine_id"] = str(machine_id)
    recurring = values.pop("kind", "single") == "recurring"
    machine = services.get_machine(actor, machine_id)
    schema = sc.RecurringIn() if recurring else sc.WindowIn()
    create = (lambda d: services.create_recurring_windows(actor, d)) if recurring else (
        lambda d: [services.create_window(actor, d)])
    created, errors = _submit(schema, values, create,
                              prepare=partial(_window_payload, currency=machine.currency, fields=schema.fields))
    if created:
        flash(_("%(n)d capacity window(s) published.", n=len(created)), "success")
        return redirect(url_for("catalog.machine", machine_id=machine_id))
    return render_template("catalog/machine.html", machine=machine,
                           windows=services.list_windows(actor, machine_id=machine_id, per_page=100),
                           values=values, errors=errors, recurring=recurring), 422


@bp.post("/windows/<uuid:window_id>/withdraw")
@login_required
def withdraw(window_id):
    window = services.withdraw_window(portal_actor(), window_id)
    flash(_("Window withdrawn."), "success")
    return redirect(url_for("catalog.machine", machine_id=window.machine.public_id))


@bp.get("/capacity")
@login_required
def search():
    raw = {k: v for k, v in request.args.items(multi=False) if v != "" and k != "certification"}
    certs = [c for c in request.args.getlist("certification") if c]
    if certs:
        raw["certification"] = certs
    page, errors = None, {}
    try:
        args = forms.load(sc.SearchArgs(), forms.local_dates(raw, ("from", "to")))
        args["certifications"] = tuple(args.get("certifications", ()))
        page = search_capacity(CapacityQuery(**args))
    except forms.FormError as exc:
        errors = exc.errors
    except DomainError as exc:
        errors = exc.errors or {"_": [exc.detail]}
    return render_template("catalog/search.html", page=page, values=raw, errors=errors), 422 if errors else 200
