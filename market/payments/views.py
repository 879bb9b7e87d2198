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
from market.errors import DomainError
from market.i18n import money
from market.payments.labels import label
from market.accounts import services as accounts_services
from market.auth import portal_actor
from market.orders import services as orders
from market.payments import accounts, assignments, documents, execution, queries, services
from market.payments import schemas as sc
from market.web import confirm as confirmation
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
    return _payment_page(actor, order_id)


def _payment_page(actor, order_id, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The order's payment page; a refused form (refused = "receipt", "movement-<id>",
    "resolve", "dispute") comes back with what was typed."""
    view = queries.payment_view(actor, order_id)
    disputes = queries.disputes_of(actor, order_id)
    response = current_app.make_response(render_template(
        "payments/payment.html", pay=view, disputes=disputes, actor=actor, order_id=order_id,
        assignments=assignments.of_order(actor, order_id), refused=refused, values=values or {}, errors=errors or {},
        stripe_js=current_app.config["STRIPE_JS_URL"]))
    return _stripe_csp(response) if view["provider"] == "stripe" and view["client_secret"] else response


def _shown_again(exc, page):
    """A refused form's page again (`page(errors)`), with the refusal's status."""
    errors, status = forms.refused(exc)
    response = page(errors)
    response = current_app.make_response(response)
    response.status_code = status
    return response


@bp.post("/orders/<uuid:order_id>/payment/confirm")
@login_required
def confirm_receipt(order_id):
    actor = portal_actor()
    orders.get_order(actor, order_id)  # another tenant's order: 404 before the form is read
    values = forms.clean(request.form)
    try:
        data = forms.load(sc.ReceiptIn(), values)
        asked = confirmation.typed(_("The buyer's transfer has arrived"),
                                   _("Record that the buyer's transfer has arrived (bank reference %(ref)s)? Production "
                                     "may start and the receipt goes on the ledger.", ref=data["bank_reference"] or "—"))
        if asked is not None:
            return asked
        execution.confirm_receipt(actor, order_id, data["bank_reference"])
    except (forms.FormError, DomainError) as exc:
        return _shown_again(exc, lambda errors: _payment_page(actor, order_id, "receipt", values, errors))
    flash(_("Payment received: the factories may start production."), "success")
    return redirect(url_for("payments.page", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/movements/confirm")
@login_required
def confirm_movement(order_id):
    actor = portal_actor()
    orders.get_order(actor, order_id)  # another tenant's order: 404 before the form is read
    values = forms.clean(request.form, skip=("back",))
    back = request.form.get("back") == "revenue"
    try:
        data = forms.load(sc.ConfirmMovementIn(), values)
        asked = confirmation.typed(_("Sent"), _("Record that this bank transfer was sent (bank reference %(ref)s)? "
                                                "It goes on the ledger.", ref=data["bank_reference"] or "—"))
        if asked is not None:
            return asked
        execution.confirm_movement(actor, order_id, data["movement_id"], data["bank_reference"])
    except (forms.FormError, DomainError) as exc:
        refused = f"movement-{values.get('movement_id', '')}"
        return _shown_again(exc, lambda errors: _revenue_page(actor, refused, values, errors) if back
                            else _payment_page(actor, order_id, refused, values, errors))
    flash(_("Bank transfer recorded."), "success")
    return redirect(back and url_for("payments.revenue") or url_for("payments.page", order_id=order_id))


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
    orders.get_order(actor, order_id)  # 404 before anything is stored
    values = forms.clean(request.form)
    try:
        data = forms.load(sc.DisputeIn(), values)
        photos = [f for f in request.files.getlist("photos") if f and f.filename]
        asked = None if photos else confirmation.typed(  # photos cannot ride through a page: asked in the dialog only
            _("Open a dispute"), _("Open a dispute on this order? The payouts freeze until the operator decides."))
        if asked is not None:
            return asked
        evidence = [str(orders.add_attachment(actor, order_id, f).public_id) for f in photos]
        services.open_dispute(actor, order_id, data["reason"], data["qc_data"], evidence)
    except (forms.FormError, DomainError) as exc:
        return _shown_again(exc, lambda errors: _payment_page(actor, order_id, "dispute", values, errors))
    flash(_("Dispute opened: the payouts are frozen until the operator decides."), "success")
    return redirect(url_for("payments.page", order_id=order_id))


@bp.post("/orders/<uuid:order_id>/dispute/resolve")
@login_required
def resolve(order_id):
    actor = portal_actor()
    orders.get_order(actor, order_id)
    values = forms.clean(request.form)
    try:
        currency = queries.payment_view(actor, order_id)["currency"]
        raw = forms.typed_amount(values, "refund", into="refund_minor", places=forms.minor_places(currency), maximum=MAX_MINOR)
        data = forms.load(sc.ResolveIn(), raw)
        asked = confirmation.typed(_("Resolve"), _("Resolve the dispute: %(outcome)s%(refund)s? The payouts or the refund "
                                                   "are carried out and cannot be taken back.",
                                                   outcome=label(data["outcome"]),
                                                   refund=f" ({money(data['refund_minor'], currency)})"
                                                   if data["refund_minor"] else ""))
        if asked is not None:
            return asked
        services.decide_dispute(actor, order_id, data["outcome"], data["refund_minor"], data["note"])
    except (forms.FormError, DomainError) as exc:
        return _shown_again(exc, lambda errors: _payment_page(actor, order_id, "resolve", values, errors))
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
    return _revenue_page(portal_actor())


def _revenue_page(actor, refused: str | None = None, values: dict | None = None, errors: dict | None = None):
    """The operator's revenue page; a refused form (refused = "rule", "plan", "movement-<id>")
    comes back with what was typed."""
    data = queries.revenue(actor)  # the operator's page: refused before anything else is read
    factories = [(str(o.public_id), o.name) for o in accounts_services.list_organizations(actor) if o.kind == "factory"]
    return render_template("payments/revenue.html", data=data, rules=accounts.list_rules(),
                           factory_orgs=sorted(factories, key=lambda pair: pair[1]),
                           platform_currency=current_app.config["PLATFORM_CURRENCY"],
                           refused=refused, values=values or {}, errors=errors or {})


@bp.post("/operator/commission-rules")
@login_required
def set_rule():
    actor = portal_actor()
    policy.require_kind(actor, "operator")  # before anything of the form is parsed
    values = forms.clean(request.form)
    try:
        # the form speaks percent and major units of the platform's currency (a rule has no
        # currency of its own); the rule stores basis points and minor units
        raw = forms.typed_amount(values, "percent", into="percent_bp", places=2, maximum=10000)
        raw = forms.typed_amount(raw, "minimum", into="minimum_minor", maximum=MAX_MINOR,
                                 places=forms.minor_places(current_app.config["PLATFORM_CURRENCY"]))
        accounts.set_rule(actor, **forms.load(sc.RuleIO(), raw))
    except (forms.FormError, DomainError) as exc:
        return _shown_again(exc, lambda errors: _revenue_page(actor, "rule", values, errors))
    flash(_("Commission rule saved."), "success")
    return redirect(url_for("payments.revenue"))


@bp.post("/operator/plans")
@login_required
def set_plan():
    actor = portal_actor()
    policy.require_kind(actor, "operator")
    values = forms.clean(request.form)
    try:
        data = forms.load(sc.PlanIn(), values)
        accounts.set_tier(actor, data["organization_id"], data["tier"])
    except (forms.FormError, DomainError) as exc:
        return _shown_again(exc, lambda errors: _revenue_page(actor, "plan", values, errors))
    flash(_("Subscription tier saved."), "success")
    return redirect(url_for("payments.revenue"))
