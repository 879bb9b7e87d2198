"""Portal: the order's payment page (Stripe Payment Element or bank-transfer instructions),
invoices and payout statements, disputes, the factory's balance and payout account, the
operator's revenue console."""
from __future__ import annotations

from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from market import policy
from market.api_common import MAX_MINOR
from market.accounts import services as accounts_services
from market.auth import portal_actor
from market.orders import services as orders
from market.payments import accounts, assignments, documents, execution, queries, services
from market.payments import schemas as sc
from market.web import forms
from market.web.links import external_url

bp = Blueprint("payments", __name__)


@contextmanager
def _flashing():
    """Refusals and invalid forms are flashed; an unknown id stays a 404."""
    try:
        with forms.flashing_errors():
            yield
    except forms.FormError as exc:
        flash("; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items()) or exc.detail, "error")


def _stripe_csp(response):
    """The payment page alone loads Stripe.js and its frames (everything else stays 'self')."""
    parts = urlsplit(current_app.config["STRIPE_JS_URL"])
    js = f"{parts.scheme}://{parts.netloc}"
    api = current_app.config["STRIPE_API_BASE"] or "https://api.stripe.com"
    api = "{0.scheme}://{0.netloc}".format(urlsplit(api))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data: https://*.stripe.com; style-src 'self' 'unsafe-inline'; "
        f"script-src 'self' {js}; frame-src {js} https://hooks.stripe.com; connect-src 'self' {api} {js}; "
        f"form-action 'self'; frame-ancestors 'none'; base-uri 'self'")
    return response


@bp.get("/orders/<uuid:order_id>/payment")
@login_required
def page(order_id):
    actor = portal_actor()
    if request.args.get("payment_intent"):  # back from Stripe's form: ask Stripe now, not only by webhook
        execution.sync_payment(actor, order_id)
    view = queries.payment_view(actor, order_id)
    disputes = queries.disputes_of(actor, order_id)
    response = current_app.make_response(render_template(
        "payments/payment.html", pay=view, disputes=disputes, actor=actor, order_id=order_id,
        assignments=assignments.of_order(actor, order_id),
        stripe_js=current_app.config["STRIPE_JS_URL"]))
    return _stripe_csp(response) if view["provider"] == "stripe" and view["client_secret"] else response


