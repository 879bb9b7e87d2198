"""Listeners to insurance (market/insurance/domain_events.py): the insured and the insurer learn
of the policy issued; the insured of each premium and of the decision on its claims; the
insurer of each claim filed. Nobody else is told: a policy is private to its two parties."""
from __future__ import annotations

from market.db import unit_of_work
from market.i18n import money
from market.insurance.domain_events import ClaimDecided, ClaimFiled, PolicyIssued, PremiumInvoiced
from market.insurance.models import Claim, Policy, PremiumInvoice
from market.notifications import recipients as who
from market.notifications.telling import save, tell, when


def _link(p: Policy) -> tuple[str, str]:
    return "policy", str(p.public_id)


def on_policy_issued(event: PolicyIssued) -> None:
    with unit_of_work() as s:
        p = s.get(Policy, event.policy_id)
        params = {"machine": p.machine.name, "insurer": p.insurer.name, "coverage": p.coverage,
                  "start": when(p.start_day), "end": when(p.end_day)}
        save(s, tell(who.members(s, [p.insured_org_id, p.insurer_org_id]), "policy.issued", params), _link(p))


def on_premium_invoiced(event: PremiumInvoiced) -> None:
    with unit_of_work() as s:
        inv = s.get(PremiumInvoice, event.invoice_id)
        p = inv.policy
        params = {"machine": p.machine.name, "start": when(inv.period_start), "due": when(inv.due_on),
                  "amount": money(inv.premium_minor, p.currency), "multiplier": inv.quote.get("multiplier", "")}
        save(s, tell(who.members(s, [p.insured_org_id]), "premium.invoiced", params), _link(p))


def on_claim_filed(event: ClaimFiled) -> None:
    with unit_of_work() as s:
        claim = s.get(Claim, event.claim_id)
        p = claim.policy
        params = {"insured": p.insured.name, "machine": p.machine.name, "hours": f"{claim.down_s / 3600:.2f}",
                  "amount": money(claim.claimed_minor, p.currency)}
        save(s, tell(who.members(s, [p.insurer_org_id]), "claim.filed", params), _link(p))


def on_claim_decided(event: ClaimDecided) -> None:
    with unit_of_work() as s:
        claim = s.get(Claim, event.claim_id)
        p = claim.policy
        params = {"insurer": p.insurer.name, "machine": p.machine.name, "state": claim.status,
                  "amount": money(claim.approved_minor or 0, p.currency)}
        save(s, tell(who.members(s, [p.insured_org_id]), "claim.decided", params), _link(p))


HANDLED = (
    (PolicyIssued, on_policy_issued), (PremiumInvoiced, on_premium_invoiced),
    (ClaimFiled, on_claim_filed), (ClaimDecided, on_claim_decided),
)
