"""REST API for subcontracting: pass operations on, consent to be named, the tiers of an order."""
from uuid import UUID

from flask_smorest import Blueprint

from market.api_common import idempotent
from market.auth import api_actor, require_token
from market.subcontracting import schemas as sc
from market.subcontracting import services, tree

blp = Blueprint("subcontracting_api", __name__, url_prefix="/api/v1", description="Subcontracting (multi-tier)")


@blp.route("/orders/<uuid:order_id>/sub-orders", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.SubcontractIn)
@blp.response(201, sc.SubOrderOut)
def subcontract(data, order_id: UUID):
    """A factory booked on the order passes some of its operations on: an open sub-order with
    your organization as buyer, the parent's certifications and due bound; quoted at once."""
    return services.subcontract(api_actor(), order_id, data["operation_seqs"], due_at=data["due_at"],
                                budget_minor=data["budget_minor"], request_quotes=data["request_quotes"])


@blp.route("/orders/<uuid:order_id>/tiers")
@require_token("read")
@blp.response(200, sc.SubcontractTierOut)
def tiers(order_id: UUID):
    """The order and the tiers under it: operations, states, promised dates, makers (named
    only with their consent). No prices."""
    return tree.tiers_of(api_actor(), order_id)


@blp.route("/orders/<uuid:order_id>/name-consent", methods=["PUT"])
@require_token("write")
@blp.arguments(sc.NameConsentIn)
@blp.response(200, sc.NameConsentOut)
def consent(data, order_id: UUID):
    """The factory making a sub-order lets the buyers above see its name (or withdraws it)."""
    return services.set_name_disclosed(api_actor(), order_id, data["name_disclosed"])


@blp.route("/orders/<uuid:order_id>/cancel-agreement", methods=["POST"])
@require_token("write")
@blp.arguments(sc.CancelAgreementIn)
@blp.response(200, sc.CancelAgreementOut)
def agreement(data, order_id: UUID):
    """The sub-tier answers the cancellation of a sub-order already in production."""
    return services.settle_blocked_cancel(api_actor(), order_id, data["agreed"])
