"""REST API of insurance: offers (insurer), acceptance (insured), premiums with their factors,
downtime claims pre-filled from telemetry, decisions, and a claim's evidence. Anyone but the
insurer and the insured gets 404."""
from uuid import UUID

from flask_smorest import Blueprint

from market.api_common import PageArgs, idempotent, page_schema
from market.auth import api_actor, require_token
from market.insurance import claims, premiums, services
from market.insurance import schemas as sc
from market.pagination import page_of

blp = Blueprint("insurance_api", __name__, url_prefix="/api/v1", description="Usage-based insurance")


@blp.route("/insurance-policies", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.PolicyIn)
@blp.response(201, sc.PolicyOut)
def offer(data):
    """Offer a policy on a machine of a factory that granted you access (an insurer organization)."""
    return services.offer(api_actor(), **data)


@blp.route("/insurance-policies")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.PolicyOut))
def list_policies(args):
    """Your policies, as insurer or insured."""
    return page_of(services.policies_of(api_actor()), **args)


@blp.route("/insurance-policies/<uuid:policy_id>")
@require_token("read")
@blp.response(200, sc.PolicyOut)
def get_policy(policy_id: UUID):
    """One insurance policy with its terms and state."""
    return services.get(api_actor(), policy_id)


@blp.route("/insurance-policies/<uuid:policy_id>/accept", methods=["POST"])
@require_token("write")
@blp.arguments(sc.PolicyAcceptIn)
@blp.response(200, sc.PolicyOut)
def accept(data, policy_id: UUID):
    """The insured accepts (accept: true; the policy is issued) or declines the offer."""
    return services.accept(api_actor(), policy_id, accept=data["accept"])


@blp.route("/insurance-policies/<uuid:policy_id>/premiums")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.PremiumOut))
def list_premiums(args, policy_id: UUID):
    """The premium of each period with the rating factors that priced it."""
    return page_of(premiums.invoices_of(api_actor(), policy_id), **args)


@blp.route("/insurance-policies/<uuid:policy_id>/claim-candidates")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ClaimCandidateOut))
def claim_candidates(args, policy_id: UUID):
    """The machine's down intervals in the term and its closed days, not yet claimed: a claim pre-filled."""
    return page_of(claims.candidates(api_actor(), policy_id), **args)


@blp.route("/insurance-policies/<uuid:policy_id>/claims", methods=["POST"])
@require_token("write")
@idempotent
@blp.arguments(sc.ClaimFileIn)
@blp.response(201, sc.ClaimOut)
def file_claim(data, policy_id: UUID):
    """The insured claims the machine's downtime inside a loss window."""
    return claims.file_claim(api_actor(), policy_id, **data)


@blp.route("/insurance-policies/<uuid:policy_id>/claims")
@require_token("read")
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_schema(sc.ClaimOut))
def list_claims(args, policy_id: UUID):
    """The claims filed on a policy."""
    return page_of(claims.claims_of(api_actor(), policy_id), **args)


@blp.route("/insurance-premiums/<uuid:premium_id>/payment", methods=["POST"])
@require_token("write")
@idempotent
@blp.response(200, sc.PremiumOut)
def pay_premium(premium_id: UUID):
    """The insurer confirms the period's premium was received."""
    return premiums.record_payment(api_actor(), premium_id)


@blp.route("/insurance-claims/<uuid:claim_id>")
@require_token("read")
@blp.response(200, sc.ClaimOut)
def get_claim(claim_id: UUID):
    """One claim with its evidence and decision."""
    return claims.get_claim(api_actor(), claim_id)


@blp.route("/insurance-claims/<uuid:claim_id>/decision", methods=["POST"])
@require_token("write")
@blp.arguments(sc.ClaimDecisionIn)
@blp.response(200, sc.ClaimOut)
def decide(data, claim_id: UUID):
    """The insurer approves (the indemnity claimed, or less) or rejects (with a reason)."""
    return claims.decide(api_actor(), claim_id, **data)


@blp.route("/insurance-claims/<uuid:claim_id>/evidence")
@require_token("read")
def evidence(claim_id: UUID):
    """The claim's evidence bundle: verify the loss window with `python -m ledger verify-evidence FILE`."""
    return claims.evidence(api_actor(), claim_id)
