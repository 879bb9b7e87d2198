"""Portal: the organization's webhooks and chat robots (owners), with the delivery log."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.auth import portal_actor
from market.errors import DomainError, NotFound
from market.notifications import endpoints as services, webhook_api as api
from market.notifications.kinds import SUBSCRIBABLE, label
from market.notifications.webhook_models import CHANNELS
from market.web import forms

bp = Blueprint("webhooks", __name__)


def _channel_names() -> dict[str, str]:
    return {"standard": _("Webhook (Standard Webhooks)"), "wecom": _("WeCom group robot"),
            "dingtalk": _("DingTalk robot"), "feishu": _("Feishu bot")}


@bp.route("/settings/webhooks", methods=["GET", "POST"])
@login_required
def webhooks():
    actor = portal_actor()
    errors, values, created = {}, {}, None
    if request.method == "POST":
        values = forms.clean(request.form, lists=("kinds",))
        values.setdefault("kinds", [])
        try:
            data = forms.load(api.EndpointIn(), values)
            created = services.create_endpoint(actor, **data)
            flash(_("Endpoint added."), "success")
            values = {}
        except forms.FormError as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = exc.errors or {"url": [exc.detail]}
    endpoints = services.list_endpoints(actor)
    return render_template("notifications/webhooks.html", endpoints=endpoints, created=created, errors=errors,
                           values=values, kinds=[(k, label(k)) for k in SUBSCRIBABLE], channels=CHANNELS,
                           channel_names=_channel_names()), 422 if errors else 200


@bp.route("/settings/webhooks/<uuid:endpoint_id>")
@login_required
def endpoint(endpoint_id):
    actor = portal_actor()
    return render_template("notifications/endpoint.html", endpoint=services.get_endpoint(actor, endpoint_id),
                           deliveries=services.list_deliveries(actor, endpoint_id, per_page=50).items,
                           channel_names=_channel_names(), label=label, secret=None)


@bp.post("/settings/webhooks/<uuid:endpoint_id>/<action>")
@login_required
def act(endpoint_id, action):
    actor = portal_actor()
    try:
        if action == "test":
            services.send_test(actor, endpoint_id)
            flash(_("Test event queued."), "success")
        elif action in ("enable", "disable"):
            services.update_endpoint(actor, endpoint_id, status="active" if action == "enable" else "disabled")
            flash(_("Endpoint enabled.") if action == "enable" else _("Endpoint disabled."), "success")
        elif action == "rotate":
            created = services.rotate_secret(actor, endpoint_id)
            return render_template("notifications/endpoint.html", endpoint=created.endpoint, secret=created.secret,
                                   deliveries=services.list_deliveries(actor, endpoint_id, per_page=50).items,
                                   channel_names=_channel_names(), label=label)
        elif action == "delete":
            services.delete_endpoint(actor, endpoint_id)
            flash(_("Endpoint deleted."), "success")
            return redirect(url_for("webhooks.webhooks"))
        else:
            return "", 404
    except NotFound:
        abort(404)  # another organization's endpoint: not found, as everywhere in the portal
    except DomainError as exc:
        flash(exc.detail, "error")
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.post("/settings/webhooks/deliveries/<uuid:delivery_id>/redeliver")
@login_required
def redeliver(delivery_id):
    actor = portal_actor()
    back = request.form.get("endpoint_id", "")
    try:
        services.redeliver(actor, delivery_id)
        flash(_("Delivery queued again."), "success")
    except NotFound:
        abort(404)  # another organization's delivery: not found, as everywhere in the portal
    except DomainError as exc:
        flash(exc.detail, "error")
    return redirect(url_for("webhooks.endpoint", endpoint_id=back) if back else url_for("webhooks.webhooks"))
