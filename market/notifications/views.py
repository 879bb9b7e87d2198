"""Portal: the notification centre (list, filters, mark read), the unread count the bell
polls, and the preferences page. Every action is a plain POST form: it works without JS."""
from __future__ import annotations


import marshmallow as ma
from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from market.api_common import StrictSchema
from market.auth import portal_actor
from market.errors import DomainError
from market.i18n import locale_code
from market.notifications import catalogue, services
from market.notifications.fanout import link_path
from market.web import forms
from market.web.redirects import local_path

bp = Blueprint("notifications", __name__)

# a kind's e-mail choice as the form sends it (a checkbox's "on" too); anything else: no mail
EMAIL_FORM = {"on": True, "now": True, "digest": "digest"}

# how often the bell asks for the count (the page works without it); NOTIFICATIONS_POLL_S overrides
POLL_SECONDS = 45


class ListArgs(StrictSchema):
    show = ma.fields.String(load_default="all", validate=ma.validate.OneOf(("all", "unread")))
    kind = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", *catalogue.BY_NAME]))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=100000))


@bp.get("/notifications")
@login_required
def index():
    try:
        args = ListArgs().load(request.args.to_dict())
    except ma.ValidationError:
        args = {"show": "all", "kind": "", "page": 1}
    actor = portal_actor()
    page = services.list_notifications(actor, unread=args["show"] == "unread", kind=args["kind"] or None,
                                       page=args["page"])
    language = locale_code()
    items = [(n, *catalogue.render(n.kind, n.params or {}, language), link_path(n.link_kind, n.link_id))
             for n in page.items]
    return render_template("notifications/index.html", page=page, items=items, show=args["show"], kind=args["kind"],
                           kinds=catalogue.KINDS)


@bp.post("/notifications/<uuid:notification_id>/open")
@login_required
def open_one(notification_id):
    """Mark it read and go to what it is about."""
    note = services.mark_read(portal_actor(), notification_id)
    return redirect(link_path(note.link_kind, note.link_id))


@bp.post("/notifications/<uuid:notification_id>/read")
@login_required
def read_one(notification_id):
    services.mark_read(portal_actor(), notification_id)
    return redirect(local_path(request.form.get("next"), url_for("notifications.index")))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    count = services.mark_all_read(portal_actor())
    flash(_("%(count)s notification(s) marked read.", count=count), "success")
    return redirect(local_path(request.form.get("next"), url_for("notifications.index")))


@bp.get("/notifications/count.json")
@login_required
def count():
    """What the bell polls (same origin, the session's cookie): {"unread": n}."""
    response = jsonify(unread=services.unread_count(portal_actor()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    actor = portal_actor()
    errors = {}
    if request.method == "POST":
        form = request.form
        try:
            services.set_preferences(
                actor, email={k.name: EMAIL_FORM.get(form.get(f"email:{k.name}", ""), False) for k in catalogue.KINDS},
                digest=form.get("digest") == "on", quiet_start=form.get("quiet_start", "").strip() or None,
                quiet_end=form.get("quiet_end", "").strip() or None,
                time_zone=form.get("time_zone", "").strip() or "Asia/Shanghai")
            flash(_("Notification settings saved."), "success")
            return redirect(url_for("notifications.preferences"))
        except DomainError as exc:
            errors = forms.field_errors(exc)  # in the reader's language where worded so
    prefs = services.get_preferences(actor)
    values = request.form if request.method == "POST" else {
        "quiet_start": prefs.quiet_start or "", "quiet_end": prefs.quiet_end or "", "time_zone": prefs.time_zone}
    return render_template("notifications/preferences.html", prefs=prefs, kinds=catalogue.KINDS, values=values,
                           errors=errors), 422 if errors else 200


def unread_notifications() -> int | None:
    """The bell's number (base.html), for a signed-in user; None otherwise."""
    if not (current_user and current_user.is_authenticated):
        return None
    try:
        return services.unread_count(current_user.actor)
    except DomainError:
        return None


def poll_seconds() -> int:
    return int(current_app.config.get("NOTIFICATIONS_POLL_S", POLL_SECONDS))


def init_app(app) -> None:
    app.jinja_env.globals.update(unread_notifications=unread_notifications, notifications_poll_s=poll_seconds)



