"""REST API of leasing: offers (lessor), signature (lessee), disbursement, rent invoices and
their evidence, monitoring. Anyone but the lessor and the lessee gets 404."""
from uuid import UUID

from flask import Response, request
from flask_smorest import Blueprint

from market.api_common import PageArgs, page_schema
from market.auth import api_actor, require_token
from market.leasing import monitoring, rent, services
from market.leasing import schemas as sc
from market.pagination import page_of
from market.payments.schemas import ContractTransferOut

blp = Blueprint("leasing_api", __name__, url_prefix="/api/v1", description="Equipment leasing")


@blp.route("/leases", methods=["POST"])
@require_token("write")
@blp.arguments(sc.LeaseIn)
@blp.response(201, sc.LeaseOut)
def offer(data):
    """Offer a lease on a machine of a factory that granted you access (lessor: a lender organization)."""
    return services.offer(api_actor(), **data)


@blp.route("/leases")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.LeaseOut))
def list_leases(args):
    """Your leases, as lessor or lessee."""
    return page_of(services.leases_of(api_actor()), **args)


@blp.route("/leases/<uuid:lease_id>")
@require_token("read")
@blp.response(200, sc.LeaseOut)
def get_lease(lease_id: UUID):
    """One lease with its terms and state."""
    return services.get(api_actor(), lease_id)


@blp.route("/leases/<uuid:lease_id>/contract.pdf")
@require_token("read")
def contract_pdf(lease_id: UUID):
    """The signed contract, `?lang=en` (default) or `zh_CN`; its SHA-256 is in the lease.signed commitment."""
    lang = request.args.get("lang", "en")
    return Response(services.contract_pdf(api_actor(), lease_id, lang), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="lease-{lease_id}-{lang}.pdf"'})


@blp.route("/leases/<uuid:lease_id>/sign", methods=["POST"])
@require_token("write")
@blp.arguments(sc.SignIn)
@blp.response(200, sc.LeaseOut)
def sign(data, lease_id: UUID):
    """The lessee signs (accept: true) or declines the offered terms."""
    return services.sign(api_actor(), lease_id, accept=data["accept"])


@blp.route("/leases/<uuid:lease_id>/disburse", methods=["POST"])
@require_token("write")
@blp.response(200, sc.LeaseOut)
def disburse(lease_id: UUID):
    """The lessor pays the supplier (the payee); rent periods start today."""
    return services.disburse(api_actor(), lease_id)


@blp.route("/leases/<uuid:lease_id>/invoices")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.InvoiceOut))
def invoices(args, lease_id: UUID):
    """A lease's rent invoices."""
    return page_of(rent.invoices_of(api_actor(), lease_id), **args)


@blp.route("/leases/<uuid:lease_id>/monitor")
@require_token("read")
@blp.response(200, sc.MonitorOut)
def monitor(lease_id: UUID):
    """The machine's utilization, location, state and alerts, and the rent behaviour."""
    return monitoring.monitor(api_actor(), lease_id)


@blp.route("/lease-invoices/<uuid:invoice_id>/payment", methods=["POST"])
@require_token("write")
@blp.response(200, sc.InvoiceOut)
def pay(invoice_id: UUID):
    """The lessor confirms the period's rent was received."""
    return rent.record_payment(api_actor(), invoice_id)


@blp.route("/lease-invoices/<uuid:invoice_id>/rent-payment", methods=["POST"])
@require_token("write")
@blp.response(201, ContractTransferOut)
def pay_rent(invoice_id: UUID):
    """The lessee pays the period's rent through payments (pending until the operator confirms the bank transfer)."""
    return rent.pay(api_actor(), invoice_id)


@blp.route("/leases/<uuid:lease_id>/transfers")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(ContractTransferOut))
def transfers(args, lease_id: UUID):
    """The money of the lease through payments: its disbursement and rent transfers."""
    return page_of(services.transfers(api_actor(), lease_id), **args)


@blp.route("/lease-invoices/<uuid:invoice_id>/evidence")
@require_token("read")
def evidence(invoice_id: UUID):
    """The invoice's evidence bundle: verify it with `python -m ledger verify-evidence FILE`."""
    return rent.evidence(api_actor(), invoice_id)
