"""REST API: consents (factory), credit reports and their evidence (lender with a live
consent; the factory for its own), financing applications and decisions."""
from uuid import UUID

from flask import Response
from flask_smorest import Blueprint

from market.api_common import PageArgs, idempotent, page_schema
from market.auth import api_actor, require_token
from market.credit import advance_evidence, financing, portfolio, services
from market.credit import schemas as sc
from market.pagination import page_of

blp = Blueprint("credit_api", __name__, url_prefix="/api/v1", description="Consent, credit reports and financing")


@blp.route("/credit/consents")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ConsentOut))
def list_consents(args):
    """The factory's consents, or the consents a lender holds."""
    return page_of(services.consents_of(api_actor()), **args)


@blp.route("/credit/consents", methods=["POST"])
@require_token("write")
@blp.arguments(sc.ConsentIn)
@blp.response(201, sc.ConsentOut)
def grant(data):
    """Let a named lender read the factory's credit data for a purpose and a period."""
    return services.grant_consent(api_actor(), **data)


@blp.route("/credit/consents/<uuid:consent_id>/revoke", methods=["POST"])
@require_token("write")
@blp.response(200, sc.ConsentOut)
def revoke(consent_id: UUID):
    """Revoke a data-access consent given to a lender: its access ends at once."""
    return services.revoke_consent(api_actor(), consent_id)


@blp.route("/credit/access-log")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.AccessOut))
def access_log(args):
    """Who looked at the factory's data, newest first."""
    return page_of(services.access_log(api_actor()), **args)


@blp.route("/credit/portfolio")
@require_token("read")
@blp.arguments(sc.PortfolioQuery, location="query")
@blp.response(200, sc.PortfolioOut)
def lender_portfolio(query):
    """Your portfolio (lender): exposure by product, by the grade of your latest report on
    each factory and by region, in one currency; alerts; what you wait for from others.
    Only the contracts you carry."""
    return portfolio.portfolio(api_actor(), currency=query["currency"]).to_dict()


@blp.route("/credit/reports", methods=["POST"])
@require_token("write")
@blp.arguments(sc.ReportIn)
@blp.response(201, sc.ReportOut)
def issue(data):
    """Issue a fresh credit report (lender with a live consent); recorded on the ledger."""
    return services.issue_report(api_actor(), data["factory_id"])


@blp.route("/credit/reports")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ReportOut))
def list_reports(args):
    """Credit reports issued to you (lenders) or about you (factories)."""
    return page_of(services.reports_of(api_actor()), **args)


@blp.route("/credit/reports/<uuid:report_id>")
@require_token("read")
@blp.response(200, sc.ReportOut)
def get_report(report_id: UUID):
    """One credit report with its figures and ledger commitments."""
    return services.get_report(api_actor(), report_id)


@blp.route("/credit/reports/<uuid:report_id>/evidence")
@require_token("read")
@blp.response(200, content_type="application/json")
def evidence(report_id: UUID):
    """Evidence bundle: check it with `python -m ledger verify-evidence FILE`."""
    import json

    return Response(json.dumps(services.evidence_bundle(api_actor(), report_id)), mimetype="application/json")


@blp.route("/credit/reports/<uuid:report_id>/pdf")
@require_token("read")
@blp.response(200, content_type="application/pdf")
def pdf(report_id: UUID):
    """A credit report as PDF."""
    from market.credit.views import report_pdf_response

    rep = services.get_report(api_actor(), report_id, action="report_pdf")
    return report_pdf_response(rep)


@blp.route("/credit-reports/<uuid:factory_id>")
@require_token("read")
@blp.response(200, sc.ReportOut)
def factory_report(factory_id: UUID):
    """The lender's report on this factory from the last day, issued now if there is none."""
    return services.latest_or_issue(api_actor(), factory_id)


@blp.route("/financing-applications")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ApplicationOut))
def list_applications(args):
    """Financing applications you made (factories) or received (lenders)."""
    return page_of(financing.applications(api_actor()), **args)


@blp.route("/financing-applications", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.ApplicationIn)
@blp.response(201, sc.ApplicationOut)
def apply(data):
    """Apply for order financing (against an accepted order) or equipment financing."""
    return financing.apply(api_actor(), **data)


@blp.route("/financing-applications/<uuid:application_id>")
@require_token("read")
@blp.response(200, sc.ApplicationOut)
def get_application(application_id: UUID):
    """One financing application with its decision and schedule."""
    return financing.get(api_actor(), application_id)


@blp.route("/financing-applications/<uuid:application_id>/evidence")
@require_token("read")
@blp.response(200, content_type="application/json")
def advance_evidence_bundle(application_id: UUID):
    """An order advance's evidence bundle (its lender, the factory): the order, its acceptance
    and the factory's share, production, delivery and the assignment, each with its ledger
    inclusion proof. Check it offline with `python -m ledger verify-evidence FILE`."""
    import json

    return Response(json.dumps(advance_evidence.bundle(api_actor(), application_id)), mimetype="application/json")


@blp.route("/financing-applications/<uuid:application_id>/decision", methods=["POST"])
@require_token("write")
@blp.arguments(sc.DecisionIn)
@blp.response(200, sc.ApplicationOut)
def decide(data, application_id: UUID):
    """Approve with amount and rate, or decline with reasons (lender). An amount above the
    suggested credit line of the report the decision rests on (`report_id`, else the lender's
    latest report on the factory) is refused with 409 `code: above_suggested_line` unless
    `confirm_above_suggested` is true."""
    return financing.decide(api_actor(), application_id, **data)


@blp.route("/financing-applications/<uuid:application_id>/disbursement", methods=["POST"])
@require_token("write")
@idempotent
@blp.response(200, sc.ApplicationOut)
def disburse(application_id: UUID):
    """The lender records the disbursement of an approved application."""
    return financing.disburse(api_actor(), application_id)


@blp.route("/financing-applications/<uuid:application_id>/repayments", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.RepaymentIn)
@blp.response(200, sc.ApplicationOut)
def repay(data, application_id: UUID):
    """Record a repayment instalment of a financing."""
    financing.repay(api_actor(), application_id, data["seq"])
    return financing.get(api_actor(), application_id)
