"""Portal: the factory's telemetry dashboard, device enrollment, shift calendar, ideal cycles."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.catalog import services as catalog
from market import errors
from market.telemetry import dashboard, devices, services

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
def factory(factory_id, new_token=None, new_device=None):
    actor = portal_actor()
    data = dashboard.factory_dashboard(actor, factory_id)
    calendar = services.get_shift_calendar(actor, factory_id)
    return render_template("telemetry/dashboard.html", d=data, calendar=calendar, new_token=new_token,
                           new_device=new_device)


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
    weekly = {}
    for day in range(7):
        text = request.form.get(f"day{day}", "").strip()
        if text:
            weekly[str(day)] = [part.strip().split("-", 1) for part in text.split(",") if part.strip()]
    try:
        services.set_shift_calendar(portal_actor(), factory_id, weekly)
        flash(_("Shift calendar saved; it applies from today on."), "success")
    except errors.Invalid as exc:
        flash(exc.detail, "error")
    return redirect(url_for("telemetry.factory", factory_id=factory_id) + "#calendar")


@bp.post("/machines/<uuid:machine_id>/devices")
@login_required
def enroll(machine_id):
    actor = portal_actor()
    device, token = devices.enroll(actor, machine_id, request.form.get("name", ""))
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
    raw = request.form.get("ideal_cycle_s", "").strip()
    try:
        value = float(raw) if raw else None
        if value is not None and not 0.001 <= value <= 86400:
            raise ValueError
        services.set_profile(actor, machine_id, value)
        flash(_("Ideal cycle time saved."), "success")
    except ValueError:
        flash(_("The ideal cycle time is a number of seconds per part."), "error")
    return redirect(url_for("telemetry.factory", factory_id=machine.factory.public_id))
