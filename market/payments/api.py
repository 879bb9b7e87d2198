"""REST API for payments: the order's payment and payouts, offline confirmations, disputes,
PDF invoices and payout statements, payout accounts, commission rules and tiers; and the
Stripe webhook endpoint (a plain blueprint: Stripe signs, no token)."""
from uuid import UUID

from flask import Blueprint as FlaskBlueprint
from flask import jsonify, request
from flask_smorest import Blueprint

from market.api_common import PageArgs, SyncArgs, idempotent, page_schema
from market.auth import api_actor, require_token
from market.pagination import page_of
from market.payments import accounts, assignments, contracts, documents, execution, queries, services, webhooks
from market.payments import schemas as sc

blp = Blueprint("payments_api", __name__, url_prefix="/api/v1", description="Payments, payouts and disputes")
hooks = FlaskBlueprint("payment_webhooks", __name__)


@blp.route("/orders/<uuid:order_id>/payment")
@require_token("read")
@blp.response(200, sc.PaymentOut)
def payment(order_id: UUID):
    """The order's payment: the buyer sees the charge and refunds, a factory its own payout,
    the operator everything."""
    return queries.payment_view(api_actor(), order_id)


@blp.route("/orders/<uuid:order_id>/payment/sync", methods=["POST"])
@require_token("write")
@blp.response(200, sc.PaymentOut)
def sync(order_id: UUID):
    """Ask the provider where the payment stands now (after Stripe's payment form)."""
    execution.sync_payment(api_actor(), order_id)
    return queries.payment_view(api_actor(), order_id)


@blp.route("/orders/<uuid:order_id>/payment/confirm", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.ConfirmReceiptIn)
@blp.response(200, sc.PaymentOut)
def confirm_receipt(data, order_id: UUID):
    """Operator, offline provider: the buyer's bank transfer arrived."""
    execution.confirm_receipt(api_actor(), order_id, data["bank_reference"])
    return queries.payment_view(api_actor(), order_id)


@blp.route("/orders/<uuid:order_id>/movements/confirm", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.ConfirmMovementIn)
@blp.response(200, sc.PaymentOut)
def confirm_movement(data, order_id: UUID):
    """Operator, offline provider: a payout, refund or reversal was sent by bank transfer."""
    execution.confirm_movement(api_actor(), order_id, data["movement_id"], data["bank_reference"])
    return queries.payment_view(api_actor(), order_id)


@blp.route("/orders/<uuid:order_id>/assignments")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.AssignmentOut))
def assignments_of(args, order_id: UUID):
    """Payouts of the order assigned to lenders (receivables financing): the buyer and the
    operator see all, a factory its own."""
    return page_of(assignments.of_order(api_actor(), order_id), **args)


@blp.route("/orders/<uuid:order_id>/assignments/<uuid:assignment_id>/confirm", methods=["POST"])
@require_token("write")
@idempotent
@blp.response(200, sc.AssignmentOut)
def confirm_payable(order_id: UUID, assignment_id: UUID):
    """Buyer: confirm that it owes this order's payment (the lender then sees the
    receivable as confirmed). A ledger entry, `payment.payable_confirmed`."""
    assignments.confirm_payable(api_actor(), order_id, assignment_id)
    return next(a for a in assignments.of_order(api_actor(), order_id) if a["id"] == assignment_id)


@blp.route("/orders/<uuid:order_id>/payouts/<uuid:factory_id>/retry", methods=["POST"])
@require_token("write")
@idempotent
@blp.response(200, sc.PaymentOut)
def retry_payout(order_id: UUID, factory_id: UUID):
    """Operator: try a failed transfer again (a new attempt, with a new idempotency key)."""
    execution.retry_transfer(api_actor(), order_id, factory_id)
    return queries.payment_view(api_actor(), order_id)


@blp.route("/orders/<uuid:order_id>/disputes")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.DisputeOut))
def disputes(args, order_id: UUID):
    """The disputes opened on an order."""
    return page_of(queries.disputes_of(api_actor(), order_id), **args)


@blp.route("/orders/<uuid:order_id>/disputes", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.DisputeIn)
@blp.response(201, sc.DisputeOut)
def open_dispute(data, order_id: UUID):
    """Buyer, before confirming delivery (or after): the payouts freeze until the operator decides."""
    return services.open_dispute(api_actor(), order_id, data["reason"], data["qc_data"],
                                 [str(e) for e in data["evidence"]])


