"""Operator's security log."""
from flask import Blueprint, render_template, request
from flask_login import login_required

from market.accounts.domain_events import ACTIONS
from market.audit import labels, services
from market.auth import portal_actor

bp = Blueprint("audit", __name__)


@bp.get("/operator/security-events")
@login_required
def events():
    action = request.args.get("action") if request.args.get("action") in ACTIONS else None
    page = services.list_events(portal_actor(), action=action, page=request.args.get("page", 1, type=int))
    return render_template("audit/events.html", page=page, action=action, actions=ACTIONS,
                           security_action=labels.action, security_detail=labels.detail)
