"""Portal: the factory's consents, access log and financing applications; the lender's
portfolio, reports (HTML and PDF) and decisions."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market.api_common import MAX_MINOR
from market.auth import portal_actor
from market.catalog import services as catalog
from market.credit import advance_evidence, alerts, charts, exposure, financing, services
from market.credit import portfolio as portfolio_mod
from market.credit import schemas as sc
from market.credit.featureset import BY_NAME, FEATURES, format_value
from market.credit.sufficiency import Shortfall
from market.credit.models import PURPOSES
from market.db import utcnow
from market.errors import DomainError, NotFound
from market.i18n import locale_code
from market.pdf import render_pdf
from market.orders.services import producing_order_choices
from market.web import confirm as confirmation
from market.web import forms

bp = Blueprint("credit", __name__)


@bp.get("/credit")
@login_required
def index():
    actor = portal_actor()
    if actor.org_kind == "lender":
        return _lender_page(actor)
    return _factory_page(actor)


def _lender_page(actor, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The lender's page; a refused decision form (refused = "decision-<application id>")
    comes back with what was typed."""
    return render_template("credit/lender.html", portfolio=services.portfolio(actor), today=utcnow().date(),
                           applications=financing.applications(actor), overdue=financing.overdue(actor),
                           alerts=alerts.lender_alerts(actor), refused=refused, values=values or {}, errors=errors or {})


def _factory_page(actor, values: dict | None = None, errors: dict | None = None, refused: str | None = "application"):
    """The factory's credit page; a refused form (refused = "consent" or "application") comes
    back with what was typed."""
    if actor.org_kind != "factory":
        raise NotFound("no credit pages for this organization")
    return render_template("credit/factory.html", consents=services.consents_of(actor), log=services.access_log(actor),
                           values=values or {}, errors=errors or {}, refused=refused,
                           lenders=services.lenders(), factories=catalog.list_factories(actor, page=1, per_page=100).items,
                           applications=financing.applications(actor), purposes=PURPOSES, reports=services.reports_of(actor),
                           financeable=producing_order_choices(actor, states=financing.FINANCEABLE_ORDER_STATES),
                           now=utcnow(), today=utcnow().date())


@bp.get("/credit/portfolio")
@login_required
def portfolio():
    """The lender's portfolio: exposure by product, grade and region; alerts; pending consents."""
    actor = portal_actor()
    if actor.org_kind != "lender":
        raise NotFound("the portfolio is a lender's page")
    return render_template("credit/portfolio.html", p=portfolio_mod.portfolio(actor), product_label=exposure.label,
                           awaiting=exposure.AWAITING)


@bp.post("/credit/consents")
@login_required
def grant():
    actor = portal_actor()
    values = forms.clean(request.form)
    try:
        services.grant_consent(actor, **forms.load(sc.ConsentIn(), values))
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return _factory_page(actor, values, errors, refused="consent"), status
    flash(_("Access granted. The lender can now read your credit report."), "success")
    return redirect(url_for("credit.index"))


@bp.post("/credit/consents/<uuid:consent_id>/revoke")
@login_required
def revoke(consent_id):
    with forms.flashing_errors():
        services.revoke_consent(portal_actor(), consent_id)
        flash(_("Access revoked."), "success")
    return redirect(url_for("credit.index"))


@bp.post("/credit/factories/<uuid:factory_id>/reports")
@login_required
def issue(factory_id):
    rep = services.issue_report(portal_actor(), factory_id)
    return redirect(url_for("credit.report", report_id=rep.public_id))


def _charts(content: dict) -> dict:
    s = content["series"]
    oee = [(date.fromisoformat(d), float(v)) for d, v in s["oee"]]
    util = {date.fromisoformat(d): float(v) for d, v in s["utilization"].items()}
    end = date.fromisoformat(content["as_of"][:10])
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    peers = content["peers"]["features"]
    loc = locale_code()
    return {
        "oee": charts.oee_trend(oee, _("OEE trend"), _("No OEE data yet")),
        "heatmap": charts.utilization_heatmap(util, end, 26, _("Utilization heatmap"), weekdays),
        "deliveries": charts.deliveries_by_month([tuple(m) for m in s["deliveries"]], _("Deliveries on time"),
                                                 _("No deliveries yet"), (_("on time"), _("late"))),
        "peers": charts.peer_position([(BY_NAME[f.name].label(loc), peers[f.name]["percentile"]) for f in FEATURES],
                                      _("Peer position")) if content["peers"]["count"] else None,
    }


def _chart_specs(content: dict) -> dict:
    """The same series for the portal's interactive charts (the PDF keeps the SVG only)."""
    s = content["series"]
    loc = locale_code()
    peers = content["peers"]["features"]
    return {
        "oee": charts.oee_spec([(date.fromisoformat(d), float(v)) for d, v in s["oee"]], _("OEE"), _("Mean")),
        "heatmap": charts.heatmap_spec({date.fromisoformat(d): float(v) for d, v in s["utilization"].items()},
                                       date.fromisoformat(content["as_of"][:10]), 26,
                                       [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]),
        "deliveries": charts.deliveries_spec([tuple(m) for m in s["deliveries"]], (_("on time"), _("late"))),
        "peers": charts.peers_spec([(BY_NAME[f.name].label(loc), peers[f.name]["percentile"]) for f in FEATURES],
                                   _("Peer position")) if content["peers"]["count"] else None,
    }


