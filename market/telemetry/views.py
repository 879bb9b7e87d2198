"""Portal: the factory's telemetry dashboard, device enrollment, shift calendar, ideal cycles."""
from __future__ import annotations

import marshmallow as ma

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.catalog import services as catalog
from market import errors
from market.api_common import StrictSchema
from market.telemetry import closures, dashboard, devices, services
from market.telemetry.schemas import ClosureIn
from market.web import forms

bp = Blueprint("telemetry", __name__)


@bp.get("/telemetry")
@login_required
def index():
    page = catalog.list_factories(portal_actor(), per_page=100)
    if len(page.items) == 1:
        return redirect(url_for("telemetry.factory", factory_id=page.items[0].public_id))
    return render_template("telemetry/index.html", factories=page.items)


@bp.get("/factories/<uuid:factory_id>/telemetry")
@login_required
def factory(factory_id, new_token=None, new_device=None, refused=None, values=None, errors=None):
    """The factory's telemetry page; a refused form (refused = "calendar", "profile-<machine
    id>", "device-<machine id>") comes back with what was typed."""
    actor = portal_actor()
    data = dashboard.factory_dashboard(actor, factory_id)
    calendar = services.get_shift_calendar(actor, factory_id)
    return render_template("telemetry/dashboard.html", d=data, calendar=calendar,
                           closures=closures.list_closures(actor, factory_id), new_token=new_token,
                           new_device=new_device, new_mqtt_topic=new_device and devices.mqtt_topic(new_device),
                           refused=refused, values=values or {}, errors=errors or {})


@bp.get("/factories/<uuid:factory_id>/telemetry/lost-time")
@login_required
def lost_time(factory_id):
    """Where a bar of the downtime Pareto leads: the stretches behind it."""
    data = dashboard.lost_time(portal_actor(), factory_id, state=request.args.get("state", "down"),
                               reason=request.args.get("reason") or None)
    return render_template("telemetry/lost_time.html", d=data)


@bp.post("/factories/<uuid:factory_id>/telemetry/calendar")
@login_required
def set_calendar(factory_id):
    values = forms.clean(request.form)
    weekly = {}
    for day in range(7):
        text = values.get(f"day{day}", "")
        if text:
            weekly[str(day)] = [part.strip().split("-", 1) for part in text.replace("，", ",").split(",") if part.strip()]
    try:
        # an unticked checkbox sends nothing: the form always says whether holidays apply
        services.set_shift_calendar(portal_actor(), factory_id, weekly, public_holidays=bool(values.get("public_holidays")))
    except errors.DomainError as exc:
        found, status = forms.refused(exc)
        # the service names a weekday "weekly.N"; the form's field for it is "dayN"
        found = {k.replace("weekly.", "day"): v for k, v in found.items()}
        return factory(factory_id, refused="calendar", values=values, errors=found), status
    flash(_("Shift calendar saved; it applies from today on."), "success")
    return redirect(url_for("telemetry.factory", factory_id=factory_id) + "#calendar")


@bp.post("/factories/<uuid:factory_id>/telemetry/closures")
@login_required
def add_closure(factory_id):
    values = forms.clean(request.form)
    try:
        data = forms.load(ClosureIn(), values)
        closures.add_closure(portal_actor(), factory_id, data["first_day"], data.get("last_day"), data.get("reason", ""))
    except (forms.FormError, errors.DomainError) as exc:
        found, status = forms.refused(exc)
        return factory(factory_id, refused="closure", values=values, errors=found), status
    flash(_("Closure saved; the days already computed are recomputed."), "success")
    return redirect(url_for("telemetry.factory", factory_id=factory_id) + "#closures")


@bp.post("/factories/<uuid:factory_id>/telemetry/closures/<uuid:closure_id>/delete")
@login_required
def delete_closure(factory_id, closure_id):
    closures.delete_closure(portal_actor(), factory_id, closure_id)
    flash(_("Closure removed."), "success")
    return redirect(url_for("telemetry.factory", factory_id=factory_id) + "#closures")


@bp.post("/machines/<uuid:machine_id>/devices")
@login_required
def enroll(machine_id):
    actor = portal_actor()
    machine = catalog.get_machine(actor, machine_id)  # another tenant's machine: 404
    values = forms.clean(request.form)
    try:
        data = forms.load(DeviceIn(), values)
        device, token = devices.enroll(actor, machine_id, data.get("name", ""))
    except (forms.FormError, errors.DomainError) as exc:
        found, status = forms.refused(exc)
        return factory(machine.factory.public_id, refused=f"device-{machine_id}", values=values, errors=found), status
    return factory(device.machine.factory.public_id, new_token=token, new_device=device)


@bp.post("/devices/<uuid:device_id>/revoke")
@login_required
def revoke(device_id):
    device = devices.revoke(portal_actor(), device_id)
    flash(_("Device revoked: its token no longer works."), "success")
    return redirect(url_for("telemetry.factory", factory_id=device.machine.factory.public_id))


@bp.post("/machines/<uuid:machine_id>/telemetry-profile")
@login_required
def set_profile(machine_id):
    actor = portal_actor()
    machine = catalog.get_machine(actor, machine_id)
    values = forms.clean(request.form)
    try:
        data = forms.load(ProfileIn(), values)
        services.set_profile(actor, machine_id, data.get("ideal_cycle_s"))
    except (forms.FormError, errors.DomainError) as exc:
        found, status = forms.refused(exc)
        return factory(machine.factory.public_id, refused=f"profile-{machine_id}", values=values, errors=found), status
    flash(_("Ideal cycle time saved."), "success")
    return redirect(url_for("telemetry.factory", factory_id=machine.factory.public_id))


class DeviceIn(StrictSchema):
    """The portal's enrollment form (the API takes the same name)."""
    name = ma.fields.String(load_default="", validate=ma.validate.Length(max=100))


class ProfileIn(StrictSchema):
    """The portal's ideal cycle form: seconds per part, or empty to clear it."""
    ideal_cycle_s = ma.fields.Float(load_default=None, allow_none=True, validate=ma.validate.Range(min=0.001, max=86400))