@bp.post("/orders/<uuid:order_id>/payment/confirm")
@login_required
def confirm_receipt(order_id):
    with _flashing():
        execution.confirm_receipt(portal_actor(), order_id, request.form.get("bank_reference", ""))
        flash(_("Payment received: the factories may start production."), "success")
    return redirect(url_for("payments.page", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/movements/confirm")
@login_required
def confirm_movement(order_id):
    orders.get_order(portal_actor(), order_id)  # another tenant's order: 404 before the form is read
    with _flashing():
        data = forms.load(sc.ConfirmMovementIn(), forms.clean(request.form, skip=("csrf_token", "back")))
        execution.confirm_movement(portal_actor(), order_id, data["movement_id"], data["bank_reference"])
        flash(_("Bank transfer recorded."), "success")
    return redirect(request.form.get("back") == "revenue" and url_for("payments.revenue")
                    or url_for("payments.page", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/assignments/<uuid:assignment_id>/confirm")
@login_required
def confirm_payable(order_id, assignment_id):
    orders.get_order(portal_actor(), order_id)  # another tenant's order: 404
    with _flashing():
        assignments.confirm_payable(portal_actor(), order_id, assignment_id)
        flash(_("Payable confirmed: the lender sees it as confirmed."), "success")
    return redirect(url_for("payments.page", order_id=order_id))


@bp.get("/orders/<uuid:order_id>/invoice.pdf")
@login_required
def invoice(order_id):
    lang = request.args.get("lang", "en") if request.args.get("lang") in ("en", "zh_CN") else "en"
    return documents.send(documents.invoice(portal_actor(), order_id, lang), f"invoice-{order_id}.pdf")


@bp.get("/orders/<uuid:order_id>/payouts/<uuid:factory_id>/statement.pdf")
@login_required
def statement(order_id, factory_id):
    lang = request.args.get("lang", "en") if request.args.get("lang") in ("en", "zh_CN") else "en"
    return documents.send(documents.statement(portal_actor(), order_id, factory_id, lang),
                          f"payout-{order_id}-{factory_id}.pdf")


@bp.post("/orders/<uuid:order_id>/dispute")
@login_required
def open_dispute(order_id):
    actor = portal_actor()
    with _flashing():
        orders.get_order(actor, order_id)  # 404 before anything is stored
        evidence = [str(orders.add_attachment(actor, order_id, f).public_id)
                    for f in request.files.getlist("photos") if f and f.filename]
        services.open_dispute(actor, order_id, request.form.get("reason", ""), request.form.get("qc_data", ""), evidence)
        flash(_("Dispute opened: the payouts are frozen until the operator decides."), "success")
    return redirect(url_for("payments.page", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/dispute/resolve")
@login_required
def resolve(order_id):
    orders.get_order(portal_actor(), order_id)
    with _flashing():
        data = forms.load(sc.ResolveIn(), forms.clean(request.form))
        services.decide_dispute(portal_actor(), order_id, data["outcome"], data["refund_minor"], data["note"])
        flash(_("Dispute resolved."), "success")
    return redirect(url_for("payments.page", order_id=order_id))


@bp.get("/payments/balance")
@login_required
def balance():
    actor = portal_actor()
    account = accounts.refresh_account(actor) if request.args.get("refresh") else None
    figures = queries.factory_balance(actor)
    payouts = queries.list_payouts(actor, page=int(request.args.get("page", 1) or 1))
    return render_template("payments/balance.html", figures=figures, payouts=payouts,
                           account=account or figures["account"], tier=accounts.tier_of(actor),
                           provider=accounts.provider_name())


@bp.post("/payments/onboarding")
@login_required
def onboarding():
    back = external_url("payments.balance", refresh=1)
    with _flashing():
        return redirect(accounts.onboarding_link(portal_actor(), return_url=back, refresh_url=back))
    return redirect(url_for("payments.balance"))


@bp.get("/operator/revenue")
@login_required
def revenue():
    actor = portal_actor()
    data = queries.revenue(actor)  # the operator's page: refused before anything else is read
    factories = [(str(o.public_id), o.name) for o in accounts_services.list_organizations(actor) if o.kind == "factory"]
    return render_template("payments/revenue.html", data=data, rules=accounts.list_rules(),
                           factory_orgs=sorted(factories, key=lambda pair: pair[1]))


@bp.post("/operator/commission-rules")
@login_required
def set_rule():
    actor = portal_actor()
    policy.require_kind(actor, "operator")  # before anything of the form is parsed
    with _flashing():
        raw = forms.clean(request.form)
        if "percent" in raw:  # the form speaks percent; the rule stores basis points
            raw["percent_bp"] = forms.scaled_int(raw.pop("percent"), "percent", places=2, maximum=10000)
        if "minimum" in raw:  # and yuan: the rule stores minor units (fen)
            raw["minimum_minor"] = forms.scaled_int(raw.pop("minimum"), "minimum", places=forms.minor_places("CNY"),
                                                    maximum=MAX_MINOR)
        data = forms.load(sc.RuleIO(), raw)
        accounts.set_rule(actor, **data)
        flash(_("Commission rule saved."), "success")
    return redirect(url_for("payments.revenue"))


@bp.post("/operator/plans")
@login_required
def set_plan():
    with _flashing():
        data = forms.load(sc.PlanIn(), forms.clean(request.form))
        accounts.set_tier(portal_actor(), data["organization_id"], data["tier"])
        flash(_("Subscription tier saved."), "success")
    return redirect(url_for("payments.revenue"))