@blp.route("/orders/<uuid:order_id>/disputes/resolve", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.ResolveIn)
@blp.response(200, sc.DisputeOut)
def resolve(data, order_id: UUID):
    """Operator: release the payouts, refund part (payouts shrink in proportion) or refund all."""
    return services.decide_dispute(api_actor(), order_id, data["outcome"], data["refund_minor"], data["note"])


@blp.route("/orders/<uuid:order_id>/invoice.pdf")
@require_token("read")
@blp.arguments(sc.PdfArgs, location="query")
@blp.response(200, content_type="application/pdf")
def invoice(args, order_id: UUID):
    """The buyer's invoice (en or zh_CN)."""
    return documents.send(documents.invoice(api_actor(), order_id, args["lang"]), f"invoice-{order_id}.pdf")


@blp.route("/orders/<uuid:order_id>/payouts/<uuid:factory_id>/statement.pdf")
@require_token("read")
@blp.arguments(sc.PdfArgs, location="query")
@blp.response(200, content_type="application/pdf")
def statement(args, order_id: UUID, factory_id: UUID):
    """One factory's payout statement for the order (en or zh_CN)."""
    pdf = documents.statement(api_actor(), order_id, factory_id, args["lang"])
    return documents.send(pdf, f"payout-{order_id}-{factory_id}.pdf")


@blp.route("/payouts")
@require_token("read")
@blp.arguments(SyncArgs, location="query")
@blp.response(200, page_schema(sc.PayoutListItem))
def payouts(args):
    """A factory's payouts, newest first; with `updated_since`, those changed since then by (updated_at, id)."""
    return queries.list_payouts(api_actor(), **args)


@blp.route("/payments/account")
@require_token("read")
@blp.response(200, sc.AccountOut)
def account():
    """This factory organization's payout account (404 before onboarding)."""
    found = accounts.refresh_account(api_actor())
    if found is None:
        from market.errors import NotFound

        raise NotFound("no payout account yet: start onboarding")
    return found


@blp.route("/payments/account/onboarding", methods=["POST"])
@require_token("write")
@blp.arguments(sc.OnboardingIn)
@blp.response(200, sc.LinkOut)
def onboarding(data):
    """A one-time link to the provider's onboarding (Stripe Connect Express)."""
    return {"url": accounts.onboarding_link(api_actor(), **data)}


@blp.route("/payments/commission-rules")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.RuleIO))
def rules(args):
    """The commission rules: per tier and process class (null: the tier's default)."""
    return page_of(accounts.list_rules(), **args)


@blp.route("/payments/commission-rules", methods=["PUT"])
@require_token("write")
@blp.arguments(sc.RuleIO)
@blp.response(200, sc.RuleIO)
def set_rule(data):
    """Operator: set one rule."""
    return accounts.set_rule(api_actor(), **data)


@blp.route("/payments/plans", methods=["PUT"])
@require_token("write")
@blp.arguments(sc.PlanIn)
@blp.response(200, sc.PlanOut)
def set_plan(data):
    """Operator: a factory organization's subscription tier."""
    return {"tier": accounts.set_tier(api_actor(), data["organization_id"], data["tier"])}


@blp.route("/payments/revenue")
@require_token("read")
@blp.response(200, sc.RevenueOut)
def revenue():
    """Operator: captured, refunded, paid out and commission kept, per currency."""
    return {"per_currency": queries.revenue(api_actor())["per_currency"]}


@hooks.post("/webhooks/stripe")
def stripe_webhook():
    outcome = webhooks.receive(request.get_data(), request.headers.get("Stripe-Signature", ""))
    return jsonify({"received": True, "outcome": outcome})


@blp.route("/contract-transfers")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ContractTransferOut))
def pending_contract_transfers(args):
    """Operator: money under contracts (lease disbursements, rent) waiting for the bank's confirmation."""
    return page_of(contracts.pending(api_actor()), **args)


@blp.route("/contract-transfers/<uuid:transfer_id>/confirm", methods=["POST"])
@require_token("write")
@blp.arguments(sc.ContractTransferConfirmIn)
@blp.response(200, sc.ContractTransferOut)
def confirm_contract_transfer(data, transfer_id: UUID):
    """Operator, offline: the bank transfer reached the payee; the contract's owner books it in the same transaction."""
    return contracts.confirm(api_actor(), transfer_id, data["bank_reference"])
