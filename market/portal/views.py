"""Landing page, dashboards, language switch, health."""
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, send_from_directory, session, url_for
from flask_login import current_user, login_required

from market.auth import portal_actor
from market.i18n import LANGUAGES
from market.portal import dashboards
from market.web import confirm as confirmation
from market.web import readiness
from market.web.redirects import local_path

bp = Blueprint("web", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready to serve: the database answers, and so do the broker and the chain when configured."""
    checks = readiness.check_all()
    ok = all(c == "ok" for c in checks.values())
    return (jsonify(status="ready" if ok else "not ready", checks=checks, anchoring=readiness.anchoring()),
            200 if ok else 503)


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on every page whatever the <link> says (a 404 per page otherwise)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/x-icon", max_age=86400)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("web.dashboard"))
    return render_template("index.html", stats=dashboards.public_stats())


@bp.get("/dashboard")
@login_required
def dashboard():
    actor = portal_actor()
    # the lender's portfolio page, where the deployment has one (the dashboard is its summary)
    portfolio = url_for("lender.portfolio") if "lender.portfolio" in current_app.view_functions else None
    return render_template(f"dashboard/{actor.org_kind}.html", d=dashboards.for_actor(actor), portfolio_url=portfolio)


@bp.get("/operator/liquidity")
@login_required
def liquidity():
    """Behind the console's liquidity figures: the orders nobody quoted, the capacity nobody booked."""
    from market import policy
    from market.db import utcnow
    from market.portal.operator_figures import liquidity as liquidity_of

    policy.require_kind(portal_actor(), "operator")
    return render_template("dashboard/liquidity.html", liq=liquidity_of(utcnow()))


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(local_path(request.form.get("next"), url_for("web.index")))


@bp.get("/confirm")
@login_required
def confirm():
    """The confirm page of an irreversible action, for browsers without JavaScript
    (market/web/confirm.py): the question and the real POST form."""
    return render_template("confirm.html", c=confirmation.read(request.args.get("c")))


def _regional(first: str | None, last: str | None):
    """The operator's regional figures over the days asked for; 404 to anyone else."""
    from market.db import utcnow
    from market.errors import NotFound
    from market.ops import regional

    if not portal_actor().is_operator:  # the market's figures are the operator's: to anyone else none exist
        raise NotFound("not found")
    start, end = regional.period(first, last, utcnow(), current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return regional.regional(start, end)


@bp.get("/operator/regions")
@login_required
def regions():
    """Idle capacity, bookings, fill rate and price index per region × process class (k-anonymous)."""
    from market.catalog.taxonomy import taxonomy

    from market.errors import DomainError
    from market.web import forms

    errors, status = {}, 200
    try:
        r = _regional(request.args.get("from"), request.args.get("to"))
    except DomainError as exc:  # a bad period: said at its field, over the default period (404 stays 404)
        errors, status = forms.refused(exc)
        r = _regional(None, None)
    classes = {c.code: c for c in taxonomy().classes}
    return render_template("dashboard/regions.html", r=r, classes=classes, errors=errors), status


@bp.get("/operator/regions.csv")
@login_required
def regions_csv():
    import csv
    import io

    from market.ops.regional import csv_rows

    r = _regional(request.args.get("from"), request.args.get("to"))
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csv_rows(r))
    name = f"regions-{r.start:%Y%m%d}-{r.end:%Y%m%d}.csv"
    # a BOM so that spreadsheet programs read the Chinese names as UTF-8
    return current_app.response_class("\ufeff" + out.getvalue(), mimetype="text/csv",
                                      headers={"Content-Disposition": f'attachment; filename="{name}"'})
