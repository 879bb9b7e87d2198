"""The factory's schedule, served under the catalog's URLs and endpoint names (templates and
API clients know them as catalog.schedule and catalog_api.schedule): the page composes the
schedule, the recent re-plans and the stranded work, all matching's. Imported by create_app
before the blueprints are registered; the routes are added once, at import."""
from datetime import timedelta
from uuid import UUID

from flask import render_template, request
from flask_login import login_required

from market.auth import api_actor, portal_actor, require_token
from market.catalog import schemas as sc
from market.catalog.api import blp
from market.catalog.views import bp
from market.db import utcnow
from market.matching.schedule import factory_schedule
from market.matching.services import recent_reschedules
from market.matching.stranded import stranded_work


@bp.get("/factories/<uuid:factory_id>/schedule")
@login_required
def schedule(factory_id):
    days = min(max(request.args.get("days", 14, type=int), 1), 62)
    now = utcnow()
    start = now.replace(minute=0, second=0, microsecond=0)
    plan = factory_schedule(portal_actor(), factory_id, start, start + timedelta(days=days))
    return render_template("catalog/schedule.html", plan=plan, factory_id=factory_id, days=days, now=now,
                           replans=recent_reschedules(portal_actor()), stranded=stranded_work(portal_actor()))


@blp.route("/factories/<uuid:factory_id>/schedule", endpoint="schedule")
@require_token("read")
@blp.arguments(sc.ScheduleArgs, location="query")
@blp.response(200, sc.ScheduleOut)
def api_schedule(args, factory_id: UUID):
    """The factory's Gantt data: per machine, booked work (late flagged) and open capacity."""
    return factory_schedule(api_actor(), factory_id, **args)