def _report_context(rep) -> dict:
    loc = locale_code()
    by_fact = {f["name"]: sorted({ref["entry"] if "entry" in ref else rep.evidence["disclosures"][ref["disclosure"]]["entry"]
                                  for rec in f["records"] for ref in rec.values() if "const" not in ref})
               for f in rep.evidence["facts"]}
    rating = rep.content.get("rating")  # reports issued before the minimum of evidence have none
    shortfalls = [Shortfall(**x).text(loc) for x in rating["shortfalls"]] if rating else []
    return {"rep": rep, "c": rep.content, "charts": _charts(rep.content), "specs": BY_NAME, "loc": loc,
            "rating": rating, "shortfalls": shortfalls, "fmt": format_value,
            "evidence": {f["name"]: f for f in rep.evidence["facts"]}, "entries_by_fact": by_fact,
            "base_url": request.host_url.rstrip("/"), "product_label": exposure.label}


@bp.get("/credit/reports/<uuid:report_id>")
@login_required
def report(report_id):
    rep = services.get_report(portal_actor(), report_id)
    return render_template("credit/report.html", chart_specs=_chart_specs(rep.content), **_report_context(rep))


def report_pdf_response(rep) -> Response:
    pdf = render_pdf("credit/report_pdf.html", **_report_context(rep))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="credit-report-{rep.public_id}.pdf"'})


@bp.get("/credit/reports/<uuid:report_id>/pdf")
@login_required
def report_pdf(report_id):
    return report_pdf_response(services.get_report(portal_actor(), report_id, action="report_pdf"))


@bp.get("/credit/reports/<uuid:report_id>/evidence")
@login_required
def report_evidence(report_id):
    import json

    bundle = services.evidence_bundle(portal_actor(), report_id)
    return Response(json.dumps(bundle, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="evidence-{report_id}.json"'})


@bp.get("/credit/applications/<uuid:application_id>/evidence")
@login_required
def application_evidence(application_id):
    import json

    bundle = advance_evidence.bundle(portal_actor(), application_id)
    return Response(json.dumps(bundle, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="advance-evidence-{application_id}.json"'})


@bp.post("/credit/applications")
@login_required
def apply():
    actor = portal_actor()
    values = forms.clean(request.form)
    try:
        data = forms.load(sc.ApplicationIn(), _amount_in_major_units(dict(values)))
        financing.apply(actor, **data)
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return _factory_page(actor, values, errors, refused="application"), status
    flash(_("Application sent to the lender."), "success")
    return redirect(url_for("credit.index"))


def _amount_in_major_units(raw: dict) -> dict:
    """The portal's `amount` is typed in major units ("12,000.50"): exactly to minor units."""
    if "amount" in raw:
        raw["amount_minor"] = forms.scaled_int(raw.pop("amount"), "amount", places=2, maximum=MAX_MINOR)
    return raw


@bp.post("/credit/applications/<uuid:application_id>/decision")
@login_required
def decide(application_id):
    actor = portal_actor()
    application = financing.get(actor, application_id)  # another tenant's application: 404 before anything
    values = forms.clean(request.form, lists=("reasons",))
    raw = dict(values, approve=values.get("approve") == "1")
    try:
        # the form speaks major units and percent; the decision stores minor units and basis points
        raw = forms.typed_amount(_amount_in_major_units(raw), "rate", into="rate_bp", places=2, maximum=10000)
        data = forms.load(sc.DecisionIn(), raw)
        # an irreversible decision on typed figures is asked first (the above-the-line page,
        # its box ticked, was a confirmation already)
        asked = None if data["confirm_above_suggested"] else confirmation.typed(
            _("Approve") if data["approve"] else _("Decline"), _decision_question(application, data))
        if asked is not None:
            return asked
        financing.decide(actor, application_id, **data)
    except financing.AboveSuggestedLine as exc:  # a confirmation step, nothing recorded yet
        return render_template("credit/confirm_decision.html", application=application, data=data,
                               amount_minor=exc.amount_minor, suggested_minor=exc.suggested_minor,
                               report_id=exc.extra["report_id"])
    except (forms.FormError, DomainError) as exc:
        errors, status = forms.refused(exc)
        return _lender_page(actor, f"decision-{application_id}-{'approve' if raw['approve'] else 'decline'}",
                            values, errors), status
    flash(_("Decision recorded."), "success")
    return redirect(url_for("credit.index"))


def _decision_question(application, data: dict) -> str:
    from decimal import Decimal

    from market.i18n import money

    if data["approve"]:
        return _("Approve %(amount)s for %(factory)s at %(rate)s%% a year? The factory is told at once and the "
                 "decision goes on the ledger.", amount=money(data.get("amount_minor") or 0, application.currency),
                 factory=application.factory.name, rate=f"{Decimal(data.get('rate_bp') or 0).scaleb(-2):f}")
    return _("Decline the application of %(factory)s for %(amount)s? The factory is told your reasons.",
             factory=application.factory.name, amount=money(application.amount_minor, application.currency))


@bp.post("/credit/applications/<uuid:application_id>/disbursement")
@login_required
def disburse(application_id):
    with forms.flashing_errors():
        financing.disburse(portal_actor(), application_id)
        flash(_("Disbursement recorded; the repayment schedule is set."), "success")
    return redirect(url_for("credit.index"))


@bp.post("/credit/applications/<uuid:application_id>/repayments")
@login_required
def repay(application_id):
    financing.get(portal_actor(), application_id)
    with forms.flashing_errors():  # a button: its only field is drawn by the page, nothing typed
        data = forms.load(sc.RepaymentIn(), forms.clean(request.form))
        financing.repay(portal_actor(), application_id, data["seq"])
        flash(_("Repayment recorded."), "success")
    return redirect(url_for("credit.index"))

